// HookProcess: runs one runtime-spec hook - a program started with its own argv and environment,
// the container's state JSON on its stdin - and waits for it, at most its timeout.
//
// Why: hooks are how engines and tools plug into a container's lifecycle (network setup, device
// injection, logging); runtime-spec fixes how each one is called and when it has failed. How:
//   - posix_spawn (Interop.Spawn.cs): no managed code in the child; every signal back to its
//     default and an empty mask (.NET ignores SIGPIPE, a hook must not inherit that); its own
//     process group, so a timeout can kill the hook with whatever it started;
//   - stdin is a pipe the state is written to (while watching the hook, so a hook that never
//     reads cannot block us); stdout and stderr both go to our stderr, never into the
//     container's output or a JSON answer on our stdout;
//   - a pidfd polled with the remaining time: on timeout SIGKILL to the group, then reap.
// The caller (Runtime/HookRunner.cs, through IKernel.RunHook) turns the outcome into an error or
// a warning. In `minirun init` (PID 1 of a PID namespace) the hook is init's child and is reaped
// here like anywhere else.
//
// Follows: runtime-spec config.md "POSIX-platform Hooks" (path, args as execv, env, timeout;
// state on stdin); posix_spawn(3); pidfd_open(2); poll(2); waitpid(2); kill(2) (negative pid).
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using MiniRun.Spec;

namespace MiniRun.Kernel;

/// <summary>How a hook ended: exited (with a status), killed by a signal, timed out (and killed), or never started (errno).</summary>
public readonly record struct HookOutcome(int ExitStatus, int Signal = 0, bool TimedOut = false, int SpawnErrno = 0)
{
    public bool Succeeded => SpawnErrno == 0 && !TimedOut && Signal == 0 && ExitStatus == 0;

    /// <summary>"exited with status 3", "was killed by signal 9", "timed out after 2 s and was killed", "cannot be executed: ...".</summary>
    public string Describe(SpecHook hook) =>
        SpawnErrno != 0 ? $"cannot be executed: {Errno.Describe(SpawnErrno)}"
        : TimedOut ? $"timed out after {hook.Timeout} s and was killed"
        : Signal != 0 ? $"was killed by signal {Signal}"
        : $"exited with status {ExitStatus}";
}

internal static unsafe class HookProcess
{
    public static HookOutcome Run(SpecHook hook, string state)
    {
        var argv = hook.Args is { Count: > 0 } args ? args : [hook.Path];
        using var strings = new NativeStrings(hook.Path, argv, hook.Env ?? []);
        var (readEnd, writeEnd) = Libc.Pipe();
        int pid = 0, rc;
        byte* attr = stackalloc byte[Libc.SpawnAttrSize];
        byte* actions = stackalloc byte[Libc.SpawnActionsSize];
        byte* all = stackalloc byte[Libc.SigsetSize];
        byte* none = stackalloc byte[Libc.SigsetSize];
        try
        {
            Libc.posix_spawnattr_init(attr);
            Libc.posix_spawn_file_actions_init(actions);
            Libc.sigfillset(all);
            Libc.sigemptyset(none);
            Libc.posix_spawnattr_setflags(attr, Libc.POSIX_SPAWN_SETPGROUP | Libc.POSIX_SPAWN_SETSIGDEF | Libc.POSIX_SPAWN_SETSIGMASK);
            Libc.posix_spawnattr_setpgroup(attr, 0);
            Libc.posix_spawnattr_setsigdefault(attr, all);
            Libc.posix_spawnattr_setsigmask(attr, none);
            Libc.posix_spawn_file_actions_adddup2(actions, readEnd, 0);
            Libc.posix_spawn_file_actions_adddup2(actions, 2, 1);
            rc = Libc.posix_spawn(&pid, strings.Path, actions, attr, strings.Argv, strings.Envp);
        }
        finally
        {
            Libc.posix_spawn_file_actions_destroy(actions);
            Libc.posix_spawnattr_destroy(attr);
            Libc.close(readEnd);
        }
        if (rc != 0)
        {
            Libc.close(writeEnd);
            return new HookOutcome(0, SpawnErrno: rc);
        }
        int pidfd = Libc.PidfdOpen(pid);
        if (pidfd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            Libc.close(writeEnd);
            Libc.kill(-pid, 9);
            Reap(pid);
            throw new KernelException($"pidfd_open({pid}) for hook {hook.Path}", errno);
        }
        try
        {
            long deadline = hook.Timeout is int seconds ? Stopwatch.GetTimestamp() + seconds * Stopwatch.Frequency : long.MaxValue;
            bool ended = WriteState(writeEnd, Encoding.UTF8.GetBytes(state), pidfd, deadline) && WaitEnded(pidfd, deadline);
            if (!ended)
            {
                Libc.kill(-pid, 9);   // the hook's process group: a script's children go with it
                Reap(pid);
                return new HookOutcome(0, TimedOut: true);
            }
            int status = Reap(pid);
            return (status & 0x7f) == 0 ? new HookOutcome((status >> 8) & 0xff) : new HookOutcome(0, Signal: status & 0x7f);
        }
        finally
        {
            Libc.close(pidfd);
        }
    }

    /// <summary>Writes the state while the hook lives; false when the deadline passed first. Closes the pipe.</summary>
    private static bool WriteState(int fd, byte[] data, int pidfd, long deadline)
    {
        try
        {
            Libc.fcntl(fd, 4 /*F_SETFL*/, Libc.O_NONBLOCK);
            var fds = stackalloc Libc.pollfd[2];
            int done = 0;
            while (done < data.Length)
            {
                fixed (byte* p = &data[done])
                {
                    nint n = Libc.write(fd, p, (nuint)(data.Length - done));
                    if (n > 0) { done += (int)n; continue; }
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == Errno.EINTR) continue;
                    if (errno != Errno.EAGAIN) return true;   // EPIPE: the hook closed its stdin, it need not read
                }
                fds[0] = new Libc.pollfd { fd = fd, events = Libc.POLLOUT };
                fds[1] = new Libc.pollfd { fd = pidfd, events = Libc.POLLIN };
                int ready = Libc.poll(fds, 2, Remaining(deadline));
                if (ready == 0) return false;
                if (ready > 0 && fds[1].revents != 0) return true;   // ended without reading it all
            }
            return true;
        }
        finally
        {
            Libc.close(fd);
        }
    }

    private static bool WaitEnded(int pidfd, long deadline)
    {
        while (true)
        {
            var p = new Libc.pollfd { fd = pidfd, events = Libc.POLLIN };
            int ready = Libc.poll(&p, 1, Remaining(deadline));
            if (ready > 0) return true;
            if (ready == 0) return false;
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR) throw new KernelException("poll(pidfd) for a hook", errno);
        }
    }

    /// <summary>Milliseconds to the deadline for poll(2): -1 without one, at least 0.</summary>
    private static int Remaining(long deadline)
    {
        if (deadline == long.MaxValue) return -1;
        long ms = (deadline - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency;
        return ms <= 0 ? 0 : (int)Math.Min(ms + 1, int.MaxValue);
    }

    private static int Reap(int pid)
    {
        while (true)
        {
            if (Libc.waitpid(pid, out int status, 0) == pid) return status;
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR) throw new KernelException($"waitpid({pid}) for a hook", errno);
        }
    }
}
