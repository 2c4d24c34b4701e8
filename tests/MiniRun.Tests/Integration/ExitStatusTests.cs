// ExitStatusTests: Docker's exit status contract (the command's own code, 125 for MiniRun's
// errors, 126 not executable, 127 not found, 128+N killed by signal N), signal forwarding,
// terminals, and bad input answered with one line and nothing left behind.
using System.Diagnostics;

namespace MiniRun.Tests.Integration;

public sealed class ExitStatusTests : IClassFixture<ContainerFactsTests.Host>
{
    private readonly MiniRunHost _m;
    public ExitStatusTests(ContainerFactsTests.Host host) => _m = host.MiniRun;

    [Theory]
    [InlineData("exit 0", 0)]
    [InlineData("exit 3", 3)]
    [InlineData("exit 255", 255)]
    public void CommandsOwnExitCode(string script, int expected) =>
        Assert.Equal(expected, _m.Run("run", "--rm", "busybox", "sh", "-c", script).ExitCode);

    [Fact]
    public void CommandNotFoundIs127()
    {
        var r = _m.Run("run", "--rm", "busybox", "no-such-command");
        Assert.Equal(127, r.ExitCode);
        // Docker's dressing of run's failures (its message names containerd and runc first)
        Assert.Equal("minirun: Error response from daemon: exec: \"no-such-command\": executable file not found in $PATH.\nSee 'minirun run --help'.\n", r.Stderr);
    }

    [Fact]
    public void AbsentPathIs127() => Assert.Equal(127, _m.Run("run", "--rm", "busybox", "/nope/x").ExitCode);

    [Fact]
    public void NotExecutableIs126()
    {
        var r = _m.Run("run", "--rm", "busybox", "/etc/passwd");
        Assert.Equal(126, r.ExitCode);
        Assert.Contains("permission denied", r.Stderr);
    }

    [Fact]
    public void MissingImageWithPullNeverIs125InRunsDressing()
    {
        // --pull never: no registry is asked (tests never leave loopback).
        var r = _m.Run("run", "--rm", "--pull", "never", "no-such-image", "true");
        Assert.Equal(125, r.ExitCode);
        Assert.Equal("minirun: Error response from daemon: No such image: no-such-image:latest.\nSee 'minirun run --help'.\n", r.Stderr);
    }

    [Fact]
    public void UnreachableRegistryIs125AfterSayingTheImageIsMissing()
    {
        // Nothing listens on 127.0.0.1:9: the pull fails fast, and run reports it as Docker does.
        var r = _m.Run("run", "--rm", "127.0.0.1:9/no-such-image", "true");
        Assert.Equal(125, r.ExitCode);
        Assert.StartsWith("Unable to find image '127.0.0.1:9/no-such-image:latest' locally", r.Stderr);
        Assert.Contains("127.0.0.1:9", r.Stderr.Split('\n')[1]);
    }

    [Fact]
    public void ResourceLimitWithoutUsableCgroupV2Is125AndCreatesNothing()
    {
        // Skip-free: on a pure cgroup v2 host (the test VM) the limit works and the container runs;
        // on a host without it (hybrid, like the development machine) it fails before anything exists.
        var host = MiniRun.Cgroups.CgroupV2Host.Detect();
        int Containers() => Directory.Exists(Path.Combine(_m.Root, "containers"))
            ? Directory.EnumerateDirectories(Path.Combine(_m.Root, "containers")).Count(d => !Path.GetFileName(d).StartsWith('.')) : 0;
        int before = Containers();
        var r = _m.Run("run", "--rm", "--memory", "64m", "busybox", "cat", "/sys/fs/cgroup/memory.max");
        if (host.Has("memory"))
        {
            Assert.Equal(0, r.ExitCode);
            Assert.Equal("67108864", r.Stdout.Trim());
        }
        else
        {
            Assert.Equal(125, r.ExitCode);
            var lines = r.Stderr.Trim().Split('\n');   // one error, then Docker's "See 'minirun run --help'."
            Assert.Equal(2, lines.Length);
            Assert.Contains("memory controller", lines[0]);
            Assert.Equal("See 'minirun run --help'.", lines[1]);
        }
        Assert.Equal(before, Containers());
    }

    [Fact]
    public void InvalidResourceValueIs125NamingTheFlag()
    {
        var r = _m.Run("run", "--rm", "--memory", "1k", "busybox", "true");
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("--memory", r.Stderr);
    }

    [Fact]
    public void UnknownUserIs125()
    {
        var r = _m.Run("run", "--rm", "-u", "ghost", "busybox", "true");
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("unable to find user ghost", r.Stderr);
    }

