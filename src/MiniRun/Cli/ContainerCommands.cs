// ContainerCommands: the STATUS text of `ps` for one container, from its record and the liveness rule.
//
// Why: the record says what was last written; the processes say what is true. A container whose
// record says running (or paused, or restarting) is believed only while its PID 1 (or, when
// restarting, its supervisor) is still the same process - checked by start time, since pids are
// reused (Containers/ContainerLiveness.cs). So after a supervisor was killed with -9, or after a
// reboot, `ps` says Exited, not Up.
//
// Follows: docker-ps(1) STATUS column ("Up 3 seconds", "Exited (137) 2 minutes ago",
// "Restarting (1) 5 seconds ago", "Up 3 seconds (Paused)", "Created", "Dead").
using MiniRun.Containers;

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
}
