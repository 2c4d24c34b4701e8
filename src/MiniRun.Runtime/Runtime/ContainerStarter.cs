// ContainerStarter: the parent's side of creating a container from a bundle (config.json).
//
// Why: this is where the container begins. In order:
//   0. validate config.json (SpecValidator): refuse it before anything exists;
//   1. open the namespaces to join (spec paths) and choose the CLONE_NEW* flags to create;
//   2. create the sync socketpair;
//   3. clone through the native stage, which execs `minirun init` in the child; when the
//      container has a cgroup (made before, with its limits and device filter), the child is born
//      in it (clone3 CLONE_INTO_CGROUP); a kernel that refuses that gets a plain clone and the
//      pid written to cgroup.procs before step 5 (slower: docs/benchmarks.md, issue 11);
//   4. show the new namespaces next to the host's (--trace);
//   5. with a user namespace: write /proc/PID/uid_map and gid_map, mount an overlay rootfs over
//      idmapped layers, then "G" (sync 1; Runtime/UserNamespaceSetup.cs);
//   6. send the bundle directory, "B <dir>" (sync 0): init reads config.json from it;
//   7. serve init's messages until EOF (exec happened), "W" (OCI create: every step done, init
//      waits on exec.fifo for `start`, see Init/StartGateStep.cs) or an error; with hooks, "H"
//      (init's mounts are made, before pivot_root): run the runtime's hooks (RunRuntimeHooks),
//      answer "S <state documents>"; a failed hook kills init and is thrown.
// After Start returns, the container's command is running or created (or init reported why not).
//
// Follows: runtime-spec runtime.md "create", user_namespaces(7) (uid_map, gid_map, setgroups),
// clone(2) (clone3, CLONE_INTO_CGROUP).
using System.Runtime.InteropServices;
using MiniRun.Cgroups;
using MiniRun.Init;
using MiniRun.Kernel;
using MiniRun.Spec;
using MiniRun.Trace;

namespace MiniRun.Runtime;

public sealed record StartRequest(
    string BundleDir,
    RuntimeSpec Spec,
    string InitExecutable,
    bool ConnectStdin,
    ConsoleTrace? Trace = null,
    string ProcRoot = "/proc",
    Cgroup? Cgroup = null,
    StdioFds? Stdio = null,
    string? StartFifo = null,
    int PreserveFds = 0,
    Func<int, (string Creating, string Created)>? RunRuntimeHooks = null,
    bool NodevDevices = false,
    string? SeccompCache = null);

/// <summary>Descriptors for the container's 0, 1, 2 (the supervisor's pipes); -1 keeps the caller's.</summary>
public sealed record StdioFds(int In, int Out, int Err);

/// <summary>How init's part of a start ended: exec'd (or, with a start fifo, <see cref="Created"/>: waiting for `start`), or failed.</summary>
public sealed record StartResult(int Pid, int TerminalMaster, int? FailureCode, string? FailureMessage, bool Created = false);

/// <summary>
/// The container's first process after clone: it has exec'd `minirun init` inside its new
/// namespaces and waits for its bundle ("B <dir>") before doing anything else.
/// </summary>
public sealed class ClonedInit : IDisposable
{
    public int Pid { get; }
    public int Flags { get; }
    internal SyncChannel Channel { get; }

    /// <summary>The process's start time (ProcessIdentity): it may be another process's child, so its pid could be reused once it ends.</summary>
    public ulong StartTime { get; }

    /// <summary>
    /// The cgroup init was born in (clone3 CLONE_INTO_CGROUP), else null (it is in its parent's
    /// cgroup). Whoever holds this object owns that cgroup until a start takes it: Abort removes it.
    /// </summary>
    public Cgroup? BornIn { get; }

    internal ClonedInit(int pid, int flags, SyncChannel channel, Cgroup? bornIn = null)
    {
        Pid = pid;
        Flags = flags;
        Channel = channel;
        BornIn = bornIn;
        StartTime = ProcStat.StartTime(pid) ?? 0;   // alive for sure: it waits for its bundle
    }

