// CgroupVerbsHostTests: what stats, update and pause do on any host, with or without a usable
// cgroup v2: stats refuses with one line naming why instead of printing invented figures, update
// of a stopped container changes only its record, pause of a stopped container is Docker's
// "is not running" (docker-stats(1), docker-update(1), docker-pause(1)).
using MiniRun.Cgroups;
using MiniRun.Tests.Integration;

namespace MiniRun.Tests.CgroupV2;

public sealed class CgroupVerbsHostTests : IDisposable
{
    private readonly MiniRunHost _m = new();
    public void Dispose() => _m.Dispose();

    [Fact]
    public void Stats_without_a_usable_cgroup_v2_is_one_line_and_exit_1()
    {
        var host = CgroupV2Host.Detect();
        var r = _m.Run("stats", "--no-stream");
        if (host.Usable)
            Assert.Equal((0, "CONTAINER ID"), (r.ExitCode, r.Stdout.Split("   ")[0]));
        else
        {
            Assert.Equal(1, r.ExitCode);
            Assert.Single(r.Stderr.Trim().Split('\n'));
            Assert.Contains("stats needs cgroup v2", r.Stderr);
            Assert.Contains(host.Description, r.Stderr);
            Assert.Equal("", r.Stdout);
        }
    }

    [Fact]
    public void Update_of_a_stopped_container_changes_its_record_and_pause_says_not_running()
    {
        Assert.Equal(0, _m.Run("run", "--pull", "never", "--name", "done", "busybox", "true").ExitCode);
        var id = _m.Record("done").GetProperty("Id").GetString()!;

        var u = _m.Run("update", "--memory", "32m", "--pids-limit", "7", "done");
        Assert.Equal((0, "done", ""), (u.ExitCode, u.Stdout.Trim(), u.Stderr));
        var res = _m.Record("done").GetProperty("HostConfig").GetProperty("Resources");
        Assert.Equal(("32m", "7"), (res.GetProperty("Memory").GetString(), res.GetProperty("PidsLimit").GetString()));

        var none = _m.Run("update", "done");
        Assert.Equal(1, none.ExitCode);
        Assert.Contains("You must provide one or more flags when using this command.", none.Stderr);

        var bad = _m.Run("update", "--cpus", "0", "done");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("--cpus", bad.Stderr);

        var p = _m.Run("pause", "done");
        Assert.Equal((1, $"Error response from daemon: Container {id} is not running"), (p.ExitCode, p.Stderr.Trim()));
        var up = _m.Run("unpause", "done");
        Assert.Equal(1, up.ExitCode);
        Assert.Contains("is not running", up.Stderr);

        var missing = _m.Run("pause", "nosuch");
        Assert.Equal((1, "Error response from daemon: No such container: nosuch"), (missing.ExitCode, missing.Stderr.Trim()));
    }
}
