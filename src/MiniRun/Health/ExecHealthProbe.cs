// ExecHealthProbe: one health probe, run inside the container the way `minirun exec` runs a
// command (the runtime core's exec, OciRuntime.Exec: the container's namespaces, cgroup, user, env,
// working directory and confinement).
//
// Why: Docker's health check is an exec whose exit status decides the health; its stdout and
// stderr together become the result's Output. The probe is the supervisor's own child (the exec
// stage clones it with CLONE_PARENT), so the supervisor waits for exactly that pid - never
// waitpid(-1), which would steal the container's PID 1 status from the supervisor's main loop.
// A probe that outlives its timeout is killed (SIGKILL) and recorded as exit -1 with Docker's
// "Health check exceeded timeout" message.
//
// Follows: docker-run(1) --health-cmd/--health-timeout; waitpid(2) WNOHANG; pipe(2).
using System.Runtime.InteropServices;
using System.Text;
using MiniRun.Containers;
using MiniRun.Kernel;
using MiniRun.Runtime;

namespace MiniRun.Health;

public static class ExecHealthProbe
{
    /// <summary>A probe bound to one running container: each check is the runtime core's exec into it.</summary>
    public static HealthProbe For(OciRuntime runtime, string id) =>
        (command, timeout, stop) => Run(options => runtime.Exec(id, options), command, timeout, stop);

    public static unsafe HealthResult Run(Func<ExecOptions, ExecProcess> exec, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken stop)
    {
        var start = DateTimeOffset.UtcNow;
        var (readEnd, writeEnd) = Libc.Pipe();
        int devNull = Libc.open("/dev/null", Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        ExecProcess process;
        try
        {
            process = exec(new ExecOptions { Args = command, Stdin = devNull, Stdout = writeEnd, Stderr = writeEnd });
        }
        catch (ExecFailure e)
        {
            Libc.close(readEnd);
            return new HealthResult { Start = start, End = DateTimeOffset.UtcNow, ExitCode = e.ExitCode, Output = e.Message };
        }
        finally
        {
            Libc.close(writeEnd);   // only the probe holds the write end now: EOF when it (and its children) exit
            if (devNull >= 0) Libc.close(devNull);
        }

        // One loop, no extra thread: read what the probe wrote (poll, 10 ms at a time) and check
        // whether it ended. The first 4096 bytes are kept (what the tracker keeps).
        var output = new MemoryStream();
        var deadline = DateTime.UtcNow + timeout;
        int status = 0;
        bool exited = false, eof = false;
        byte* buffer = stackalloc byte[4096];
        bool Drain(int waitMs)
        {
            var pfd = new Libc.pollfd { fd = readEnd, events = Libc.POLLIN };
            if (Libc.poll(&pfd, 1, waitMs) <= 0) return false;
            nint n = Libc.read(readEnd, buffer, 4096);
            if (n <= 0) { eof = n == 0 || Marshal.GetLastPInvokeError() != Errno.EINTR; return false; }
            if (output.Length < HealthTracker.MaxOutputBytes) output.Write(new ReadOnlySpan<byte>(buffer, (int)n));
            return true;
        }
        while (true)
        {
            int r = Libc.waitpid(process.Pid, out status, Libc.WNOHANG);
            if (r == process.Pid) { exited = true; break; }
            if (r < 0 && Marshal.GetLastPInvokeError() != Errno.EINTR) break;   // ECHILD: reaped elsewhere
            if (DateTime.UtcNow >= deadline || stop.IsCancellationRequested) break;
            if (!eof) Drain(10); else Thread.Sleep(10);
        }
        if (!exited)
        {
            Libc.kill(process.Pid, 9);
            while (Libc.waitpid(process.Pid, out _, 0) < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR) { }
        }
        // What is still in the pipe; a probe's own child may hold it open, so stop after 200 ms.
        var drainUntil = DateTime.UtcNow.AddMilliseconds(200);
        while (!eof && DateTime.UtcNow < drainUntil && Drain(20)) { }
        Libc.close(readEnd);
        var end = DateTimeOffset.UtcNow;
        if (!exited) return HealthTracker.TimedOut(start, end, timeout.Ticks * 100);
        string text = Encoding.UTF8.GetString(output.GetBuffer(), 0, (int)output.Length);
        return new HealthResult { Start = start, End = end, ExitCode = ProcessWaiter.ExitStatus(status), Output = text };
    }
}
