// SupervisorLauncher: how the CLI starts a container's supervisor.
//
// Why two ways (docs/lifecycle.md): `run` keeps its fast path - one native call clones the
// supervisor-to-be, which clones init into the container's namespaces as its own child and execs
// `minirun supervise --adopt`, so the supervisor's and init's .NET runtimes start in parallel
// while `run` writes the bundle; `run` then does init's handshake itself and reports to the
// supervisor over the control socket ('n', 'm', 'r' or 'f'). Given the container's cgroup (made
// empty by the engine before the bundle exists), init is born in it (clone3 CLONE_INTO_CGROUP);
// the supervisor stays in the caller's cgroup. `start` (and anything starting an
// existing container) spawns `minirun supervise --start`, which starts the container itself
// exactly as it does for each restart.
//
// Descriptors: the container's stdout/stderr are pipes whose read ends only the supervisor holds
// (write ends: only init, then the container); stdin (-i) is a pipe whose write end only the
// supervisor holds; with -t there are no pipes and the terminal's master reaches the supervisor.
//
// Follows: socketpair(2), pipe2(2); Native/clone_stage.c.
using MiniRun.Cgroups;
using MiniRun.Init;
using MiniRun.Kernel;
using MiniRun.Runtime;
using MiniRun.Trace;

namespace MiniRun.Supervisor;

public sealed class LaunchedSupervisor : IDisposable
{
    public int SupervisorPid { get; init; }
    /// <summary>Our end of the control socket (SOCK_SEQPACKET).</summary>
    public int Control { get; set; }
    /// <summary>The waiting init (fast path only); its handshake is ours to do.</summary>
    public ClonedInit? Init { get; init; }

    /// <summary>The container will not be started: init ends (it reads EOF), so does the supervisor.</summary>
    public void Abort()
    {
        Init?.Abort();   // not our child (the supervisor's): killed, and its cgroup removed once it has left
        Dispose();
    }

    public void Dispose()
    {
        if (Control >= 0) Libc.close(Control);
        Control = -1;
    }
}

