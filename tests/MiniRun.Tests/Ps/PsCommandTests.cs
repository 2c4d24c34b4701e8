// PsCommandTests: which containers `ps` shows (-a, -n, -l, filters with OR/AND), its columns and
// Docker's error texts, against records in a temporary root and a fake /proc.
using MiniRun.Cli;
using MiniRun.Containers;

namespace MiniRun.Tests.Ps;

public sealed class PsCommandTests : IDisposable
{
    private readonly FakeContainers _f = new();
    public void Dispose() => _f.Dispose();

    private List<string> Names(PsOptions o) =>
        PsCommand.Select(_f.Store, o, PsFilter.Parse(o.Filters), _f.Proc).Select(r => r.Record.Name).ToList();

    private void Three()
    {
        _f.Add("web", ContainerStatus.Running, 30, pid: 100, alive: true);
        _f.Add("old", ContainerStatus.Exited, 300, exitCode: 137);
        _f.Add("ghost", ContainerStatus.Running, 20, pid: 101, alive: false);   // died without recording it
        _f.Add("fresh", ContainerStatus.Created, 10);
    }

    [Fact]
    public void DefaultShowsOnlyRunningAndAllShowsEveryContainerNewestFirst()
    {
        Three();
        Assert.Equal(["web"], Names(new PsOptions()));
        Assert.Equal(["fresh", "ghost", "web", "old"], Names(new PsOptions { All = true }));
    }

    [Fact]
    public void ARunningRecordWhoseProcessIsGoneIsExited()
    {
        Three();
        Assert.Equal(["ghost", "old"], Names(new PsOptions { Filters = ["status=exited"] }));
    }

    [Fact]
    public void LastAndLatestCountAllStates()
    {
        Three();
        Assert.Equal(["fresh", "ghost"], Names(new PsOptions { Last = 2 }));
        Assert.Equal(["fresh"], Names(new PsOptions { Latest = true }));
        Assert.Equal(["old"], Names(new PsOptions { Last = 1, Filters = ["exited=137"] }));
    }

    [Fact]
    public void SameKeyOrsDifferentKeysAnd()
    {
        Three();
        Assert.Equal(["fresh", "web"], Names(new PsOptions { All = true, Filters = ["name=web", "name=fre"] }));
        Assert.Equal(["web"], Names(new PsOptions { All = true, Filters = ["name=web", "name=fre", "status=running"] }));
        Assert.Equal(["web"], Names(new PsOptions { All = true, Filters = ["name=^/web$"] }));
        Assert.Empty(Names(new PsOptions { All = true, Filters = ["name=^web$"] }));   // Docker's names start with "/"
    }

    [Fact]
    public void IdAncestorAndExitedFilters()
    {
        Three();
        var web = _f.Store.Find("web");
        Assert.Equal(["web"], Names(new PsOptions { All = true, Filters = [$"id={web.Id[..5]}"] }));
        _f.Add("other", ContainerStatus.Exited, 400, image: "alpine:3", imageId: "sha256:2222222222222222222222222222222222222222222222222222222222222222");
        Assert.Equal(["other"], Names(new PsOptions { All = true, Filters = ["ancestor=alpine:3"] }));
        Assert.Equal(["other"], Names(new PsOptions { All = true, Filters = ["ancestor=222222222222"] }));
        Assert.Equal(["old"], Names(new PsOptions { Filters = ["exited=137"] }));
        Assert.Empty(Names(new PsOptions { Filters = ["exited=0", "status=created"] }));
    }

    [Theory]
    [InlineData("foo=bar", "Error response from daemon: invalid filter 'foo'", 1)]
    [InlineData("status=sleeping", "Error response from daemon: invalid filter 'status=sleeping'", 1)]
    [InlineData("exited=x", "Error response from daemon: invalid filter 'exited=x'", 1)]
    [InlineData("name", "invalid argument \"name\" for \"-f, --filter\" flag: bad format of filter (expected name=value)", 125)]
    public void InvalidFiltersGiveDockersTextAndExitStatus(string filter, string line, int status)
    {
        var e = Assert.Throws<CliError>(() => PsFilter.Parse([filter]));
        Assert.Equal([line], ErrorReport.Lines("ps", e));
        Assert.Equal(status, e.ExitCode);
    }

    [Fact]
    public void TableHasDockersColumnsAndSize()
    {
        _f.Add("loop", ContainerStatus.Exited, 7200, exitCode: 0, command: ["sh", "-c", "while true; do sleep 1; done"]);
        var upper = Path.Combine(_f.Store.DirOf(_f.Store.Find("loop").Id), "upper");
        Directory.CreateDirectory(upper);
        File.WriteAllBytes(Path.Combine(upper, "f"), new byte[1500]);
        var sw = new StringWriter();
        PsCommand.Ps(_f.Root, new PsOptions { All = true, Size = true }, sw, _f.Now, _f.Proc);
        var lines = sw.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES +SIZE$", lines[0]);
        Assert.Contains("\"sh -c 'while true; …\"", lines[1]);
        Assert.Contains("2 hours ago", lines[1]);
        Assert.Contains("1.5kB (virtual 1.5kB)", lines[1]);
        Assert.Matches("^[0-9a-f]{12} +busybox ", lines[1]);
    }

    [Fact]
    public void QuietPrintsIdsAndNoTruncFullIds()
    {
        var c = _f.Add("web", ContainerStatus.Running, 30, pid: 100, alive: true);
        var sw = new StringWriter();
        PsCommand.Ps(_f.Root, new PsOptions { Quiet = true }, sw, _f.Now, _f.Proc);
        Assert.Equal(c.Id[..12] + "\n", sw.ToString().Replace("\r", ""));
        sw = new StringWriter();
        PsCommand.Ps(_f.Root, new PsOptions { Quiet = true, NoTrunc = true }, sw, _f.Now, _f.Proc);
        Assert.Equal(c.Id + "\n", sw.ToString().Replace("\r", ""));
    }

    [Fact]
    public void HealthIsAppendedToARunningContainersStatus()
    {
        // ContainerCommands.Status checks the real /proc: this test process plays the container.
        int self = Environment.ProcessId;
        var c = _f.Add("web", ContainerStatus.Running, 30);
        c = _f.Store.Update(c.Id, r =>
        {
            r.State.Pid = self;
            r.State.PidStartTime = MiniRun.Runtime.ProcStat.StartTime(self)!.Value;
            r.State.Health = new HealthState { Status = "healthy" };
        });
        Assert.EndsWith("(healthy)", PsState.StatusText(c, ContainerStatus.Running, _f.Now));
        c = _f.Store.Update(c.Id, r => r.State.Health = new HealthState { Status = "starting" });
        Assert.EndsWith("(health: starting)", PsState.StatusText(c, ContainerStatus.Running, _f.Now));
    }
}
