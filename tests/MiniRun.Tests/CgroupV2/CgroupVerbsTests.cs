// CgroupVerbsTests: stats, update, pause/unpause and the OOM facts against a real cgroup v2 (the
// test VM): stats figures agree with the cgroup files, a frozen container's counter stops and
// resumes, update rewrites memory.max and pids.max of a running container, and an OOM kill shows
// in memory.events oom_kill with memory.oom.group=1 (cgroup-v2.rst; docker-stats(1),
// docker-update(1), docker-pause(1)). Each test removes its containers and cgroups, also on failure.
using System.Diagnostics;
using MiniRun.Cgroups;
using MiniRun.Containers;
using MiniRun.Tests.Integration;

namespace MiniRun.Tests.CgroupV2;

public sealed class CgroupVerbsTests : IDisposable
{
    private readonly MiniRunHost _m = new();
    private readonly List<Process> _runs = new();
    private readonly CgroupV2Host _host = CgroupV2Host.Detect();

    public void Dispose()
    {
        foreach (var c in Records())
            if (c.State.CgroupPath is { } rel && _host.MountPoint is { } mp)
                try { File.WriteAllText(Path.Combine(mp, rel, "cgroup.freeze"), "0"); } catch (IOException) { }
        _m.Dispose();   // kills the recorded container processes, removes the root
        foreach (var p in _runs)
        {
            if (!p.WaitForExit(TimeSpan.FromSeconds(20))) { p.Kill(entireProcessTree: true); p.WaitForExit(); }
            p.Dispose();
        }
    }

    private IEnumerable<ContainerRecord> Records()
    {
        var dir = Path.Combine(_m.Root, "containers");
        if (!Directory.Exists(dir)) yield break;
        foreach (var d in Directory.EnumerateDirectories(dir))
        {
            var path = Path.Combine(d, "container.json");
            ContainerRecord? r = null;
            try { if (File.Exists(path)) r = ContainerRecord.Load(path); }
            catch (Exception e) when (e is IOException or System.Text.Json.JsonException or InvalidDataException) { }
            if (r is not null) yield return r;
        }
    }

