// ResourceLimits: the validated resource limits of one container, in the kernel's own units.
//
// Why: the flags (--memory 100m, --cpus 1.5, --cpu-shares 512 ...) are parsed and checked once,
// before anything is created (ResourceFlags), and so is config.json's linux.resources
// (SpecResourceMap); what remains is this record of exact values that CgroupFileMap turns into
// cgroup v2 file writes. `update` can build a new one and Apply it again.
//
// Follows: Documentation/admin-guide/cgroup-v2.rst (memory.max, memory.low, memory.swap.max,
// cpu.max, cpu.max.burst, cpu.idle, cpu.weight, cpuset.cpus, cpuset.mems, pids.max, io.weight,
// io.max) and proc(5)
// (/proc/PID/oom_score_adj, which is not a cgroup file: the runtime writes it for the process).
namespace MiniRun.Cgroups;

/// <summary>cpu.max: at most <see cref="QuotaUsec"/> microseconds of CPU per <see cref="PeriodUsec"/> (null quota = "max").</summary>
public sealed record CpuMax(long? QuotaUsec, long PeriodUsec)
{
    public const long DefaultPeriodUsec = 100_000;
    /// <summary>The text cpu.max takes: "150000 100000" or "max 100000".</summary>
    public string FileValue => $"{(QuotaUsec is { } q ? q.ToString() : "max")} {PeriodUsec}";
}

/// <summary>One io.max line: limits for one block device, by major:minor (null = no limit).</summary>
public sealed record IoDeviceLimit(uint Major, uint Minor, long? ReadBps = null, long? WriteBps = null,
    long? ReadIops = null, long? WriteIops = null)
{
    /// <summary>The text io.max takes: "8:0 rbps=1048576 wiops=100" (only the keys that are set).</summary>
    public string FileValue
    {
        get
        {
            var parts = new List<string> { $"{Major}:{Minor}" };
            if (ReadBps is { } rb) parts.Add($"rbps={Max(rb)}");
            if (WriteBps is { } wb) parts.Add($"wbps={Max(wb)}");
            if (ReadIops is { } ri) parts.Add($"riops={Max(ri)}");
            if (WriteIops is { } wi) parts.Add($"wiops={Max(wi)}");
            return string.Join(' ', parts);
        }
    }

    /// <summary>ResourceLimits.Unlimited is written "max" (removes that key's limit).</summary>
    private static string Max(long v) => v == ResourceLimits.Unlimited ? "max" : $"{v}";
}

/// <summary>One io.weight line for one block device: "8:0 500" (weight 1..10000).</summary>
public sealed record IoDeviceWeight(uint Major, uint Minor, int Weight)
{
    public string FileValue => $"{Major}:{Minor} {Weight}";
}

public sealed record ResourceLimits
{
    /// <summary>The value that means "no limit" where a file takes "max" (memory.swap.max, pids.max).</summary>
    public const long Unlimited = -1;

    /// <summary>memory.max in bytes (--memory).</summary>
    public long? MemoryMax { get; init; }
    /// <summary>memory.low in bytes (--memory-reservation).</summary>
    public long? MemoryLow { get; init; }
    /// <summary>memory.swap.max in bytes, or Unlimited (from --memory-swap minus --memory).</summary>
    public long? SwapMax { get; init; }
    /// <summary>cpu.max (--cpus, --cpu-quota, --cpu-period).</summary>
    public CpuMax? CpuMax { get; init; }
    /// <summary>cpu.weight 1..10000 (from --cpu-shares).</summary>
    public int? CpuWeight { get; init; }
    /// <summary>cpuset.cpus in list syntax (--cpuset-cpus).</summary>
    public string? CpusetCpus { get; init; }
    /// <summary>cpuset.mems in list syntax (--cpuset-mems).</summary>
    public string? CpusetMems { get; init; }
    /// <summary>pids.max, or Unlimited (--pids-limit).</summary>
    public long? PidsMax { get; init; }
    /// <summary>io.weight 1..10000 (from --blkio-weight 10..1000).</summary>
    public int? IoWeight { get; init; }
    /// <summary>io.max lines, one per device (--device-{read,write}-{bps,iops}).</summary>
    public IReadOnlyList<IoDeviceLimit> IoMax { get; init; } = [];
    /// <summary>cpu.max.burst in microseconds (OCI linux.resources.cpu.burst).</summary>
    public long? CpuBurstUsec { get; init; }
    /// <summary>cpu.idle 0 or 1 (OCI linux.resources.cpu.idle).</summary>
    public int? CpuIdle { get; init; }
    /// <summary>io.weight lines for single devices (OCI linux.resources.blockIO.weightDevice).</summary>
    public IReadOnlyList<IoDeviceWeight> IoWeightDevices { get; init; } = [];
    /// <summary>Files written as given, after every other limit (OCI linux.resources.unified): "memory.high" -> "64M".</summary>
    public IReadOnlyDictionary<string, string> Unified { get; init; } = new Dictionary<string, string>();
    /// <summary>/proc/PID/oom_score_adj of the container's first process (--oom-score-adj); not a cgroup file.</summary>
    public int? OomScoreAdj { get; init; }

    /// <summary>True when no cgroup file needs writing (OomScoreAdj alone needs no cgroup).</summary>
    public bool NeedsCgroupLimits => RequiredControllers().Count > 0;

    /// <summary>The cgroup v2 controllers these limits need, in the order cgroup-v2.rst lists them.</summary>
    public IReadOnlyList<string> RequiredControllers()
    {
        var list = new List<string>();
        var unified = Unified.Keys.Select(f => f[..Math.Max(0, f.IndexOf('.'))]).ToHashSet();
        if (CpusetCpus is not null || CpusetMems is not null || unified.Contains("cpuset")) list.Add("cpuset");
        if (CpuMax is not null || CpuWeight is not null || CpuBurstUsec is not null || CpuIdle is not null || unified.Contains("cpu")) list.Add("cpu");
        if (IoWeight is not null || IoMax.Count > 0 || IoWeightDevices.Count > 0 || unified.Contains("io")) list.Add("io");
        if (MemoryMax is not null || MemoryLow is not null || SwapMax is not null || unified.Contains("memory")) list.Add("memory");
        if (PidsMax is not null || unified.Contains("pids")) list.Add("pids");
        foreach (var other in unified.Where(c => c.Length > 0 && !list.Contains(c)).Order(StringComparer.Ordinal))
            list.Add(other);   // hugetlb, rdma, misc: only through unified
        return list;
    }
}
