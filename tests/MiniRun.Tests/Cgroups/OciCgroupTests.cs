// OciCgroupTests: the cgroup that create makes from config.json, on a fake cgroupfs: controllers
// enabled along the engine's path and the limits written before the cgroup is handed back; limits
// without a cgroupsPath go beside the runtime's own cgroup (as runc); a host without a usable
// cgroup v2 refuses limits in one line, before anything exists; a failed write leaves no cgroup.
using MiniRun.Cgroups;
using MiniRun.Kernel;
using MiniRun.Runtime;
using MiniRun.Spec;

namespace MiniRun.Tests.Cgroups;

public sealed class OciCgroupTests : IDisposable
{
    private readonly FakeCgroupFs _fs = new("cpuset", "cpu", "io", "memory", "pids");
    private readonly string _proc = Directory.CreateTempSubdirectory("minirun-ocicg-proc-").FullName;
    private readonly RecordingTrace _trace = new();

    public OciCgroupTests()
    {
        Directory.CreateDirectory(Path.Combine(_proc, "self"));
        Proc($"26 21 0:24 / {_fs.Root} rw - cgroup2 cgroup2 rw\n", "0::/user.slice/session-1.scope\n");
    }

    public void Dispose()
    {
        _fs.Dispose();
        Directory.Delete(_proc, recursive: true);
    }

    private void Proc(string mountinfo, string cgroup)
    {
        File.WriteAllText(Path.Combine(_proc, "self", "mountinfo"), mountinfo);
        File.WriteAllText(Path.Combine(_proc, "self", "cgroup"), cgroup);
    }

    private OciCgroupPlan Plan(string? cgroupsPath, SpecResources? res) =>
        OciCgroup.Plan(new RuntimeSpec { Linux = new SpecLinux { CgroupsPath = cgroupsPath, Resources = res } }, "c1", _fs.Root, _proc);

    private static SpecResources Limits() => new()
    {
        Memory = new SpecMemory { Limit = 64 << 20 },
        Pids = new SpecPids { Limit = 20 },
        Cpu = new SpecCpu { Quota = 20000 },
    };

    [Fact]
    public void Create_enables_the_controllers_along_the_path_and_writes_the_limits()
    {
        _fs.ForeignCgroup("default", "\n");   // containerd's namespace cgroup, made earlier without controllers
        _fs.Put("default/cgroup.controllers", "cpuset cpu io memory pids\n");   // what the kernel shows once the root enables them
        var cgroup = OciCgroup.Create(Plan("/default/c1", Limits()), _trace, _fs)!;
        Assert.Equal("default/c1", cgroup.RelativePath);
        // the limits' controllers first, then every other one the host offers (usage readable, update possible)
        Assert.Equal("cpu memory pids cpuset io", _fs.Text("default/cgroup.subtree_control").Trim());
        Assert.Equal("67108864", _fs.Text("default/c1/memory.max"));
        Assert.Equal("20", _fs.Text("default/c1/pids.max"));
        Assert.Equal("20000 100000", _fs.Text("default/c1/cpu.max"));
        Assert.Equal("1", _fs.Text("default/c1/memory.oom.group"));
        Assert.Contains(_trace.Lines, l => l == $"write {_fs.P("default/c1/memory.max")} = 67108864");
    }

    [Fact]
    public void Limits_without_a_cgroups_path_go_beside_the_runtime_s_own_cgroup()
    {
        Assert.Equal("user.slice/c1", Plan(null, Limits()).RelativePath);
        Proc($"26 21 0:24 / {_fs.Root} rw - cgroup2 cgroup2 rw\n", "0::/\n");
        Assert.Equal("c1", Plan("", Limits()).RelativePath);
        Assert.Null(Plan(null, new SpecResources()).RelativePath);   // no limits, no device rules: no cgroup
        // device rules need a cgroup for their filter: beside the runtime's own too, as runc makes one
        Assert.Equal("c1", Plan(null, new SpecResources { Devices = [new SpecDeviceCgroup { Access = "rwm" }] }).RelativePath);
    }

