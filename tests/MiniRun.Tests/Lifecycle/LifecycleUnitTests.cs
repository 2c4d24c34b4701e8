// LifecycleUnitTests: the pure parts of the lifecycle work - restart policy and backoff, the
// json-file log line format, reading it back, signal names and detach keys.
using System.Text;
using MiniRun.Cli;
using MiniRun.Containers;
using MiniRun.Supervisor;

namespace MiniRun.Tests.Lifecycle;

public sealed class LifecycleUnitTests
{
    [Fact]
    public void BackoffStartsAt100MsDoublesAndCapsAtAMinute()
    {
        var b = new RestartBackoff();
        var quick = TimeSpan.FromSeconds(1);
        Assert.Equal(100, b.Next(quick).TotalMilliseconds);
        Assert.Equal(200, b.Next(quick).TotalMilliseconds);
        Assert.Equal(400, b.Next(quick).TotalMilliseconds);
        for (int i = 0; i < 20; i++) b.Next(quick);
        Assert.Equal(TimeSpan.FromMinutes(1), b.Next(quick));
    }

    [Fact]
    public void BackoffResetsAfterTenSecondsOfRunning()
    {
        var b = new RestartBackoff();
        b.Next(TimeSpan.Zero);
        b.Next(TimeSpan.Zero);
        Assert.Equal(400, b.Next(TimeSpan.Zero).TotalMilliseconds);
        Assert.Equal(100, b.Next(TimeSpan.FromSeconds(10)).TotalMilliseconds);
    }

    [Theory]
    [InlineData("no", 1, 0, false, false)]
    [InlineData("always", 0, 5, false, true)]
    [InlineData("always", 1, 0, true, false)]            // a manual stop is never undone
    [InlineData("unless-stopped", 0, 0, false, true)]
    [InlineData("on-failure", 0, 0, false, false)]
    [InlineData("on-failure", 1, 100, false, true)]
    [InlineData("on-failure:2", 1, 1, false, true)]
    [InlineData("on-failure:2", 1, 2, false, false)]
    public void RestartDecisions(string policy, int exitCode, int restarts, bool manuallyStopped, bool expected) =>
        Assert.Equal(expected, RestartRules.ShouldRestart(RestartRules.Parse(policy), exitCode, restarts, manuallyStopped));

    [Theory]
    [InlineData("sometimes")]
    [InlineData("on-failure:x")]
    [InlineData("always:3")]
    public void BadRestartPoliciesAreRefused(string value) => Assert.Throws<FormatException>(() => RestartRules.Parse(value));