    [Fact]
    public void UnknownFlagIs125()
    {
        var r = _m.Run("run", "--bogus", "busybox", "true");
        Assert.Equal(125, r.ExitCode);
        Assert.DoesNotContain("   at ", r.Stderr);   // no stack trace without --debug
    }

    [Fact]
    public void RelativeWorkdirIs125() =>
        Assert.Equal(125, _m.Run("run", "--rm", "-w", "relative", "busybox", "true").ExitCode);

    [Fact]
    public void FailedStartLeavesNoContainerWithRm()
    {
        int Containers() => Directory.Exists(Path.Combine(_m.Root, "containers"))
            ? Directory.EnumerateDirectories(Path.Combine(_m.Root, "containers")).Count(d => !Path.GetFileName(d).StartsWith('.')) : 0;
        int before = Containers();
        Assert.Equal(127, _m.Run("run", "--rm", "busybox", "no-such-command").ExitCode);
        Assert.Equal(before, Containers());
    }

    [Fact]
    public void NonRootIsRefused()
    {
        var psi = new ProcessStartInfo("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", MiniRunHost.Binary,
            "--root", _m.Root, "run", "--rm", "busybox", "true"]) { RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(125, p.ExitCode);
        Assert.Contains("needs root", err);
    }

    [Fact]
    public void NonRoot_ListingTheStore_IsRefused_VersionIsNot()
    {
        // `ps -a` and `images` as another host user: refused before anything is read (the store is
        // root's, 0700), exit 1 as Docker's CLI when the socket is root's; `version` needs no store.
        foreach (var args in new[] { new[] { "ps", "-a" }, ["images"], ["version", "--format", "{{.Client.Version}}"] })
        {
            var psi = new ProcessStartInfo("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", MiniRunHost.Binary, "--root", _m.Root, .. args])
                { RedirectStandardError = true, RedirectStandardOutput = true };
            using var p = Process.Start(psi)!;
            string output = p.StandardOutput.ReadToEnd();
            string err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (args[0] == "version") { Assert.Equal(0, p.ExitCode); Assert.NotEqual("", output.Trim()); continue; }
            Assert.Equal(1, p.ExitCode);
            Assert.Equal($"{args[0]} needs root: MiniRun's store is root's alone, mode 0700, as Docker's socket is (try sudo)\n", err);
            Assert.Equal("", output);
        }
    }

    [Fact]
    public void KilledBySignalIs128PlusN()
    {
        string name = "sig-" + Guid.NewGuid().ToString("N")[..8];
        using var p = _m.Start("run", "--rm", "--name", name, "busybox", "sleep", "60");
        int pid = WaitForPid(name);
        var ps = _m.Run("ps").Stdout.Split('\n').Single(l => l.EndsWith(name));
        Assert.Contains("Up ", ps);
        Assert.Contains("\"sleep 60\"", ps);
        Assert.Equal(0, kill(pid, 9));
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(20)));
        Assert.Equal(137, p.ExitCode);
    }

    [Fact]
    public void SigtermToMinirunReachesPid1()
    {
        string name = "term-" + Guid.NewGuid().ToString("N")[..8];
        using var p = _m.Start("run", "--rm", "--name", name, "busybox", "sh", "-c",
            "trap 'echo got TERM; exit 42' TERM; echo ready; while :; do sleep 0.1; done");
        Assert.Equal("ready", p.StandardOutput.ReadLine());
        Assert.Equal(0, kill(p.Id, 15));
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(20)));
        Assert.Equal(42, p.ExitCode);
        Assert.Equal("got TERM", p.StandardOutput.ReadLine());
    }

    [Fact]
    public void TtyGivesTheContainerItsOwnTerminal()
    {
        // script(1) gives minirun a terminal, as a user's shell would.
        string cmd = $"{MiniRunHost.Binary} --root {_m.Root} run --rm -t busybox sh -c 'tty; stty size'";
        var psi = new ProcessStartInfo("script", ["-qec", cmd, "/dev/null"]) { RedirectStandardOutput = true, RedirectStandardInput = true };
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, p.ExitCode);
        Assert.Contains("/dev/pts/0", output);
    }

    [Fact]
    public void WithoutTtyThereIsNoTerminal()
    {
        var r = _m.Run("run", "--rm", "busybox", "tty");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("not a tty", r.Stdout);
    }

    private int WaitForPid(string name)
    {
        for (int i = 0; i < 200; i++)
        {
            try
            {
                var state = _m.Record(name).GetProperty("State");
                if (state.GetProperty("Status").GetString() == "running") return state.GetProperty("Pid").GetInt32();
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or System.Text.Json.JsonException) { }
            Thread.Sleep(50);
        }
        throw new TimeoutException($"container {name} did not start");
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern int kill(int pid, int sig);
}
