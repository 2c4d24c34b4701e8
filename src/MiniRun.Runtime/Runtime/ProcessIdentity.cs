// ProcessIdentity: is the process recorded as (pid, start time) still that process, and alive?
// The one liveness rule of MiniRun: the core's `state` and the engine's records both ask it.
//
// Why: pids are reused, so a recorded pid is trusted only together with its start time (field 22
// of /proc/PID/stat, read by Runtime/ProcStat.cs). A zombie (state Z or X) has already ended: it only waits to be reaped, and
// a container or supervisor in that state is not running.
//
// Follows: proc(5) "/proc/pid/stat" (fields 3 state and 22 starttime).
namespace MiniRun.Runtime;

public static class ProcessIdentity
{
    public static ulong? StartTime(int pid) => ProcStat.StartTime(pid);

    /// <summary>True when <paramref name="pid"/> is alive (not a zombie) and started at <paramref name="startTime"/>.</summary>
    public static bool IsAlive(int pid, ulong startTime, string procRoot = "/proc") =>
        ProcStat.Read(pid, procRoot) is var (state, start) && start == startTime && state is not ('Z' or 'X');

    /// <summary>Waits until the process is gone or a zombie; false after <paramref name="limit"/>.</summary>
    public static bool WaitGone(int pid, ulong startTime, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (IsAlive(pid, startTime))
        {
            if (DateTime.UtcNow > deadline) return false;
            Thread.Sleep(10);
        }
        return true;
    }
}
