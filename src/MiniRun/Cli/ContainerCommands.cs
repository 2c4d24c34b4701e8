// ContainerCommands: `minirun rm` and the liveness check and STATUS text shared by the container verbs.
//
// Why: the record says what was last written; the processes say what is true. A container whose
// record says running (or paused, or restarting) is believed only while its PID 1 (or, when
// restarting, its supervisor) is still the same process - checked by start time, since pids are
// reused. So after a supervisor was killed with -9, or after a reboot, `ps` says Exited, not Up,
// and `rm -f` still removes every process, cgroup and directory of the container.
//
// Follows: docker-rm(1); docker-ps(1) STATUS column ("Up 3 seconds", "Exited (137) 2 minutes ago",
// "Restarting (1) 5 seconds ago", "Up 3 seconds (Paused)", "Created", "Dead").
using MiniRun.Containers;
using MiniRun.Supervisor;
using MiniRun.Runtime;

namespace MiniRun.Cli;

public static class ContainerCommands
{
    public static string Status(ContainerRecord c, DateTimeOffset now)
    {
        var s = c.State;
        switch (s.Status)
        {
            case ContainerStatus.Running when ContainerLiveness.IsRunning(c):
                return "Up " + HumanFormat.Duration(now - (s.StartedAt ?? c.Created));
            case ContainerStatus.Paused when ContainerLiveness.IsRunning(c):
                return "Up " + HumanFormat.Duration(now - (s.StartedAt ?? c.Created)) + " (Paused)";
            case ContainerStatus.Restarting when ContainerLiveness.IsRestarting(c):
                return $"Restarting ({s.ExitCode}) {HumanFormat.Ago(s.FinishedAt ?? c.Created, now)}";
            case ContainerStatus.Created:
                return "Created";
            case ContainerStatus.Dead:
                return "Dead";
            case ContainerStatus.Exited:
                return $"Exited ({s.ExitCode}) {HumanFormat.Ago(s.FinishedAt ?? c.Created, now)}";
            default:
                // Recorded as running/paused/restarting, but the processes are gone without a word
                // (supervisor killed, machine rebooted): Docker shows such a container as Exited (255).
                return $"Exited ({(s.Status == ContainerStatus.Restarting ? s.ExitCode : 255)}) {HumanFormat.Ago(s.FinishedAt ?? s.StartedAt ?? c.Created, now)}";
        }
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
                if (ContainerLiveness.IsRunning(c) && !force)
                    throw new CliError(c.State.Status == ContainerStatus.Paused
                        ? $"cannot remove container \"/{c.Name}\": container is paused and must be unpaused first"
                        : $"cannot remove container \"/{c.Name}\": container is running: stop the container before removing or force remove");
                // Under the container's lock: a concurrent stop or the supervisor's last write waits for us.
                using (store.LockContainer(c.Id))
                {
                    c = store.Load(c.Id);
                    ContainerRemover.KillProcesses(store, c, includingSupervisor: true);
                }
                store.Delete(c);
                Console.WriteLine(id);
            }
            catch (Exception e) when (e is CliError or ContainerNotFoundException or Spec.RunConfigException)
            {
                Console.Error.WriteLine($"minirun: Error response from daemon: {e.Message}");
                status = 1;
            }
        }
        return status;
    }
}
