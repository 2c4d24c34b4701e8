// ResourceCli: Docker's resource flags for `run` (--memory, --cpus, --pids-limit, ...), collected
// as typed and handed to Cgroups.ResourceFlags for parsing and validation.
//
// Follows: docker-run(1) "Runtime constraints on resources".
using System.CommandLine;
using MiniRun.Cgroups;

namespace MiniRun.Cli;

public sealed class ResourceCli
{
    public required Option<string?> Memory, MemoryReservation, MemorySwap, Cpus, CpuPeriod, CpuQuota, CpuShares,
        CpusetCpus, CpusetMems, PidsLimit, BlkioWeight, OomScoreAdj, CgroupParent;
    public required Option<string[]> DeviceReadBps, DeviceWriteBps, DeviceReadIops, DeviceWriteIops;

    public IEnumerable<Option> All =>
        [Memory, MemoryReservation, MemorySwap, Cpus, CpuPeriod, CpuQuota, CpuShares, CpusetCpus, CpusetMems, PidsLimit,
         BlkioWeight, DeviceReadBps, DeviceWriteBps, DeviceReadIops, DeviceWriteIops, OomScoreAdj, CgroupParent];

    public static ResourceCli Options()
    {
        static Option<string?> S(string name, string description, string? alias = null) =>
            alias is null ? new(name) { Description = description } : new(name, alias) { Description = description };
        static Option<string[]> M(string name, string description) => new(name) { Description = description };
        return new ResourceCli
        {
            Memory = S("--memory", "Memory limit (memory.max), e.g. 64m", "-m"),
            MemoryReservation = S("--memory-reservation", "Memory soft limit (memory.low)"),
            MemorySwap = S("--memory-swap", "Memory plus swap limit; -1 for unlimited swap (memory.swap.max)"),
            Cpus = S("--cpus", "Number of CPUs, e.g. 0.5 (cpu.max)"),
            CpuPeriod = S("--cpu-period", "CPU CFS period in microseconds (cpu.max)"),
            CpuQuota = S("--cpu-quota", "CPU CFS quota in microseconds (cpu.max)"),
            CpuShares = S("--cpu-shares", "CPU shares, relative weight (cpu.weight)", "-c"),
            CpusetCpus = S("--cpuset-cpus", "CPUs in which to allow execution, e.g. 0-1 (cpuset.cpus)"),
            CpusetMems = S("--cpuset-mems", "Memory nodes in which to allow execution (cpuset.mems)"),
            PidsLimit = S("--pids-limit", "Tune container pids limit; -1 for unlimited (pids.max)"),
            BlkioWeight = S("--blkio-weight", "Block IO relative weight, 10 to 1000 (io.weight)"),
            DeviceReadBps = M("--device-read-bps", "Limit read rate from a device, DEVICE:RATE (io.max)"),
            DeviceWriteBps = M("--device-write-bps", "Limit write rate to a device, DEVICE:RATE (io.max)"),
            DeviceReadIops = M("--device-read-iops", "Limit read IO per second from a device (io.max)"),
            DeviceWriteIops = M("--device-write-iops", "Limit write IO per second to a device (io.max)"),
            OomScoreAdj = S("--oom-score-adj", "Tune the host's OOM preferences (-1000 to 1000)"),
            CgroupParent = S("--cgroup-parent", "Parent cgroup for the container (default: minirun)"),
        };
    }

    public ResourceFlagValues Values(ParseResult p) => new()
    {
        Memory = p.GetValue(Memory), MemoryReservation = p.GetValue(MemoryReservation), MemorySwap = p.GetValue(MemorySwap),
        Cpus = p.GetValue(Cpus), CpuPeriod = p.GetValue(CpuPeriod), CpuQuota = p.GetValue(CpuQuota), CpuShares = p.GetValue(CpuShares),
        CpusetCpus = p.GetValue(CpusetCpus), CpusetMems = p.GetValue(CpusetMems), PidsLimit = p.GetValue(PidsLimit),
        BlkioWeight = p.GetValue(BlkioWeight), OomScoreAdj = p.GetValue(OomScoreAdj),
        DeviceReadBps = p.GetValue(DeviceReadBps) ?? [], DeviceWriteBps = p.GetValue(DeviceWriteBps) ?? [],
        DeviceReadIops = p.GetValue(DeviceReadIops) ?? [], DeviceWriteIops = p.GetValue(DeviceWriteIops) ?? [],
    };
}
