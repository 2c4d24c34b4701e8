// ResourceFlags: Docker's resource flags (--memory, --cpus, --cpu-shares, --cpuset-cpus,
// --pids-limit, --blkio-weight, --device-read-bps ...) checked and turned into ResourceLimits.
//
// Why: a bad value must fail before any cgroup, bundle or process exists, with one line naming
// the flag and what is allowed (Docker's own wording where Docker has one), so the CLI can exit
// 125 as docker run does. Pure: the host's CPUs, memory nodes and device lookup come in as a
// HostResources value, so every rule is unit-tested.
//
// Follows: docker-run(1) and Docker's resource constraints documentation for the flags and
// their meaning (--memory-swap is memory plus swap; unset means as much swap as memory);
// Documentation/admin-guide/cgroup-v2.rst for the files and their ranges (cpu.weight 1..10000,
// io.weight 1..10000). The shares->weight and blkio->io.weight conversions are the ones the OCI
// runtimes use for cgroup v2 (runc, crun): linear maps of [2, 262144] and [10, 1000] onto [1, 10000].
using System.Globalization;
using MiniRun.Spec;

namespace MiniRun.Cgroups;

/// <summary>The flags as typed (null = not given). The device flags may repeat.</summary>
public sealed record ResourceFlagValues
{
    public string? Memory { get; init; }
    public string? MemoryReservation { get; init; }
    public string? MemorySwap { get; init; }
    public string? Cpus { get; init; }
    public string? CpuPeriod { get; init; }
    public string? CpuQuota { get; init; }
    public string? CpuShares { get; init; }
    public string? CpusetCpus { get; init; }
    public string? CpusetMems { get; init; }
    public string? PidsLimit { get; init; }
    public string? BlkioWeight { get; init; }
    public IReadOnlyList<string> DeviceReadBps { get; init; } = [];
    public IReadOnlyList<string> DeviceWriteBps { get; init; } = [];
    public IReadOnlyList<string> DeviceReadIops { get; init; } = [];
    public IReadOnlyList<string> DeviceWriteIops { get; init; } = [];
    public string? OomScoreAdj { get; init; }
}

public static class ResourceFlags
{
    /// <summary>Docker's minimum for --memory and --memory-reservation (linuxMinMemory).</summary>
    public const long MinimumMemory = 6L << 20;

    /// <summary>Checks every flag against the host; throws RunConfigException ("--flag: ...") on the first bad one.</summary>
    public static ResourceLimits Parse(ResourceFlagValues flags, HostResources host)
    {
        var memory = flags.Memory is null ? (long?)null : Memory("--memory", flags.Memory);
        if (memory is { } m && m < MinimumMemory)
            throw Bad("--memory", "Minimum memory limit allowed is 6MB");
        var reservation = flags.MemoryReservation is null ? (long?)null : Memory("--memory-reservation", flags.MemoryReservation);
        if (reservation is { } r && r < MinimumMemory)
            throw Bad("--memory-reservation", "Minimum memory reservation allowed is 6MB");
        if (memory is { } m2 && reservation is { } r2 && m2 < r2)
            throw Bad("--memory-reservation", "Minimum memory limit can not be less than memory reservation limit, see usage");

        return new ResourceLimits
        {
            MemoryMax = memory,
            MemoryLow = reservation,
            SwapMax = Swap(flags.MemorySwap, memory),
            CpuMax = Cpu(flags, host),
            CpuWeight = flags.CpuShares is null ? null : SharesToWeight(Integer("--cpu-shares", flags.CpuShares, 2, 262144,
                "CPU shares must be between 2 and 262144")),
            CpusetCpus = flags.CpusetCpus is null ? null : Cpuset("--cpuset-cpus", flags.CpusetCpus, host.OnlineCpus,
                "cpuset cpus", "CPUs"),
            CpusetMems = flags.CpusetMems is null ? null : Cpuset("--cpuset-mems", flags.CpusetMems, host.MemoryNodes,
                "cpuset mems", "memory nodes"),
            PidsMax = Pids(flags.PidsLimit),
            IoWeight = flags.BlkioWeight is null ? null : BlkioToIoWeight(Integer("--blkio-weight", flags.BlkioWeight, 10, 1000,
                "Range of blkio weight is from 10 to 1000")),
            IoMax = Devices(flags, host),
            OomScoreAdj = flags.OomScoreAdj is null ? null : OomScore(flags.OomScoreAdj),
        };
    }

