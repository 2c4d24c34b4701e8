// LifecycleTests: detached containers and their supervisor, through the real binary: run -d,
// ps, logs, stop/kill exit codes, restart policies, attach, a supervisor killed with -9, --rm
// with -d, and many containers started and removed at once leaving nothing behind.
//
// Waiting is never asserted on time: helpers poll the record until a state is reached (with a
// generous limit that only turns a hang into a failure).
using System.Diagnostics;
using System.Text.Json;
using MiniRun.Tests.Integration;

using MiniRun.Tests.Oci;

namespace MiniRun.Tests.Lifecycle;

// Shares a collection with the engine tests: both look at (or change) the host's mount table, so they never run at the same time.
[Collection(OciEngineTests.HostMountTable)]
public sealed class LifecycleTests : IClassFixture<LifecycleTests.Host>
{
    public sealed class Host : IDisposable
    {
        public MiniRunHost MiniRun { get; } = new();
        public void Dispose() => MiniRun.Dispose();
    }

    private readonly MiniRunHost _m;
    public LifecycleTests(Host host) => _m = host.MiniRun;

    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    private string RunDetached(params string[] args)
    {
        var r = _m.Run(["run", "-d", .. args]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        string id = r.Stdout.Trim();
        Assert.Matches("^[0-9a-f]{64}$", id);
        return id;
    }

    private JsonElement State(string name) => _m.Record(name).GetProperty("State");

    private void WaitFor(string what, Func<bool> condition)
    {
        var limit = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!condition())
        {
            if (DateTime.UtcNow > limit) throw new TimeoutException($"waiting for {what}");
            Thread.Sleep(50);
        }
    }

    private void WaitStatus(string name, string status) =>
        WaitFor($"{name} to be {status}", () => State(name).GetProperty("Status").GetString() == status);

    [Fact]
    public void RunDetachedIsUpInPsAndStopWithATrapRecords143()
    {
        string name = Unique("trap");
        string id = RunDetached("--name", name, "busybox", "sh", "-c", "trap 'exit 143' TERM; echo ready; while :; do sleep 0.1; done");
        Assert.Equal("running", State(name).GetProperty("Status").GetString());
        var line = _m.Run("ps").Stdout.Split('\n').Single(l => l.EndsWith(name));
        Assert.StartsWith(id[..12], line);
        Assert.Contains(" Up ", line);
        WaitFor("ready in the log", () => _m.Run("logs", name).Stdout == "ready\n");
        var stop = _m.Run("stop", name);
        Assert.Equal(0, stop.ExitCode);
        Assert.Equal(name + "\n", stop.Stdout);
        Assert.Equal("exited", State(name).GetProperty("Status").GetString());
        Assert.Equal(143, State(name).GetProperty("ExitCode").GetInt32());
        Assert.Equal("143\n", _m.Run("wait", name).Stdout);
        Assert.Contains("Exited (143)", _m.Run("ps", "-a").Stdout.Split('\n').Single(l => l.EndsWith(name)));
        // Docker: stopping a stopped container succeeds and prints its name.
        var again = _m.Run("stop", name);
        Assert.Equal(0, again.ExitCode);
        Assert.Equal(name + "\n", again.Stdout);
    }

    [Fact]
    public void StopOfAPid1WithoutHandlerFallsBackToSigkill137()
    {
        // busybox sleep as PID 1 has no SIGTERM handler, so the kernel ignores SIGTERM for it.
        string name = Unique("sleep");
        RunDetached("--name", name, "busybox", "sleep", "300");
        var stop = _m.Run("stop", "-t", "1", name);
        Assert.Equal(0, stop.ExitCode);
        Assert.Equal(137, State(name).GetProperty("ExitCode").GetInt32());
        Assert.Equal("137\n", _m.Run("wait", name).Stdout);
    }

    [Fact]
    public void KillSendsTheChosenSignal()
    {
        string name = Unique("kill");
        RunDetached("--name", name, "busybox", "sh", "-c", "trap 'exit 10' USR1; echo ready; while :; do sleep 0.1; done");
        WaitFor("ready", () => _m.Run("logs", name).Stdout == "ready\n");
        var kill = _m.Run("kill", "-s", "USR1", name);
        Assert.Equal(0, kill.ExitCode);
        Assert.Equal("10\n", _m.Run("wait", name).Stdout);
        var again = _m.Run("kill", name);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("is not running", again.Stderr);
    }