    /// <summary>
    /// The container will not be started after all: end the waiting init (if it is still that
    /// process), reap it when it is ours, and remove the cgroup it was born in (once it is gone).
    /// </summary>
    public void Abort()
    {
        if (ProcessIdentity.IsAlive(Pid, StartTime)) Libc.kill(Pid, 9);
        while (Libc.waitpid(Pid, out _, 0) < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR) { }
        Dispose();
        try { BornIn?.Remove(); }   // waits (EBUSY) while the killed init is still leaving it
        catch (KernelException) { }
    }

    public void Dispose() => Channel.Dispose();
}

public static class ContainerStarter
{
    /// <summary>The namespaces `minirun run` clones (the spec generator lists the same ones, plus cgroup).</summary>
    public const int RunFlags = Namespaces.CLONE_NEWPID | Namespaces.CLONE_NEWNS | Namespaces.CLONE_NEWUTS |
        Namespaces.CLONE_NEWIPC | Namespaces.CLONE_NEWNET;

    /// <summary>
    /// CLONE_NEW* flags for the namespaces the spec creates (entries without a path) - except the
    /// cgroup namespace: its root is the cgroup its creator is in at that moment, so init creates
    /// it (unshare) only after the parent has moved it into the container's own cgroup. That is
    /// why /proc/self/cgroup reads "0::/" inside.
    /// </summary>
    public static int FlagsFor(RuntimeSpec spec) =>
        spec.Linux.Namespaces.Where(n => n.Path is null && n.Type != "cgroup").Aggregate(0, (f, n) => f | Namespaces.FlagFor(n.Type));

    /// <summary>The OCI order: the bundle exists, so clone and hand it over at once.</summary>
    public static StartResult Start(StartRequest request)
    {
        var spec = request.Spec;
        SpecValidator.Validate(spec);   // before clone: a refused config leaves nothing behind
        var joins = spec.Linux.Namespaces.Where(n => n.Path is not null).OrderBy(n => n.Type == "user" ? 0 : 1).Select(n => n.Path!).ToList();
        var init = Clone(FlagsFor(spec), joins, request.ConnectStdin, request.InitExecutable, request.Trace, request.ProcRoot, request.Stdio,
            request.StartFifo, request.PreserveFds, request.Cgroup);
        return Handover(init, request);
    }

