// OciResourcesHostTests: linux.resources and `update` through minirun-oci on a host without a
// usable cgroup v2 (this hybrid development machine): limits are refused in one line naming the
// field and the host, before anything exists (no state, no cgroup, no process); with
// --cgroup-manager disabled (podman --cgroups=disabled) they are not applied and the container
// runs; update is refused for a stopped container, one without a cgroup, and for flags cgroup v2
// lacks. The limits themselves are tested in the VM (CgroupV2/OciResourcesCgroupTests.cs).
using System.Text.Json.Nodes;
using MiniRun.Cgroups;
using MiniRun.Tests.Integration;

namespace MiniRun.Tests.Oci;

/// <summary>A [Fact] for hosts where cgroup v2 limits cannot be set (it skips on a pure cgroup v2 host such as the VM).</summary>
public sealed class NoCgroupV2LimitsFactAttribute : FactAttribute
{
    public NoCgroupV2LimitsFactAttribute()
    {
        if (CgroupV2Host.Detect().Has("memory"))
            Skip = "this host can set cgroup v2 limits; the refusal is for hosts that cannot (the VM runs OciResourcesCgroupTests)";
    }
}

public sealed class OciResourcesHostTests
{
    private static readonly CgroupV2Host Host = CgroupV2Host.Detect();

    private static void Limits(JsonObject c, string? cgroupsPath)
    {
        c["linux"]!["resources"] = JsonNode.Parse("""{"memory": {"limit": 33554432}, "pids": {"limit": 16}}""");
        if (cgroupsPath is null) c["linux"]!.AsObject().Remove("cgroupsPath");
        else c["linux"]!["cgroupsPath"] = cgroupsPath;
    }

    [NoCgroupV2LimitsFact]
    public void Limits_are_refused_in_one_line_and_nothing_is_left_behind()
    {
        using var b = new OciBundle("sleep", "30");
        string name = "minirun-test-" + Guid.NewGuid().ToString("N")[..8];
        foreach (var path in new[] { "/" + name + "/c1", null })
        {
            b.Edit(c => Limits(c, path));
            var r = b.Run("create", "--bundle", b.Dir, "--pid-file", Path.Combine(b.Dir, "pid"), "lim");
            Assert.Equal(1, r.Code);
            Assert.Equal($"minirun-oci: config.json: linux.resources.memory needs cgroup v2 with the memory controller; this host: {Host.Description}",
                r.Err.TrimEnd());
            Assert.Empty(Directory.Exists(b.StateRoot) ? Directory.GetDirectories(b.StateRoot) : []);
            Assert.False(File.Exists(Path.Combine(b.Dir, "pid")));   // no process was started
            if (Host.MountPoint is { } mount) Assert.False(Directory.Exists(Path.Combine(mount, name)), "a cgroup was left behind");
        }
    }

    [Fact]
    public void With_cgroups_disabled_the_container_runs_and_update_says_it_has_no_cgroup()
    {
        using var b = new OciBundle("sleep", "30");
        b.Edit(c => Limits(c, "/minirun-test-" + Guid.NewGuid().ToString("N")[..8] + "/c1"));
        var created = b.Run("--cgroup-manager", "disabled", "run", "-d", "--bundle", b.Dir, "nocg");
        Assert.True(created.Code == 0, created.Err);
        Assert.Equal("running", (string?)b.State("nocg")["status"]);
        var update = b.Run("update", "--memory", "64m", "nocg");
        Assert.Equal(1, update.Code);
        Assert.Contains("cannot update container \"nocg\": it has no cgroup", update.Err);
    }

    [Fact]
    public void Update_refuses_what_it_cannot_do_by_name()
    {
        using var b = new OciBundle("sleep", "30");
        b.Edit(c =>
        {
            c["linux"]!.AsObject().Remove("cgroupsPath");
            c["linux"]!.AsObject().Remove("resources");   // umoci's device rule alone would get the container a cgroup
        });
        Assert.Equal(0, b.Run("run", "-d", "--bundle", b.Dir, "u1").Code);
        foreach (var (flag, why) in new[] { ("--cpu-rt-period", "realtime"), ("--cpu-rt-runtime", "realtime"), ("--l3-cache-schema", "Intel RDT"),
                     ("--mem-bw-schema", "Intel RDT"), ("--kernel-memory", "kernel memory") })
        {
            var r = b.Run("update", flag, "1", "u1");
            Assert.Equal(1, r.Code);
            Assert.Contains($"update {flag} is not supported: ", r.Err);
            Assert.Contains(why, r.Err);
        }
        File.WriteAllText(Path.Combine(b.Dir, "res.json"), """{"memory": {"limit": 1048576}}""");
        var both = b.Run("update", "-r", Path.Combine(b.Dir, "res.json"), "--pids-limit", "3", "u1");
        Assert.Contains("--resources and --pids-limit together", both.Err);
        File.WriteAllText(Path.Combine(b.Dir, "rdma.json"), """{"rdma": {"mlx5_1": {"hcaHandles": 3}}}""");
        Assert.Contains("linux.resources.rdma is not supported by MiniRun", b.Run("update", "-r", Path.Combine(b.Dir, "rdma.json"), "u1").Err);
        Assert.Contains("invalid size \"lots\"", b.Run("update", "--memory", "lots", "u1").Err);
        Assert.Contains("it has no cgroup", b.Run("update", "--pids-limit", "5", "u1").Err);
        Assert.Equal(0, b.Run("kill", "u1", "KILL").Code);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((string?)b.State("u1")["status"] != "stopped" && DateTime.UtcNow < deadline) Thread.Sleep(20);
        var stopped = b.Run("update", "--pids-limit", "5", "u1");
        Assert.Equal(1, stopped.Code);
        Assert.Equal("minirun-oci: cannot update container \"u1\": it is stopped", stopped.Err.TrimEnd());
        Assert.Contains("does not exist", b.Run("update", "--pids-limit", "5", "nothing").Err);
    }

    [NoCgroupV2LimitsFact]
    public void Update_of_a_container_with_a_bare_cgroup_names_what_this_host_lacks()
    {
        Assert.NotNull(Host.MountPoint);   // the hybrid host still has a cgroup2 mount for a bare cgroupsPath
        using var b = new OciBundle("sleep", "30");
        string name = "minirun-test-" + Guid.NewGuid().ToString("N")[..8];
        b.Edit(c => c["linux"]!["cgroupsPath"] = "/" + name);
        try
        {
            Assert.Equal(0, b.Run("run", "-d", "--bundle", b.Dir, "bare").Code);
            var r = b.Run("update", "--memory", "64m", "bare");
            Assert.Equal(1, r.Code);
            Assert.Equal($"minirun-oci: update container \"bare\": linux.resources.memory needs cgroup v2 with the memory controller; this host: {Host.Description}",
                r.Err.TrimEnd());
            Assert.Equal(0, b.Run("delete", "--force", "bare").Code);
            Assert.False(Directory.Exists(Path.Combine(Host.MountPoint!, name)));
        }
        finally
        {
            b.Run("delete", "--force", "bare");
            if (Directory.Exists(Path.Combine(Host.MountPoint!, name))) Directory.Delete(Path.Combine(Host.MountPoint!, name));
        }
    }
}
