// CgroupLimitTests: the limits of `run` enforced by a real cgroup v2 kernel (they skip elsewhere,
// saying why): a pids limit makes fork fail with EAGAIN while the container survives; cpu.max
// throttles a busy loop; a cpuset pins the container (its affinity inside); no cgroup is left
// behind when the container is removed, nor by a run that fails after its early clone (init was
// born in the cgroup made for it before the bundle); Docker's smallest memory limit (6 MiB) still
// starts a container although init is charged to its cgroup from birth.
//
// Follows: Documentation/admin-guide/cgroup-v2.rst (pids.max, cpu.max and cpu.stat, cpuset.cpus);
// docker-run(1) --pids-limit, --cpus, --cpuset-cpus.
using MiniRun.Cgroups;
using MiniRun.Tests.Integration;
using Xunit;

namespace MiniRun.Tests.CgroupV2;

public sealed class CgroupLimitTests : IDisposable
{
    private readonly MiniRunHost _m = new();
    private readonly CgroupV2Host _host = CgroupV2Host.Detect();

    public void Dispose() => _m.Dispose();   // rm -f of every container: processes and cgroups

    private static Dictionary<string, long> Stat(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
        .Select(l => l.Split(' ')).ToDictionary(p => p[0], p => long.Parse(p[1]));

    [CgroupV2Fact("pids")]
    public void A_pids_limit_makes_fork_fail_with_EAGAIN_and_the_container_survives()
    {
        var r = _m.Run("run", "--rm", "--pull", "never", "--pids-limit", "4", "busybox", "sh", "-c",
            "(for i in 1 2 3 4 5 6 7 8; do sleep 30 & done); echo survived");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("survived\n", r.Stdout);
        Assert.Contains("Resource temporarily unavailable", r.Stderr);   // EAGAIN from fork
    }

    [CgroupV2Fact("cpu")]
    public void Cpu_max_throttles_a_busy_loop_to_its_quota()
    {
        var run = _m.Run("run", "-d", "--pull", "never", "--name", "busy", "--cpus", "0.2", "busybox", "sh", "-c", "while :; do :; done");
        Assert.True(run.ExitCode == 0, run.Stderr);
        string cgroup = Path.Combine(_host.MountPoint!, _m.Record("busy").GetProperty("State").GetProperty("CgroupPath").GetString()!);
        Assert.Equal("20000 100000", File.ReadAllText(Path.Combine(cgroup, "cpu.max")).Trim());
        var before = Stat(File.ReadAllText(Path.Combine(cgroup, "cpu.stat")));
        // Wait until the kernel has enforced the quota a number of periods (counted, not timed).
        Dictionary<string, long> after;
        var limit = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        do
        {
            Thread.Sleep(200);
            after = Stat(File.ReadAllText(Path.Combine(cgroup, "cpu.stat")));
        } while (after["nr_periods"] - before["nr_periods"] < 20 && DateTime.UtcNow < limit);
        long periods = after["nr_periods"] - before["nr_periods"];
        Assert.True(periods >= 20, $"only {periods} periods");
        Assert.True(after["nr_throttled"] > before["nr_throttled"], "the busy loop was never throttled");
        // Usage per period stays within the 20 ms quota (plus one period of slack for the edges).
        long usage = after["usage_usec"] - before["usage_usec"];
        Assert.True(usage <= (periods + 1) * 20_000, $"{usage} us of CPU in {periods} periods of 100 ms exceeds the 20 ms quota");
        Assert.Equal(0, _m.Run("rm", "-f", "busy").ExitCode);
        Assert.False(Directory.Exists(cgroup), $"{cgroup} is left behind");
    }

    [CgroupV2Fact("cpuset")]
    public void Cpuset_pins_the_container()
    {
        var r = _m.Run("run", "--rm", "--pull", "never", "--cpuset-cpus", "0", "busybox", "grep", "Cpus_allowed_list", "/proc/self/status");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("Cpus_allowed_list:\t0", r.Stdout.Trim());
    }

    [CgroupV2Fact("memory")]
    public void No_cgroup_is_left_behind_after_run_rm_and_rm()
    {
        // A parent of this test's own: other tests create and remove containers at the same time.
        string parentName = "minirun-test-" + Guid.NewGuid().ToString("N")[..8];
        string parent = Path.Combine(_host.MountPoint!, parentName);
        try
        {
            Assert.Equal(0, _m.Run("run", "--rm", "--pull", "never", "--cgroup-parent", parentName, "-m", "32m", "busybox", "true").ExitCode);
            var kept = _m.Run("run", "--pull", "never", "--name", "kept", "--cgroup-parent", parentName, "-m", "32m", "busybox", "true");
            Assert.True(kept.ExitCode == 0, kept.Stderr);
            Assert.True(Directory.Exists(parent), $"{parent} was never made");
            Assert.Equal(0, _m.Run("rm", "kept").ExitCode);
            Assert.Empty(Directory.GetDirectories(parent));
        }
        finally
        {
            if (Directory.Exists(parent)) Directory.Delete(parent);   // rmdir: only the (empty) parent this test made
        }
    }

    [CgroupV2Fact("memory")]
    public void A_run_that_fails_after_its_early_clone_leaves_no_cgroup()
    {
        string parentName = "minirun-test-" + Guid.NewGuid().ToString("N")[..8];
        string parent = Path.Combine(_host.MountPoint!, parentName);
        try
        {
            // The cgroup is made and init born in it before the image is looked up; the image is missing.
            var r = _m.Run("run", "--rm", "--pull", "never", "--cgroup-parent", parentName, "no-such-image-here", "true");
            Assert.Equal(125, r.ExitCode);
            Assert.True(Directory.Exists(parent), $"{parent} was never made: the early clone had no cgroup");
            Assert.Empty(Directory.GetDirectories(parent));
        }
        finally
        {
            if (Directory.Exists(parent)) Directory.Delete(parent);
        }
    }

    [CgroupV2Fact("memory")]
    public void Docker_s_smallest_memory_limit_still_starts_a_container()
    {
        // init (a .NET process) is charged to the container's cgroup from its birth, before memory.max is written
        var r = _m.Run("run", "--rm", "--pull", "never", "-m", "6m", "busybox", "cat", "/sys/fs/cgroup/memory.max");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("6291456", r.Stdout.Trim());
    }
}
