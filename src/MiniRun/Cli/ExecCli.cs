// ExecCli: exec: run a command inside a running container.
//
// Follows: docker-exec(1).
using System.CommandLine;

namespace MiniRun.Cli;

public static class ExecCli
{
    public static IEnumerable<Command> Build(Option<string> rootOption, Option<bool> debugOption)
    {
        yield break;
    }
}
