// CgroupStats: one reading of a container's usage from its cgroup v2 files, for `stats`, `ps`
// and `inspect` (OOMKilled).
//
// Why: docker stats shows CPU %, MEM USAGE / LIMIT, BLOCK I/O and PIDS; every figure comes from
// one file of the container's cgroup. A file that is absent (its controller is not enabled) gives
// null rather than an error, so stats works with whatever the host offers.
//
// Follows: Documentation/admin-guide/cgroup-v2.rst: cpu.stat (usage_usec, nr_periods,
// nr_throttled, throttled_usec), memory.current, memory.max, memory.events (oom, oom_kill),
// memory.stat (inactive_file: page cache Docker leaves out of MEM USAGE), io.stat ("MAJ:MIN rbytes= wbytes= rios= wios= ..." per device), pids.current, pids.max.
using System.Globalization;

namespace MiniRun.Cgroups;

public sealed record CgroupStats
{
    public long? CpuUsageUsec { get; init; }
    public long? CpuNrPeriods { get; init; }
    public long? CpuNrThrottled { get; init; }
    public long? CpuThrottledUsec { get; init; }
    public long? MemoryCurrent { get; init; }
    /// <summary>memory.max in bytes; null when "max" or absent.</summary>
    public long? MemoryMax { get; init; }
    /// <summary>memory.stat inactive_file: file cache the kernel can drop first (docker stats subtracts it).</summary>
    public long? MemoryInactiveFile { get; init; }
    public long? OomEvents { get; init; }
    /// <summary>memory.events oom_kill: processes the OOM killer killed in this cgroup (> 0 means OOMKilled).</summary>
    public long? OomKills { get; init; }
    public long? IoReadBytes { get; init; }
    public long? IoWriteBytes { get; init; }
    public long? IoReadOps { get; init; }
    public long? IoWriteOps { get; init; }
    public long? PidsCurrent { get; init; }
    /// <summary>pids.max; null when "max" or absent.</summary>
    public long? PidsMax { get; init; }

    /// <summary>Builds the record from file texts (null = file absent).</summary>
    public static CgroupStats Parse(Func<string, string?> readFile)
    {
        var cpu = KeyValues(readFile("cpu.stat"));
        var events = KeyValues(readFile("memory.events"));
        var memStat = KeyValues(readFile("memory.stat"));
        var io = IoTotals(readFile("io.stat"));
        return new CgroupStats
        {
            CpuUsageUsec = Get(cpu, "usage_usec"),
            CpuNrPeriods = Get(cpu, "nr_periods"),
            CpuNrThrottled = Get(cpu, "nr_throttled"),
            CpuThrottledUsec = Get(cpu, "throttled_usec"),
            MemoryCurrent = Number(readFile("memory.current")),
            MemoryMax = Number(readFile("memory.max")),
            MemoryInactiveFile = Get(memStat, "inactive_file"),
            OomEvents = Get(events, "oom"),
            OomKills = Get(events, "oom_kill"),
            IoReadBytes = io?.GetValueOrDefault("rbytes"),
            IoWriteBytes = io?.GetValueOrDefault("wbytes"),
            IoReadOps = io?.GetValueOrDefault("rios"),
            IoWriteOps = io?.GetValueOrDefault("wios"),
            PidsCurrent = Number(readFile("pids.current")),
            PidsMax = Number(readFile("pids.max")),
        };
    }

    /// <summary>Reads the files of the cgroup directory DIR (absent or unreadable files give nulls).</summary>
    public static CgroupStats ReadFrom(string dir) => Parse(f => ProcUsage.TryRead(Path.Combine(dir, f)));

    /// <summary>A flat-keyed file ("key value" per line), as cpu.stat and memory.events are.</summary>
    public static Dictionary<string, long>? KeyValues(string? text)
    {
        if (text is null) return null;
        var d = new Dictionary<string, long>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length == 2 && long.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out var v)) d[f[0]] = v;
        }
        return d;
    }

    /// <summary>io.stat summed over its devices: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" per line.</summary>
    public static Dictionary<string, long>? IoTotals(string? text)
    {
        if (text is null) return null;
        var d = new Dictionary<string, long> { ["rbytes"] = 0, ["wbytes"] = 0, ["rios"] = 0, ["wios"] = 0 };
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            foreach (var kv in line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1))
            {
                var eq = kv.IndexOf('=');
                if (eq > 0 && long.TryParse(kv[(eq + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var v))
                    d[kv[..eq]] = d.GetValueOrDefault(kv[..eq]) + v;
            }
        return d;
    }

    private static long? Get(Dictionary<string, long>? d, string key) =>
        d is not null && d.TryGetValue(key, out var v) ? v : null;

    // A single-value file: a number, or "max" (null).
    private static long? Number(string? text) =>
        text is not null && long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;
}
