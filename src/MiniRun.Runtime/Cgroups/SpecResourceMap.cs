// SpecResourceMap: config.json's linux.resources <-> ResourceLimits (the cgroup v2 values), and
// the merge of an `update` over a container's current resources.
//
// Why: runtime-spec describes resources in cgroup v1's terms (CPU shares, memory+swap, blkio
// weights 10..1000), while MiniRun writes cgroup v2 files. The conversions are the ones the OCI
// runtimes document for cgroup v2, so a bundle means the same under MiniRun as under runc or crun:
//   memory.limit       -> memory.max           (-1: "max"; 0: not set)
//   memory.reservation -> memory.low           (-1: "max"; 0: not set)
//   memory.swap        -> memory.swap.max = swap - limit  (swap counts memory plus swap;
//                         -1: "max"; swap unset with limit -1: "max", both unlimited)
//   cpu.shares         -> cpu.weight = 1 + (shares - 2) * 9999 / 262142   (2..262144 onto 1..10000)
//   cpu.quota/period   -> cpu.max "QUOTA PERIOD" (quota -1 or unset: "max"; period unset: 100000)
//   cpu.burst/idle     -> cpu.max.burst / cpu.idle;  cpu.cpus/mems -> cpuset.cpus/mems
//   pids.limit         -> pids.max              (0 or negative: "max")
//   blockIO.weight     -> io.weight "default W" with W = 1 + (weight - 10) * 9999 / 990
//   blockIO.weightDevice -> io.weight "MAJ:MIN W";  throttle*Device -> io.max (rate 0: "max")
//   unified            -> each file written as given, last
// The reverse (ResourceLimits -> SpecResources) lets the engine write the user's Docker flags
// into config.json so that the core applies them; it picks the smallest v1 value that converts
// back to the same v2 value, and falls back to `unified` where no v1 value does (an io.weight
// that no blkio weight gives), so ToLimits(FromLimits(l)) writes exactly the files l writes.
// OomScoreAdj is not a cgroup setting (it is config.json's process.oomScoreAdj) and is not mapped.
// Merge is `update`'s rule, as runc's: each field the update sets replaces the current one; a
// device list given replaces the current list; unified files merge one by one.
//
// Follows: runtime-spec config-linux.md "Control groups" (Memory, CPU, Block IO, PIDs,
// Unified); Documentation/admin-guide/cgroup-v2.rst (memory.max, memory.low, memory.swap.max,
// cpu.max, cpu.max.burst, cpu.idle, cpu.weight, io.weight, io.max, pids.max); runc's
// docs/cgroup-v2.md (the shares and blkio weight conversions, memory.swap.max = swap - limit).
using MiniRun.Spec;

namespace MiniRun.Cgroups;

public static class SpecResourceMap
{
    /// <summary>The cgroup v2 limits of a validated linux.resources (SpecValidator.ResourcesProblem is null); devices are not limits here.</summary>
    public static ResourceLimits ToLimits(SpecResources? res)
    {
        if (res is null) return new ResourceLimits();
        var m = res.Memory;
        var c = res.Cpu;
        var b = res.BlockIO;
        return new ResourceLimits
        {
            MemoryMax = Bytes(m?.Limit),
            MemoryLow = Bytes(m?.Reservation),
            SwapMax = m is null ? null : SwapMax(m.Swap ?? 0, m.Limit ?? 0),
            CpuMax = c is null || (c.Quota is null or 0 && c.Period is null or 0) ? null
                : new CpuMax(c.Quota is > 0 and var q ? q : null, c.Period is > 0 and var p ? (long)p : CpuMax.DefaultPeriodUsec),
            CpuBurstUsec = c?.Burst is ulong burst ? (long)burst : null,
            CpuWeight = c?.Shares is > 0 and var shares ? SharesToWeight(shares) : null,
            CpuIdle = c?.Idle is long idle ? (int)idle : null,
            CpusetCpus = string.IsNullOrEmpty(c?.Cpus) ? null : c.Cpus,
            CpusetMems = string.IsNullOrEmpty(c?.Mems) ? null : c.Mems,
            PidsMax = res.Pids?.Limit is long pids ? (pids > 0 ? pids : ResourceLimits.Unlimited) : null,
            IoWeight = b?.Weight is > 0 and var w ? BlkioToIoWeight(w) : null,
            IoWeightDevices = b?.WeightDevice?.Where(d => d.Weight is > 0)
                .Select(d => new IoDeviceWeight((uint)d.Major, (uint)d.Minor, BlkioToIoWeight(d.Weight!.Value))).ToList() ?? [],
            IoMax = b is null ? [] : Throttles(b),
            Unified = res.Unified is { Count: > 0 } u ? new Dictionary<string, string>(u) : new Dictionary<string, string>(),
        };
    }

