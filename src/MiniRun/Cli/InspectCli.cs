// InspectCli: inspect (containers), top: what a container is made of, next to the host.
//
// Follows: docker-inspect(1), docker-top(1).
using System.CommandLine;

namespace MiniRun.Cli;

public static class InspectCli
{
    public static IEnumerable<Command> Build(Option<string> rootOption, Option<bool> debugOption)
    {
        yield break;
    }
}