    [Fact]
    public void LogsKeepStdoutAndStderrApart()
    {
        string name = Unique("logs");
        RunDetached("--name", name, "busybox", "sh", "-c", "echo out1; echo err1 >&2; echo out2");
        Assert.Equal("0\n", _m.Run("wait", name).Stdout);
        var logs = _m.Run("logs", name);
        Assert.Equal("out1\nout2\n", logs.Stdout);
        Assert.Equal("err1\n", logs.Stderr);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z out1\n", _m.Run("logs", "-t", name).Stdout);
        var file = File.ReadAllLines(_m.Record(name).GetProperty("LogPath").GetString()!);
        Assert.Equal(3, file.Length);
        // --tail counts lines of the log, whichever stream: the two pipes are read as data comes,
        // so err1 may be logged before or after out2.
        var tail = _m.Run("logs", "--tail", "1", name);
        Assert.Equal(file[^1].Contains("out2") ? "out2\n" : "err1\n", tail.Stdout + tail.Stderr);
        Assert.Contains("\"stream\":\"stderr\"", file.Single(l => l.Contains("err1")));
    }

    [Fact]
    public void WithTtyBothStreamsAreTheTerminalsOutput()
    {
        string name = Unique("tty");
        RunDetached("-t", "--name", name, "busybox", "sh", "-c", "echo out; echo err >&2");
        Assert.Equal("0\n", _m.Run("wait", name).Stdout);
        var logs = _m.Run("logs", name);
        Assert.Equal("out\r\nerr\r\n", logs.Stdout);
        Assert.Equal("", logs.Stderr);
    }

    [Fact]
    public void OnFailureRestartsAtMostNTimes()
    {
        string name = Unique("onfail");
        RunDetached("--name", name, "--restart", "on-failure:2", "busybox", "sh", "-c", "echo run; exit 3");
        WaitFor("the supervisor to give up", () => State(name).GetProperty("Status").GetString() == "exited" &&
            State(name).GetProperty("SupervisorPid").GetInt32() == 0);
        Assert.Equal(2, _m.Record(name).GetProperty("RestartCount").GetInt32());
        Assert.Equal(3, State(name).GetProperty("ExitCode").GetInt32());
        Assert.Equal("run\nrun\nrun\n", _m.Run("logs", name).Stdout);
    }

    [Fact]
    public void AlwaysRestartsUntilStoppedAndStopIsNotUndone()
    {
        string name = Unique("always");
        RunDetached("--name", name, "--restart", "always", "busybox", "sh", "-c", "sleep 0.2; exit 0");
        WaitFor("two restarts", () => _m.Record(name).GetProperty("RestartCount").GetInt32() >= 2);
        var stop = _m.Run("stop", "-t", "1", name);
        Assert.Equal(0, stop.ExitCode);
        int supervisor = 0;
        WaitFor("the supervisor to end", () =>
        {
            var s = State(name);
            supervisor = s.GetProperty("SupervisorPid").GetInt32();
            return s.GetProperty("Status").GetString() == "exited" && supervisor == 0;
        });
        int count = _m.Record(name).GetProperty("RestartCount").GetInt32();
        Assert.DoesNotContain(" Up ", _m.Run("ps", "-a").Stdout.Split('\n').Single(l => l.EndsWith(name)));
        Assert.Equal(count, _m.Record(name).GetProperty("RestartCount").GetInt32());
        Assert.Equal("exited", State(name).GetProperty("Status").GetString());
    }

    [Fact]
    public void AttachAfterRunDetachedGetsOutputSendsStdinAndReturnsTheExitCode()
    {
        string name = Unique("attach");
        RunDetached("-i", "--name", name, "busybox", "sh", "-c", "while read l; do echo \"echo:$l\"; done; exit 7");
        var r = _m.RunWith("hello\nworld\n", null, "attach", name);
        Assert.Equal(7, r.ExitCode);
        Assert.Equal("echo:hello\necho:world\n", r.Stdout);
        var again = _m.Run("attach", name);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("You cannot attach to a stopped container", again.Stderr);
    }

    [Fact]
    public void DetachKeysLeaveTheContainerRunningAndAttachReconnects()
    {
        // script(1) gives minirun a terminal; Ctrl-P Ctrl-Q typed into it detaches.
        string name = Unique("detach");
        string cmd = $"{MiniRunHost.Binary} --root {_m.Root} run -it --name {name} busybox sh";
        var psi = new ProcessStartInfo("script", ["-qec", cmd, "/dev/null"]) { RedirectStandardOutput = true, RedirectStandardInput = true };
        using var p = Process.Start(psi)!;
        WaitFor("the container", () => { try { return State(name).GetProperty("Status").GetString() == "running"; } catch (Exception e) when (e is InvalidOperationException or IOException) { return false; } });
        p.StandardInput.Write("echo mark-$((40+2))\n");
        p.StandardInput.Flush();
        WaitFor("the echo in the log", () => _m.Run("logs", name).Stdout.Contains("mark-42"));
        p.StandardInput.Write("\x10\x11");
        p.StandardInput.Flush();
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, p.ExitCode);
        Assert.Equal("running", State(name).GetProperty("Status").GetString());
        // Attach again, from a terminal too (Docker refuses a pipe for a container's terminal):
        // `exit 5` typed into it ends the shell, and attach returns its code.
        string again = $"{MiniRunHost.Binary} --root {_m.Root} attach {name}";
        using var a = Process.Start(new ProcessStartInfo("script", ["-qec", again, "/dev/null"]) { RedirectStandardOutput = true, RedirectStandardInput = true })!;
        a.StandardInput.Write("exit 5\n");
        a.StandardInput.Flush();
        Assert.True(a.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Equal(5, a.ExitCode);
    }

