// InputTtyTests: `-it` with a stdin that is not a terminal (a pipe, as in a script) is refused at
// once with Docker's line "the input device is not a TTY" and exit 1 - for run before anything is
// created, for exec after the container was found, for attach to a container that has a terminal.
// Without -i, or with -d, a pipe is fine. (A real terminal through script(1): LifecycleTests.)
//
// Follows: docker/cli In.CheckTty and its callers (run, exec, attach).
namespace MiniRun.Tests.Integration;

public sealed class InputTtyTests : IClassFixture<InputTtyTests.Host>
{
    public sealed class Host : IDisposable
    {
        public MiniRunHost MiniRun { get; } = new();
        public void Dispose() => MiniRun.Dispose();
    }

    private readonly MiniRunHost _m;
    public InputTtyTests(Host host) => _m = host.MiniRun;

    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    private void AssertRefused(RunResult r)
    {
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("the input device is not a TTY\n", r.Stderr);   // Docker's line, as it prints it
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void RunItFromAPipeIsRefusedBeforeAnythingIsCreated()
    {
        var before = _m.ContainerIds();
        AssertRefused(_m.RunWith("\n", null, "run", "-it", "busybox", "sh"));
        AssertRefused(_m.RunWith("\n", null, "run", "-i", "-t", "--name", Unique("piped"), "busybox", "sh"));
        Assert.Equal(before, _m.ContainerIds());
        Assert.Equal(before.Count, _m.Run("ps", "-a", "-q").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        var tOnly = _m.RunWith("\n", null, "run", "--rm", "-t", "busybox", "echo", "t-only");   // no -i: nothing to copy from stdin
        Assert.True(tOnly.ExitCode == 0, tOnly.Stderr);
        Assert.Contains("t-only", tOnly.Stdout);
    }

    [Fact]
    public void ExecItAndAttachFromAPipeAreRefusedAndTheContainerKeepsRunning()
    {
        string name = Unique("tty");
        var run = _m.Run("run", "-d", "-it", "--name", name, "busybox", "sh");   // -d: no stdin to check
        Assert.True(run.ExitCode == 0, run.Stderr);

        AssertRefused(_m.RunWith("echo hi\n", null, "exec", "-it", name, "sh"));
        var missing = _m.RunWith("\n", null, "exec", "-it", Unique("missing"), "sh");   // the lookup comes first, as in Docker
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("No such container", missing.Stderr);
        var plain = _m.RunWith("", null, "exec", "-i", name, "echo", "no-tty");
        Assert.Equal((0, "no-tty\n"), (plain.ExitCode, plain.Stdout));

        AssertRefused(_m.RunWith("exit 3\n", null, "attach", name));
        Assert.Equal("running", _m.Record(name).GetProperty("State").GetProperty("Status").GetString());
        Assert.Equal(0, _m.Run("rm", "-f", name).ExitCode);
    }
}
