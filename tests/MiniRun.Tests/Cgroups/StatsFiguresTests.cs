// StatsFiguresTests: the docker stats formulas and parsers against files in a temporary directory:
// CPU % from cpu.stat and /proc/stat deltas, memory without inactive_file, the host's memory as
// the limit for "max", io.stat sums, /proc/PID/net/dev without lo, memory.events oom_kill,
// cgroup.events frozen (cgroup-v2.rst, proc(5), Docker CLI's calculateCPUPercentUnix).
using MiniRun.Cgroups;

namespace MiniRun.Tests.Cgroups;

public sealed class StatsFiguresTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("minirun-stats-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private void Put(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private const string ProcStat = "cpu  1000 20 300 5000 40 5 6 7 0 0\ncpu0 500 10 150 2500 20 2 3 3 0 0\nintr 1 2 3\n";
    private const string NetDev =
        "Inter-|   Receive                                                |  Transmit\n" +
        " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n" +
        "    lo:  123456     100    0    0    0     0          0         0   123456     100    0    0    0     0       0          0\n" +
        "  eth0:    1500      10    0    0    0     0          0         0      700       5    0    0    0     0       0          0\n" +
        "  eth1:     500       2    0    0    0     0          0         0      300       1    0    0    0     0       0          0\n";

    [Fact]
    public void System_cpu_is_the_first_seven_fields_of_the_cpu_line_in_nanoseconds()
    {
        Assert.Equal((1000 + 20 + 300 + 5000 + 40 + 5 + 6) * 10_000_000L, ProcUsage.SystemCpuNanoseconds(ProcStat));
        Assert.Null(ProcUsage.SystemCpuNanoseconds("intr 1 2\n"));
    }

    [Fact]
    public void Cpu_percent_is_dockers_formula()
    {
        // 0.5 s of container CPU while the system (2 CPUs) spent 2 s in total over 1 s: one quarter
        // of the machine = half of one CPU = 50%.
        Assert.Equal(50.0, StatsFigures.CpuPercentOf(1_000_000, 10_000_000_000, 1_500_000, 12_000_000_000, 2), 6);
        // A whole CPU busy on a 2-CPU host: 100%.
        Assert.Equal(100.0, StatsFigures.CpuPercentOf(0, 0, 1_000_000, 2_000_000_000, 2), 6);
        Assert.Equal(0, StatsFigures.CpuPercentOf(5, 10, 5, 20, 2));            // no CPU used
        Assert.Equal(0, StatsFigures.CpuPercentOf(5, 10, 9, 10, 2));            // no system time passed
        Assert.Equal(0, StatsFigures.CpuPercentOf(null, null, 9, 10, 2));       // first reading
    }

    [Fact]
    public void Memory_usage_leaves_out_inactive_file_and_limit_max_is_the_hosts_memory()
    {
        var s = new CgroupStats { MemoryCurrent = 10_000_000, MemoryInactiveFile = 4_000_000, MemoryMax = null };
        Assert.Equal(6_000_000, StatsFigures.MemoryUsage(s));
        Assert.Equal(8_000_000_000, StatsFigures.MemoryLimit(s, 8_000_000_000));
        Assert.Equal(5, StatsFigures.MemoryUsage(new CgroupStats { MemoryCurrent = 5, MemoryInactiveFile = 9 }));
        Assert.Equal(64L << 20, StatsFigures.MemoryLimit(new CgroupStats { MemoryMax = 64L << 20 }, 8_000_000_000));
    }

    [Fact]
    public void Meminfo_and_net_dev_are_parsed()
    {
        Assert.Equal(8047892L * 1024, ProcUsage.MemTotalBytes("MemTotal:        8047892 kB\nMemFree:  1 kB\n"));
        Assert.Equal((2000L, 1000L), ProcUsage.NetDevTotals(NetDev));
        var onlyLo = string.Join('\n', NetDev.Split('\n').Take(3));
        Assert.Equal((0L, 0L), ProcUsage.NetDevTotals(onlyLo));
        Assert.Null(ProcUsage.NetDevTotals(""));
        Assert.Equal(2, ProcUsage.OnlineCpus("0-1\n"));
        Assert.Equal(3, ProcUsage.OnlineCpus("0,2-3"));
    }

    [Fact]
    public void A_sample_read_from_a_cgroup_directory_gives_every_column()
    {
        Put("cg/cpu.stat", "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n");
        Put("cg/memory.current", "20971520\n");
        Put("cg/memory.max", "67108864\n");
        Put("cg/memory.stat", "anon 10485760\nfile 10485760\nactive_file 2097152\ninactive_file 8388608\n");
        Put("cg/io.stat", "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n254:0 rbytes=1000 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n");
        Put("cg/pids.current", "3\n");
        Put("proc/stat", ProcStat);
        Put("proc/42/net/dev", NetDev);
        var previous = StatsSample.Read(Path.Combine(_dir, "cg"), 42, Path.Combine(_dir, "proc"));
        Put("cg/cpu.stat", "usage_usec 3000000\n");
        Put("proc/stat", "cpu  1100 20 300 5100 40 5 6 0 0 0\n");   // 200 ticks = 2 s of system time
        var current = StatsSample.Read(Path.Combine(_dir, "cg"), 42, Path.Combine(_dir, "proc"));

        var f = StatsFigures.Compute(previous, current, onlineCpus: 2, hostMemTotal: 8_000_000_000);
        Assert.Equal(50.0, f.CpuPercent, 6);
        Assert.Equal(20971520 - 8388608, f.MemUsage);
        Assert.Equal(67108864, f.MemLimit);
        Assert.Equal((20971520 - 8388608) * 100.0 / 67108864, f.MemPercent, 6);
        Assert.Equal((2000L, 1000L), (f.NetRx, f.NetTx));
        Assert.Equal((5096L, 8192L), (f.BlockRead, f.BlockWrite));
        Assert.Equal(3, f.Pids);
    }

    [Fact]
    public void Absent_files_give_zeros_and_the_hosts_memory()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "empty"));
        var s = StatsSample.Read(Path.Combine(_dir, "empty"), 0, Path.Combine(_dir, "noproc"));
        var f = StatsFigures.Compute(null, s, 2, 1000);
        Assert.Equal(new StatsFigures(0, 0, 1000, 0, 0, 0, 0, 0, 0), f);
    }

    [Fact]
    public void Oom_kills_and_frozen_come_from_the_event_files()
    {
        Put("cg/memory.events", "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 1\n");
        Put("cg/cgroup.events", "populated 1\nfrozen 1\n");
        Assert.Equal(1, CgroupEvents.OomKills(Path.Combine(_dir, "cg")));
        Assert.True(CgroupEvents.WasOomKilled(Path.Combine(_dir, "cg")));
        Assert.Equal(1, CgroupEvents.OomKills(_dir, "/cg/"));
        Assert.True(CgroupEvents.Frozen(Path.Combine(_dir, "cg")));
        Assert.Null(CgroupEvents.OomKills(Path.Combine(_dir, "gone")));
        Assert.False(CgroupEvents.WasOomKilled(Path.Combine(_dir, "gone")));
        Put("cg/memory.events", "oom 0\noom_kill 0\n");
        Assert.False(CgroupEvents.WasOomKilled(Path.Combine(_dir, "cg")));
    }
}