    [Fact]
    public void A_bare_path_enables_the_host_s_controllers_and_writes_no_limit()
    {
        var cgroup = OciCgroup.Create(Plan("/k8s.io/c1", null), _trace, _fs)!;
        Assert.Equal("cpu cpuset io memory pids", _fs.Text("k8s.io/cgroup.subtree_control").Trim());
        Assert.DoesNotContain(_fs.Writes, w => w.Path.StartsWith(cgroup.Path, StringComparison.Ordinal));
    }

    [Fact]
    public void A_hybrid_host_refuses_limits_in_one_line_naming_the_field()
    {
        string unified = Path.Combine(_fs.Root, "unified");
        Directory.CreateDirectory(unified);
        File.WriteAllText(Path.Combine(unified, "cgroup.controllers"), "hugetlb\n");
        Proc($"31 23 0:28 / {_fs.Root} rw - tmpfs tmpfs rw\n32 31 0:29 / {unified} rw - cgroup2 cgroup2 rw\n" +
             $"33 31 0:30 / {_fs.Root}/memory rw - cgroup cgroup rw,memory\n", "0::/\n");
        var e = Assert.Throws<RuntimeException>(() => Plan("/default/c1", new SpecResources { Memory = new SpecMemory { Limit = 1 << 30 } }));
        Assert.Equal($"config.json: linux.resources.memory needs cgroup v2 with the memory controller; this host: hybrid cgroup layout: " +
                     $"cgroup v1 controllers (memory) under {_fs.Root}, cgroup v2 at {unified} with controllers: hugetlb", e.Message);
        Assert.Equal("default/c1", Plan("/default/c1", null).RelativePath);   // a bare path still works there
        var unifiedOnly = Assert.Throws<RuntimeException>(() => Plan(null, new SpecResources { Unified = new() { ["misc.max"] = "x 1" } }));
        Assert.StartsWith("config.json: linux.resources.unified (misc.*) needs cgroup v2 with the misc controller", unifiedOnly.Message);
    }

    [Fact]
    public void Where_a_controller_is_missing_only_requests_for_the_defaults_pass()
    {
        File.WriteAllText(Path.Combine(_fs.Root, "cgroup.controllers"), "memory pids\n");   // no cpu controller
        var defaults = new SpecResources { Cpu = new SpecCpu { Shares = 1024 }, Devices = [new SpecDeviceCgroup { Access = "rwm" }] };
        var plan = Plan("/default/c1", defaults);   // what containerd writes into every bundle
        Assert.Equal("default/c1", plan.RelativePath);
        Assert.Empty(plan.Limits.RequiredControllers());
        Assert.StartsWith("linux.resources asks only for the kernel's defaults", plan.Note?.En);
        Assert.Equal("user.slice/c1", Plan(null, defaults).RelativePath);   // no path: its device rules still need a cgroup
        var withMemory = Plan("/default/c1", new SpecResources { Cpu = new SpecCpu { Shares = 1024 }, Memory = new SpecMemory { Limit = 1 << 30 } });
        Assert.Equal(["memory"], withMemory.Limits.RequiredControllers());
        var e = Assert.Throws<RuntimeException>(() => Plan("/default/c1", new SpecResources { Cpu = new SpecCpu { Shares = 512 } }));
        Assert.StartsWith("config.json: linux.resources.cpu (shares, quota, period, burst, idle) needs cgroup v2 with the cpu controller", e.Message);
        File.WriteAllText(Path.Combine(_fs.Root, "cgroup.controllers"), "cpu memory pids\n");
        Assert.Equal(["cpu"], Plan("/default/c1", defaults).Limits.RequiredControllers());   // with the controller, 1024 is written (weight 39), as runc does
    }

    private static SpecResources Devices() => new() { Devices = [new SpecDeviceCgroup { Access = "rwm" }] };

