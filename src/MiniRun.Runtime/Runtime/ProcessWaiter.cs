// ProcessWaiter: wait for the container's PID 1, forward signals to it, and turn its end into
// Docker's exit status.
//
// Why: `minirun run` in the foreground stands for the container: SIGINT, SIGTERM, SIGHUP,
// SIGQUIT, SIGUSR1 and SIGUSR2 sent to it are passed to the container's PID 1 (which, as PID 1
// of its namespace, receives only signals it has a handler for - just as in Docker). The exit
// status is the command's own, or 128+N when signal N killed it.
//
// Follows: waitpid(2) (WIFEXITED, WEXITSTATUS, WIFSIGNALED, WTERMSIG), kill(2), signal(7).
using System.Runtime.InteropServices;
using MiniRun.Kernel;

namespace MiniRun.Runtime;

public sealed class ProcessWaiter : IDisposable
{
    private static readonly int[] Forwarded = [1 /*HUP*/, 2 /*INT*/, 3 /*QUIT*/, 10 /*USR1*/, 12 /*USR2*/, 15 /*TERM*/];
    private readonly List<PosixSignalRegistration> _registrations = new();
    private readonly object _gate = new();
    private readonly List<int> _pending = new();
    private int _pid;

    /// <summary>
    /// Starts catching the forwarded signals at once, before the container exists: a signal that
    /// arrives while it is being created is held and delivered as soon as its pid is known
    /// (otherwise SIGTERM in that window would kill minirun and orphan the container).
    /// </summary>
    public ProcessWaiter() => ForwardSignals();

    /// <summary>The container's PID 1 is known: deliver what was held, forward from now on.</summary>
    public void Attach(int pid)
    {
        lock (_gate)
        {
            _pid = pid;
            foreach (int sig in _pending) Libc.kill(pid, sig);
            _pending.Clear();
        }
    }

    private void Forward(int sig)
    {
        lock (_gate)
        {
            if (_pid > 0) Libc.kill(_pid, sig);
            else _pending.Add(sig);
        }
    }

    private void ForwardSignals()
    {
        foreach (int sig in Forwarded)
        {
            var posix = sig switch
            {
                1 => PosixSignal.SIGHUP, 2 => PosixSignal.SIGINT, 3 => PosixSignal.SIGQUIT, 15 => PosixSignal.SIGTERM,
                _ => (PosixSignal)sig,   // raw signal numbers are accepted on Unix
            };
            _registrations.Add(PosixSignalRegistration.Create(posix, ctx =>
            {
                ctx.Cancel = true;   // do not let .NET terminate minirun: the container decides
                Forward(sig);
            }));
        }
    }

    /// <summary>Blocks until the process ends; returns its Docker-style exit status.</summary>
    public int Wait()
    {
        if (_pid <= 0) throw new InvalidOperationException("no process attached");
        while (true)
        {
            if (Libc.waitpid(_pid, out int status, 0) == _pid) return ExitStatus(status);
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR) throw new KernelException($"waitpid {_pid}", errno);
        }
    }

    /// <summary>The raw wait status as a shell would report it: code, or 128 + signal.</summary>
    public static int ExitStatus(int status)
    {
        int signal = status & 0x7f;
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal;
    }

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        _registrations.Clear();
    }
}