    /// <summary>
    /// Step 1: one clone(2) through the native stage creates every namespace; the child execs
    /// `minirun init`, which waits for its bundle. `run` without --trace does this first, so the
    /// new init's runtime starts up while this process prepares the bundle (the two overlap on
    /// two cores); with --trace the steps run in the order a student reads them.
    /// With <paramref name="cgroup"/> the child is born in that (existing) cgroup when the kernel can.
    /// </summary>
    public static ClonedInit Clone(int flags, IReadOnlyList<string> joinPaths, bool connectStdin, string initExecutable,
        ConsoleTrace? trace, string procRoot = "/proc", StdioFds? stdio = null, string? startFifo = null,
        int preserveFds = 0, Cgroup? cgroup = null)
    {
        var joinFds = new List<int>();
        int cgroupFd = -1;
        try
        {
            foreach (var path in joinPaths)
            {
                int fd = Libc.open(path, Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
                if (fd < 0) throw new KernelException($"open namespace {path}", Marshal.GetLastPInvokeError());
                joinFds.Add(fd);
            }
            var (parent, child) = SyncChannel.CreatePair();
            int devNull = connectStdin || stdio is not null ? -1 : Libc.open("/dev/null", Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
            int pid;
            CloneCgroup into;
            try
            {
                trace?.Step(Messages.CloneTitle, Messages.CloneWhy);
                if (cgroup is not null) cgroupFd = OpenCgroup(cgroup, trace);
                var env = new List<string> { $"{InitProcess.SyncFdVariable}={child.Fd}" };
                if (startFifo is not null)
                    env.Add($"{StartGateStep.FifoVariable}={startFifo}");
                if (preserveFds > 0)
                    env.Add($"{ExecSteps.PreserveFdsVariable}={preserveFds}");
                if (trace is not null)
                    env.Add($"{InitProcess.TraceVariable}={trace.InitVariable(trace.NextNumber + 1)}");
                pid = NativeStage.Spawn(flags, child.Fd, joinFds, stdio is null ? (devNull, -1, -1) : (stdio.In, stdio.Out, stdio.Err),
                    initExecutable, ["minirun", "init"], env, cgroupFd, out into);
            }
            catch
            {
                parent.Dispose();
                throw;
            }
            finally
            {
                child.Dispose();
                if (devNull >= 0) Libc.close(devNull);
            }
            if (trace is not null) NarrateClone(trace, flags, cgroup, cgroupFd, into, Messages.ResultCloneChild.With(pid).Text);
            if (trace is not null) ShowNamespaces(trace, pid, flags, procRoot);
            return new ClonedInit(pid, flags, parent, into.Into ? cgroup : null);
        }
        finally
        {
            foreach (var fd in joinFds) Libc.close(fd);
            if (cgroupFd >= 0) Libc.close(cgroupFd);
        }
    }

    /// <summary>The cgroup's directory, opened for clone3's CLONE_INTO_CGROUP (a cgroup v2 directory; O_PATH would not do).</summary>
    internal static int OpenCgroup(Cgroup cgroup, ITrace? trace)
    {
        int fd = Libc.open(cgroup.Path, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        if (fd < 0) throw new KernelException($"open cgroup {cgroup.Path}", Marshal.GetLastPInvokeError());
        trace?.Call($"open({GoQuote.Quote(cgroup.Path)}, O_RDONLY|O_DIRECTORY)", $"{fd}");
        return fd;
    }

    /// <summary>
    /// The clone's trace line: clone3 with CLONE_INTO_CGROUP when the child was born in its cgroup,
    /// else clone (no cgroup, or the kernel refused clone3: then the pid is written to cgroup.procs next).
    /// </summary>
    internal static void NarrateClone(ITrace trace, int flags, Cgroup? cgroup, int cgroupFd, CloneCgroup into, string result)
    {
        string names = Namespaces.FlagNames(flags);
        if (into.Into)
        {
            trace.Call($"clone3({names}|SIGCHLD, CLONE_INTO_CGROUP fd {cgroupFd})", result);
            trace.Note(Messages.BornInCgroup);
            return;
        }
        trace.Call($"clone({names}|SIGCHLD)", result);
        if (into.Asked)
            trace.Note(Messages.Clone3Refused.With(Errno.Describe(into.Refusal)));
        else if (cgroup is null)
            trace.Note(Messages.CloneNoCgroup);
    }

    /// <summary>
    /// Step 2: for a user namespace write the id maps (sync 1), then give init its bundle
    /// (sync 0) and serve its messages until it execs the command or reports a failure.
    /// </summary>
    public static StartResult Start(ClonedInit init, StartRequest request)
    {
        try
        {
            SpecValidator.Validate(request.Spec);   // init still waits for its bundle: it has made nothing yet
        }
        catch
        {
            init.Dispose();   // the caller ends the waiting init, as for any failure here
            throw;
        }
        return Handover(init, request);
    }

    private static StartResult Handover(ClonedInit init, StartRequest request)
    {
        using (init)
        {
            if (HookRunner.NeedsHookPoint(request.Spec.Hooks) && request.RunRuntimeHooks is null)
                throw new RuntimeException("config.json: hooks are run by the OCI verbs (minirun-oci) only");
            if (FlagsFor(request.Spec) != init.Flags)
                throw new InvalidOperationException($"the spec asks for {Namespaces.FlagNames(FlagsFor(request.Spec))} but the process was cloned with {Namespaces.FlagNames(init.Flags)}");
            PlaceInCgroup(init, request);   // before init runs a step: every process it makes stays inside
            if ((init.Flags & Namespaces.CLONE_NEWUSER) != 0)
            {
                // sync 1: maps (and the idmapped rootfs) first, then "G": the child may become root in its namespace
                UserNamespaceSetup.Run(init.Pid, request.Spec, request.BundleDir, request.Trace, request.ProcRoot, () => init.Channel.Send("G"),
                    request.NodevDevices);
            }
            if (request.Trace is { } t)
                init.Channel.Send("T " + t.NextNumber);   // init numbers its calls after the ones made here since the clone (id maps, the network, the cgroup)
            if (request.SeccompCache is { } cache && request.Spec.Linux.Seccomp is not null && !cache.Contains('\n'))
                init.Channel.Send("C " + cache);   // sync 0a: where compiled seccomp filters are kept
            // sync 0: the bundle is complete, go ("N": and keep the device list with nodev mounts, Init/NodevDeviceSteps.cs)
            init.Channel.Send((request.NodevDevices ? "N " : "B ") + request.BundleDir);
            return Serve(init.Channel, init.Pid, request.Trace, request.RunRuntimeHooks);
        }
    }

    /// <summary>
    /// Init into the request's cgroup, unless it was born there: cgroup.procs when the kernel
    /// refused clone3, or when it was born in another cgroup (which, empty then, goes).
    /// </summary>
    internal static void PlaceInCgroup(ClonedInit init, StartRequest request)
    {
        if (request.Cgroup is not { } cgroup)
        {
            if (init.BornIn is not null)
                throw new InvalidOperationException($"the process was cloned into cgroup {init.BornIn.Path} but the container has no cgroup");
            return;
        }
        if (init.BornIn?.Path == cgroup.Path) return;
        cgroup.AddProcess(init.Pid);
        init.BornIn?.Remove();
    }

    /// <summary>Handles init's messages until it execs (EOF) or reports a failure.</summary>
    private static StartResult Serve(SyncChannel parent, int pid, ConsoleTrace? trace, Func<int, (string Creating, string Created)>? runtimeHooks)
    {
        int master = -1;
        while (true)
        {
            string? message = parent.Receive(out int fd);
            if (message is null)
                return new StartResult(pid, master, null, null);
            switch (message[0])
            {
                case 'T': trace?.Raw(message[2..]); break;
                case 'R':   // a fact for the closing summary: "R <TraceFact> <value>"
                {
                    var parts = message.Split(' ', 3);
                    if (parts.Length == 3 && int.TryParse(parts[1], out int fact)) trace?.Fact((TraceFact)fact, parts[2]);
                    break;
                }
                case 'P':
                    trace?.Raw(message[2..]);
                    trace?.WaitForEnter();
                    parent.Send("A");   // sync 2: run the step
                    break;
                case 'F': master = fd; break;
                case 'U':   // --trace in a user namespace: init showed its credentials inside, the host's view follows
                {
                    var (uid, gid) = UserNamespaceSetup.HostCredentials(pid);
                    trace?.Note(Messages.HostCredentials.With(uid, gid, pid));
                    break;
                }
                case 'H':   // sync 4: before pivot_root, the runtime's hooks
                {
                    (string Creating, string Created) states;
                    try { states = runtimeHooks!(pid); }
                    catch
                    {
                        if (master >= 0) Libc.close(master);
                        Libc.kill(pid, 9);   // init (PID 1 of its namespace: everything in it) goes before the caller cleans up
                        while (Libc.waitpid(pid, out _, 0) < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR) { }
                        throw;
                    }
                    parent.Send("S " + states.Creating + "\n" + states.Created);
                    break;
                }
                case 'W': return new StartResult(pid, master, null, null, Created: true);   // sync 3: created, init waits for start
                case 'E':
                {
                    var parts = message.Split(' ', 3);
                    return new StartResult(pid, master, int.Parse(parts[1]), parts.Length > 2 ? parts[2] : "init failed");
                }
                case 'C':
                {
                    var parts = message.Split(' ', 3);
                    string step = parts.Length > 2 ? parts[2] : "?";
                    return new StartResult(pid, master, 125, $"native stage: {step}: {Errno.Describe(int.Parse(parts[1]))}");
                }
            }
        }
    }

    internal static void ShowNamespaces(ConsoleTrace trace, int pid, int flags, string procRoot)
    {
        foreach (var (type, flag, procName) in Namespaces.All)
        {
            string? mine = Namespaces.Inode(pid, procName, procRoot), host = Namespaces.Inode(0, procName, procRoot);
            bool made = (flags & flag) != 0, shared = !made && mine == host;
            var line = made ? Messages.NamespaceNew : shared ? Messages.NamespaceShared : Messages.NamespaceJoined;
            trace.Note(line.With($"{procName,-6}", mine, host));
            if (made) trace.Fact(TraceFact.Namespaces, procName);
            else if (!shared) trace.Fact(TraceFact.Namespaces, Messages.FactJoined.With(procName).Text);
        }
        trace.Note(Messages.NamespacesLook.With(pid));
        trace.LookWith = $"ls -l /proc/{pid}/ns; cat /proc/{pid}/mountinfo";
    }
}