    /// <summary>linux.resources for these limits (no devices, no oom_score_adj): what the engine writes into config.json.</summary>
    public static SpecResources FromLimits(ResourceLimits l)
    {
        var res = new SpecResources();
        if (l.MemoryMax is not null || l.MemoryLow is not null || l.SwapMax is not null)
            res.Memory = new SpecMemory { Limit = l.MemoryMax, Reservation = l.MemoryLow, Swap = Swap(l) };
        var unified = new Dictionary<string, string>(l.Unified);
        if (l.CpuMax is not null || l.CpuWeight is not null || l.CpuBurstUsec is not null || l.CpuIdle is not null
            || l.CpusetCpus is not null || l.CpusetMems is not null)
            res.Cpu = new SpecCpu
            {
                Shares = l.CpuWeight is int weight ? WeightToShares(weight) : null,
                Quota = l.CpuMax is { } max ? max.QuotaUsec ?? -1 : null,
                Period = l.CpuMax is { } max2 ? (ulong)max2.PeriodUsec : null,
                Burst = l.CpuBurstUsec is long burst ? (ulong)burst : null,
                Cpus = l.CpusetCpus,
                Mems = l.CpusetMems,
                Idle = l.CpuIdle,
            };
        if (l.PidsMax is long pids) res.Pids = new SpecPids { Limit = pids };
        if (l.IoWeight is not null || l.IoWeightDevices.Count > 0 || l.IoMax.Count > 0)
        {
            var io = new SpecBlockIO();
            if (l.IoWeight is int ioWeight)
            {
                if (IoWeightToBlkio(ioWeight) is uint blkio) io.Weight = blkio;
                else unified.TryAdd("io.weight", $"default {ioWeight}");
            }
            foreach (var d in l.IoWeightDevices)
            {
                if (IoWeightToBlkio(d.Weight) is uint blkio)
                    (io.WeightDevice ??= []).Add(new SpecWeightDevice { Major = d.Major, Minor = d.Minor, Weight = blkio });
                else throw new ArgumentException($"io.weight {d.FileValue}: no blkio weight converts to {d.Weight}");
            }
            io.ThrottleReadBpsDevice = Rates(l.IoMax, d => d.ReadBps);
            io.ThrottleWriteBpsDevice = Rates(l.IoMax, d => d.WriteBps);
            io.ThrottleReadIopsDevice = Rates(l.IoMax, d => d.ReadIops);
            io.ThrottleWriteIopsDevice = Rates(l.IoMax, d => d.WriteIops);
            if (io.Weight is not null || io.WeightDevice is not null || io.ThrottleReadBpsDevice is not null || io.ThrottleWriteBpsDevice is not null
                || io.ThrottleReadIopsDevice is not null || io.ThrottleWriteIopsDevice is not null)
                res.BlockIO = io;
        }
        if (unified.Count > 0) res.Unified = unified;
        return res;
    }

