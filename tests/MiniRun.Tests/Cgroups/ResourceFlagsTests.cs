// ResourceFlagsTests: every resource flag's mapping to limits and every validation message.
// Follows docker-run(1) for the flags and Docker's messages; cgroup-v2.rst for the ranges.
using MiniRun.Cgroups;
using MiniRun.Kernel;
using MiniRun.Spec;

namespace MiniRun.Tests.Cgroups;

public class ResourceFlagsTests
{
    private static readonly HostResources Host = new(2, "0-1", "0", path => path switch
    {
        "/dev/sda" => new DeviceNumber(8, 0, true),
        "/dev/sdb" => new DeviceNumber(8, 16, true),
        "/dev/null" => new DeviceNumber(1, 3, false),
        _ => throw new KernelException($"stat {path}", Errno.ENOENT),
    });

    private static ResourceLimits Parse(ResourceFlagValues v) => ResourceFlags.Parse(v, Host);
    private static string Fails(ResourceFlagValues v) => Assert.Throws<RunConfigException>(() => Parse(v)).Message;

    [Theory]
    [InlineData("100m", 104857600L)]
    [InlineData("6m", 6291456L)]
    [InlineData("1g", 1073741824L)]
    [InlineData("1.5g", 1610612736L)]
    [InlineData("10000k", 10240000L)]
    [InlineData("7340032", 7340032L)]
    [InlineData("7340032b", 7340032L)]
    [InlineData("100MB", 104857600L)]
    [InlineData("100MiB", 104857600L)]
    public void Memory_units(string text, long bytes) => Assert.Equal(bytes, Parse(new() { Memory = text }).MemoryMax);

    [Fact]
    public void Memory_below_6MB_fails_with_dockers_message() =>
        Assert.Equal("--memory: Minimum memory limit allowed is 6MB", Fails(new() { Memory = "4m" }));

    [Theory]
    [InlineData("abc")]
    [InlineData("-5m")]
    [InlineData("10x")]
    [InlineData("")]
    public void Memory_not_a_size(string text) =>
        Assert.StartsWith($"--memory: invalid size: '{text}'", Fails(new() { Memory = text }));

    [Fact]
    public void Memory_without_swap_flag_gets_as_much_swap_as_memory()
    {
        var l = Parse(new() { Memory = "100m" });
        Assert.Equal(104857600L, l.SwapMax);
    }

    [Fact]
    public void Memory_swap_is_memory_plus_swap()
    {
        Assert.Equal(104857600L, Parse(new() { Memory = "100m", MemorySwap = "200m" }).SwapMax);
        Assert.Equal(0L, Parse(new() { Memory = "100m", MemorySwap = "100m" }).SwapMax);
        Assert.Equal(ResourceLimits.Unlimited, Parse(new() { Memory = "100m", MemorySwap = "-1" }).SwapMax);
    }

    [Fact]
    public void Memory_swap_below_memory_fails() =>
        Assert.Equal("--memory-swap: Minimum memoryswap limit should be larger than memory limit, see usage",
            Fails(new() { Memory = "100m", MemorySwap = "50m" }));

    [Fact]
    public void Memory_swap_without_memory_fails() =>
        Assert.Equal("--memory-swap: You should always set the Memory limit when using Memoryswap limit, see usage",
            Fails(new() { MemorySwap = "200m" }));

    [Fact]
    public void Memory_reservation_to_memory_low()
    {
        Assert.Equal(52428800L, Parse(new() { MemoryReservation = "50m" }).MemoryLow);
        Assert.Equal("--memory-reservation: Minimum memory reservation allowed is 6MB", Fails(new() { MemoryReservation = "1m" }));
        Assert.Equal("--memory-reservation: Minimum memory limit can not be less than memory reservation limit, see usage",
            Fails(new() { Memory = "50m", MemoryReservation = "100m" }));
    }