    [Fact]
    public void PathFor_names_the_cgroup_Plan_will_name_for_an_engine_s_container()
    {
        var host = CgroupV2Host.Detect(_fs.Root, _proc);
        Assert.Equal(Plan("/minirun/c1", Devices()).RelativePath, OciCgroup.PathFor("/minirun/c1", "c1", host, _proc));
        Assert.Equal("minirun/c1", OciCgroup.PathFor("/minirun/c1", "c1", host, _proc));
        Assert.Equal(Plan(null, Devices()).RelativePath, OciCgroup.PathFor(null, "c1", host, _proc));   // device rules: beside the runtime
        Assert.Equal("user.slice/c1", OciCgroup.PathFor(null, "c1", host, _proc));
        Proc($"31 23 0:28 / {_fs.Root} rw - tmpfs tmpfs rw\n", "0::/\n");   // no cgroup2 anywhere: no cgroup, device rules kept by nodev mounts
        var none = CgroupV2Host.Detect(_fs.Root, _proc);
        Assert.Null(OciCgroup.PathFor(null, "c1", none, _proc));
        Assert.Null(Plan(null, Devices()).RelativePath);
    }

    [Fact]
    public void CreateEmpty_then_Adopt_gives_the_cgroup_Create_gives()
    {
        var host = CgroupV2Host.Detect(_fs.Root, _proc);
        var empty = OciCgroup.CreateEmpty(host, "minirun/c1", _trace, _fs);   // before the clone: no limit yet
        Assert.Equal("cpu cpuset io memory pids", _fs.Text("minirun/cgroup.subtree_control").Trim());
        Assert.DoesNotContain(_fs.Writes, w => w.Path.StartsWith(empty.Path, StringComparison.Ordinal));
        var plan = Plan("/minirun/c1", Limits());
        Assert.True(OciCgroup.Names(plan, empty));
        Assert.False(OciCgroup.Names(Plan("/minirun/c2", Limits()), empty));
        var adopted = OciCgroup.Adopt(plan, empty, _trace, _fs);   // init is in it and waits for its bundle: the limits now
        Assert.Equal(empty.Path, adopted.Path);
        Assert.Equal("67108864", _fs.Text("minirun/c1/memory.max"));
        Assert.Equal("20", _fs.Text("minirun/c1/pids.max"));
        Assert.Equal("20000 100000", _fs.Text("minirun/c1/cpu.max"));
        Assert.Contains(_trace.Lines, l => l.Contains("born in it", StringComparison.Ordinal));
    }

    [Fact]
    public void A_failed_limit_write_leaves_no_cgroup()
    {
        _fs.FailWrite[_fs.P("c1/pids.max")] = Errno.EINVAL;
        Assert.Throws<KernelException>(() => OciCgroup.Create(Plan("/c1", Limits()), _trace, _fs));
        Assert.False(Directory.Exists(_fs.P("c1")));
    }

    [Fact]
    public void Update_enables_a_controller_the_cgroup_did_not_have()
    {
        _fs.ForeignCgroup("default", "\n");
        _fs.Put("default/cgroup.controllers", "cpuset cpu io memory pids\n");
        var cgroup = OciCgroup.Create(Plan("/default/c1", new SpecResources { Pids = new SpecPids { Limit = 5 } }), _trace, _fs)!;
        _fs.Put("default/c1/memory.max", "");   // the fake makes files at mkdir only: the kernel adds them when enabled
        cgroup.EnableControllers(["pids", "memory"]);
        var enabled = _fs.Text("default/cgroup.subtree_control").Split(' ', '\n').Where(w => w.Length > 0).ToList();
        Assert.Contains("memory", enabled);
        Assert.Contains("pids", enabled);
        Assert.Equal(enabled.Count, enabled.Distinct().Count());   // enabling again adds nothing twice
    }

    [Fact]
    public void The_systemd_path_form_is_refused()
    {
        var e = Assert.Throws<RuntimeException>(() => Plan("system.slice:runc:c1", null));
        Assert.Contains("systemd's slice:prefix:name form", e.Message);
    }
}
