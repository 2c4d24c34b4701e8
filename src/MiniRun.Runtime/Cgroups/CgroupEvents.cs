// CgroupEvents: the event counters of a container's cgroup that outlive its processes: how many
// OOM kills memory.events recorded, and whether cgroup.events says the cgroup is frozen.
//
// Why: when PID 1 dies of SIGKILL, only memory.events tells whether the kernel's OOM killer sent
// it; the supervisor reads oom_kill after the exit and BEFORE the cgroup is removed, and records
// OOMKilled (exit 137) in the container record. With memory.oom.group=1 (written whenever the
// memory controller is there) one OOM kill takes the whole container.
//
// Follows: Documentation/admin-guide/cgroup-v2.rst: memory.events ("oom_kill: the number of
// processes belonging to this cgroup killed by any kind of OOM killer", hierarchical),
// cgroup.events ("populated", "frozen").
namespace MiniRun.Cgroups;

public static class CgroupEvents
{
    /// <summary>memory.events oom_kill of the cgroup directory (e.g. /sys/fs/cgroup/minirun/ID);
    /// null when the file is absent (no memory controller, or the cgroup is gone).</summary>
    public static long? OomKills(string cgroupDir) =>
        CgroupStats.KeyValues(ProcUsage.TryRead(Path.Combine(cgroupDir, "memory.events"))) is { } d
            && d.TryGetValue("oom_kill", out var n) ? n : null;

    /// <summary>The same for a container record's State.CgroupPath (relative to the cgroup2 mount).</summary>
    public static long? OomKills(string mountPoint, string relativePath) =>
        OomKills(Path.Combine(mountPoint, relativePath.Trim('/')));

    /// <summary>True when memory.events says the OOM killer killed at least one process in the cgroup.</summary>
    public static bool WasOomKilled(string cgroupDir) => OomKills(cgroupDir) > 0;

    /// <summary>cgroup.events "frozen": true/false, null when the file is absent.</summary>
    public static bool? Frozen(string cgroupDir) =>
        CgroupStats.KeyValues(ProcUsage.TryRead(Path.Combine(cgroupDir, "cgroup.events"))) is { } d
            && d.TryGetValue("frozen", out var n) ? n == 1 : null;
}
