// HookStepsTests: where init stops for the runtime's hooks and runs its own (createContainer before
// pivot_root, startContainer after `start`), in order through the kernel fake, and what a failing
// hook does: one line naming the list, index and path; the hooks after it and the later steps
// never run.
using MiniRun.Init;
using MiniRun.Kernel;
using MiniRun.Spec;
using MiniRun.Trace;

namespace MiniRun.Tests.Init;

public sealed class HookStepsTests : IDisposable
{
    private readonly string _bundle = Directory.CreateTempSubdirectory("minirun-hooksteps-").FullName;
    public void Dispose() => Directory.Delete(_bundle, recursive: true);

    private (FakeKernel Kernel, InitContext Context) Make(SpecHooks? hooks, bool hookPoint = true)
    {
        var image = new MiniImage.Oci.ImageConfig { Config = new MiniImage.Oci.ContainerConfig { Cmd = ["sh"], Env = ["PATH=/bin"] } };
        var spec = SpecGenerator.Generate(image, new RunOptions { Image = "busybox" }, new string('a', 64), ["/l"], _bundle, _ => null, appArmor: MiniRun.Security.NoAppArmorHost.Instance);
        spec.Hooks = hooks;
        var k = new FakeKernel();
        k.Files["/etc/passwd"] = "root:x:0:0:root:/root:/bin/sh\n";
        k.Executables.Add("/bin/sh");
        var c = new InitContext
        {
            Spec = spec, BundleDir = _bundle, Kernel = k, Trace = NullTrace.Instance, Env = new(spec.Process.Env), StartFifo = 9,
            ReachHookPoint = hookPoint ? () => { k.Calls.Add("parent runs prestart, createRuntime"); return ("CREATING", "CREATED"); } : null,
        };
        return (k, c);
    }

    private static int IndexOf(FakeKernel k, string prefix)
    {
        int i = k.Calls.FindIndex(c => c.StartsWith(prefix, StringComparison.Ordinal));
        Assert.True(i >= 0, $"no call starting with \"{prefix}\" in:\n{string.Join('\n', k.Calls)}");
        return i;
    }

    private static List<SpecHook> Hooks(params string[] paths) => paths.Select(p => new SpecHook { Path = p }).ToList();

    [Fact]
    public void EachListRunsAtItsPointInOrder()
    {
        var (k, c) = Make(new SpecHooks
        {
            Prestart = Hooks("/p"), CreateRuntime = Hooks("/r"), CreateContainer = Hooks("/c0", "/c1"),
            StartContainer = Hooks("/s0"), Poststart = Hooks("/ps"), Poststop = Hooks("/pt"),
        });
        Assert.Throws<FakeKernel.ExecReached>(() => InitProcess.Run(c));
        int lastDevice = k.Calls.FindLastIndex(x => x.StartsWith("mknod ", StringComparison.Ordinal));
        int point = IndexOf(k, "parent runs prestart, createRuntime");
        int c0 = IndexOf(k, "hook createContainer 0 /c0");
        int c1 = IndexOf(k, "hook createContainer 1 /c1");
        int pivot = IndexOf(k, "pivot_root");
        int gate = IndexOf(k, "read start fifo 9");
        int s0 = IndexOf(k, "hook startContainer 0 /s0");
        int exec = IndexOf(k, "execve /bin/sh");
        Assert.True(lastDevice < point && point < c0 && c0 < c1 && c1 < pivot, "mounts and devices, the runtime's hooks, createContainer, pivot_root");
        Assert.True(pivot < gate && gate < s0 && s0 < exec, "start, then startContainer, then the program");
        Assert.Equal(["CREATING", "CREATING", "CREATED"], k.HookStates);
        Assert.Equal(3, k.Calls.Count(x => x.StartsWith("hook ", StringComparison.Ordinal)));   // poststart, poststop: not init's
    }

    [Fact]
    public void WithoutHooksInitNeverStopsForThem()
    {
        foreach (var hooks in new[] { null, new SpecHooks(), new SpecHooks { CreateRuntime = [], Poststart = Hooks("/ps"), Poststop = Hooks("/pt") } })
        {
            var (k, c) = Make(hooks);
            Assert.Throws<FakeKernel.ExecReached>(() => InitProcess.Run(c));
            Assert.DoesNotContain(k.Calls, x => x.StartsWith("parent", StringComparison.Ordinal) || x.StartsWith("hook ", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void OnlyAStartContainerHookStillStopsAtTheHookPointForTheState()
    {
        var (k, c) = Make(new SpecHooks { StartContainer = Hooks("/s0") });
        Assert.Throws<FakeKernel.ExecReached>(() => InitProcess.Run(c));
        Assert.True(IndexOf(k, "parent runs") < IndexOf(k, "pivot_root"));
        Assert.Equal(["CREATED"], k.HookStates);
    }

    [Theory]
    [InlineData(3, 0, false, 0, "createContainer hook 1 (/c1) exited with status 3")]
    [InlineData(0, 9, false, 0, "createContainer hook 1 (/c1) was killed by signal 9")]
    [InlineData(0, 0, true, 0, "createContainer hook 1 (/c1) timed out after 2 s and was killed")]
    [InlineData(0, 0, false, Errno.ENOENT, "createContainer hook 1 (/c1) cannot be executed: No such file or directory (ENOENT)")]
    public void AFailingCreateContainerHookFailsInitBeforePivotRoot(int status, int signal, bool timedOut, int errno, string message)
    {
        var (k, c) = Make(new SpecHooks { CreateContainer = [new SpecHook { Path = "/c0" }, new SpecHook { Path = "/c1", Timeout = 2 }, new SpecHook { Path = "/c2" }] });
        k.HookOutcomes["/c1"] = new HookOutcome(status, signal, timedOut, errno);
        var e = Assert.Throws<InitFailure>(() => InitProcess.Run(c));
        Assert.Equal(message, e.Message);
        Assert.Equal((125, message), InitProcess.Describe(e, c.CurrentStep));   // the hook's line, not the step's name
        Assert.DoesNotContain(k.Calls, x => x.StartsWith("hook createContainer 2", StringComparison.Ordinal) || x.StartsWith("pivot_root", StringComparison.Ordinal));
    }

    [Fact]
    public void AFailingStartContainerHookStopsBeforeTheProgram()
    {
        var (k, c) = Make(new SpecHooks { StartContainer = Hooks("/s0") });
        k.HookOutcomes["/s0"] = new HookOutcome(1);
        var e = Assert.Throws<InitFailure>(() => InitProcess.Run(c));
        Assert.Equal("startContainer hook 0 (/s0) exited with status 1", e.Message);
        Assert.True(c.Started);   // InitProcess reports it through exec.fifo, where `start` reads it
        Assert.DoesNotContain(k.Calls, x => x.StartsWith("execve", StringComparison.Ordinal));
    }

    [Fact]
    public void HooksWithoutARuntimeToRunThemAreRefused()
    {
        var (k, c) = Make(new SpecHooks { CreateRuntime = Hooks("/r") }, hookPoint: false);
        var e = Assert.Throws<InitFailure>(() => InitProcess.Run(c));
        Assert.Contains("no runtime is there to run its prestart and createRuntime hooks", e.Message);
        Assert.DoesNotContain(k.Calls, x => x.StartsWith("pivot_root", StringComparison.Ordinal));
    }
}
