// FilesystemCli: diff, cp, commit, export: the container's filesystem and its copy-on-write layer.
//
// Follows: docker-diff(1), docker-cp(1), docker-commit(1), docker-export(1).
using System.CommandLine;

namespace MiniRun.Cli;

public static class FilesystemCli
{
    public static IEnumerable<Command> Build(Option<string> rootOption, Option<bool> debugOption)
    {
        yield break;
    }
}
