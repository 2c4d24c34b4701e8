// InitIntegrationTests: `run --init`: minirun's init is PID 1 and the command its child, a SIGTERM
// to the foreground `run` ends the container (forwarded by run to init, by init to the command),
// orphans are reaped, and the exit status is the command's.
//
// Needs root, the NativeAOT binary and the busybox fixture (see MiniRunHost).
//
// Follows: docker-run(1) --init, pid_namespaces(7).
using MiniRun.Tests.Integration;

namespace MiniRun.Tests.Exec;

public sealed class InitIntegrationTests : IDisposable
{
    private readonly MiniRunHost _host = new();

    public void Dispose() => _host.Dispose();

    [Fact]
    public void InitIsPid1AndTheCommandItsChild()
    {
        var r = _host.Run("run", "--rm", "--pull", "never", "--init", "busybox", "sh", "-c", "ps -o pid,ppid,comm; exit 7");
        Assert.Equal(7, r.ExitCode);
        var lines = r.Stdout.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(f => f.Length == 3).ToList();
        Assert.Contains(lines, f => f[0] == "1" && f[2] == "minirun-init");
        Assert.Contains(lines, f => f[1] == "1" && f[2] == "sh");
    }

    [Fact]
    public void WithoutInitTheCommandIsPid1()
    {
        var r = _host.Run("run", "--rm", "--pull", "never", "busybox", "sh", "-c", "echo $$");
        Assert.Equal("1", r.Stdout.Trim());
    }

    [Fact]
    public void SigtermToTheForegroundRunEndsTheContainer()
    {
        using var c = new RunningContainer(_host, "init-term", "--init", "busybox", "sleep", "1000");
        kill(c.Run.Id, 15);
        // sleep has no SIGTERM handler: without --init, as PID 1 it would ignore the signal.
        Assert.True(c.Run.WaitForExit(60_000), "run did not end after SIGTERM");
        Assert.Equal(143, c.Run.ExitCode);
    }

    [Fact]
    public void OrphansAreReaped()
    {
        using var c = new RunningContainer(_host, "init-reap", "--init", "busybox", "sh", "-c", "(sleep 1 &); exec sleep 300");
        // The subshell exits at once, so `sleep 1` is orphaned to PID 1 (minirun init); sh execs
        // `sleep 300` only after that. Once `sleep 1` ends, init must reap it: a zombie would stay
        // forever. Poll until sleep 300 runs, sleep 1 is gone and there is no zombie.
        bool done = false;
        string ps = "";
        for (int i = 0; i < 150 && !done; i++)
        {
            ps = c.Exec("init-reap", "ps", "-o", "pid,ppid,stat,args").Stdout;
            var lines = ps.Split('\n');
            done = lines.Any(l => l.TrimEnd().EndsWith("sleep 300")) && !lines.Any(l => l.TrimEnd().EndsWith("sleep 1"))
                && !lines.Any(IsZombie);
            if (!done) Thread.Sleep(200);
        }
        Assert.True(done, "an orphan was not reaped:\n" + ps);
    }

    private static bool IsZombie(string psLine)
    {
        var f = psLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return f.Length >= 3 && f[2].StartsWith('Z');
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern int kill(int pid, int sig);
}