    [Theory]
    [InlineData("1.5", 150000L)]
    [InlineData("2", 200000L)]
    [InlineData("0.01", 1000L)]
    [InlineData("0.5", 50000L)]
    public void Cpus_to_cpu_max(string cpus, long quota) =>
        Assert.Equal(new CpuMax(quota, 100000), Parse(new() { Cpus = cpus }).CpuMax);

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("3")]
    [InlineData("0.001")]
    public void Cpus_out_of_range(string cpus) =>
        Assert.Equal("--cpus: Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available", Fails(new() { Cpus = cpus }));

    [Fact]
    public void Cpus_not_a_number() =>
        Assert.Equal("--cpus: invalid value 'lots': Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available",
            Fails(new() { Cpus = "lots" }));

    [Fact]
    public void Cpus_conflicts_with_period_and_quota()
    {
        Assert.Equal("--cpus: Conflicting options: Nano CPUs and CPU Period cannot both be set", Fails(new() { Cpus = "1", CpuPeriod = "50000" }));
        Assert.Equal("--cpus: Conflicting options: Nano CPUs and CPU Quota cannot both be set", Fails(new() { Cpus = "1", CpuQuota = "50000" }));
    }

    [Fact]
    public void Cpu_period_and_quota()
    {
        Assert.Equal(new CpuMax(25000, 50000), Parse(new() { CpuPeriod = "50000", CpuQuota = "25000" }).CpuMax);
        Assert.Equal(new CpuMax(25000, 100000), Parse(new() { CpuQuota = "25000" }).CpuMax);
        Assert.Equal(new CpuMax(null, 50000), Parse(new() { CpuPeriod = "50000" }).CpuMax);
        Assert.Equal(new CpuMax(null, 100000), Parse(new() { CpuQuota = "-1" }).CpuMax);
        Assert.Equal("max 50000", Parse(new() { CpuPeriod = "50000" }).CpuMax!.FileValue);
    }

    [Fact]
    public void Cpu_period_and_quota_ranges()
    {
        Assert.Equal("--cpu-period: invalid value '999': CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)",
            Fails(new() { CpuPeriod = "999" }));
        Assert.StartsWith("--cpu-period: invalid value '1000001'", Fails(new() { CpuPeriod = "1000001" }));
        Assert.Equal("--cpu-quota: CPU cfs quota can not be less than 1ms (i.e. 1000)", Fails(new() { CpuQuota = "500" }));
        Assert.StartsWith("--cpu-quota: invalid value '-7'", Fails(new() { CpuQuota = "-7" }));
    }

    [Theory]
    [InlineData(2, 1)]
    [InlineData(1024, 39)]
    [InlineData(512, 20)]
    [InlineData(262144, 10000)]
    public void Cpu_shares_to_weight(int shares, int weight) =>
        Assert.Equal(weight, Parse(new() { CpuShares = $"{shares}" }).CpuWeight);

    [Theory]
    [InlineData("1")]
    [InlineData("262145")]
    [InlineData("x")]
    public void Cpu_shares_out_of_range(string shares) =>
        Assert.Equal($"--cpu-shares: invalid value '{shares}': CPU shares must be between 2 and 262144", Fails(new() { CpuShares = shares }));

    [Fact]
    public void Cpuset_within_host()
    {
        Assert.Equal("0-1", Parse(new() { CpusetCpus = "0,1" }).CpusetCpus);
        Assert.Equal("1", Parse(new() { CpusetCpus = "1" }).CpusetCpus);
        Assert.Equal("0", Parse(new() { CpusetMems = "0" }).CpusetMems);
    }

    [Fact]
    public void Cpuset_outside_host_or_bad_syntax()
    {
        Assert.Equal("--cpuset-cpus: Requested CPUs are not available - requested 0-3, available: 0-1", Fails(new() { CpusetCpus = "0-3" }));
        Assert.Equal("--cpuset-cpus: Invalid value 1-0 for cpuset cpus (list syntax such as 0-2,4)", Fails(new() { CpusetCpus = "1-0" }));
        Assert.Equal("--cpuset-mems: Requested memory nodes are not available - requested 1, available: 0", Fails(new() { CpusetMems = "1" }));
        Assert.Equal("--cpuset-mems: Invalid value a for cpuset mems (list syntax such as 0-2,4)", Fails(new() { CpusetMems = "a" }));
    }

    [Theory]
    [InlineData("-1", -1L)]
    [InlineData("0", -1L)]
    [InlineData("100", 100L)]
    public void Pids_limit(string text, long max) => Assert.Equal(max, Parse(new() { PidsLimit = text }).PidsMax);

    [Fact]
    public void Pids_limit_invalid() =>
        Assert.Equal("--pids-limit: invalid value '-5': must be a positive number, or 0 or -1 for unlimited", Fails(new() { PidsLimit = "-5" }));

    [Theory]
    [InlineData(10, 1)]
    [InlineData(500, 4950)]
    [InlineData(1000, 10000)]
    public void Blkio_weight_to_io_weight(int blkio, int io) => Assert.Equal(io, Parse(new() { BlkioWeight = $"{blkio}" }).IoWeight);

    [Theory]
    [InlineData("9")]
    [InlineData("1001")]
    public void Blkio_weight_out_of_range(string w) =>
        Assert.Equal($"--blkio-weight: invalid value '{w}': Range of blkio weight is from 10 to 1000", Fails(new() { BlkioWeight = w }));

    [Fact]
    public void Device_limits_merge_per_device()
    {
        var l = Parse(new()
        {
            DeviceReadBps = ["/dev/sda:1mb"],
            DeviceWriteBps = ["/dev/sda:2m", "/dev/sdb:10k"],
            DeviceReadIops = ["/dev/sdb:100"],
            DeviceWriteIops = ["/dev/sda:50"],
        });
        Assert.Equal(2, l.IoMax.Count);
        Assert.Equal("8:0 rbps=1048576 wbps=2097152 wiops=50", l.IoMax[0].FileValue);
        Assert.Equal("8:16 wbps=10240 riops=100", l.IoMax[1].FileValue);
    }

    [Fact]
    public void Device_limit_errors()
    {
        Assert.StartsWith("--device-read-bps: bad format: sda", Fails(new() { DeviceReadBps = ["sda"] }));
        Assert.Equal("--device-read-bps: bad format for device path: sda:1mb", Fails(new() { DeviceReadBps = ["sda:1mb"] }));
        Assert.Equal("--device-read-bps: invalid rate for device: /dev/sda:fast. The correct format is <device-path>:<number>[<unit>]. " +
            "Number must be a positive integer. Unit is optional and can be kb, mb, or gb", Fails(new() { DeviceReadBps = ["/dev/sda:fast"] }));
        Assert.Equal("--device-write-iops: invalid rate for device: /dev/sda:1k. The correct format is <device-path>:<number>. " +
            "Number must be a positive integer", Fails(new() { DeviceWriteIops = ["/dev/sda:1k"] }));
        Assert.Equal("--device-write-bps: unknown device /dev/nosuch: stat /dev/nosuch: No such file or directory (ENOENT)",
            Fails(new() { DeviceWriteBps = ["/dev/nosuch:1mb"] }));
        Assert.Equal("--device-read-iops: /dev/null is not a block device", Fails(new() { DeviceReadIops = ["/dev/null:10"] }));
    }

    [Fact]
    public void Oom_score_adj_range()
    {
        Assert.Equal(-500, Parse(new() { OomScoreAdj = "-500" }).OomScoreAdj);
        Assert.Equal(1000, Parse(new() { OomScoreAdj = "1000" }).OomScoreAdj);
        Assert.Equal("--oom-score-adj: Invalid value 1001, range for oom score adj is [-1000, 1000]", Fails(new() { OomScoreAdj = "1001" }));
        Assert.Equal("--oom-score-adj: Invalid value -1001, range for oom score adj is [-1000, 1000]", Fails(new() { OomScoreAdj = "-1001" }));
    }

    [Fact]
    public void No_flags_need_no_cgroup()
    {
        var l = Parse(new());
        Assert.False(l.NeedsCgroupLimits);
        Assert.False(Parse(new() { OomScoreAdj = "10" }).NeedsCgroupLimits);
        Assert.Equal(["cpuset", "cpu", "memory", "pids"], Parse(new() { Memory = "10m", Cpus = "1", PidsLimit = "5", CpusetCpus = "0" }).RequiredControllers());
    }

    [Fact]
    public void Real_statx_reports_a_block_device_or_not()
    {
        var dev = HostResources.StatDeviceWithStatx("/dev/null");
        Assert.False(dev.IsBlockDevice);
        Assert.Equal((1u, 3u), (dev.Major, dev.Minor));
        var e = Assert.Throws<KernelException>(() => HostResources.StatDeviceWithStatx("/dev/minirun-no-such-device"));
        Assert.Equal(Errno.ENOENT, e.Errno);
    }
}