    /// <summary>cpu.weight from CPU shares: 2 -> 1, 1024 -> 39, 262144 -> 10000.</summary>
    public static int SharesToWeight(long shares) => (int)(1 + (shares - 2) * 9999 / 262142);

    /// <summary>io.weight from a blkio weight: 10 -> 1, 500 -> 4950, 1000 -> 10000.</summary>
    public static int BlkioToIoWeight(long blkio) => (int)(1 + (blkio - 10) * 9999 / 990);

    private static long Memory(string flag, string text)
    {
        if (text.TrimStart().StartsWith('-') || !ByteSize.TryParse(text, out var bytes))
            throw Bad(flag, $"invalid size: '{text}' (a positive number with an optional unit b, k, m or g)");
        return bytes;
    }

    // --memory-swap is memory + swap (Docker); memory.swap.max is the swap alone.
    private static long? Swap(string? text, long? memory)
    {
        if (text is null) return memory;          // Docker: as much swap as memory
        if (text.Trim() == "-1")
        {
            if (memory is null) throw Bad("--memory-swap", "You should always set the Memory limit when using Memoryswap limit, see usage");
            return ResourceLimits.Unlimited;
        }
        var total = Memory("--memory-swap", text);
        if (memory is null) throw Bad("--memory-swap", "You should always set the Memory limit when using Memoryswap limit, see usage");
        if (total < memory) throw Bad("--memory-swap", "Minimum memoryswap limit should be larger than memory limit, see usage");
        return total - memory.Value;
    }

