// BootIntegrationTests: `minirun boot` after a simulated machine death (supervisor and PID 1
// killed with SIGKILL, nothing recorded): an `always` container comes back with a new
// supervisor, a `no` one is only marked exited (255), a hand-stopped `unless-stopped` stays down.
using System.Text.Json;
using MiniRun.Tests.Integration;
using Xunit;

namespace MiniRun.Tests.Boot;

public sealed class BootIntegrationTests : IDisposable
{
    private readonly MiniRunHost _m = new();

    public void Dispose() => _m.Dispose();

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);


    private JsonElement State(string name) => _m.Record(name).GetProperty("State");

    private static void WaitFor(string what, Func<bool> condition)
    {
        var limit = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!condition())
        {
            if (DateTime.UtcNow > limit) throw new TimeoutException($"waiting for {what}");
            Thread.Sleep(50);
        }
    }

    private void DieWithTheMachine(string name)
    {
        var s = State(name);
        int supervisor = s.GetProperty("SupervisorPid").GetInt32(), pid = s.GetProperty("Pid").GetInt32();
        kill(supervisor, 9);
        WaitFor("the supervisor to be gone", () => !MiniRunHost.Alive(supervisor));
        kill(pid, 9);
        WaitFor("PID 1 to be gone", () => !MiniRunHost.Alive(pid));
    }

    [Fact]
    public void BootStartsAlwaysContainersAgainAndMarksTheRestExited()
    {
        foreach (var (name, policy) in new[] { ("boot-always", "always"), ("boot-no", "no"), ("boot-unless", "unless-stopped") })
        {
            var r = _m.Run("run", "-d", "--pull", "never", "--name", name, "--restart", policy, "busybox", "sleep", "300");
            Assert.True(r.ExitCode == 0, r.Stderr);
        }
        Assert.Equal(0, _m.Run("stop", "-t", "0", "boot-unless").ExitCode);
        DieWithTheMachine("boot-always");
        DieWithTheMachine("boot-no");

        var boot = _m.Run("boot");
        Assert.True(boot.ExitCode == 0, boot.Stdout + boot.Stderr);
        Assert.Contains("boot-always: started again (restart policy always)", boot.Stdout);
        Assert.DoesNotContain("boot-no:", boot.Stdout);
        Assert.DoesNotContain("boot-unless:", boot.Stdout);

        var always = State("boot-always");
        Assert.Equal("running", always.GetProperty("Status").GetString());
        Assert.True(MiniRunHost.Alive(always.GetProperty("Pid").GetInt32()));
        var no = State("boot-no");
        Assert.Equal("exited", no.GetProperty("Status").GetString());
        Assert.Equal(255, no.GetProperty("ExitCode").GetInt32());
        Assert.Equal("exited", State("boot-unless").GetProperty("Status").GetString());
    }
}
