// CgroupTests: the driver against a fake cgroupfs in a temporary directory: top-down controller
// enabling, which files are written (and no others), limits, cgroup.procs, freeze/thaw, kill,
// remove, errors with file, value and errno, and the --trace narration (cgroup-v2.rst).
using MiniRun.Cgroups;
using MiniRun.Kernel;

namespace MiniRun.Tests.Cgroups;

public sealed class CgroupTests : IDisposable
{
    private readonly FakeCgroupFs _fs = new("cpuset", "cpu", "io", "memory", "hugetlb", "pids");
    private readonly RecordingTrace _trace = new();
    private static readonly string[] All = ["cpu", "cpuset", "io", "memory", "pids"];
    public void Dispose() => _fs.Dispose();

    private Cgroup Create(string name = "ab12", string? parent = "minirun", IEnumerable<string>? controllers = null) =>
        Cgroup.Create(_fs.Root, name, controllers ?? All, parent, _fs, _trace);

    [Fact]
    public void Create_enables_controllers_top_down()
    {
        var cg = Create();
        Assert.Equal(_fs.P("minirun/ab12"), cg.Path);
        Assert.Equal("minirun/ab12", cg.RelativePath);
        Assert.Equal([(_fs.P("cgroup.subtree_control"), "+cpu +cpuset +io +memory +pids"),
                      (_fs.P("minirun/cgroup.subtree_control"), "+cpu +cpuset +io +memory +pids")], _fs.Writes);
        Assert.Equal("cpu cpuset io memory pids\n", _fs.Text("minirun/ab12/cgroup.controllers"));
        Assert.True(File.Exists(_fs.P("minirun/ab12/memory.max")));
    }

    [Fact]
    public void Second_container_writes_nothing_above_its_own_cgroup()
    {
        Create("one");
        _fs.Writes.Clear();
        Create("two");
        Assert.Empty(_fs.Writes);
        Assert.True(Directory.Exists(_fs.P("minirun/two")));
    }

    [Fact]
    public void Root_subtree_control_gets_only_missing_controllers()
    {
        _fs.Put("cgroup.subtree_control", "cpu memory\n");
        Create(controllers: ["memory", "pids"]);
        Assert.Equal((_fs.P("cgroup.subtree_control"), "+pids"), _fs.Writes[0]);
    }

    [Fact]
    public void Foreign_parent_is_never_written()
    {
        _fs.Put("cgroup.subtree_control", "cpu memory pids\n");
        _fs.ForeignCgroup("system.slice", "memory\n");
        var e = Assert.Throws<IOException>(() => Create(parent: "system.slice", controllers: ["memory", "pids"]));
        Assert.Equal($"enable controllers pids in {_fs.P("system.slice")}: MiniRun did not create this cgroup and does not modify it " +
            "(its cgroup.subtree_control: memory); delegate them first", e.Message);
        Assert.Empty(_fs.Writes);
        Assert.False(Directory.Exists(_fs.P("system.slice/ab12")));
    }

    [Fact]
    public void Foreign_parent_that_already_delegates_is_used_as_it_is()
    {
        _fs.Put("cgroup.subtree_control", "memory pids\n");
        _fs.ForeignCgroup("system.slice", "memory pids\n");
        var cg = Create(parent: "/system.slice/", controllers: ["memory", "pids"]);
        Assert.Equal("system.slice/ab12", cg.RelativePath);
        Assert.Empty(_fs.Writes);
    }

    [Fact]
    public void Nested_parent_created_and_enabled_then_undone_on_failure()
    {
        _fs.FailWrite[_fs.P("a/b/cgroup.subtree_control")] = Errno.EBUSY;
        var e = Assert.Throws<KernelException>(() => Create(parent: "a/b", controllers: ["memory"]));
        Assert.Equal($"write {_fs.P("a/b/cgroup.subtree_control")} \"+memory\": Device or resource busy (EBUSY)", e.Message);
        Assert.False(Directory.Exists(_fs.P("a")));   // the directories it made are removed again
    }

    [Fact]
    public void Controller_not_available_is_named()
    {
        var e = Assert.Throws<IOException>(() => Create(controllers: ["rdma"]));
        Assert.Equal($"enable controller rdma in {_fs.Root}: not available there (cgroup.controllers: cpuset cpu io memory hugetlb pids)", e.Message);
    }