    /// <summary>`update`: the fields <paramref name="update"/> sets, over <paramref name="current"/> (neither is changed).</summary>
    public static SpecResources Merge(SpecResources? current, SpecResources update)
    {
        current ??= new SpecResources();
        var merged = new SpecResources { Devices = update.Devices ?? current.Devices };
        if (current.Memory is not null || update.Memory is not null)
        {
            SpecMemory cur = current.Memory ?? new(), upd = update.Memory ?? new();
            merged.Memory = new SpecMemory
            {
                Limit = upd.Limit ?? cur.Limit, Reservation = upd.Reservation ?? cur.Reservation, Swap = upd.Swap ?? cur.Swap,
                Kernel = upd.Kernel ?? cur.Kernel, KernelTcp = upd.KernelTcp ?? cur.KernelTcp, Swappiness = upd.Swappiness ?? cur.Swappiness,
                DisableOomKiller = upd.DisableOomKiller ?? cur.DisableOomKiller, UseHierarchy = upd.UseHierarchy ?? cur.UseHierarchy,
                CheckBeforeUpdate = upd.CheckBeforeUpdate ?? cur.CheckBeforeUpdate,
            };
        }
        if (current.Cpu is not null || update.Cpu is not null)
        {
            SpecCpu cur = current.Cpu ?? new(), upd = update.Cpu ?? new();
            merged.Cpu = new SpecCpu
            {
                Shares = upd.Shares ?? cur.Shares, Quota = upd.Quota ?? cur.Quota, Burst = upd.Burst ?? cur.Burst, Period = upd.Period ?? cur.Period,
                RealtimeRuntime = upd.RealtimeRuntime ?? cur.RealtimeRuntime, RealtimePeriod = upd.RealtimePeriod ?? cur.RealtimePeriod,
                Cpus = upd.Cpus ?? cur.Cpus, Mems = upd.Mems ?? cur.Mems, Idle = upd.Idle ?? cur.Idle,
            };
        }
        if (current.Pids is not null || update.Pids is not null)
            merged.Pids = new SpecPids { Limit = update.Pids?.Limit ?? current.Pids?.Limit };
        if (current.BlockIO is not null || update.BlockIO is not null)
        {
            SpecBlockIO cur = current.BlockIO ?? new(), upd = update.BlockIO ?? new();
            merged.BlockIO = new SpecBlockIO
            {
                Weight = upd.Weight ?? cur.Weight, LeafWeight = upd.LeafWeight ?? cur.LeafWeight,
                WeightDevice = upd.WeightDevice ?? cur.WeightDevice,
                ThrottleReadBpsDevice = upd.ThrottleReadBpsDevice ?? cur.ThrottleReadBpsDevice,
                ThrottleWriteBpsDevice = upd.ThrottleWriteBpsDevice ?? cur.ThrottleWriteBpsDevice,
                ThrottleReadIopsDevice = upd.ThrottleReadIopsDevice ?? cur.ThrottleReadIopsDevice,
                ThrottleWriteIopsDevice = upd.ThrottleWriteIopsDevice ?? cur.ThrottleWriteIopsDevice,
            };
        }
        if (current.Unified is not null || update.Unified is not null)
        {
            merged.Unified = new Dictionary<string, string>(current.Unified ?? new());
            foreach (var (file, value) in update.Unified ?? new()) merged.Unified[file] = value;
        }
        return merged;
    }

    /// <summary>
    /// A copy without the fields that only ask for what a cgroup has by default: cpu.shares 1024
    /// (cgroup v1's default share, which containerd always writes), memory.limit/swap -1, cpu.quota
    /// -1 without another period, pids.limit 0 or less. OciCgroup uses it where the host lacks a
    /// controller: a container that asks for nothing but the defaults still runs there (with the
    /// defaults), while a real limit is refused. Null when nothing is left.
    /// </summary>
    public static SpecResources? WithoutKernelDefaults(SpecResources? res)
    {
        if (res is null) return null;
        var copy = Merge(null, res);
        if (copy.Memory is { } m)
        {
            if (m.Limit == -1) m.Limit = null;
            if (m.Swap == -1) m.Swap = null;
        }
        if (copy.Cpu is { } c)
        {
            if (c.Shares == 1024) c.Shares = null;
            if (c.Quota == -1 && c.Period is null or CpuMax.DefaultPeriodUsec) { c.Quota = null; c.Period = null; }
        }
        if (copy.Pids is { Limit: <= 0 }) copy.Pids = null;
        return copy;
    }

