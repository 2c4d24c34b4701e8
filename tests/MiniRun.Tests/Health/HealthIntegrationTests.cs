// HealthIntegrationTests: health checks through the real binary - the supervisor probes the
// container with an exec every interval; ps and inspect show starting -> unhealthy -> healthy.
// Waiting polls the record (never a timed assertion).
using System.Text.Json;
using MiniRun.Tests.Integration;
using Xunit;

namespace MiniRun.Tests.Health;

public sealed class HealthIntegrationTests : IDisposable
{
    private readonly MiniRunHost _m = new();

    public void Dispose() => _m.Dispose();

    private JsonElement? Health(string name) =>
        _m.Record(name).GetProperty("State").TryGetProperty("Health", out var h) && h.ValueKind == JsonValueKind.Object ? h : null;

    private void WaitFor(string what, Func<bool> condition)
    {
        var limit = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (!condition())
        {
            if (DateTime.UtcNow > limit) throw new TimeoutException($"waiting for {what}");
            Thread.Sleep(50);
        }
    }

    [Fact]
    public void ProbesRunInsideTheContainerAndPsShowsTheHealth()
    {
        var run = _m.Run("run", "-d", "--pull", "never", "--name", "probed", "--health-cmd", "cat /tmp/ready",
            "--health-interval", "200ms", "--health-retries", "2", "busybox", "sleep", "300");
        Assert.True(run.ExitCode == 0, run.Stderr);

        WaitFor("unhealthy", () => Health("probed")?.GetProperty("Status").GetString() == "unhealthy");
        var h = Health("probed")!.Value;
        Assert.True(h.GetProperty("FailingStreak").GetInt32() >= 2);
        var last = h.GetProperty("Log").EnumerateArray().Last();
        Assert.Equal(1, last.GetProperty("ExitCode").GetInt32());
        Assert.Contains("/tmp/ready", last.GetProperty("Output").GetString());   // cat's error, from inside the container
        Assert.Contains("(unhealthy)", _m.Run("ps").Stdout);

        // The probe sees the container's own filesystem: create the file from inside.
        Assert.Equal(0, _m.Run("exec", "probed", "sh", "-c", "echo ok > /tmp/ready").ExitCode);
        WaitFor("healthy", () => Health("probed")?.GetProperty("Status").GetString() == "healthy");
        Assert.Contains("(healthy)", _m.Run("ps").Stdout);
        Assert.Equal("healthy\n", _m.Run("inspect", "-f", "{{.State.Health.Status}}", "probed").Stdout);
        Assert.Equal("ok\n", Health("probed")!.Value.GetProperty("Log").EnumerateArray().Last().GetProperty("Output").GetString());

        Assert.Equal(0, _m.Run("rm", "-f", "probed").ExitCode);
    }

    [Fact]
    public void BadHealthFlagsFailBeforeAnythingIsCreated()
    {
        var r = _m.Run("run", "-d", "--pull", "never", "--health-cmd", "true", "--health-interval", "5x", "busybox", "true");
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("--health-interval", r.Stderr);
        var conflict = _m.Run("run", "--pull", "never", "--health-cmd", "true", "--no-healthcheck", "busybox", "true");
        Assert.Equal(125, conflict.ExitCode);
        Assert.Contains("conflicts", conflict.Stderr);
        Assert.Equal("", _m.Run("ps", "-aq").Stdout);
    }
}
