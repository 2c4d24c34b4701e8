// LifecycleCli: create, start, stop, kill, restart, wait, attach, logs, rename: the verbs around the supervisor.
//
// Follows: docker-create(1), docker-start(1), docker-stop(1), docker-kill(1), docker-logs(1).
using System.CommandLine;

namespace MiniRun.Cli;

public static class LifecycleCli
{
    public static IEnumerable<Command> Build(Option<string> rootOption, Option<bool> debugOption)
    {
        yield break;
    }
}
