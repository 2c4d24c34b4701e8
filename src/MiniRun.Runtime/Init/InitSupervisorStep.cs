// InitSupervisorStep: with `run --init`, `minirun init` stays the container's PID 1: it spawns the
// command as its child, forwards signals to it, reaps every zombie, and exits with the command's
// exit status (128+N when signal N ended it) - what tini / docker-init do for Docker.
//
// Why: PID 1 of a PID namespace gets only the signals it installed a handler for, so
// `docker run busybox sleep 1000` ignores Ctrl-C and `stop` waits 10 s for SIGKILL; and orphans
// inside the container are reparented to PID 1, which must wait(2) for them or they stay zombies.
// A minimal init fixes both without changing the command.
//
// How: every inherited descriptor is made close-on-exec first (the command gets none of the
// host's), then the command is started through the native stage (Native/exec_stage.c: no managed
// code runs in the child before execve; it resets signal dispositions and the mask) with the
// credentials, directory and terminal the earlier steps set up for this process. Then the sync
// socket is closed, which tells the parent the container runs; from there on nothing is traced.
// The loop waits for any child: orphans are reaped, and when the command itself ends, init exits
// with its status (the kernel then kills whatever else is left in the namespace).
//
// Follows: pid_namespaces(7) ("The namespace init process", signals), waitpid(2), signal(7),
// docker-run(1) --init.
using System.Runtime.InteropServices;
using MiniRun.Kernel;
using MiniRun.Runtime;
using MiniRun.Spec;

using MiniRun.Trace;

namespace MiniRun.Init;

public static class InitSupervisorStep
{
    /// <summary>Signals passed on to the command, as tini does by default.</summary>
    public static readonly int[] Forwarded = [1 /*HUP*/, 2 /*INT*/, 3 /*QUIT*/, 10 /*USR1*/, 12 /*USR2*/, 15 /*TERM*/, 28 /*WINCH*/];

    /// <summary>The annotation that asks for this step ("true"); `run --init` writes it into config.json.</summary>
    public const string Annotation = "io.minirun.init";

    public static bool Requested(RuntimeSpec spec) =>
        spec.Annotations?.TryGetValue(Annotation, out var v) == true && v == "true";

    /// <summary>Without --init: nothing (the next step execs the command). With it: never returns.</summary>
    public static void Run(InitContext c)
    {
        if (!Requested(c.Spec)) return;
        c.BeginStep(Messages.InitSupervisorTitle, Messages.InitSupervisorWhy);
        c.Trace.Fact(TraceFact.Command, Messages.FactInitStays.With(string.Join(' ', c.Spec.Process.Args)).Text);
        c.Kernel.CloseOnExecFrom(3 + c.PreserveFds);
        SetName("minirun-init");   // what `ps` inside shows for PID 1 (else "exe", from /proc/self/exe)
        var forwarder = new SignalForwarder();   // catch signals before the child exists: none is lost
        int pid;
        try
        {
            pid = ExecNative.Start(new ExecNativeRequest([], -1, (-1, -1, -1), Tty: false, User: null, Cwd: null,
                c.ExecutablePath!, c.Spec.Process.Args, c.Env, Detach: false));
        }
        catch (ExecStageException e)
        {
            throw new InitFailure(e.ExitCode, $"exec: {GoQuote.Quote(c.Spec.Process.Args[0])}: {Errno.Describe(e.Errno)}");
        }
        c.Trace.Call($"clone(CLONE_VM|CLONE_VFORK|SIGCHLD) + execve({GoQuote.Quote(c.ExecutablePath)})",
            Messages.ResultInitChild.With(pid).Text);
        forwarder.Attach(pid);
        if (c.StartFifo >= 0) { c.Kernel.Close(c.StartFifo); c.StartFifo = -1; }   // `start` waits for this close
        c.ReleaseParent?.Invoke();   // EOF on the sync socket: the container is running
        Environment.Exit(ReapUntilExit(pid));
    }

    private static unsafe void SetName(string name)
    {
        byte* buf = stackalloc byte[16];
        int n = System.Text.Encoding.ASCII.GetBytes(name.AsSpan(0, Math.Min(15, name.Length)), new Span<byte>(buf, 15));
        buf[n] = 0;
        Libc.prctl(Libc.PR_SET_NAME, (nuint)buf, 0, 0, 0);
    }

    /// <summary>Waits for every child; returns the command's Docker-style status once it ended.</summary>
    public static int ReapUntilExit(int command)
    {
        while (true)
        {
            int pid = Libc.waitpid(-1, out int status, 0);
            if (pid == command)
            {
                while (Libc.waitpid(-1, out _, Libc.WNOHANG) > 0) { }   // collect what is already dead
                return ProcessWaiter.ExitStatus(status);
            }
            if (pid < 0 && Marshal.GetLastPInvokeError() is int e && e != Errno.EINTR)
                return 125;   // ECHILD: the command is not our child (cannot happen)
        }
    }

    /// <summary>Passes the forwarded signals to the command; holds those that arrive before it exists.</summary>
    private sealed class SignalForwarder
    {
        private readonly List<PosixSignalRegistration> _registrations = new();
        private readonly List<int> _pending = new();
        private readonly object _gate = new();
        private int _pid;

        public SignalForwarder()
        {
            foreach (int sig in Forwarded)
            {
                var posix = sig switch
                {
                    1 => PosixSignal.SIGHUP, 2 => PosixSignal.SIGINT, 3 => PosixSignal.SIGQUIT,
                    15 => PosixSignal.SIGTERM, 28 => PosixSignal.SIGWINCH, _ => (PosixSignal)sig,
                };
                _registrations.Add(PosixSignalRegistration.Create(posix, ctx =>
                {
                    ctx.Cancel = true;   // init does not end on a signal: the command decides
                    lock (_gate)
                    {
                        if (_pid > 0) Libc.kill(_pid, sig);
                        else _pending.Add(sig);
                    }
                }));
            }
        }

        public void Attach(int pid)
        {
            lock (_gate)
            {
                _pid = pid;
                foreach (int sig in _pending) Libc.kill(pid, sig);
                _pending.Clear();
            }
        }
    }
}
