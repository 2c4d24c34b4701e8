// PsCommand: `minirun ps`, Docker's columns.
//
// Why: after `run` returns, the container still exists (without --rm); `ps -a` lists containers
// with Docker's columns, and tells the truth about each one's state (a recorded "running"
// whose process is gone shows as exited).
//
// Follows: docker-ps(1).
using MiniRun.Containers;

namespace MiniRun.Cli;

public static class PsCommand
{
    public static int Ps(string root, bool all, bool quiet, bool noTrunc)
    {
        var now = DateTimeOffset.UtcNow;
        var list = new ContainerStore(root).List().Where(c => all || ContainerCommands.IsRunning(c)).ToList();
        if (quiet)
        {
            foreach (var c in list) Console.WriteLine(noTrunc ? c.Id : Naming.ShortId(c.Id));
            return 0;
        }
        Console.Write(HumanFormat.Table(
            ["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"],
            list.Select(c => (IReadOnlyList<string>)[
                noTrunc ? c.Id : Naming.ShortId(c.Id), c.Image, HumanFormat.Command(c.Command, noTrunc),
                HumanFormat.Ago(c.Created, now), ContainerCommands.Status(c, now), "", c.Name])));
        return 0;
    }

}
