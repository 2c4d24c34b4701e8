// StatsFigures: the columns of `docker stats` computed from two readings of a container's cgroup
// (and of /proc): CPU %, MEM USAGE / LIMIT, MEM %, NET I/O, BLOCK I/O, PIDS.
//
// Why: every figure is a small formula over kernel counters; keeping the formulas here, pure,
// lets tests check each one against files in a temporary directory and lets `stats` stay a thin
// loop that reads, computes and prints.
//
// Follows: Docker CLI's stats formulas for Linux (calculateCPUPercentUnix: CPU % =
// (container CPU delta / system CPU delta) x online CPUs x 100, where the system delta is the
// /proc/stat total over the same interval, so 100% is one whole CPU busy; memory usage without
// the file cache: memory.current minus memory.stat inactive_file; MEM % = usage / limit x 100;
// block I/O = io.stat rbytes / wbytes summed over devices) and cgroup-v2.rst for the files.
// The Docker daemon reports the host's memory as the limit when memory.max is "max".
namespace MiniRun.Cgroups;

/// <summary>One reading: the cgroup's counters, the system's CPU time and the container's network counters, read together.</summary>
public sealed record StatsSample(CgroupStats Cgroup, long? SystemCpuNanoseconds, long NetRx, long NetTx)
{
    /// <summary>Reads CGROUPDIR's files, PROCROOT/stat and PROCROOT/PID/net/dev (pid 0: no network figures).</summary>
    public static StatsSample Read(string cgroupDir, int pid, string procRoot = "/proc")
    {
        var cgroup = CgroupStats.ReadFrom(cgroupDir);
        var system = ProcUsage.TryRead(Path.Combine(procRoot, "stat")) is { } stat ? ProcUsage.SystemCpuNanoseconds(stat) : null;
        var net = pid > 0 && ProcUsage.TryRead(Path.Combine(procRoot, pid.ToString(), "net", "dev")) is { } dev
            ? ProcUsage.NetDevTotals(dev) : null;
        return new StatsSample(cgroup, system, net?.Rx ?? 0, net?.Tx ?? 0);
    }
}

public sealed record StatsFigures(double CpuPercent, long MemUsage, long MemLimit, double MemPercent,
    long NetRx, long NetTx, long BlockRead, long BlockWrite, long Pids)
{
    /// <summary>What a container that is not running shows (Docker: all zero).</summary>
    public static readonly StatsFigures Zero = new(0, 0, 0, 0, 0, 0, 0, 0, 0);

    /// <summary>The figures of <paramref name="current"/>; CPU % needs <paramref name="previous"/> (0 without it).</summary>
    public static StatsFigures Compute(StatsSample? previous, StatsSample current, int onlineCpus, long hostMemTotal)
    {
        var s = current.Cgroup;
        long usage = MemoryUsage(s);
        long limit = MemoryLimit(s, hostMemTotal);
        return new StatsFigures(
            CpuPercentOf(previous?.Cgroup.CpuUsageUsec, previous?.SystemCpuNanoseconds, s.CpuUsageUsec, current.SystemCpuNanoseconds, onlineCpus),
            usage, limit, limit > 0 ? (double)usage / limit * 100.0 : 0,
            current.NetRx, current.NetTx, s.IoReadBytes ?? 0, s.IoWriteBytes ?? 0, s.PidsCurrent ?? 0);
    }

    /// <summary>Docker's CPU %: (cpu.stat usage delta / system CPU delta) x online CPUs x 100; 0 when either delta is not positive.</summary>
    public static double CpuPercentOf(long? previousUsageUsec, long? previousSystemNs, long? usageUsec, long? systemNs, int onlineCpus)
    {
        if (previousUsageUsec is not { } pu || previousSystemNs is not { } ps || usageUsec is not { } u || systemNs is not { } sn)
            return 0;
        double cpuDelta = (u - pu) * 1000.0;   // usec -> ns
        double systemDelta = sn - ps;
        return cpuDelta > 0 && systemDelta > 0 ? cpuDelta / systemDelta * onlineCpus * 100.0 : 0;
    }

    /// <summary>memory.current without the inactive file cache (when that is smaller than the total).</summary>
    public static long MemoryUsage(CgroupStats s)
    {
        long current = s.MemoryCurrent ?? 0;
        return s.MemoryInactiveFile is { } inactive && inactive < current ? current - inactive : current;
    }

    /// <summary>memory.max, or the host's memory when it is "max" (or the memory controller is absent).</summary>
    public static long MemoryLimit(CgroupStats s, long hostMemTotal) => s.MemoryMax ?? hostMemTotal;
}
