// SpecResourceMapTests: linux.resources -> the cgroup v2 files and values (runtime-spec's cgroup v1
// units converted as runc and crun convert them), limits -> linux.resources and back to the same
// writes, and update's merge.
using MiniRun.Cgroups;
using MiniRun.Spec;

namespace MiniRun.Tests.Cgroups;

public sealed class SpecResourceMapTests
{
    private static Dictionary<string, string> Files(ResourceLimits l) =>
        CgroupFileMap.For(l).GroupBy(w => w.File).ToDictionary(g => g.Key, g => string.Join(" | ", g.Select(w => w.Value)));

    [Fact]
    public void Every_field_becomes_its_cgroup_v2_file()
    {
        var files = Files(SpecResourceMap.ToLimits(new SpecResources
        {
            Memory = new SpecMemory { Limit = 256 << 20, Reservation = 128 << 20, Swap = 384 << 20 },
            Cpu = new SpecCpu { Shares = 1024, Quota = 50000, Period = 200000, Burst = 10000, Cpus = "0-1", Mems = "0", Idle = 1 },
            Pids = new SpecPids { Limit = 64 },
            BlockIO = new SpecBlockIO
            {
                Weight = 500,
                WeightDevice = [new SpecWeightDevice { Major = 8, Minor = 16, Weight = 1000 }],
                ThrottleReadBpsDevice = [new SpecThrottleDevice { Major = 8, Minor = 0, Rate = 1048576 }],
                ThrottleWriteIopsDevice = [new SpecThrottleDevice { Major = 8, Minor = 0, Rate = 0 }],
            },
            Unified = new() { ["memory.high"] = "200M" },
        }));
        Assert.Equal(new Dictionary<string, string>
        {
            ["cpuset.cpus"] = "0-1", ["cpuset.mems"] = "0",
            ["cpu.max"] = "50000 200000", ["cpu.max.burst"] = "10000", ["cpu.weight"] = "39", ["cpu.idle"] = "1",
            ["io.weight"] = "default 4950 | 8:16 10000", ["io.max"] = "8:0 rbps=1048576 wiops=max",
            ["memory.low"] = "134217728", ["memory.max"] = "268435456", ["memory.swap.max"] = "134217728", ["memory.oom.group"] = "1",
            ["pids.max"] = "64", ["memory.high"] = "200M",
        }, files);
    }

    [Theory]
    [InlineData(-1L, 0L, "max", "max")]            // unlimited memory, swap unset: both unlimited
    [InlineData(100L << 20, -1L, "104857600", "max")]
    [InlineData(100L << 20, 0L, "104857600", null)] // swap unset: memory.swap.max keeps the kernel's default
    [InlineData(100L << 20, 100L << 20, "104857600", "0")]   // memory + swap = memory: no swap
    public void Memory_swap_is_memory_plus_swap(long limit, long swap, string max, string? swapMax)
    {
        var files = Files(SpecResourceMap.ToLimits(new SpecResources { Memory = new SpecMemory { Limit = limit, Swap = swap == 0 ? null : swap } }));
        Assert.Equal(max, files["memory.max"]);
        Assert.Equal(swapMax, files.GetValueOrDefault("memory.swap.max"));
    }

    [Fact]
    public void Unset_values_write_nothing_and_unlimited_ones_write_max()
    {
        Assert.Empty(CgroupFileMap.For(SpecResourceMap.ToLimits(null)));
        Assert.Empty(CgroupFileMap.For(SpecResourceMap.ToLimits(new SpecResources { Cpu = new SpecCpu { Shares = 0, Quota = 0 }, Devices = [] })));
        var files = Files(SpecResourceMap.ToLimits(new SpecResources { Cpu = new SpecCpu { Quota = -1 }, Pids = new SpecPids { Limit = 0 } }));
        Assert.Equal("max 100000", files["cpu.max"]);
        Assert.Equal("max", files["pids.max"]);
        Assert.False(SpecResourceMap.ToLimits(new SpecResources { Devices = [new SpecDeviceCgroup()] }).NeedsCgroupLimits);
    }

    [Theory]
    [InlineData(2ul, 1)]
    [InlineData(1024ul, 39)]
    [InlineData(262144ul, 10000)]
    public void Shares_convert_linearly_onto_weights(ulong shares, int weight) => Assert.Equal(weight, SpecResourceMap.SharesToWeight(shares));