    [Fact]
    public void Existing_container_cgroup_is_an_error()
    {
        Create();
        var e = Assert.Throws<KernelException>(() => Create());
        Assert.Equal(Errno.EEXIST, e.Errno);
        Assert.True(Directory.Exists(_fs.P("minirun/ab12")));   // the existing one is left alone
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("a/../../b")]
    public void Parent_with_dot_dot_is_refused(string parent) =>
        Assert.Throws<ArgumentException>(() => Create(parent: parent));

    [Fact]
    public void Apply_writes_every_limit_file()
    {
        var cg = Create();
        _fs.Writes.Clear();
        cg.Apply(new ResourceLimits
        {
            MemoryMax = 104857600, MemoryLow = 52428800, SwapMax = 0, CpuMax = new CpuMax(150000, 100000), CpuWeight = 39,
            CpusetCpus = "0-1", CpusetMems = "0", PidsMax = 100, IoWeight = 4950, IoMax = [new IoDeviceLimit(8, 0, ReadBps: 1048576)],
        });
        string T(string f) => _fs.Text("minirun/ab12/" + f);
        Assert.Equal("104857600", T("memory.max"));
        Assert.Equal("52428800", T("memory.low"));
        Assert.Equal("0", T("memory.swap.max"));
        Assert.Equal("1", T("memory.oom.group"));
        Assert.Equal("150000 100000", T("cpu.max"));
        Assert.Equal("39", T("cpu.weight"));
        Assert.Equal("0-1", T("cpuset.cpus"));
        Assert.Equal("0", T("cpuset.mems"));
        Assert.Equal("100", T("pids.max"));
        Assert.Equal("default 4950", T("io.weight"));
        Assert.Equal("8:0 rbps=1048576", T("io.max"));
        Assert.All(_fs.Writes, w => Assert.StartsWith(_fs.P("minirun/ab12/"), w.Path));
    }

    [Fact]
    public void Apply_sets_oom_group_whenever_memory_is_enabled()
    {
        var cg = Create();
        cg.Apply(new ResourceLimits { PidsMax = 5 });
        Assert.Equal("1", _fs.Text("minirun/ab12/memory.oom.group"));
    }

    [Fact]
    public void Write_error_names_file_value_and_errno_and_is_traced()
    {
        var cg = Create();
        _fs.FailWrite[_fs.P("minirun/ab12/memory.max")] = Errno.EBUSY;
        var e = Assert.Throws<KernelException>(() => cg.Apply(new ResourceLimits { MemoryMax = 1 }));
        Assert.Equal($"write {_fs.P("minirun/ab12/memory.max")} \"1\": Device or resource busy (EBUSY)", e.Message);
        Assert.Contains($"write {_fs.P("minirun/ab12/memory.max")} = \"1\" failed: Device or resource busy (EBUSY)", _trace.Lines);
    }

    [Fact]
    public void Missing_controller_file_is_ENOENT()
    {
        var cg = Create(controllers: ["pids"]);
        var e = Assert.Throws<KernelException>(() => cg.Apply(new ResourceLimits { CpuWeight = 39 }));
        Assert.Equal(Errno.ENOENT, e.Errno);
        Assert.Contains("cpu.weight \"39\"", e.Message);
    }

    [Fact]
    public void Trace_narrates_each_write_and_why()
    {
        var cg = Create();
        _trace.Lines.Clear();
        cg.Apply(new ResourceLimits { MemoryMax = 104857600, SwapMax = ResourceLimits.Unlimited });
        Assert.Equal($"write {_fs.P("minirun/ab12/memory.max")} = 104857600", _trace.Lines[0]);
        Assert.StartsWith("note --memory: hard limit", _trace.Lines[1]);
        Assert.Contains($"write {_fs.P("minirun/ab12/memory.swap.max")} = max", _trace.Lines);
        Assert.Contains($"write {_fs.P("minirun/ab12/memory.oom.group")} = 1", _trace.Lines);
    }

    [Fact]
    public void Create_is_traced()
    {
        Create();
        Assert.Contains($"mkdir {_fs.P("minirun")} = 0", _trace.Lines);
        Assert.Contains($"mkdir {_fs.P("minirun/ab12")} = 0", _trace.Lines);
        Assert.Contains($"write {_fs.P("cgroup.subtree_control")} = +cpu +cpuset +io +memory +pids", _trace.Lines);
    }

