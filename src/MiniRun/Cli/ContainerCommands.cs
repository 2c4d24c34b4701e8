// ContainerCommands: `minirun rm` and the liveness check shared by the container verbs.
//
// Why: after `run` returns, the container still exists (without --rm): its upper directory holds
// what it wrote. `rm` removes one, refusing a
// running container unless -f, which kills it first (only after checking that the pid is still
// the container's, by its start time).
//
// Follows: docker-rm(1).
using MiniRun.Containers;
using MiniRun.Kernel;
using MiniRun.Runtime;

namespace MiniRun.Cli;

public static class ContainerCommands
{
    public static bool IsRunning(ContainerRecord c) =>
        c.State.Status == "running" && ProcStat.IsSameProcess(c.State.Pid, c.State.PidStartTime);

    public static string Status(ContainerRecord c, DateTimeOffset now)
    {
        if (IsRunning(c)) return "Up " + HumanFormat.Duration(now - (c.State.StartedAt ?? c.Created));
        return c.State.Status switch
        {
            "created" => "Created",
            "running" => "Exited (unknown) " + HumanFormat.Ago(c.State.FinishedAt ?? c.State.StartedAt ?? c.Created, now),
            _ => $"Exited ({c.State.ExitCode}) {HumanFormat.Ago(c.State.FinishedAt ?? c.Created, now)}",
        };
    }

    public static int Rm(string root, IReadOnlyList<string> ids, bool force)
    {
        RunCommand.RequireRoot("rm");
        var store = new ContainerStore(root);
        int status = 0;
        foreach (var id in ids)
        {
            try
            {
                var c = store.Find(id);
                if (IsRunning(c))
                {
                    if (!force)
                        throw new CliError($"cannot remove container \"{c.Name}\": container is running: stop the container before removing or force remove");
                    Libc.kill(c.State.Pid, 9);
                    for (int i = 0; i < 500 && ProcStat.IsSameProcess(c.State.Pid, c.State.PidStartTime); i++)
                        Thread.Sleep(10);
                }
                store.Delete(c);
                Console.WriteLine(id);
            }
            catch (Exception e) when (e is CliError or ContainerNotFoundException)
            {
                Console.Error.WriteLine($"minirun: Error response from daemon: {e.Message}");
                status = 1;
            }
        }
        return status;
    }
}
