// ProcessIdentity: is the process recorded as (pid, start time) still that process, and alive?
//
// Why: pids are reused, so a recorded pid is trusted only together with its start time (field 22
// of /proc/PID/stat). A zombie (state Z or X) has already ended: it only waits to be reaped, and
// a container or supervisor in that state is not running.
//
// Follows: proc(5) "/proc/pid/stat" (fields 3 state and 22 starttime).
namespace MiniRun.Supervisor;

public static class ProcessIdentity
{
    /// <summary>(state, start time) of a process, or null when it does not exist.</summary>
    public static (char State, ulong StartTime)? Read(int pid)
    {
        if (pid <= 0) return null;
        try
        {
            string text = File.ReadAllText($"/proc/{pid}/stat");
            int close = text.LastIndexOf(')');
            var fields = text[(close + 2)..].Split(' ');
            return (fields[0][0], ulong.Parse(fields[22 - 3]));
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static ulong? StartTime(int pid) => Read(pid)?.StartTime;

    /// <summary>True when <paramref name="pid"/> is alive (not a zombie) and started at <paramref name="startTime"/>.</summary>
    public static bool IsAlive(int pid, ulong startTime) =>
        Read(pid) is var (state, start) && start == startTime && state is not ('Z' or 'X');

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
