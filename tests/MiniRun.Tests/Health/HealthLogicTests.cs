// HealthLogicTests: Go-style durations, the merge of --health-* flags with the image's
// Healthcheck, and the starting/healthy/unhealthy transitions (Docker's rules).
using MiniImage.Oci;
using MiniRun.Containers;
using MiniRun.Health;
using MiniRun.Spec;
using Xunit;

namespace MiniRun.Tests.Health;

public class GoDurationTests
{
    [Theory]
    [InlineData("30s", 30_000_000_000L)]
    [InlineData("1m30s", 90_000_000_000L)]
    [InlineData("500ms", 500_000_000L)]
    [InlineData("1h", 3_600_000_000_000L)]
    [InlineData("1.5s", 1_500_000_000L)]
    [InlineData("0", 0L)]
    [InlineData("10us", 10_000L)]
    public void Parses(string text, long ns) => Assert.Equal(ns, GoDuration.TryParseNanoseconds(text));

    [Theory]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("5x")]
    [InlineData("s")]
    [InlineData("1m30")]
    public void Refuses(string text) => Assert.Null(GoDuration.TryParseNanoseconds(text));

    [Fact]
    public void ErrorNamesTheFlag()
    {
        var e = Assert.Throws<FormatException>(() => GoDuration.ParseNanoseconds("5x", "--health-interval"));
        Assert.Contains("--health-interval", e.Message);
        Assert.Contains("\"5x\"", e.Message);
    }

    [Theory]
    [InlineData(30_000_000_000L, "30s")]
    [InlineData(90_000_000_000L, "1m30s")]
    [InlineData(500_000_000L, "500ms")]
    public void Formats(long ns, string text) => Assert.Equal(text, GoDuration.Format(ns));
}

public class HealthSettingsTests
{
    [Fact]
    public void NothingGivenMeansNoCheck() => Assert.Null(HealthSettings.Resolve(new HealthFlagValues(), null));

    [Fact]
    public void HealthCmdRunsThroughTheShellWithDockersDefaults()
    {
        var c = HealthSettings.Resolve(new HealthFlagValues(Cmd: "test -f /ready"), null)!;
        Assert.Equal(["CMD-SHELL", "test -f /ready"], c.Test);
        Assert.Equal(30_000_000_000L, c.Interval);
        Assert.Equal(30_000_000_000L, c.Timeout);
        Assert.Equal(0L, c.StartPeriod);
        Assert.Equal(3, c.Retries);
        Assert.Equal(["/bin/sh", "-c", "test -f /ready"], HealthSettings.Command(c));
    }

    [Fact]
    public void FlagsOverrideTheImageFieldByField()
    {
        var image = new ImageHealthcheck { Test = ["CMD", "wget", "-q", "localhost"], Interval = 5_000_000_000, Retries = 7, Timeout = 2_000_000_000 };
        var c = HealthSettings.Resolve(new HealthFlagValues(Interval: "1s"), image)!;
        Assert.Equal(["CMD", "wget", "-q", "localhost"], c.Test);
        Assert.Equal(1_000_000_000L, c.Interval);
        Assert.Equal(2_000_000_000L, c.Timeout);
        Assert.Equal(7, c.Retries);
        Assert.Equal(["wget", "-q", "localhost"], HealthSettings.Command(c));
    }

    [Fact]
    public void NoneAndNoHealthcheckTurnItOff()
    {
        Assert.Null(HealthSettings.Resolve(new HealthFlagValues(), new ImageHealthcheck { Test = ["NONE"] }));
        Assert.Null(HealthSettings.Resolve(new HealthFlagValues(NoHealthcheck: true), new ImageHealthcheck { Test = ["CMD", "true"] }));
    }

    [Fact]
    public void BadCombinationsAreRefused()
    {
        Assert.Contains("conflicts", Assert.Throws<RunConfigException>(() => HealthSettings.Resolve(new HealthFlagValues(Cmd: "true", NoHealthcheck: true), null)).Message);
        Assert.Contains("1ms", Assert.Throws<RunConfigException>(() => HealthSettings.Resolve(new HealthFlagValues(Cmd: "true", Interval: "10us"), null)).Message);
        Assert.Contains("--health-timeout", Assert.Throws<RunConfigException>(() => HealthSettings.Resolve(new HealthFlagValues(Cmd: "true", Timeout: "soon"), null)).Message);
        Assert.Contains("negative", Assert.Throws<RunConfigException>(() => HealthSettings.Resolve(new HealthFlagValues(Cmd: "true", Retries: -1), null)).Message);
    }
}