    [Fact]
    public void Add_process_writes_cgroup_procs()
    {
        var cg = Create();
        cg.AddProcess(4242);
        Assert.Equal("4242", _fs.Text("minirun/ab12/cgroup.procs"));
    }

    [Fact]
    public void Freeze_and_thaw_wait_for_cgroup_events()
    {
        var cg = Create();
        cg.Freeze();
        Assert.Equal("1", _fs.Text("minirun/ab12/cgroup.freeze"));
        Assert.Contains("frozen 1", _fs.Text("minirun/ab12/cgroup.events"));
        cg.Thaw();
        Assert.Equal("0", _fs.Text("minirun/ab12/cgroup.freeze"));
        Assert.Contains("frozen 0", _fs.Text("minirun/ab12/cgroup.events"));
    }

    [Fact]
    public void Freeze_that_never_takes_effect_fails_with_the_state()
    {
        var cg = Create();
        _fs.FreezeTakesEffect = false;
        var e = Assert.Throws<IOException>(() => cg.Freeze(TimeSpan.FromMilliseconds(50)));
        Assert.Equal($"freeze {cg.Path}: cgroup.events still says \"frozen 0\" after 0.1 s", e.Message);
    }

    [Fact]
    public void Kill_writes_cgroup_kill()
    {
        var cg = Create();
        cg.Kill();
        Assert.Equal("1", _fs.Text("minirun/ab12/cgroup.kill"));
    }

    [Fact]
    public void Remove_retries_while_busy_and_keeps_the_parent()
    {
        var cg = Create();
        _fs.RmdirBusyTimes = 2;
        cg.Remove();
        Assert.False(Directory.Exists(cg.Path));
        Assert.True(Directory.Exists(_fs.P("minirun")));
        cg.Remove();   // already gone: no error
    }

    [Fact]
    public void Remove_gives_up_with_EBUSY()
    {
        var cg = Create();
        _fs.RmdirBusyTimes = int.MaxValue;
        var e = Assert.Throws<KernelException>(() => cg.Remove(TimeSpan.FromMilliseconds(30)));
        Assert.Equal($"rmdir {cg.Path}: Device or resource busy (EBUSY)", e.Message);
    }

    [Fact]
    public void Open_existing_and_read_stats()
    {
        Create();
        var cg = Cgroup.Open(_fs.Root, "/minirun/ab12/", _fs, _trace);
        _fs.Put("minirun/ab12/cpu.stat", "usage_usec 123456\nuser_usec 100000\nsystem_usec 23456\nnr_periods 50\nnr_throttled 7\nthrottled_usec 9000\n");
        _fs.Put("minirun/ab12/memory.current", "5242880\n");
        _fs.Put("minirun/ab12/memory.max", "104857600\n");
        _fs.Put("minirun/ab12/memory.events", "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 1\n");
        _fs.Put("minirun/ab12/io.stat", "8:0 rbytes=1000 wbytes=2000 rios=3 wios=4 dbytes=0 dios=0\n8:16 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n");
        _fs.Put("minirun/ab12/pids.current", "3\n");
        _fs.Put("minirun/ab12/pids.max", "max\n");
        var s = cg.ReadStats();
        Assert.Equal(new CgroupStats
        {
            CpuUsageUsec = 123456, CpuNrPeriods = 50, CpuNrThrottled = 7, CpuThrottledUsec = 9000,
            MemoryCurrent = 5242880, MemoryMax = 104857600, OomEvents = 1, OomKills = 1,
            IoReadBytes = 1010, IoWriteBytes = 2020, IoReadOps = 4, IoWriteOps = 6, PidsCurrent = 3, PidsMax = null,
        }, s);
    }

    [Fact]
    public void Stats_of_absent_controllers_are_null()
    {
        var cg = Create(controllers: ["pids"]);
        _fs.Put("minirun/ab12/pids.current", "1\n");
        var s = cg.ReadStats();
        Assert.Equal(1, s.PidsCurrent);
        Assert.Null(s.MemoryCurrent);
        Assert.Null(s.OomKills);
        Assert.Null(s.IoReadBytes);
        Assert.Equal(0, s.CpuUsageUsec);   // cpu.stat exists in every cgroup
    }
}
