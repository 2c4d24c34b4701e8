// CgroupVerbsFormatTests: what stats prints (Docker's units and columns) and how update merges
// new flags with the recorded ones, without a kernel (docker-stats(1), docker-update(1)).
using MiniRun.Cgroups;
using MiniRun.Cli;
using MiniRun.Containers;

namespace MiniRun.Tests.Cgroups;

public sealed class CgroupVerbsFormatTests
{
    [Theory]
    [InlineData(0, "0B")]
    [InlineData(1000, "1000B")]
    [InlineData(1536, "1.5KiB")]
    [InlineData(2048000, "1.953MiB")]
    [InlineData(8349294592, "7.776GiB")]
    [InlineData(67108864, "64MiB")]
    public void Memory_sizes_are_binary_with_four_digits(long bytes, string text) =>
        Assert.Equal(text, StatsCommand.BinarySize(bytes));

    [Fact]
    public void A_row_has_dockers_columns()
    {
        var c = new ContainerRecord { Id = new string('a', 64), Name = "web" };
        var row = StatsCommand.Row(c, new StatsFigures(12.345, 2048000, 8349294592, 0.0245, 1050, 0, 4096, 0, 3), noTrunc: false);
        Assert.Equal(["aaaaaaaaaaaa", "web", "12.35%", "1.953MiB / 7.776GiB", "0.02%", "1.05kB / 0B", "4.1kB / 0B", "3"], row);
        Assert.Equal(64, StatsCommand.Row(c, StatsFigures.Zero, noTrunc: true)[0].Length);
        Assert.Equal(["0.00%", "0B / 0B", "0.00%", "0B / 0B", "0B / 0B", "0"], StatsCommand.Row(c, StatsFigures.Zero, false).Skip(2));
        Assert.Equal(8, StatsCommand.Header.Length);
    }

    [Fact]
    public void Update_replaces_only_the_flags_given()
    {
        var old = new ResourceFlagValues { Memory = "64m", PidsLimit = "10", Cpus = "0.5", OomScoreAdj = "100" };
        var merged = MiniRun.Engine.ContainerUpdater.Merge(old, new ResourceFlagValues { PidsLimit = "20" });
        Assert.Equal(("64m", "20", "0.5", "100"), (merged.Memory, merged.PidsLimit, merged.Cpus, merged.OomScoreAdj));
        // --cpu-quota replaces --cpus (they cannot both be set), and the other way round.
        var quota = MiniRun.Engine.ContainerUpdater.Merge(old, new ResourceFlagValues { CpuQuota = "20000" });
        Assert.Equal((null, "20000"), (quota.Cpus, quota.CpuQuota));
        var cpus = MiniRun.Engine.ContainerUpdater.Merge(new ResourceFlagValues { CpuQuota = "20000", CpuPeriod = "50000" }, new ResourceFlagValues { Cpus = "1" });
        Assert.Equal(("1", null, null), (cpus.Cpus, cpus.CpuQuota, cpus.CpuPeriod));
        Assert.True(MiniRun.Engine.ContainerUpdater.IsEmpty(new ResourceFlagValues()));
        Assert.False(MiniRun.Engine.ContainerUpdater.IsEmpty(new ResourceFlagValues { DeviceReadBps = ["/dev/sda:1mb"] }));
    }
}
