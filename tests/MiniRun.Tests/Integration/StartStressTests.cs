// StartStressTests: 2000 container starts from a .NET process whose other threads allocate
// heavily, and not one may hang.
//
// Why: a .NET child of clone(2) that runs managed code can wait forever for a garbage
// collection begun by a thread that does not exist in the child (platform-facts.md measured
// 1-4% hangs under GC load; quiet tests never see it). MiniRun's child runs only C until it
// execs. This test drives the real start path (RunCommand -> ContainerStarter -> native stage
// -> `minirun init` -> busybox true) from this JIT process while two threads allocate.
// A start counts as hung when no start completes for 30 seconds.
using MiniRun.Cli;
using MiniRun.Spec;

namespace MiniRun.Tests.Integration;

public sealed class StartStressTests : IClassFixture<ContainerFactsTests.Host>
{
    private readonly MiniRunHost _m;
    public StartStressTests(ContainerFactsTests.Host host) => _m = host.MiniRun;

    [Fact]
    public void TwoThousandStartsUnderGcPressureNeverHang()
    {
        const int starts = 2000;
        int done = 0, failures = 0;
        string? firstFailure = null;
        using var stop = new CancellationTokenSource();
        long gcBefore = GC.CollectionCount(0);
        int containersBefore = Containers();
        var allocators = Enumerable.Range(0, 2).Select(_ => new Thread(() =>
        {
            var keep = new List<byte[]>();
            while (!stop.IsCancellationRequested)
            {
                keep.Add(new byte[8192]);
                if (keep.Count > 2000) keep.Clear();
            }
        }) { IsBackground = true }).ToList();
        allocators.ForEach(t => t.Start());

        var runner = new Thread(() =>
        {
            for (int i = 0; i < starts && !stop.IsCancellationRequested; i++)
            {
                int code;
                try
                {
                    code = RunCommand.Execute(_m.Root, new RunOptions { Rm = true, Image = "busybox", Command = ["true"] },
                        TraceMode.Off, MiniRunHost.Binary);
                }
                catch (Exception e) { code = -1; firstFailure ??= e.Message; }
                if (code != 0) { Interlocked.Increment(ref failures); firstFailure ??= $"start {i}: exit {code}"; }
                Interlocked.Increment(ref done);
            }
        }) { IsBackground = true };
        runner.Start();

        int last = -1;
        var lastProgress = DateTime.UtcNow;
        while (!runner.Join(TimeSpan.FromSeconds(1)))
        {
            int now = Volatile.Read(ref done);
            if (now != last) { last = now; lastProgress = DateTime.UtcNow; continue; }
            if (DateTime.UtcNow - lastProgress > TimeSpan.FromSeconds(30))
            {
                stop.Cancel();
                Assert.Fail($"start {now} hung (no start completed for 30 s); MiniRunHost.Dispose kills its process");
            }
        }
        stop.Cancel();
        allocators.ForEach(t => t.Join());
        Assert.Equal(starts, done);
        Assert.True(failures == 0, $"{failures} starts failed; first: {firstFailure}");
        Assert.True(GC.CollectionCount(0) - gcBefore > starts / 10, "the allocating threads must have forced many collections");
        Assert.Equal(containersBefore, Containers());   // every --rm container removed
    }

    [Theory]
    [InlineData("no-such-image", null)]
    [InlineData("busybox", "taken")]
    public void AStartThatFailsBeforeTheBundleLeavesNoProcess(string image, string? name)
    {
        // Without --trace `run` clones the container's init before it looks at the image; when the
        // image is missing (--pull never: no registry is asked) or the name is taken, that init must
        // be killed and reaped, not leaked.
        if (name is not null)
            Assert.Equal(0, RunCommand.Execute(_m.Root, new RunOptions { Name = name, Image = "busybox", Command = ["true"] }, TraceMode.Off, MiniRunHost.Binary));
        var e = Assert.Throws<Exception>(() => { try { RunCommand.Execute(_m.Root, new RunOptions { Name = name, Image = image, Command = ["true"], Pull = "never" }, TraceMode.Off, MiniRunHost.Binary); } catch (Exception x) { throw new Exception(x.Message, x); } });
        Assert.Contains(name is null ? "No such image" : "is already in use", e.Message);
        Assert.Empty(InitChildren());
        if (name is not null) Assert.Equal(0, LifecycleCommands.Rm(_m.Root, [name], force: false));
    }

    private int Containers() => Directory.Exists(Path.Combine(_m.Root, "containers"))
        ? Directory.EnumerateDirectories(Path.Combine(_m.Root, "containers")).Count(d => !Path.GetFileName(d).StartsWith('.')) : 0;

    /// <summary>Children of this test process that are (or were, as zombies) `minirun init`.</summary>
    private static List<int> InitChildren()
    {
        var result = new List<int>();
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            string children = File.ReadAllText(Path.Combine(task, "children"));
            foreach (var pid in children.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                try
                {
                    if (File.ReadAllText($"/proc/{pid}/cmdline").StartsWith("minirun\0init")) result.Add(int.Parse(pid));
                }
                catch (IOException) { }
            }
        }
        return result;
    }
}