public static class SupervisorLauncher
{
    /// <summary>
    /// The fast path of `run`: supervisor and init cloned at once (init waits for "B"). With
    /// <paramref name="cgroup"/> init is born in it when the kernel can; the cgroup then belongs to
    /// the returned Init (a failure here removes it).
    /// </summary>
    public static LaunchedSupervisor LaunchWithInit(int flags, bool tty, bool interactive, string exe, ConsoleTrace? trace,
        IReadOnlyList<string>? joinPaths = null, Cgroup? cgroup = null)
    {
        bool bornIn = false;
        var (control, controlChild) = SocketPair();
        var (syncParent, syncChild) = SyncChannel.CreatePair();
        int devNull = Libc.open("/dev/null", Libc.O_RDWR | Libc.O_CLOEXEC, 0);
        var close = new List<int> { controlChild, devNull };
        try
        {
            var joinFds = new List<int>();
            foreach (var path in joinPaths ?? [])   // e.g. the network namespace of a bridge network (Network/ContainerNetwork.cs)
            {
                int fd = Libc.open(path, Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
                if (fd < 0) throw new KernelException($"open namespace {path}", System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
                close.Add(fd);
                joinFds.Add(fd);
            }
            int outR = -1, errR = -1, inW = -1;
            (int In, int Out, int Err) initStdio = (devNull, devNull, devNull);
            if (!tty)
            {
                var (or, ow) = Libc.Pipe();
                var (er, ew) = Libc.Pipe();
                outR = or; errR = er;
                close.AddRange([or, ow, er, ew]);
                initStdio = (devNull, ow, ew);
                if (interactive)
                {
                    var (ir, iw) = Libc.Pipe();
                    inW = iw;
                    close.AddRange([ir, iw]);
                    initStdio.In = ir;
                }
            }
            trace?.Step(Messages.SupervisorCloneTitle, Messages.SupervisorCloneWhy);
            var env = new List<string> { $"{InitProcess.SyncFdVariable}={syncChild.Fd}" };
            if (trace is not null)
                env.Add($"{InitProcess.TraceVariable}={trace.InitVariable(trace.NextNumber + 1)}");
            var keep = new List<int> { controlChild, outR, errR, inW };
            int cgroupFd = cgroup is null ? -1 : ContainerStarter.OpenCgroup(cgroup, trace);
            if (cgroupFd >= 0) close.Add(cgroupFd);
            var (supervisor, init, into) = NativeStage.SpawnSupervised(flags, syncChild.Fd, initStdio, joinFds, keep, devNull, exe,
                ["minirun", "init"], env,
                ["minirun", "supervise", "--adopt", $"{controlChild}", $"{outR}", $"{errR}", $"{inW}"], SupervisorEnvironment(), cgroupFd);
            if (trace is not null)
                ContainerStarter.NarrateClone(trace, flags, cgroup, cgroupFd, into, Messages.ResultCloneViaSupervisor.With(init, supervisor).Text);
            bornIn = into.Into;
            return new LaunchedSupervisor { SupervisorPid = supervisor, Control = control, Init = new ClonedInit(init, flags, syncParent, into.Into ? cgroup : null) };
        }
        catch
        {
            Libc.close(control);
            syncParent.Dispose();
            throw;
        }
        finally
        {
            syncChild.Dispose();
            foreach (var fd in close) Libc.close(fd);
            // Not born in it (no clone, or the kernel refused clone3): the core makes the cgroup
            // itself when it starts the container, so this empty one goes.
            if (cgroup is not null && !bornIn)
                try { cgroup.Remove(); } catch (KernelException) { }
        }
    }

    /// <summary>`start`: a supervisor that starts the container itself; it answers 'r' or 'f' on Control.</summary>
    public static LaunchedSupervisor LaunchForStart(string root, string id, string exe = "/proc/self/exe")
    {
        var (control, controlChild) = SocketPair();
        int devNull = Libc.open("/dev/null", Libc.O_RDWR | Libc.O_CLOEXEC, 0);
        try
        {
            // No namespaces: minirun_spawn with flags 0 is a plain vfork-like spawn; controlChild
            // stays open across execve as the "sync" descriptor.
            int pid = NativeStage.Spawn(0, controlChild, [], (devNull, devNull, devNull), exe,
                ["minirun", "supervise", "--start", $"{controlChild}", Path.GetFullPath(root), id], SupervisorEnvironment());
            return new LaunchedSupervisor { SupervisorPid = pid, Control = control };
        }
        catch
        {
            Libc.close(control);
            throw;
        }
        finally
        {
            Libc.close(controlChild);
            Libc.close(devNull);
        }
    }

    /// <summary>
    /// The supervisor's environment: PATH (and MINIRUN_DAEMON_CONFIG when set), plus a small gen0 budget for the GC so its
    /// resident memory stays a few MB (it allocates little, and never much at once).
    /// </summary>
    private static List<string> SupervisorEnvironment()
    {
        var env = new List<string> { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "DOTNET_GCgen0size=0x100000" };
        // The machine-wide settings file, when the caller names another (tests): restarts read the same one.
        if (Environment.GetEnvironmentVariable(MiniRun.Security.DaemonConfig.PathVariable) is { Length: > 0 } config)
            env.Add($"{MiniRun.Security.DaemonConfig.PathVariable}={config}");
        return env;
    }

    private static unsafe (int Ours, int Theirs) SocketPair()
    {
        int* sv = stackalloc int[2];
        if (Libc.socketpair(Libc.AF_UNIX, Libc.SOCK_SEQPACKET | Libc.SOCK_CLOEXEC, 0, sv) < 0)
            throw new KernelException("socketpair(AF_UNIX, SOCK_SEQPACKET)", System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
        return (sv[0], sv[1]);
    }
}
