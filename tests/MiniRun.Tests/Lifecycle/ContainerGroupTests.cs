// ContainerGroupTests: Docker's management command `container` through the real binary: the
// course's `container run -d`, `container ls`, `container exec -ti`-less exec, `container stop`,
// `container inspect` (containers only), and `container prune` (stopped ones only, filters).
using System.Text.Json;
using MiniRun.Engine;
using MiniRun.Tests.Integration;
using MiniRun.Tests.Oci;

namespace MiniRun.Tests.Lifecycle;

[Collection(OciEngineTests.HostMountTable)]
public sealed class ContainerGroupTests : IClassFixture<ContainerGroupTests.Host>
{
    public sealed class Host : IDisposable
    {
        public MiniRunHost MiniRun { get; } = new();
        public void Dispose() => MiniRun.Dispose();
    }

    private readonly MiniRunHost _m;
    public ContainerGroupTests(Host host) => _m = host.MiniRun;

    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public void TheCourseVerbsWorkUnderContainer()
    {
        string name = Unique("grp");
        var run = _m.Run("container", "run", "-d", "--name", name, "busybox", "sleep", "600");
        Assert.True(run.ExitCode == 0, run.Stderr);
        try
        {
            Assert.Contains(name, _m.Run("container", "ls").Stdout);
            Assert.Contains(name, _m.Run("container", "ps").Stdout);
            var exec = _m.Run("container", "exec", name, "cat", "/proc/1/cmdline");
            Assert.Equal(0, exec.ExitCode);
            Assert.Equal("sleep\0600\0", exec.Stdout);
            var inspect = _m.Run("container", "inspect", "-f", "{{.Name}}", name);
            Assert.Equal("/" + name + "\n", inspect.Stdout);
            var stop = _m.Run("container", "stop", "-t", "1", name);
            Assert.Equal(0, stop.ExitCode);
            Assert.Equal(name + "\n", stop.Stdout);
        }
        finally { _m.Run("container", "rm", "-f", name); }
        Assert.DoesNotContain(name, _m.Run("ps", "-a").Stdout);
    }

    [Fact]
    public void ContainerInspectDoesNotLookAtImages()
    {
        var r = _m.Run("container", "inspect", "busybox");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("No such container: busybox", r.Stderr);
        Assert.Equal(0, _m.Run("image", "inspect", "busybox").ExitCode);
    }

    [Fact]
    public void PruneRemovesStoppedContainersMatchingTheLabelAndKeepsRunningOnes()
    {
        string label = "prune-test=" + Guid.NewGuid().ToString("N")[..8];
        string exited = Unique("exited"), created = Unique("created"), running = Unique("running"), other = Unique("other");
        Assert.Equal(0, _m.Run("run", "--name", exited, "--label", label, "busybox", "true").ExitCode);
        Assert.Equal(0, _m.Run("create", "--name", created, "--label", label, "busybox", "true").ExitCode);
        Assert.Equal(0, _m.Run("run", "-d", "--name", running, "--label", label, "busybox", "sleep", "600").ExitCode);
        Assert.Equal(0, _m.Run("run", "--name", other, "busybox", "true").ExitCode);
        try
        {
            string exitedId = _m.Record(exited).GetProperty("Id").GetString()!;
            string createdId = _m.Record(created).GetProperty("Id").GetString()!;
            var prune = _m.Run("container", "prune", "-f", "--filter", "label=" + label);
            Assert.True(prune.ExitCode == 0, prune.Stderr);
            var lines = prune.Stdout.Split('\n');
            Assert.Equal("Deleted Containers:", lines[0]);
            Assert.Equal(new[] { exitedId, createdId }.Order(), lines[1..3].Order());
            Assert.StartsWith("Total reclaimed space: ", lines[4]);
            string ps = _m.Run("ps", "-a").Stdout;
            Assert.DoesNotContain(exited, ps);
            Assert.DoesNotContain(created, ps);
            Assert.Contains(running, ps);
            Assert.Contains(other, ps);   // no label: not selected
        }
        finally { _m.Run("rm", "-f", exited, created, running, other); }
    }

    [Fact]
    public void PruneAsksFirstAndABadFilterRemovesNothing()
    {
        string name = Unique("kept");
        Assert.Equal(0, _m.Run("run", "--name", name, "busybox", "true").ExitCode);
        try
        {
            var bad = _m.Run("container", "prune", "-f", "--filter", "colour=red");
            Assert.Equal(1, bad.ExitCode);
            Assert.Contains("invalid filter 'colour'", bad.Stderr);
            Assert.Contains(name, _m.Run("ps", "-a").Stdout);
        }
        finally { _m.Run("rm", "-f", name); }
    }

    [Fact]
    public void UntilFilterTakesGoDurationsUnixTimesAndTimestamps()
    {
        var now = DateTimeOffset.Parse("2026-12-07T12:00:00Z");
        var old = new MiniRun.Containers.ContainerRecord { Created = now.AddHours(-30) };
        var recent = new MiniRun.Containers.ContainerRecord { Created = now.AddMinutes(-5) };
        var day = ContainerPrune.Filters(["until=24h"], now);
        Assert.True(day(old));
        Assert.False(day(recent));
        var unix = ContainerPrune.Filters([$"until={now.AddHours(-1).ToUnixTimeSeconds()}"], now);
        Assert.True(unix(old));
        Assert.False(unix(recent));
        var stamp = ContainerPrune.Filters(["until=2026-12-07T11:00:00Z"], now);
        Assert.True(stamp(old));
        Assert.False(stamp(recent));
        Assert.Throws<MiniRun.Containers.ContainerException>(() => ContainerPrune.Filters(["until=yesterday"], now));
    }
}
