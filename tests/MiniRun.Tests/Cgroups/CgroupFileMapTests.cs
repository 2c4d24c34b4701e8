// CgroupFileMapTests: which cgroup v2 file each limit goes to, with the exact text (cgroup-v2.rst).
using MiniRun.Cgroups;

namespace MiniRun.Tests.Cgroups;

public class CgroupFileMapTests
{
    private static Dictionary<string, string> Files(ResourceLimits l) =>
        CgroupFileMap.For(l).GroupBy(w => w.File).ToDictionary(g => g.Key, g => string.Join("|", g.Select(w => w.Value)));

    [Fact]
    public void Every_limit_to_its_file()
    {
        var f = Files(new ResourceLimits
        {
            MemoryMax = 104857600, MemoryLow = 52428800, SwapMax = ResourceLimits.Unlimited,
            CpuMax = new CpuMax(150000, 100000), CpuWeight = 39, CpusetCpus = "0-1", CpusetMems = "0",
            PidsMax = 100, IoWeight = 4950,
            IoMax = [new IoDeviceLimit(8, 0, ReadBps: 1048576, WriteIops: 50), new IoDeviceLimit(8, 16, WriteBps: 10)],
            OomScoreAdj = 100,
        });
        Assert.Equal("104857600", f["memory.max"]);
        Assert.Equal("52428800", f["memory.low"]);
        Assert.Equal("max", f["memory.swap.max"]);
        Assert.Equal("1", f["memory.oom.group"]);
        Assert.Equal("150000 100000", f["cpu.max"]);
        Assert.Equal("39", f["cpu.weight"]);
        Assert.Equal("0-1", f["cpuset.cpus"]);
        Assert.Equal("0", f["cpuset.mems"]);
        Assert.Equal("100", f["pids.max"]);
        Assert.Equal("default 4950", f["io.weight"]);
        Assert.Equal("8:0 rbps=1048576 wiops=50|8:16 wbps=10", f["io.max"]);
        Assert.Equal(11, f.Count);   // oom_score_adj is a /proc file, not a cgroup one
    }

    [Fact]
    public void Unlimited_pids_and_quota_write_max()
    {
        var f = Files(new ResourceLimits { PidsMax = ResourceLimits.Unlimited, CpuMax = new CpuMax(null, 100000) });
        Assert.Equal("max", f["pids.max"]);
        Assert.Equal("max 100000", f["cpu.max"]);
        Assert.False(f.ContainsKey("memory.oom.group"));
    }

    [Fact]
    public void Each_write_says_why() =>
        Assert.All(CgroupFileMap.For(new ResourceLimits { MemoryMax = 1 << 30, PidsMax = 5 }), w => Assert.False(string.IsNullOrWhiteSpace(w.Why.En) || string.IsNullOrWhiteSpace(w.Why.Ja)));
}