    private static CpuMax? Cpu(ResourceFlagValues f, HostResources host)
    {
        long? period = f.CpuPeriod is null ? null : Integer("--cpu-period", f.CpuPeriod, 1000, 1_000_000,
            "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
        long? quota = null;
        if (f.CpuQuota is not null)
        {
            quota = Integer("--cpu-quota", f.CpuQuota, -1, long.MaxValue, "CPU cfs quota can not be less than 1ms (i.e. 1000)");
            if (quota is > 0 and < 1000)
                throw Bad("--cpu-quota", "CPU cfs quota can not be less than 1ms (i.e. 1000)");
            if (quota <= 0) quota = null;         // 0 and -1: no quota ("max"), as in Docker
        }
        if (f.Cpus is not null)
        {
            if (f.CpuPeriod is not null) throw Bad("--cpus", "Conflicting options: Nano CPUs and CPU Period cannot both be set");
            if (f.CpuQuota is not null) throw Bad("--cpus", "Conflicting options: Nano CPUs and CPU Quota cannot both be set");
            var range = $"Range of CPUs is from 0.01 to {host.CpuCount}.00, as there are only {host.CpuCount} CPUs available";
            if (!decimal.TryParse(f.Cpus, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign,
                    CultureInfo.InvariantCulture, out var cpus))
                throw Bad("--cpus", $"invalid value '{f.Cpus}': {range}");
            var q = (long)decimal.Floor(cpus * CpuMax.DefaultPeriodUsec);
            if (cpus <= 0 || q < 1000 || cpus > host.CpuCount) throw Bad("--cpus", range);
            return new CpuMax(q, CpuMax.DefaultPeriodUsec);
        }
        if (period is null && f.CpuQuota is null) return null;
        return new CpuMax(quota, period ?? CpuMax.DefaultPeriodUsec);
    }

    private static string Cpuset(string flag, string text, string hostList, string what, string plural)
    {
        if (!CpuList.TryParse(text, out var wanted))
            throw Bad(flag, $"Invalid value {text} for {what} (list syntax such as 0-2,4)");
        if (!CpuList.TryParse(hostList, out var available) || !wanted.IsSubsetOf(available))
            throw Bad(flag, $"Requested {plural} are not available - requested {text}, available: {hostList}");
        return CpuList.Format(wanted);
    }

    private static long? Pids(string? text)
    {
        if (text is null) return null;
        var n = Integer("--pids-limit", text, -1, long.MaxValue, "must be a positive number, or 0 or -1 for unlimited");
        return n <= 0 ? ResourceLimits.Unlimited : n;
    }

    private static int OomScore(string text)
    {
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) || n < -1000 || n > 1000)
            throw Bad("--oom-score-adj", $"Invalid value {text}, range for oom score adj is [-1000, 1000]");
        return (int)n;
    }

    private static IReadOnlyList<IoDeviceLimit> Devices(ResourceFlagValues f, HostResources host)
    {
        // One io.max line per device, keyed by major:minor, in the order the devices first appear.
        var byDevice = new Dictionary<(uint, uint), IoDeviceLimit>();
        var order = new List<(uint, uint)>();
        void Add(string flag, IReadOnlyList<string> values, bool isBps, Func<IoDeviceLimit, long, IoDeviceLimit> set)
        {
            foreach (var v in values)
            {
                var (dev, rate) = DeviceRate(flag, v, isBps, host);
                var key = (dev.Major, dev.Minor);
                if (!byDevice.TryGetValue(key, out var limit)) { limit = new IoDeviceLimit(dev.Major, dev.Minor); order.Add(key); }
                byDevice[key] = set(limit, rate);
            }
        }
        Add("--device-read-bps", f.DeviceReadBps, true, (l, r) => l with { ReadBps = r });
        Add("--device-write-bps", f.DeviceWriteBps, true, (l, r) => l with { WriteBps = r });
        Add("--device-read-iops", f.DeviceReadIops, false, (l, r) => l with { ReadIops = r });
        Add("--device-write-iops", f.DeviceWriteIops, false, (l, r) => l with { WriteIops = r });
        return order.Select(k => byDevice[k]).ToList();
    }

    private static (DeviceNumber, long) DeviceRate(string flag, string value, bool isBps, HostResources host)
    {
        var colon = value.LastIndexOf(':');
        if (colon <= 0) throw Bad(flag, $"bad format: {value} (expected DEVICE:RATE, e.g. /dev/sda:{(isBps ? "1mb" : "100")})");
        var path = value[..colon];
        var rateText = value[(colon + 1)..];
        if (!path.StartsWith("/dev/", StringComparison.Ordinal)) throw Bad(flag, $"bad format for device path: {value}");
        long rate = 0;
        bool ok = isBps
            ? !rateText.StartsWith('-') && ByteSize.TryParse(rateText, out rate)
            : long.TryParse(rateText, NumberStyles.None, CultureInfo.InvariantCulture, out rate);
        if (!ok || rate <= 0)
            throw Bad(flag, isBps
                ? $"invalid rate for device: {value}. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb"
                : $"invalid rate for device: {value}. The correct format is <device-path>:<number>. Number must be a positive integer");
        DeviceNumber dev;
        try { dev = host.StatDevice(path); }
        catch (MiniRun.Kernel.KernelException e) { throw Bad(flag, $"unknown device {path}: {e.Message}"); }
        if (!dev.IsBlockDevice) throw Bad(flag, $"{path} is not a block device");
        return (dev, rate);
    }

    private static long Integer(string flag, string text, long min, long max, string rule)
    {
        if (!long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) || n < min || n > max)
            throw Bad(flag, $"invalid value '{text}': {rule}");
        return n;
    }

    private static RunConfigException Bad(string flag, string message) => new($"{flag}: {message}");
}
