// ContainerLiveness: is a container really running now, from its record and /proc - the engine's
// one answer, used by ps, inspect, stop, exec, stats, pause, update, export and boot.
//
// Why: a record says "running" (or paused, restarting) until someone records the exit; when the
// process (or, while restarting, the supervisor) died without recording it, every command must
// tell the same truth: exited (docs/lifecycle.md "State"). The test underneath is the core's one
// liveness rule, Runtime/ProcessIdentity.cs (pid plus start time, so a reused pid is never taken
// for the container; a zombie has ended). The proc root is a parameter so tests can use a fake /proc.
//
// Follows: Docker's container states (created, restarting, running, removing, paused, exited,
// dead) and State.Running; proc(5) /proc/PID/stat.
using MiniRun.Runtime;

namespace MiniRun.Containers;

public static class ContainerLiveness
{
    /// <summary>The record's status, or "exited" when its process (supervisor, while restarting) is gone.</summary>
    public static string Effective(ContainerRecord c, string procRoot = "/proc")
    {
        var s = c.State;
        switch (s.Status)
        {
            case ContainerStatus.Running:
            case ContainerStatus.Paused:
                return ProcessAlive(c, procRoot) ? s.Status : ContainerStatus.Exited;
            case ContainerStatus.Restarting:
                return HasSupervisor(c, procRoot) || ProcessAlive(c, procRoot) ? s.Status : ContainerStatus.Exited;
            default:
                return s.Status;
        }
    }

    /// <summary>Docker's State.Running: its first process alive (running or paused), or its supervisor alive while restarting.</summary>
    public static bool IsRunning(ContainerRecord c, string procRoot = "/proc") =>
        Effective(c, procRoot) is ContainerStatus.Running or ContainerStatus.Paused or ContainerStatus.Restarting;

    /// <summary>Its first process is alive now (running or paused; not between two starts of a restart).</summary>
    public static bool HasLiveProcess(ContainerRecord c, string procRoot = "/proc") =>
        c.State.Status is ContainerStatus.Running or ContainerStatus.Paused or ContainerStatus.Restarting && ProcessAlive(c, procRoot);

    /// <summary>Waiting for the restart policy's delay, with a live supervisor.</summary>
    public static bool IsRestarting(ContainerRecord c, string procRoot = "/proc") =>
        c.State.Status == ContainerStatus.Restarting && HasSupervisor(c, procRoot);

    /// <summary>Its supervisor process is alive (it may still be recording an exit).</summary>
    public static bool HasSupervisor(ContainerRecord c, string procRoot = "/proc") =>
        c.State.SupervisorPid > 0 && ProcessIdentity.IsAlive(c.State.SupervisorPid, c.State.SupervisorStartTime, procRoot);

    private static bool ProcessAlive(ContainerRecord c, string procRoot) =>
        c.State.Pid > 0 && ProcessIdentity.IsAlive(c.State.Pid, c.State.PidStartTime, procRoot);
}