public class HealthTrackerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    private static HealthResult Probe(int seconds, int exit) =>
        new() { Start = T0.AddSeconds(seconds), End = T0.AddSeconds(seconds).AddMilliseconds(5), ExitCode = exit, Output = $"probe {seconds}" };

    [Fact]
    public void StartingThenHealthyThenUnhealthyAfterRetries()
    {
        var config = new HealthConfig { Test = ["CMD", "x"], Retries = 3 };
        var s = HealthTracker.Initial();
        Assert.Equal(" (health: starting)", HealthTracker.PsSuffix(s));
        HealthTracker.Apply(s, config, Probe(1, 0), T0);
        Assert.Equal("healthy", s.Status);
        HealthTracker.Apply(s, config, Probe(2, 1), T0);
        HealthTracker.Apply(s, config, Probe(3, 1), T0);
        Assert.Equal("healthy", s.Status);
        Assert.Equal(2, s.FailingStreak);
        HealthTracker.Apply(s, config, Probe(4, 1), T0);
        Assert.Equal("unhealthy", s.Status);
        Assert.Equal(" (unhealthy)", HealthTracker.PsSuffix(s));
        HealthTracker.Apply(s, config, Probe(5, 0), T0);
        Assert.Equal("healthy", s.Status);
        Assert.Equal(0, s.FailingStreak);
    }

    [Fact]
    public void FailuresInTheStartPeriodDoNotCountWhileStarting()
    {
        var config = new HealthConfig { Test = ["CMD", "x"], Retries = 1, StartPeriod = 10_000_000_000 };
        var s = HealthTracker.Initial();
        HealthTracker.Apply(s, config, Probe(1, 1), T0);
        HealthTracker.Apply(s, config, Probe(5, 1), T0);
        Assert.Equal("starting", s.Status);
        Assert.Equal(0, s.FailingStreak);
        HealthTracker.Apply(s, config, Probe(11, 1), T0);
        Assert.Equal("unhealthy", s.Status);
    }

    [Fact]
    public void KeepsTheLastFiveResultsWithBoundedOutput()
    {
        var config = new HealthConfig { Test = ["CMD", "x"], Retries = 3 };
        var s = HealthTracker.Initial();
        for (int i = 0; i < 8; i++) HealthTracker.Apply(s, config, Probe(i, 0), T0);
        Assert.Equal(5, s.Log.Count);
        Assert.Equal("probe 3", s.Log[0].Output);
        var big = Probe(9, 0);
        big.Output = new string('x', 10_000);
        HealthTracker.Apply(s, config, big, T0);
        Assert.Equal(4096, s.Log[^1].Output.Length);
    }

    [Fact]
    public void TimeoutIsAFailureWithDockersMessage()
    {
        var r = HealthTracker.TimedOut(T0, T0.AddSeconds(2), 2_000_000_000);
        Assert.Equal(-1, r.ExitCode);
        Assert.Equal("Health check exceeded timeout (2s)", r.Output);
    }
}

public class HealthMonitorTests
{
    [Fact]
    public void ProbesRepeatedlyAndPublishesTransitions()
    {
        var config = new HealthConfig { Test = ["CMD-SHELL", "check"], Interval = 1_000_000, Timeout = 1_000_000_000, Retries = 2 };
        var published = new System.Collections.Concurrent.ConcurrentQueue<string>();
        int calls = 0;
        IReadOnlyList<string>? seen = null;
        HealthProbe probe = (cmd, timeout, stop) =>
        {
            seen = cmd;
            int n = Interlocked.Increment(ref calls);
            var now = DateTimeOffset.UtcNow;
            return new HealthResult { Start = now, End = now, ExitCode = n <= 2 ? 0 : 1, Output = $"call {n}" };
        };
        using (var monitor = new HealthMonitor(config, DateTimeOffset.UtcNow, probe, s => published.Enqueue($"{s.Status}/{s.FailingStreak}")))
        {
            monitor.Start();
            var until = DateTime.UtcNow.AddSeconds(30);
            while (!published.Contains("unhealthy/2") && DateTime.UtcNow < until) Thread.Sleep(5);
        }
        var states = published.ToList();
        Assert.Equal("starting/0", states[0]);
        Assert.Contains("healthy/0", states);
        Assert.Contains("healthy/1", states);
        Assert.Contains("unhealthy/2", states);
        Assert.Equal(["/bin/sh", "-c", "check"], seen);
    }

    [Fact]
    public void AProbeThatCannotStartCountsAsAFailure()
    {
        var config = new HealthConfig { Test = ["CMD", "x"], Interval = 1_000_000, Timeout = 1_000_000_000, Retries = 1 };
        HealthState? last = null;
        using (var monitor = new HealthMonitor(config, DateTimeOffset.UtcNow, (_, _, _) => throw new InvalidOperationException("Container abc is not running"), s => last = s))
        {
            monitor.Start();
            var until = DateTime.UtcNow.AddSeconds(30);
            while (last?.Status != "unhealthy" && DateTime.UtcNow < until) Thread.Sleep(5);
        }
        Assert.Equal("unhealthy", last!.Status);
        Assert.Equal("Container abc is not running", last.Log[^1].Output);
        Assert.Equal(-1, last.Log[^1].ExitCode);
    }
}
