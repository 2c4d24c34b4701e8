// OciResourcesCgroupTests: config.json's linux.resources and `minirun-oci update` against a real
// cgroup v2 (the test VM; they skip elsewhere, saying why), on a bundle made by umoci as an engine
// hands it over: create writes the memory, swap, pids and cpu limits into the cgroup named by
// linux.cgroupsPath before the program runs (--trace narrates the writes); update changes them and
// a later update merges over the earlier one; a memory hog is OOM-killed under its limit; delete
// removes the container's cgroup. Each test removes its containers and its parent cgroup, also on failure.
//
// Follows: runtime-spec config-linux.md "Control groups"; runc-update(8);
// Documentation/admin-guide/cgroup-v2.rst (memory.max, memory.swap.max, pids.max, cpu.max, memory.high).
using System.Text.Json.Nodes;
using MiniRun.Cgroups;
using MiniRun.Tests.Oci;

namespace MiniRun.Tests.CgroupV2;

public sealed class OciResourcesCgroupTests : IDisposable
{
    private readonly CgroupV2Host _host = CgroupV2Host.Detect();
    private readonly string _parent = "minirun-test-" + Guid.NewGuid().ToString("N")[..8];
    private readonly List<OciBundle> _bundles = new();

    public void Dispose()
    {
        foreach (var b in _bundles) b.Dispose();   // delete --force of every container: processes and their cgroups
        if (_host.MountPoint is { } mount && Directory.Exists(Path.Combine(mount, _parent)))
            Directory.Delete(Path.Combine(mount, _parent));   // rmdir: only the (now empty) parent this test made
    }

    private OciBundle Bundle(string resources, params string[] args)
    {
        var b = new OciBundle(args);
        _bundles.Add(b);
        b.Edit(c =>
        {
            c["linux"]!["cgroupsPath"] = $"/{_parent}/{Guid.NewGuid().ToString("N")[..8]}";
            c["linux"]!["resources"] = JsonNode.Parse(resources);
        });
        return b;
    }

    private string CgroupOf(OciBundle b) =>
        Path.Combine(_host.MountPoint!, ((string)JsonNode.Parse(File.ReadAllText(Path.Combine(b.Dir, "config.json")))!["linux"]!["cgroupsPath"]!).Trim('/'));

    private static string Read(string cgroup, string file) => File.ReadAllText(Path.Combine(cgroup, file)).Trim();

    [CgroupV2Fact("memory", "pids", "cpu")]
    public void Create_writes_the_limits_update_changes_and_merges_them_and_delete_removes_the_cgroup()
    {
        var b = Bundle("""
            {"devices": [{"allow": false, "access": "rwm"}],
             "memory": {"limit": 33554432, "swap": 33554432}, "pids": {"limit": 16}, "cpu": {"quota": 20000, "period": 100000}}
            """, "sleep", "60");
        string cgroup = CgroupOf(b);
        var created = b.Run("--trace", "create", "--bundle", b.Dir, "lim");
        Assert.True(created.Code == 0, created.Err);
        Assert.Contains($"write {cgroup}/memory.max = 33554432", created.Err);   // --trace narrates each write
        int pid = (int)b.State("lim")["pid"]!;
        Assert.Contains(pid.ToString(), Read(cgroup, "cgroup.procs").Split('\n'));   // in the cgroup before start
        Assert.Equal("33554432", Read(cgroup, "memory.max"));
        Assert.Equal("0", Read(cgroup, "memory.swap.max"));   // memory + swap = memory: no swap
        Assert.Equal("16", Read(cgroup, "pids.max"));
        Assert.Equal("20000 100000", Read(cgroup, "cpu.max"));
        Assert.Equal("1", Read(cgroup, "memory.oom.group"));
        Assert.Equal(0, b.Run("start", "lim").Code);
        string Events() => $"memory.events: {Read(cgroup, "memory.events").Replace('\n', ' ')}; pids.events: {Read(cgroup, "pids.events")}; " +
                           $"state: {b.State("lim")["status"]}";
        Assert.True((string?)b.State("lim")["status"] == "running", Events());

        var updated = b.Run("update", "--memory", "64m", "--memory-swap", "128m", "--pids-limit", "32", "--cpu-quota", "50000", "--cpu-share", "1024", "lim");
        Assert.True(updated.Code == 0, updated.Err + Events());
        Assert.Equal("67108864", Read(cgroup, "memory.max"));
        Assert.Equal("67108864", Read(cgroup, "memory.swap.max"));   // 128m - 64m
        Assert.Equal("32", Read(cgroup, "pids.max"));
        Assert.Equal("50000 100000", Read(cgroup, "cpu.max"));
        Assert.Equal("39", Read(cgroup, "cpu.weight"));

        File.WriteAllText(Path.Combine(b.Dir, "res.json"), """{"pids": {"limit": 8}, "unified": {"memory.high": "50331648"}}""");
        var fromFile = b.Run("update", "--resources", Path.Combine(b.Dir, "res.json"), "lim");
        Assert.True(fromFile.Code == 0, fromFile.Err);
        Assert.Equal("8", Read(cgroup, "pids.max"));
        Assert.Equal("50331648", Read(cgroup, "memory.high"));
        Assert.Equal("67108864", Read(cgroup, "memory.max"));        // kept from the first update: merged, not replaced
        Assert.Equal("50000 100000", Read(cgroup, "cpu.max"));

        var tooSmall = b.Run("update", "--memory", "256m", "lim");   // the current memory+swap (128m) is now below the limit
        Assert.Equal(1, tooSmall.Code);
        Assert.Contains("linux.resources.memory.swap 134217728 is less than memory.limit 268435456", tooSmall.Err);
        Assert.Equal("67108864", Read(cgroup, "memory.max"));        // nothing written

        Assert.Equal(0, b.Run("delete", "--force", "lim").Code);
        Assert.False(Directory.Exists(cgroup), $"{cgroup} is left behind");
    }

    [CgroupV2Fact("memory")]
    public void A_memory_hog_is_oom_killed_under_its_limit()
    {
        var b = Bundle("""{"memory": {"limit": 16777216, "swap": 16777216}}""",
            "sh", "-c", "a=xxxxxxxxxxxxxxxx; while :; do a=$a$a; done");
        string cgroup = CgroupOf(b);
        var run = b.Run("run", "--bundle", b.Dir, "hog");   // waits; the kernel's OOM killer ends it
        Assert.Equal(137, run.Code);                          // 128 + SIGKILL
        Assert.False(Directory.Exists(cgroup), $"{cgroup} is left behind");   // run deleted the container
    }

    [CgroupV2Fact("memory")]
    public void Update_with_check_before_update_refuses_a_limit_below_the_current_usage()
    {
        var b = Bundle("""{"memory": {"limit": 67108864, "checkBeforeUpdate": true}}""",
            "sh", "-c", "head -c 8388608 /dev/zero > /dev/shm/held && echo held > /held; sleep 60");   // tmpfs pages count in memory.current
        string cgroup = CgroupOf(b);
        Assert.Equal(0, b.Run("run", "-d", "--bundle", b.Dir, "chk").Code);
        b.WaitForFile("held");
        long current = long.Parse(Read(cgroup, "memory.current"));
        var r = b.Run("update", "--memory", "1m", "chk");
        Assert.Equal(1, r.Code);
        Assert.Contains("is below what the container uses now", r.Err);
        Assert.True(current > 1 << 20, $"memory.current {current}");
        Assert.Equal("67108864", Read(cgroup, "memory.max"));
        Assert.Equal("running", (string?)b.State("chk")["status"]);
    }
}
