// CgroupCli: stats, update, pause, unpause: the container's cgroup at work.
//
// Follows: docker-stats(1), docker-update(1), docker-pause(1).
using System.CommandLine;

namespace MiniRun.Cli;

public static class CgroupCli
{
    public static IEnumerable<Command> Build(Option<string> rootOption, Option<bool> debugOption)
    {
        yield break;
    }
}