    [Fact]
    public void LogLineIsDockersJsonFileFormat()
    {
        var t = new DateTimeOffset(2024, 5, 1, 10, 0, 0, TimeSpan.Zero).AddTicks(1234500);
        Assert.Equal("{\"log\":\"hello\\n\",\"stream\":\"stdout\",\"time\":\"2024-05-01T10:00:00.12345Z\"}\n",
            JsonLogWriter.FormatLine("hello\n", "stdout", t));
        Assert.Equal("2024-05-01T10:00:00Z", JsonLogWriter.FormatTime(new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.FromHours(2))));
    }

    [Fact]
    public void LogLineEscapesLikeGo()
    {
        string line = JsonLogWriter.FormatLine("a\"b\\c\t\r<&>\u0001é\n", "stderr", DateTimeOffset.UnixEpoch);
        Assert.StartsWith("{\"log\":\"a\\\"b\\\\c\\t\\r\\u003c\\u0026\\u003e\\u0001é\\n\",\"stream\":\"stderr\"", line);
        var parsed = LifecycleLogs.Parse(Encoding.UTF8.GetBytes(line.TrimEnd('\n')))!;
        Assert.Equal("a\"b\\c\t\r<&>\u0001é\n", Encoding.UTF8.GetString(parsed.Log));
        Assert.Equal("stderr", parsed.Stream);
    }

    [Fact]
    public void WriterSplitsLinesKeepsStreamsApartAndFlushesTheRest()
    {
        string dir = Directory.CreateTempSubdirectory("minirun-log-").FullName;
        try
        {
            string path = Path.Combine(dir, "container.log");
            using (var w = new JsonLogWriter(path))
            {
                w.Write(false, "one\ntw"u8);
                w.Write(true, "err\n"u8);
                w.Write(false, "o\nlast"u8);
            }
            long offset = 0;
            var entries = LifecycleLogs.ReadFrom(path, ref offset);
            Assert.Equal(["stdout:one\n", "stderr:err\n", "stdout:two\n", "stdout:last"],
                entries.Select(e => e.Stream + ":" + Encoding.UTF8.GetString(e.Log)));
            Assert.Equal(new FileInfo(path).Length, offset);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void LongLinesArePartitionedAt16KiB()
    {
        string dir = Directory.CreateTempSubdirectory("minirun-log-").FullName;
        try
        {
            string path = Path.Combine(dir, "container.log");
            using (var w = new JsonLogWriter(path))
                w.Write(false, Encoding.ASCII.GetBytes(new string('x', 40000) + "\n"));
            long offset = 0;
            var sizes = LifecycleLogs.ReadFrom(path, ref offset).Select(e => e.Log.Length).ToList();
            Assert.Equal([16384, 16384, 40001 - 32768], sizes);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Theory]
    [InlineData("SIGTERM", 15)]
    [InlineData("term", 15)]
    [InlineData("9", 9)]
    [InlineData("USR1", 10)]
    [InlineData("SIGRTMIN+3", 37)]
    [InlineData("BOGUS", null)]
    public void SignalNames(string name, int? expected) => Assert.Equal(expected, Signals.Parse(name));

    [Fact]
    public void DetachKeys()
    {
        Assert.Equal(new byte[] { 16, 17 }, AttachClient.ParseDetachKeys(null));
        Assert.Equal(new byte[] { (byte)'a', 27 }, AttachClient.ParseDetachKeys("a,ctrl-["));
        Assert.Throws<FormatException>(() => AttachClient.ParseDetachKeys("ctrl-"));
    }

    [Fact]
    public void RelativeAndAbsoluteTimesForSinceAndUntil()
    {
        var now = new DateTimeOffset(2024, 5, 1, 10, 0, 0, TimeSpan.Zero);
        Assert.Equal(now.AddMinutes(-90), LifecycleLogs.ParseTime("1h30m", now, "since"));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000), LifecycleLogs.ParseTime("1700000000", now, "since"));
        Assert.Equal(new DateTimeOffset(2024, 1, 2, 13, 23, 37, TimeSpan.Zero), LifecycleLogs.ParseTime("2024-01-02T13:23:37Z", now, "since"));
    }

    [Fact]
    public void StatusOfAContainerWhoseProcessesAreGoneIsExited()
    {
        var c = new ContainerRecord { Created = DateTimeOffset.UtcNow.AddMinutes(-5) };
        c.State.Status = ContainerStatus.Running;
        c.State.Pid = int.MaxValue - 1;   // no such process
        c.State.StartedAt = DateTimeOffset.UtcNow.AddMinutes(-5);
        Assert.False(ContainerLiveness.IsRunning(c));
        Assert.StartsWith("Exited (255) ", ContainerCommands.Status(c, DateTimeOffset.UtcNow));
        c.State.Status = ContainerStatus.Exited;
        c.State.ExitCode = 137;
        c.State.FinishedAt = DateTimeOffset.UtcNow.AddMinutes(-2);
        Assert.Equal("Exited (137) 2 minutes ago", ContainerCommands.Status(c, DateTimeOffset.UtcNow));
        c.State.Status = ContainerStatus.Created;
        Assert.Equal("Created", ContainerCommands.Status(c, DateTimeOffset.UtcNow));
    }
}
