// SpecResourcesSamples: a linux.resources with every field MiniRun models set, shared by the
// reader, writer and state round-trip tests.
using MiniRun.Spec;

namespace MiniRun.Tests.Spec;

internal static class SpecResourcesSamples
{
    public static SpecResources Full() => new()
    {
        Devices = [new SpecDeviceCgroup { Allow = false, Access = "rwm" }, new SpecDeviceCgroup { Allow = true, Type = "c", Major = 1, Minor = 3, Access = "rw" }],
        Memory = new SpecMemory
        {
            Limit = 1 << 30, Reservation = 1 << 29, Swap = -1, Kernel = -1, KernelTcp = 0, Swappiness = ulong.MaxValue,
            DisableOomKiller = false, UseHierarchy = true, CheckBeforeUpdate = true,
        },
        Cpu = new SpecCpu
        {
            Shares = 1024, Quota = 50000, Burst = 10000, Period = 100000, RealtimeRuntime = 0, RealtimePeriod = 0,
            Cpus = "0-1", Mems = "0", Idle = 0,
        },
        Pids = new SpecPids { Limit = 64 },
        BlockIO = new SpecBlockIO
        {
            Weight = 500, LeafWeight = 0,
            WeightDevice = [new SpecWeightDevice { Major = 8, Minor = 0, Weight = 300, LeafWeight = 0 }],
            ThrottleReadBpsDevice = [new SpecThrottleDevice { Major = 8, Minor = 0, Rate = 1048576 }],
            ThrottleWriteBpsDevice = [new SpecThrottleDevice { Major = 8, Minor = 0, Rate = 0 }],
            ThrottleReadIopsDevice = [new SpecThrottleDevice { Major = 8, Minor = 16, Rate = 100 }],
            ThrottleWriteIopsDevice = [new SpecThrottleDevice { Major = 8, Minor = 16, Rate = 300 }],
        },
        Unified = new() { ["memory.high"] = "64M", ["pids.max"] = "100" },
    };
}