    [Fact]
    public void SupervisorKilledWithSigkillThenPsIsNotUpAndRmForceRemovesEverything()
    {
        var mountsBefore = MiniRunHost.HostMounts();
        string name = Unique("orphan");
        string id = RunDetached("--name", name, "busybox", "sleep", "300");
        var s = State(name);
        int supervisor = s.GetProperty("SupervisorPid").GetInt32(), pid = s.GetProperty("Pid").GetInt32();
        Assert.True(supervisor > 0 && pid > 0);
        Assert.Equal(0, kill(supervisor, 9));
        WaitFor("the supervisor to be gone", () => !MiniRunHost.Alive(supervisor));
        // PID 1 may still live (its parent is gone); ps tells the truth either way after rm -f.
        var rm = _m.Run("rm", "-f", name);
        Assert.Equal(0, rm.ExitCode);
        Assert.False(MiniRunHost.Alive(pid));
        Assert.False(Directory.Exists(Path.Combine(_m.Root, "containers", id)));
        Assert.DoesNotContain(_m.Run("ps", "-a").Stdout.Split('\n'), l => l.EndsWith(name));
        Assert.Equal(mountsBefore, MiniRunHost.HostMounts());
    }

    [Fact]
    public void PsIsNotUpWhenTheSupervisorAndContainerDiedWithoutRecording()
    {
        string name = Unique("dead");
        RunDetached("--name", name, "busybox", "sleep", "300");
        var s = State(name);
        int supervisor = s.GetProperty("SupervisorPid").GetInt32(), pid = s.GetProperty("Pid").GetInt32();
        kill(supervisor, 9);
        WaitFor("the supervisor to be gone", () => !MiniRunHost.Alive(supervisor));
        kill(pid, 9);
        WaitFor("PID 1 to be gone", () => !MiniRunHost.Alive(pid));
        var line = _m.Run("ps", "-a").Stdout.Split('\n').Single(l => l.EndsWith(name));
        Assert.DoesNotContain(" Up ", line);
        Assert.Equal(0, _m.Run("rm", name).ExitCode);
    }

    [Fact]
    public void RmWithDetachRemovesTheContainerWhenItEnds()
    {
        string name = Unique("rmd");
        string id = RunDetached("--rm", "--name", name, "busybox", "sh", "-c", "sleep 0.2");
        string dir = Path.Combine(_m.Root, "containers", id);
        // ContainerStore.Retire moves the directory out first, then frees the name (the name is
        // never free while the directory exists): wait for both, the second follows at once.
        string nameFile = Path.Combine(_m.Root, "containers", ".names", name);
        WaitFor("the container to remove itself and free its name", () => !Directory.Exists(dir) && !File.Exists(nameFile));
        Assert.Equal(0, _m.Run("create", "--pull", "never", "--name", name, "busybox", "true").ExitCode);   // the name is free again
        Assert.Equal(0, _m.Run("rm", name).ExitCode);
    }

    [Fact]
    public void StartAgainAfterStopAndStartOfARunningContainerIsANoOp()
    {
        string name = Unique("start");
        RunDetached("--name", name, "busybox", "sh", "-c", "echo hi; sleep 300");
        Assert.Equal(name + "\n", _m.Run("start", name).Stdout);
        Assert.Equal(0, _m.Run("stop", "-t", "0", name).ExitCode);
        var start = _m.Run("start", name);
        Assert.Equal(0, start.ExitCode);
        Assert.Equal("running", State(name).GetProperty("Status").GetString());
        WaitFor("the second hi", () => _m.Run("logs", name).Stdout == "hi\nhi\n");
        Assert.Equal(0, _m.Run("rm", "-f", name).ExitCode);
    }

