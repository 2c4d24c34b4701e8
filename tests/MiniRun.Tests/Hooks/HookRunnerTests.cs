// HookRunnerTests: a list of hooks through the kernel fake (errors stop the list, warnings do not),
// and HookProcess on real processes: argv and environment exactly as given, the state on stdin,
// the exit status, a signal, a program that cannot be executed, and a timeout that kills the hook
// with the processes it started.
using MiniRun.Kernel;
using MiniRun.Runtime;
using MiniRun.Spec;
using MiniRun.Tests.Init;

namespace MiniRun.Tests.Hooks;

public sealed class HookRunnerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("minirun-hooks-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void AnErrorStopsTheListAndNamesTheHook()
    {
        var k = new FakeKernel();
        k.HookOutcomes["/b"] = new HookOutcome(3);
        var hooks = new List<SpecHook> { new() { Path = "/a" }, new() { Path = "/b" }, new() { Path = "/c" } };
        var e = Assert.Throws<HookFailedException>(() => HookRunner.RunAll("createRuntime", hooks, "{}", k));
        Assert.Equal("createRuntime hook 1 (/b) exited with status 3", e.Message);
        Assert.Equal(["hook createRuntime 0 /a", "hook createRuntime 1 /b"], k.Calls);
    }

    [Fact]
    public void AWarningDoesNotStopTheList()
    {
        var k = new FakeKernel();
        k.HookOutcomes["/a"] = new HookOutcome(0, Signal: 15);
        k.HookOutcomes["/c"] = new HookOutcome(0, SpawnErrno: Errno.EACCES);
        var warnings = new List<string>();
        var hooks = new List<SpecHook> { new() { Path = "/a" }, new() { Path = "/b" }, new() { Path = "/c" } };
        HookRunner.RunAllWarning("poststop", hooks, "{\"id\":\"x\"}", k, warnings.Add);
        Assert.Equal(["hook poststop 0 /a", "hook poststop 1 /b", "hook poststop 2 /c"], k.Calls);
        Assert.Equal(["poststop hook 0 (/a) was killed by signal 15", "poststop hook 2 (/c) cannot be executed: Permission denied (EACCES)"], warnings);
        Assert.All(k.HookStates, s => Assert.Equal("{\"id\":\"x\"}", s));
        HookRunner.RunAllWarning("poststop", null, "{}", k, warnings.Add);   // no list: nothing
        Assert.Equal(3, k.Calls.Count);
    }

    private string Script(string body)
    {
        string path = Path.Combine(_dir, "hook-" + Guid.NewGuid().ToString("N")[..6]);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    [Fact]
    public void AHookGetsItsArgvItsEnvironmentAndTheStateOnStdin()
    {
        string record = Path.Combine(_dir, "record");
        string script = $"{{ tr '\\0' ' ' < /proc/$$/cmdline; echo; env | sort; cat; }} > {record}";
        var outcome = HookProcess.Run(new SpecHook { Path = "/bin/sh", Args = ["my-argv0", "-c", script, "x", "two words"], Env = ["ONLY=this"] }, "{\"id\":\"c1\"}");
        Assert.True(outcome.Succeeded, outcome.Describe(new SpecHook()));
        var lines = File.ReadAllLines(record);
        Assert.StartsWith("my-argv0 -c ", lines[0]);   // args[0] is argv[0], as execv(3)
        Assert.EndsWith(" x two words ", lines[0]);
        Assert.Contains("ONLY=this", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("HOME=", StringComparison.Ordinal));   // env is the whole environment
        Assert.Equal("{\"id\":\"c1\"}", lines[^1]);
    }

    [Fact]
    public void ExitStatusSignalAndExecFailureAreOutcomes()
    {
        Assert.Equal(new HookOutcome(3), HookProcess.Run(new SpecHook { Path = Script("exit 3") }, "{}"));
        Assert.Equal(new HookOutcome(0, Signal: 9), HookProcess.Run(new SpecHook { Path = Script("kill -9 $$") }, "{}"));
        Assert.Equal(new HookOutcome(0, SpawnErrno: Errno.ENOENT), HookProcess.Run(new SpecHook { Path = Path.Combine(_dir, "missing") }, "{}"));
        var ignored = HookProcess.Run(new SpecHook { Path = Script("exit 0") }, new string('x', 1 << 20));   // never reads a 1 MiB state
        Assert.True(ignored.Succeeded);
    }

    [Fact]
    public void ATimeoutKillsTheHookAndWhatItStarted()
    {
        string pidFile = Path.Combine(_dir, "child");
        var hook = new SpecHook { Path = Script($"sleep 300 & echo $! > {pidFile}; wait"), Timeout = 1 };
        var outcome = HookProcess.Run(hook, "{}");
        Assert.Equal(new HookOutcome(0, TimedOut: true), outcome);
        Assert.Equal("timed out after 1 s and was killed", outcome.Describe(hook));
        int child = int.Parse(File.ReadAllText(pidFile).Trim());
        // The sleep was in the hook's process group: SIGKILLed with it. Not our child: wait until it is gone or a zombie.
        Assert.True(SpinWait.SpinUntil(() => !File.Exists($"/proc/{child}/stat") || File.ReadAllText($"/proc/{child}/stat").Split(") ")[1].StartsWith('Z'),
            TimeSpan.FromSeconds(10)), "the hook's child survived the timeout");
    }
}
