// CgroupFileMap: which cgroup v2 file each limit is written to, with what text and why.
//
// Why: keeping the mapping pure (limits in, an ordered list of writes out) lets tests check
// every flag's file and value without a kernel, and gives --trace the one-line reason it prints
// under each write. Cgroup.Apply performs the writes in this order.
//
// Follows: Documentation/admin-guide/cgroup-v2.rst: memory.max/memory.low/memory.swap.max take
// bytes or "max"; cpu.max is "$MAX $PERIOD"; cpu.weight 1..10000; cpuset.cpus/.mems take list
// syntax; pids.max a number or "max"; io.weight "default N" or "MAJ:MIN N"; io.max
// "MAJ:MIN key=value..."; cpu.max.burst microseconds; cpu.idle 0/1;
// memory.oom.group 1 makes the OOM killer kill the whole cgroup.
using MiniRun.Trace;

namespace MiniRun.Cgroups;

/// <summary>One write: the file (relative to the container's cgroup), the text, and why.</summary>
public sealed record CgroupWrite(string File, string Value, Narration Why);

public static class CgroupFileMap
{
    /// <param name="oomGroup">write memory.oom.group=1; by default only when there is a memory limit
    /// (Cgroup.Apply passes true whenever the cgroup has the memory controller).</param>
    public static IReadOnlyList<CgroupWrite> For(ResourceLimits l, bool? oomGroup = null)
    {
        var w = new List<CgroupWrite>();
        // cpuset first: the kernel refuses tasks in a cpuset partition without CPUs; setting it
        // before anything runs in the cgroup keeps every later step on the requested CPUs.
        if (l.CpusetCpus is { } cpus) w.Add(new("cpuset.cpus", cpus, Messages.LimitCpusetCpus));
        if (l.CpusetMems is { } mems) w.Add(new("cpuset.mems", mems, Messages.LimitCpusetMems));
        if (l.CpuMax is { } cpu) w.Add(new("cpu.max", cpu.FileValue, Messages.LimitCpuMax));
        if (l.CpuBurstUsec is { } burst) w.Add(new("cpu.max.burst", $"{burst}", Messages.LimitCpuBurst));
        if (l.CpuWeight is { } weight) w.Add(new("cpu.weight", $"{weight}", Messages.LimitCpuWeight));
        if (l.CpuIdle is { } idle) w.Add(new("cpu.idle", $"{idle}", Messages.LimitCpuIdle));
        if (l.IoWeight is { } io) w.Add(new("io.weight", $"default {io}", Messages.LimitIoWeight));
        foreach (var d in l.IoWeightDevices)
            w.Add(new("io.weight", d.FileValue, Messages.LimitIoWeightDevice.With($"{d.Major}:{d.Minor}")));
        foreach (var d in l.IoMax)
            w.Add(new("io.max", d.FileValue, Messages.LimitIoMax.With($"{d.Major}:{d.Minor}")));
        if (l.MemoryLow is { } low) w.Add(new("memory.low", Max(low), Messages.LimitMemoryLow));
        if (l.MemoryMax is { } max) w.Add(new("memory.max", Max(max), Messages.LimitMemoryMax));
        if (l.SwapMax is { } swap) w.Add(new("memory.swap.max", Max(swap), Messages.LimitSwapMax));
        if (oomGroup ?? l.RequiredControllers().Contains("memory"))
            w.Add(new("memory.oom.group", "1", Messages.LimitOomGroup));
        if (l.PidsMax is { } pids) w.Add(new("pids.max", Max(pids), Messages.LimitPidsMax));
        // Last, so that a file named here wins over the same file written from a field above.
        foreach (var (file, value) in l.Unified.OrderBy(u => u.Key, StringComparer.Ordinal))
            w.Add(new(file, value, Messages.LimitUnified));
        return w;
    }

    private static string Max(long v) => v == ResourceLimits.Unlimited ? "max" : $"{v}";
}
