// ProcStat: read a process's start time from /proc/PID/stat.
//
// Why: pids are reused. MiniRun records the container's pid together with its start time (field
// 22, in clock ticks since boot), and trusts a pid later only if both still match (the rule is
// ProcessIdentity.IsAlive); otherwise the container is reported as exited instead of signalling
// some unrelated process.
//
// Follows: proc(5) "/proc/pid/stat".
namespace MiniRun.Runtime;

public static class ProcStat
{
    /// <summary>(state, start time) of a process - fields 3 and 22 - or null when it does not exist.</summary>
    public static (char State, ulong StartTime)? Read(int pid, string procRoot = "/proc")
    {
        if (pid <= 0) return null;
        try
        {
            if (MiniRun.Kernel.FileText.ReadIfExists(Path.Combine(procRoot, pid.ToString(), "stat")) is not string text) return null;
            int close = text.LastIndexOf(')');          // comm may contain spaces and parentheses
            var fields = text[(close + 2)..].Split(' ');  // fields[0] is field 3 (state)
            return (fields[0][0], ulong.Parse(fields[22 - 3]));
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static ulong? StartTime(int pid, string procRoot = "/proc") => Read(pid, procRoot)?.StartTime;
}
