// CgroupV2HostTests: deciding from /proc/self/mountinfo (proc(5)) and cgroup.controllers whether
// the host can take limits: pure v2, hybrid like the development machine, v1 only, none.
using MiniRun.Cgroups;

namespace MiniRun.Tests.Cgroups;

public sealed class CgroupV2HostTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("minirun-cghost-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Mount(string name, string controllers)
    {
        var p = Path.Combine(_dir, name);
        Directory.CreateDirectory(p);
        File.WriteAllText(Path.Combine(p, "cgroup.controllers"), controllers + "\n");
        return p;
    }

    private CgroupV2Host DetectWith(string mountInfo, string root)
    {
        var proc = Path.Combine(_dir, "proc");
        Directory.CreateDirectory(Path.Combine(proc, "self"));
        File.WriteAllText(Path.Combine(proc, "self", "mountinfo"), mountInfo);
        return CgroupV2Host.Detect(root, proc);
    }

    [Fact]
    public void Pure_v2()
    {
        var root = Mount("cg", "cpuset cpu io memory hugetlb pids rdma misc");
        var host = DetectWith(
            "22 28 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n" +
            $"26 21 0:24 / {root} rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n", root);
        Assert.Equal(CgroupLayout.Unified, host.Layout);
        Assert.True(host.Usable);
        Assert.True(host.Has("memory"));
        Assert.Null(host.MissingFor(new ResourceLimits { MemoryMax = 1 << 30, PidsMax = 10, CpuWeight = 39 }));
        Assert.Equal($"cgroup v2 at {root} with controllers: cpuset cpu io memory hugetlb pids rdma misc", host.Description);
    }

    [Fact]
    public void Pure_v2_without_a_controller()
    {
        var root = Mount("cg", "cpu memory pids");
        var host = DetectWith($"26 21 0:24 / {root} rw - cgroup2 cgroup2 rw\n", root);
        Assert.True(host.Usable);
        Assert.Equal($"--cpuset-cpus/--cpuset-mems needs cgroup v2 with the cpuset controller; this host: cgroup v2 at {root} with controllers: cpu memory pids",
            host.MissingFor(new ResourceLimits { MemoryMax = 1 << 30, CpusetCpus = "0" }));
        Assert.Null(host.Missing("--memory", "memory"));
    }

    [Fact]
    public void Hybrid_like_this_machine()
    {
        var root = Path.Combine(_dir, "fs");
        Directory.CreateDirectory(root);
        var unified = Mount("fs/unified", "hugetlb");
        var host = DetectWith(
            $"31 23 0:28 / {root} rw,relatime - tmpfs tmpfs rw,mode=755\n" +
            $"32 31 0:29 / {root}/cpu rw,relatime - cgroup cgroup rw,cpu\n" +
            $"35 31 0:32 / {root}/memory rw,relatime - cgroup cgroup rw,memory\n" +
            $"39 31 0:36 / {root}/pids rw,relatime - cgroup cgroup rw,pids\n" +
            $"40 31 0:37 / {root}/systemd rw,relatime - cgroup cgroup rw,name=systemd\n" +
            $"41 31 0:38 / {unified} rw,relatime - cgroup2 cgroup2 rw\n", root);
        Assert.Equal(CgroupLayout.Hybrid, host.Layout);
        Assert.False(host.Usable);
        Assert.Equal(unified, host.MountPoint);
        Assert.Equal(["hugetlb"], host.Controllers);
        Assert.Equal(["cpu", "memory", "pids"], host.V1Controllers);
        Assert.Equal($"--memory/--memory-reservation/--memory-swap needs cgroup v2 with the memory controller; this host: " +
            $"hybrid cgroup layout: cgroup v1 controllers (cpu memory pids) under {root}, cgroup v2 at {unified} with controllers: hugetlb",
            host.MissingFor(new ResourceLimits { MemoryMax = 1 << 30 }));
    }

    [Fact]
    public void V1_only_and_nothing()
    {
        var v1 = DetectWith("32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n", "/sys/fs/cgroup");
        Assert.Equal(CgroupLayout.V1Only, v1.Layout);
        Assert.False(v1.Usable);
        Assert.Equal("--pids-limit needs cgroup v2 with the pids controller; this host: cgroup v1 only (cpu cpuacct); no cgroup2 filesystem is mounted",
            v1.Missing("--pids-limit", "pids"));
        var none = DetectWith("22 28 0:21 / /proc rw - proc proc rw\n", "/sys/fs/cgroup");
        Assert.Equal(CgroupLayout.None, none.Layout);
        Assert.Equal("no cgroup filesystem is mounted", none.Description);
    }

    [Fact]
    public void Escaped_mount_point()
    {
        var root = Mount("c g", "memory");
        var host = DetectWith($"26 21 0:24 / {root.Replace(" ", "\\040")} rw - cgroup2 cgroup2 rw\n", root);
        Assert.True(host.Has("memory"));
    }

    // Read-only look at the real machine: the development machine (hybrid) must not be usable
    // for limits; on a pure cgroup v2 host (the test VM) Detect must agree with cgroup.controllers.
    [Fact]
    public void This_machine_read_only()
    {
        var host = CgroupV2Host.Detect();
        if (Directory.Exists("/sys/fs/cgroup/unified"))
        {
            Assert.Equal(CgroupLayout.Hybrid, host.Layout);
            Assert.False(host.Usable);
            Assert.NotNull(host.MissingFor(new ResourceLimits { MemoryMax = 1 << 30 }));
        }
        else if (File.Exists("/sys/fs/cgroup/cgroup.controllers"))
        {
            Assert.Equal(CgroupLayout.Unified, host.Layout);
            Assert.Equal(File.ReadAllText("/sys/fs/cgroup/cgroup.controllers").Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries), host.Controllers);
        }
    }
}
