// VolumeOptionsIntegrationTests: `volume create -o type=... -o device=... -o o=...` with real
// containers (the real minirun binary, the busybox fixture, a temporary root per test): options
// shown by inspect, bad options refused, a tmpfs volume shared by two running containers and gone
// (content lost) when the last one ends, a bind-type volume showing a host directory (which
// `volume rm` leaves alone), and the repairs after a supervisor killed with SIGKILL (`rm -f`,
// `volume prune`, `boot`) and of a mount nobody uses (`volume rm`). Only tmpfs and bind types:
// no device or network filesystem is touched. Every test checks that nothing is mounted under its
// root afterwards; Dispose unmounts whatever a failed test left there (only below its own root).
//
// Follows: docker-volume-create(1) "Driver-specific options"; moby volume/local.
using System.Runtime.InteropServices;
using System.Text.Json;
using MiniRun.Tests.Integration;

namespace MiniRun.Tests.Volumes;

[Collection(MiniRun.Tests.Oci.OciEngineTests.HostMountTable)]
public sealed class VolumeOptionsIntegrationTests : IDisposable
{
    private readonly MiniRunHost _host = new();
    private readonly string _work = Directory.CreateTempSubdirectory("minirun-volopt-test-").FullName;

    public void Dispose()
    {
        try
        {
            foreach (var m in MountsUnder(_host.Root).OrderByDescending(m => m.Length)) umount2(m, 2 /*MNT_DETACH*/);
            _host.Dispose();
        }
        finally { Directory.Delete(_work, recursive: true); }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int umount2(string target, int flags);

    [DllImport("libc")]
    private static extern int kill(int pid, int sig);

    private static List<string> MountsUnder(string root) =>
        File.ReadAllLines("/proc/self/mountinfo").Select(l => MiniRun.Kernel.MountInfo.Unescape(l.Split(' ')[4]))
            .Where(m => m.StartsWith(root + "/", StringComparison.Ordinal)).ToList();

    private void NoMountsLeft() => Assert.Empty(MountsUnder(_host.Root));

    private RunResult Ok(params string[] args)
    {
        var r = _host.Run(args);
        Assert.True(r.ExitCode == 0, $"minirun {string.Join(' ', args)} -> {r.ExitCode}: {r.Stderr}");
        return r;
    }

    private RunResult Run(params string[] args) => Ok(["run", "--pull", "never", .. args]);

    private string Data(string name) => Path.Combine(_host.Root, "volumes", name, "_data");

    /// <summary>The fstype mountinfo shows on the volume's _data, or null.</summary>
    private string? FsTypeOn(string name) =>
        File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' '))
            .Where(f => MiniRun.Kernel.MountInfo.Unescape(f[4]) == Data(name))
            .Select(f => f[Array.IndexOf(f, "-") + 1]).LastOrDefault();

    private void TmpfsVolume(string name) =>
        Ok("volume", "create", "--driver", "local", "--opt", "type=tmpfs", "--opt", "device=tmpfs", "-o", "o=size=1m,uid=1000", name);

    /// <summary>Kills the supervisor (SIGKILL), then the container's first process, and waits until both are gone.</summary>
    private void KillSupervisorAndContainer(string name)
    {
        var state = _host.Record(name).GetProperty("State");
        foreach (var (p, t) in new[] { ("SupervisorPid", "SupervisorStartTime"), ("Pid", "PidStartTime") })
        {
            int pid = state.GetProperty(p).GetInt32();
            ulong start = state.GetProperty(t).GetUInt64();
            Assert.True(pid > 0 && MiniRun.Runtime.ProcessIdentity.IsAlive(pid, start), $"{p} {pid} is not alive");
            kill(pid, 9);
            Assert.True(MiniRun.Runtime.ProcessIdentity.WaitGone(pid, start, TimeSpan.FromSeconds(30)), $"{p} {pid} did not end");
        }
    }

    [Fact]
    public void Create_WithOptions_InspectShowsThem_NothingMountedYet()
    {
        TmpfsVolume("tv");
        var options = JsonDocument.Parse(Ok("volume", "inspect", "-f", "{{json .Options}}", "tv").Stdout).RootElement;
        Assert.Equal("tmpfs", options.GetProperty("type").GetString());
        Assert.Equal("tmpfs", options.GetProperty("device").GetString());
        Assert.Equal("size=1m,uid=1000", options.GetProperty("o").GetString());
        Assert.Null(FsTypeOn("tv"));
        NoMountsLeft();
    }

    [Fact]
    public void Create_BadOptions_RefusedWithDockersMessages()
    {
        var r = _host.Run("volume", "create", "-o", "foo=bar", "v1");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("Error response from daemon: create v1: invalid option: \"foo\"\n", r.Stderr);
        r = _host.Run("volume", "create", "-o", "type=tmpfs", "v2");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("Error response from daemon: create v2: missing required option: \"device\"\n", r.Stderr);
        Assert.Equal("", Ok("volume", "ls", "-q").Stdout);
        NoMountsLeft();
    }

    [Fact]
    public void Tmpfs_SharedByRunningContainers_LostWhenTheLastEnds()
    {
        TmpfsVolume("tv");
        Run("-d", "--name", "holder", "-v", "tv:/data", "busybox", "sleep", "1000");
        Assert.Equal("tmpfs", FsTypeOn("tv"));   // mounted on the host while a container uses it
        Run("--rm", "-v", "tv:/data", "busybox", "sh", "-c", "echo shared > /data/f");   // a second container, at the same time
        Assert.Equal("tmpfs", FsTypeOn("tv"));   // still held by the first
        Assert.Equal("shared\n", Ok("exec", "holder", "cat", "/data/f").Stdout);
        Assert.Equal("1000\n", Ok("exec", "holder", "stat", "-c", "%u", "/data").Stdout);   // o=uid=1000 reached tmpfs
        Ok("stop", "-t", "0", "holder");
        Assert.Null(FsTypeOn("tv"));
        NoMountsLeft();
        Assert.Equal("empty\n", Run("--rm", "-v", "tv:/data", "busybox", "sh", "-c", "ls -A /data | grep -q . || echo empty").Stdout);
        Ok("rm", "holder");
        Ok("volume", "rm", "tv");
        NoMountsLeft();
    }

    [Fact]
    public void Bind_ShowsTheHostDirectory_VolumeRmLeavesIt()
    {
        string host = Directory.CreateDirectory(Path.Combine(_work, "host")).FullName;
        File.WriteAllText(Path.Combine(host, "in"), "from-host\n");
        Ok("volume", "create", "--opt", "type=none", "--opt", "o=bind", "--opt", "device=" + host, "bv");
        var r = Run("--rm", "-v", "bv:/data", "busybox", "sh", "-c", "cat /data/in; echo from-container > /data/out");
        Assert.Equal("from-host\n", r.Stdout);
        Assert.Equal("from-container\n", File.ReadAllText(Path.Combine(host, "out")));
        NoMountsLeft();
        Ok("volume", "rm", "bv");
        Assert.Equal(["in", "out"], Directory.EnumerateFileSystemEntries(host).Select(p => Path.GetFileName(p)!).Order().ToArray());
        NoMountsLeft();
    }

    [Fact]
    public void MountFailure_NamesTheOperation()
    {
        Ok("volume", "create", "-o", "type=tmpfs", "-o", "device=tmpfs", "-o", "o=size=nonsense", "bad");
        var r = _host.Run("run", "--pull", "never", "--rm", "-v", "bad:/data", "busybox", "true");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains($"mount tmpfs on {Data("bad")}: Invalid argument (EINVAL)", r.Stderr);
        NoMountsLeft();
    }

    [Fact]
    public void KilledSupervisor_ThenRmF_LeavesNoMount()
    {
        TmpfsVolume("tv");
        Run("-d", "--name", "ka", "-v", "tv:/data", "busybox", "sleep", "1000");
        int supervisor = _host.Record("ka").GetProperty("State").GetProperty("SupervisorPid").GetInt32();
        ulong start = _host.Record("ka").GetProperty("State").GetProperty("SupervisorStartTime").GetUInt64();
        kill(supervisor, 9);
        Assert.True(MiniRun.Runtime.ProcessIdentity.WaitGone(supervisor, start, TimeSpan.FromSeconds(30)));
        Assert.Equal("tmpfs", FsTypeOn("tv"));   // nobody unmounted it
        Ok("rm", "-f", "ka");
        NoMountsLeft();
    }

    [Fact]
    public void KilledSupervisorAndContainer_ThenVolumePrune_LeavesNoMount()
    {
        TmpfsVolume("tv");
        Run("-d", "--name", "ka", "-v", "tv:/data", "busybox", "sleep", "1000");
        KillSupervisorAndContainer("ka");
        Assert.Equal("tmpfs", FsTypeOn("tv"));
        Ok("volume", "prune", "-f");   // the volume is still referenced (kept), its stale mount is not
        Assert.Equal("tv\n", Ok("volume", "ls", "-q").Stdout);
        NoMountsLeft();
    }

    [Fact]
    public void KilledSupervisorAndContainer_ThenBoot_LeavesNoMount()
    {
        TmpfsVolume("tv");
        Run("-d", "--name", "ka", "-v", "tv:/data", "busybox", "sleep", "1000");
        KillSupervisorAndContainer("ka");
        var boot = _host.Run("boot");
        Assert.True(boot.ExitCode == 0, boot.Stdout + boot.Stderr);
        NoMountsLeft();
    }

    [Fact]
    public void KilledSupervisorAndContainer_NextStartGetsAFreshFilesystem()
    {
        TmpfsVolume("tv");
        Run("-d", "--name", "ka", "-v", "tv:/data", "busybox", "sh", "-c", "echo old > /data/f; exec sleep 1000");
        Assert.Equal("old\n", Ok("exec", "ka", "cat", "/data/f").Stdout);
        KillSupervisorAndContainer("ka");
        Assert.Equal("none\n", Run("--rm", "-v", "tv:/data", "busybox", "sh", "-c", "cat /data/f 2>/dev/null || echo none").Stdout);
        NoMountsLeft();
    }

    [Fact]
    public void VolumeRm_MountedButUnused_UnmountsAndRemoves()
    {
        TmpfsVolume("tv");
        var volume = new MiniRun.Volumes.VolumeStore(_host.Root).Find("tv")!;
        MiniRun.Volumes.VolumeMounts.Mount(volume);   // as a crash between mount and record would leave it
        Assert.Equal("tmpfs", FsTypeOn("tv"));
        Assert.Equal("tv\n", Ok("volume", "rm", "tv").Stdout);
        Assert.False(Directory.Exists(Path.Combine(_host.Root, "volumes", "tv")));
        NoMountsLeft();
    }
}
