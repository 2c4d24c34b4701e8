// PsState: the status a container really has now, from its record and /proc.
//
// Why: a record says "running" (or paused, restarting) until someone records the exit; when the
// process (or, while restarting, the supervisor) died without recording it, `ps` must tell the
// truth and show it as exited (docs/lifecycle.md "State"). The check compares the pid and its
// start time (field 22 of /proc/PID/stat), so a reused pid is not mistaken for the container.
// The proc root is a parameter so tests can use a fake /proc.
//
// Follows: Docker's container states (created, restarting, running, removing, paused, exited,
// dead); proc(5) /proc/PID/stat.
using MiniRun.Containers;
using MiniRun.Runtime;

namespace MiniRun.Cli;

public static class PsState
{
    /// <summary>The valid values of `ps --filter status=`.</summary>
    public static readonly string[] Names = ["created", "restarting", "running", "removing", "paused", "exited", "dead"];

    /// <summary>The record's status, or "exited" when its process (supervisor, while restarting) is gone.</summary>
    public static string Effective(ContainerRecord c, string procRoot = "/proc")
    {
        var s = c.State;
        switch (s.Status)
        {
            case ContainerStatus.Running:
            case ContainerStatus.Paused:
                return ProcStat.IsSameProcess(s.Pid, s.PidStartTime, procRoot) ? s.Status : ContainerStatus.Exited;
            case ContainerStatus.Restarting:
                bool supervised = s.SupervisorPid > 0 && ProcStat.IsSameProcess(s.SupervisorPid, s.SupervisorStartTime, procRoot);
                bool alive = ProcStat.IsSameProcess(s.Pid, s.PidStartTime, procRoot);
                return supervised || alive ? s.Status : ContainerStatus.Exited;
            default:
                return s.Status;
        }
    }

    /// <summary>Docker's State.Running: true while running, paused or restarting.</summary>
    public static bool IsUp(string effective) =>
        effective is ContainerStatus.Running or ContainerStatus.Paused or ContainerStatus.Restarting;

    /// <summary>
    /// The STATUS column: ContainerCommands.Status, plus the health of a running container as
    /// Docker shows it ("Up 3 seconds (healthy)", "(health: starting)") when Status lacks it.
    /// </summary>
    public static string StatusText(ContainerRecord c, string effective, DateTimeOffset now)
    {
        string text = ContainerCommands.Status(c, now);
        if (effective == ContainerStatus.Running && c.State.Health is { } h && text.StartsWith("Up ", StringComparison.Ordinal) && !text.EndsWith(')'))
            text += h.Status == "starting" ? " (health: starting)" : $" ({h.Status})";
        return text;
    }
}