    /// <summary>cpu.weight from CPU shares: 2 -> 1, 1024 -> 39, 262144 -> 10000.</summary>
    public static int SharesToWeight(ulong shares) => (int)(1 + (Math.Clamp(shares, 2, 262144) - 2) * 9999 / 262142);

    /// <summary>The smallest shares whose cpu.weight is <paramref name="weight"/> (every weight 1..10000 has one).</summary>
    public static ulong WeightToShares(int weight) => 2 + ((ulong)(weight - 1) * 262142 + 9998) / 9999;

    /// <summary>io.weight from a blkio weight: 10 -> 1, 500 -> 4950, 1000 -> 10000.</summary>
    public static int BlkioToIoWeight(uint blkio) => (int)(1 + (Math.Clamp(blkio, 10, 1000) - 10) * 9999 / 990);

    /// <summary>The blkio weight that gives this io.weight, or null when none does (the map skips weights).</summary>
    public static uint? IoWeightToBlkio(int weight)
    {
        if (weight is < 1 or > 10000) return null;
        uint blkio = 10 + (uint)(((long)(weight - 1) * 990 + 9998) / 9999);
        return BlkioToIoWeight(blkio) == weight ? blkio : null;
    }

    // 0 means "not set" (runtime-spec's Go structs before pointers); -1 is "max".
    private static long? Bytes(long? v) => v is null or 0 ? null : v;

    // memory.swap.max from OCI's memory+swap (validated: swap >= limit when both are positive).
    private static long? SwapMax(long swap, long limit)
    {
        if (swap == 0) return limit == -1 ? ResourceLimits.Unlimited : null;   // unlimited memory, swap unset: both unlimited
        if (swap == -1) return ResourceLimits.Unlimited;
        return swap - limit;
    }

    private static long? Swap(ResourceLimits l)
    {
        if (l.SwapMax is not long swap) return null;
        if (swap == ResourceLimits.Unlimited) return -1;
        if (l.MemoryMax is not long memory || memory < 0)
            throw new ArgumentException($"memory.swap.max {swap} without memory.max cannot be written as OCI memory.swap (memory plus swap)");
        return memory + swap;
    }

    private static List<IoDeviceLimit> Throttles(SpecBlockIO b)
    {
        var byDevice = new Dictionary<(uint, uint), IoDeviceLimit>();
        var order = new List<(uint, uint)>();
        void Add(List<SpecThrottleDevice>? list, Func<IoDeviceLimit, long, IoDeviceLimit> set)
        {
            foreach (var d in list ?? [])
            {
                var key = ((uint)d.Major, (uint)d.Minor);
                if (!byDevice.TryGetValue(key, out var limit)) { limit = new IoDeviceLimit(key.Item1, key.Item2); order.Add(key); }
                byDevice[key] = set(limit, d.Rate == 0 ? ResourceLimits.Unlimited : (long)d.Rate);
            }
        }
        Add(b.ThrottleReadBpsDevice, (l, r) => l with { ReadBps = r });
        Add(b.ThrottleWriteBpsDevice, (l, r) => l with { WriteBps = r });
        Add(b.ThrottleReadIopsDevice, (l, r) => l with { ReadIops = r });
        Add(b.ThrottleWriteIopsDevice, (l, r) => l with { WriteIops = r });
        return order.Select(k => byDevice[k]).ToList();
    }

    private static List<SpecThrottleDevice>? Rates(IReadOnlyList<IoDeviceLimit> limits, Func<IoDeviceLimit, long?> rate)
    {
        var list = limits.Where(d => rate(d) is not null)
            .Select(d => new SpecThrottleDevice { Major = d.Major, Minor = d.Minor, Rate = rate(d) is > 0 and var r ? (ulong)r : 0 }).ToList();
        return list.Count == 0 ? null : list;
    }
}