    [Fact]
    public void Every_weight_converts_back_to_shares_that_give_it()
    {
        for (int w = 1; w <= 10000; w++)
            Assert.Equal(w, SpecResourceMap.SharesToWeight(SpecResourceMap.WeightToShares(w)));
        for (uint b = 10; b <= 1000; b++)
            Assert.Equal(b, SpecResourceMap.IoWeightToBlkio(SpecResourceMap.BlkioToIoWeight(b)));
        Assert.Null(SpecResourceMap.IoWeightToBlkio(2));   // no blkio weight gives io.weight 2
    }

    [Fact]
    public void Limits_written_as_resources_write_the_same_files()
    {
        var limits = new ResourceLimits
        {
            MemoryMax = 100 << 20, MemoryLow = 50 << 20, SwapMax = 100 << 20,
            CpuMax = new CpuMax(150000, 100000), CpuWeight = 100, CpusetCpus = "0", CpusetMems = "0",
            PidsMax = ResourceLimits.Unlimited, IoWeight = 2,
            IoMax = [new IoDeviceLimit(8, 0, ReadBps: 1 << 20, WriteIops: 100), new IoDeviceLimit(8, 16, WriteBps: 4096)],
            OomScoreAdj = 500,
        };
        var res = SpecResourceMap.FromLimits(limits);
        Assert.Equal(200 << 20, res.Memory!.Swap);                  // memory + swap
        Assert.Equal("default 2", res.Unified!["io.weight"]);      // no blkio weight gives 2
        Assert.Null(res.BlockIO!.Weight);
        Assert.Equal(Files(limits), Files(SpecResourceMap.ToLimits(res)));
        var noQuota = SpecResourceMap.FromLimits(new ResourceLimits { CpuMax = new CpuMax(null, 50000), SwapMax = ResourceLimits.Unlimited, MemoryMax = 1 << 30 });
        Assert.Equal((-1L, 50000ul, -1L), (noQuota.Cpu!.Quota!.Value, noQuota.Cpu.Period!.Value, noQuota.Memory!.Swap!.Value));
        Assert.Null(SpecResourceMap.FromLimits(new ResourceLimits { OomScoreAdj = 1 }).Memory);
    }

    [Fact]
    public void An_update_replaces_the_fields_it_sets_and_keeps_the_rest()
    {
        var current = new SpecResources
        {
            Devices = [new SpecDeviceCgroup { Allow = false, Access = "rwm" }],
            Memory = new SpecMemory { Limit = 100 << 20, Swap = 200 << 20 },
            Cpu = new SpecCpu { Quota = 50000, Period = 100000, Cpus = "0" },
            BlockIO = new SpecBlockIO { ThrottleReadBpsDevice = [new SpecThrottleDevice { Major = 8, Rate = 1 }] },
            Unified = new() { ["memory.high"] = "90M", ["pids.max"] = "10" },
        };
        var update = new SpecResources
        {
            Memory = new SpecMemory { Limit = 150 << 20 },
            Cpu = new SpecCpu { Quota = 20000 },
            Pids = new SpecPids { Limit = 32 },
            BlockIO = new SpecBlockIO { ThrottleReadBpsDevice = [] },
            Unified = new() { ["memory.high"] = "140M" },
        };
        var merged = SpecResourceMap.Merge(current, update);
        Assert.Equal((150L << 20, 200L << 20), (merged.Memory!.Limit!.Value, merged.Memory.Swap!.Value));
        Assert.Equal((20000L, 100000ul, "0"), (merged.Cpu!.Quota!.Value, merged.Cpu.Period!.Value, merged.Cpu.Cpus));
        Assert.Equal(32, merged.Pids!.Limit);
        Assert.Empty(merged.BlockIO!.ThrottleReadBpsDevice!);     // a list given replaces the list
        Assert.Equal(new Dictionary<string, string> { ["memory.high"] = "140M", ["pids.max"] = "10" }, merged.Unified);
        Assert.Same(current.Devices, merged.Devices);
        Assert.Equal(100 << 20, current.Memory.Limit);               // the inputs are not changed
        var again = SpecResourceMap.Merge(merged, new SpecResources { Memory = new SpecMemory { Swap = -1 } });
        Assert.Equal((150L << 20, -1L), (again.Memory!.Limit!.Value, again.Memory.Swap!.Value));
        Assert.Equal(32, SpecResourceMap.Merge(null, update).Pids!.Limit);
    }
}