    /// <summary>Starts `minirun run` in the background and waits until its record says running.</summary>
    private ContainerRecord Start(string name, params string[] args)
    {
        _runs.Add(_m.Start(["run", "--pull", "never", "--name", name, .. args]));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            if (Records().FirstOrDefault(r => r.Name == name) is { State.Status: ContainerStatus.Running, State.CgroupPath: not null } c)
                return c;
            if (_runs[^1].HasExited)
                throw new InvalidOperationException($"run {name} ended early: {_runs[^1].StandardError.ReadToEnd()}");
            Thread.Sleep(100);
        }
        throw new TimeoutException($"container {name} did not reach running");
    }

    private string CgroupFile(ContainerRecord c, string file) =>
        File.ReadAllText(Path.Combine(_host.MountPoint!, c.State.CgroupPath!, file)).Trim();

    private string UpperFile(ContainerRecord c, string file) =>
        File.Exists(Path.Combine(_m.Root, "containers", c.Id, "upper", file))
            ? File.ReadAllText(Path.Combine(_m.Root, "containers", c.Id, "upper", file)).Trim() : "";

    [CgroupV2Fact("memory", "pids", "cpu")]
    public void Stats_figures_agree_with_the_cgroup_files()
    {
        var c = Start("st", "-m", "64m", "--pids-limit", "10", "busybox", "sleep", "60");
        var r = _m.Run("stats", "--no-stream", "st");
        Assert.Equal(0, r.ExitCode);
        var lines = r.Stdout.Trim().Split('\n');
        Assert.StartsWith("CONTAINER ID", lines[0]);
        var cols = System.Text.RegularExpressions.Regex.Split(lines[1].Trim(), " {3,}");
        Assert.Equal(c.Id[..12], cols[0]);
        Assert.Equal("st", cols[1]);
        Assert.EndsWith("%", cols[2]);
        Assert.EndsWith(" / 64MiB", cols[3]);                                 // memory.max 67108864
        Assert.Equal("67108864", CgroupFile(c, "memory.max"));
        Assert.Equal(CgroupFile(c, "pids.current"), cols[7]);                 // one sleep
        Assert.Equal("0B / 0B", cols[5]);                                     // only lo in its network namespace
        // MEM USAGE is memory.current minus inactive_file: never above memory.current.
        var now = CgroupStats.ReadFrom(Path.Combine(_host.MountPoint!, c.State.CgroupPath!));
        Assert.True(StatsFigures.MemoryUsage(now) <= now.MemoryCurrent);

        var all = _m.Run("stats", "--no-stream");
        Assert.Contains("st", all.Stdout);
    }

    [CgroupV2Fact("cpu")]
    public void A_busy_container_shows_cpu_use()
    {
        Start("busy", "busybox", "sh", "-c", "while :; do :; done");
        var r = _m.Run("stats", "--no-stream", "busy");
        Assert.Equal(0, r.ExitCode);
        var cols = System.Text.RegularExpressions.Regex.Split(r.Stdout.Trim().Split('\n')[1].Trim(), " {3,}");
        Assert.True(double.Parse(cols[2].TrimEnd('%'), System.Globalization.CultureInfo.InvariantCulture) > 0, r.Stdout);
    }

    [CgroupV2Fact]
    public void Pause_freezes_and_unpause_thaws()
    {
        var c = Start("pz", "busybox", "sh", "-c", "i=0; while :; do i=$((i+1)); echo $i > /count; usleep 20000; done");
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (UpperFile(c, "count") is "" or "1" && DateTime.UtcNow < until) Thread.Sleep(100);

        var p = _m.Run("pause", "pz");
        Assert.Equal((0, "pz"), (p.ExitCode, p.Stdout.Trim()));
        Assert.Contains("frozen 1", CgroupFile(c, "cgroup.events"));
        Assert.Equal(ContainerStatus.Paused, Records().Single(r => r.Name == "pz").State.Status);
        var frozenAt = UpperFile(c, "count");
        Thread.Sleep(1500);
        Assert.Equal(frozenAt, UpperFile(c, "count"));                        // the loop does not advance

        var again = _m.Run("pause", "pz");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains($"Container {c.Id} is already paused", again.Stderr);

        var u = _m.Run("unpause", "pz");
        Assert.Equal((0, "pz"), (u.ExitCode, u.Stdout.Trim()));
        Assert.Contains("frozen 0", CgroupFile(c, "cgroup.events"));
        Assert.Equal(ContainerStatus.Running, Records().Single(r => r.Name == "pz").State.Status);
        until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (UpperFile(c, "count") == frozenAt && DateTime.UtcNow < until) Thread.Sleep(100);
        Assert.NotEqual(frozenAt, UpperFile(c, "count"));                     // it counts again

        var notPaused = _m.Run("unpause", "pz");
        Assert.Equal(1, notPaused.ExitCode);
        Assert.Contains($"Container {c.Id} is not paused", notPaused.Stderr);
    }

    [CgroupV2Fact("memory", "pids")]
    public void Update_rewrites_the_limits_of_a_running_container()
    {
        var c = Start("up", "-m", "64m", "--pids-limit", "10", "busybox", "sleep", "60");
        var r = _m.Run("update", "--memory", "128m", "--memory-swap", "-1", "--pids-limit", "20", "up");
        Assert.Equal((0, "up", ""), (r.ExitCode, r.Stdout.Trim(), r.Stderr));
        Assert.Equal("134217728", CgroupFile(c, "memory.max"));
        Assert.Equal("max", CgroupFile(c, "memory.swap.max"));
        Assert.Equal("20", CgroupFile(c, "pids.max"));
        Assert.Equal("1", CgroupFile(c, "memory.oom.group"));
        var rec = Records().Single(x => x.Name == "up");
        Assert.Equal(("128m", "20"), (rec.HostConfig.Resources.Memory, rec.HostConfig.Resources.PidsLimit));

        var bad = _m.Run("update", "--memory", "1k", "up");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("--memory", bad.Stderr);
        Assert.Equal("134217728", CgroupFile(c, "memory.max"));              // nothing written
    }

    [CgroupV2Fact("memory")]
    public void An_oom_kill_shows_in_memory_events_and_takes_the_whole_group()
    {
        // The supervisor's view: a cgroup with --memory 16m (Apply also writes memory.oom.group=1),
        // two processes in it, one of them allocating 64 MB: both die, oom_kill counts it.
        var cg = Cgroup.Create(_host.MountPoint!, "test-oom-" + Guid.NewGuid().ToString("N")[..12], ["memory"]);
        try
        {
            cg.Apply(new ResourceLimits { MemoryMax = 16L << 20, SwapMax = 0 });
            Assert.Equal("1", File.ReadAllText(Path.Combine(cg.Path, "memory.oom.group")).Trim());
            var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardError = true };
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add($"echo $$ > {cg.Path}/cgroup.procs || exit 3; sleep 60 & head -c 67108864 /dev/zero | tail > /dev/null");
            using var p = Process.Start(psi)!;
            if (!p.WaitForExit(TimeSpan.FromSeconds(120))) { cg.Kill(); p.WaitForExit(); }
            Assert.True(CgroupEvents.OomKills(cg.Path) > 0, File.ReadAllText(Path.Combine(cg.Path, "memory.events")));
            Assert.True(CgroupEvents.WasOomKilled(cg.Path));
            Assert.Equal(137, p.ExitCode);
        }
        finally
        {
            cg.Kill();
            cg.Remove(TimeSpan.FromSeconds(10));
        }
    }

    [CgroupV2Fact("memory")]
    public void A_memory_hog_is_oom_killed_and_the_record_says_so()
    {
        // The supervisor reads memory.events oom_kill when PID 1 ends: OOMKilled true, exit 137,
        // in inspect and in ps (Docker's "Exited (137)").
        var r = _m.Run("run", "-d", "--pull", "never", "--name", "hog", "--memory", "16m", "--memory-swap", "16m",
            "busybox", "sh", "-c", "a=xxxxxxxxxxxxxxxx; while :; do a=$a$a; done");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var limit = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (_m.Record("hog").GetProperty("State").GetProperty("Status").GetString() != "exited")
        {
            if (DateTime.UtcNow > limit) throw new TimeoutException("waiting for the memory hog to be killed");
            Thread.Sleep(100);
        }
        var state = _m.Record("hog").GetProperty("State");
        Assert.True(state.GetProperty("OOMKilled").GetBoolean());
        Assert.Equal(137, state.GetProperty("ExitCode").GetInt32());
        Assert.Equal("true 137\n", _m.Run("inspect", "-f", "{{.State.OOMKilled}} {{.State.ExitCode}}", "hog").Stdout);
        Assert.Contains("Exited (137)", _m.Run("ps", "-a").Stdout);
        Assert.Equal(0, _m.Run("rm", "hog").ExitCode);
    }
}