    [Fact]
    public void CreateThenStartAttachedReturnsTheExitCode()
    {
        string name = Unique("create");
        var create = _m.Run("create", "--name", name, "busybox", "sh", "-c", "echo made; exit 4");
        Assert.Equal(0, create.ExitCode);
        Assert.Contains("Created", _m.Run("ps", "-a").Stdout.Split('\n').Single(l => l.EndsWith(name)));
        var start = _m.Run("start", "-a", name);
        Assert.Equal(4, start.ExitCode);
        Assert.Equal("made\n", start.Stdout);
    }

    [Fact]
    public void UnknownContainerAndNameInUseAreDockersErrors()
    {
        foreach (var verb in new[] { "stop", "kill", "start", "wait", "logs", "restart" })
        {
            var r = _m.Run(verb, "no-such-container");
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("No such container: no-such-container", r.Stderr);
        }
        string name = Unique("dup");
        Assert.Equal(0, _m.Run("create", "--name", name, "busybox", "true").ExitCode);
        var dup = _m.Run("run", "-d", "--name", name, "busybox", "true");
        Assert.Equal(125, dup.ExitCode);
        Assert.Contains($"The container name \"/{name}\" is already in use", dup.Stderr);
        string other = Unique("renamed");
        Assert.Equal(0, _m.Run("rename", name, other).ExitCode);
        Assert.Equal(other, _m.Record(other).GetProperty("Name").GetString());
    }

    [Fact]
    public void ManyDetachedRunsThenRmForceLeaveNothingBehind()
    {
        var mountsBefore = MiniRunHost.HostMounts();
        var names = Enumerable.Range(0, 50).Select(i => Unique("many" + i)).ToArray();
        var ids = new string[names.Length];
        Parallel.For(0, names.Length, new ParallelOptions { MaxDegreeOfParallelism = 25 },
            i => ids[i] = RunDetached("--name", names[i], "busybox", "sleep", "300"));
        var pids = names.SelectMany(n => new[] { State(n).GetProperty("Pid").GetInt32(), State(n).GetProperty("SupervisorPid").GetInt32() }).ToList();
        Assert.All(pids, p => Assert.True(MiniRunHost.Alive(p)));
        Assert.Equal(50, _m.Run("ps", "-q").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Intersect(ids.Select(i => i[..12])).Count());
        Parallel.For(0, names.Length, new ParallelOptions { MaxDegreeOfParallelism = 25 },
            i => Assert.Equal(0, _m.Run("rm", "-f", names[i]).ExitCode));
        Assert.All(pids, p => Assert.False(MiniRunHost.Alive(p)));
        Assert.All(ids, id => Assert.False(Directory.Exists(Path.Combine(_m.Root, "containers", id))));
        Assert.Equal(mountsBefore, MiniRunHost.HostMounts());
    }

    [Fact]
    public void RmForceWhileStopIsWaitingRemovesEverything()
    {
        var mountsBefore = MiniRunHost.HostMounts();
        string name = Unique("racing");
        string id = RunDetached("--name", name, "busybox", "sleep", "300");   // sleep as PID 1 ignores SIGTERM: stop waits
        var s = State(name);
        int supervisor = s.GetProperty("SupervisorPid").GetInt32(), pid = s.GetProperty("Pid").GetInt32();
        using var stop = _m.Start(["stop", "-t", "30", name]);
        WaitFor("stop to mark the container stopped by hand", () => State(name).GetProperty("ManuallyStopped").GetBoolean());
        Assert.Equal(0, _m.Run("rm", "-f", name).ExitCode);
        Assert.True(stop.WaitForExit(TimeSpan.FromSeconds(60)), "stop still waits after the container was removed");
        Assert.DoesNotContain("   at ", stop.StandardError.ReadToEnd());   // a one-line message at most, never a stack trace
        Assert.False(MiniRunHost.Alive(pid));
        Assert.False(MiniRunHost.Alive(supervisor));
        Assert.False(Directory.Exists(Path.Combine(_m.Root, "containers", id)));
        Assert.Equal(mountsBefore, MiniRunHost.HostMounts());
    }

    [Fact]
    public void SupervisorStaysSmall()
    {
        string name = Unique("rss");
        RunDetached("--name", name, "busybox", "sleep", "300");
        int supervisor = State(name).GetProperty("SupervisorPid").GetInt32();
        var status = File.ReadAllLines($"/proc/{supervisor}/status");
        long rssKb = long.Parse(status.Single(l => l.StartsWith("VmRSS:")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        // Reported, and bounded loosely: the 10 MB target is measured in the report (PSS, many supervisors).
        Assert.InRange(rssKb, 1, 32 * 1024);
        Assert.Equal(0, _m.Run("rm", "-f", name).ExitCode);
    }


    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern int kill(int pid, int sig);
}
