// OciRuntime: the runtime core's operations, runc's verbs on a state directory. An OCI bundle
// (config.json + rootfs) and a container id go in; a container comes out.
//
// Why: this is the whole API of the core. `minirun-oci` (the runc-compatible command line that
// podman's conmon and containerd's shim drive) calls it verb by verb; it knows no images, no
// names and no Docker flags. The operations, as runtime-spec runtime.md defines them:
//   create  everything up to, not including, the user's program: clone into the namespaces,
//           cgroup, every init step; init then blocks on STATE/ID/exec.fifo (Init/StartGateStep.cs)
//   start   write one byte to exec.fifo: init execs the program
//   state   the state document (OciState: the status is derived, never stored)
//   kill    a signal to the container's process (or every process of its cgroup with --all)
//   delete  a stopped (or, forced, any) container: its processes, cgroup and state directory go
//   exec    a further process inside the container (Runtime/ExecStarter.cs, Native/exec_stage.c)
//   pause / resume   cgroup.freeze; ps  the container's processes
//   update  new limits over the current ones (linux.resources, kept in the state), into the cgroup
// create applies linux.resources: the cgroup (Cgroups/OciCgroup.cs) gets its controllers, limits
// and device filter before the container's first process is cloned into it (clone3
// CLONE_INTO_CGROUP; moved there through cgroup.procs on a kernel without it). An engine's
// pre-cloned init may have been born in that cgroup already (the engine made it empty, before
// the bundle existed): then its limits and device filter are written before init is handed its
// bundle, so still before init runs a step. NoCgroups (the engine asked for
// no cgroup) leaves linux.resources unapplied, as crun's --cgroup-manager=disabled does - except
// the device list, which init then keeps with nodev mounts (Init/NodevDeviceSteps.cs).
// Failures are RuntimeException: one line naming the container and what failed; a failed create
// leaves nothing behind (no state directory, cgroup or process).
// Hooks (Runtime/HookRunner.cs): create runs prestart and createRuntime when init reports the
// hook point (ContainerStarter, "H"); start waits until the program is exec'd (POLLHUP on its own
// read end of exec.fifo, see Init/StartGateStep.cs) and runs poststart; delete runs poststop
// after the container is gone. A failed create or start (a failing hook among the causes)
// destroys the container and then runs poststop; poststart and poststop failures are warnings.
// state.json keeps the hooks: start and delete do not read config.json again.
//
// Follows: runtime-spec runtime.md ("Operations", "Lifecycle"), config.md; runc(8) for the verbs'
// behaviour that engines rely on (delete of a created container, kill of a stopped one fails).
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using MiniRun.Cgroups;
using MiniRun.Init;
using MiniRun.Kernel;
using MiniRun.Spec;
using MiniRun.Trace;

namespace MiniRun.Runtime;

/// <summary>The per-call options of create and run (runc's flags of those verbs).</summary>
public sealed record OciCreateOptions
{
    /// <summary>A unix socket to send the terminal's master side to (process.terminal).</summary>
    public string? ConsoleSocket { get; init; }
    /// <summary>A file to write the container's pid to.</summary>
    public string? PidFile { get; init; }
    /// <summary>Descriptors 3 .. 3+N-1 of the caller stay open in the container.</summary>
    public int PreserveFds { get; init; }
    public ConsoleTrace? Trace { get; init; }
    /// <summary>Descriptors for the container's stdin, stdout and stderr (an engine's pipes); null: the caller's own.</summary>
    public StdioFds? Stdio { get; init; }
    /// <summary>
    /// An init already cloned into the spec's namespaces and waiting for its bundle: the engine's
    /// fast path (`minirun run` clones it while it prepares the bundle). Consumed by the call,
    /// with the cgroup it was born in (ClonedInit.BornIn) when that is the one config.json names.
    /// </summary>
    public ClonedInit? Cloned { get; init; }
    /// <summary>Hand the terminal's master side back to the caller (<see cref="OciStarted.TerminalMaster"/>) instead of sending it to <see cref="ConsoleSocket"/>.</summary>
    public bool ReturnTerminal { get; init; }
}

/// <summary>A container whose program runs: its state, and the terminal's master side when the caller asked for it (else -1).</summary>
public sealed record OciStarted(OciState State, int TerminalMaster);

public sealed partial class OciRuntime
{
    public string StateRoot { get; }
    /// <summary>STATE/seccomp-cache: compiled seccomp filters kept between starts and execs (Kernel/SeccompFilterCache.cs).</summary>
    public string SeccompCacheDir => Path.Combine(StateRoot, "seccomp-cache");
    /// <summary>--cgroup-manager disabled (podman --cgroups=disabled): no cgroup, whatever linux.cgroupsPath says.</summary>
    public bool NoCgroups { get; init; }
    /// <summary>Where a failing poststart or poststop hook is reported (runtime-spec: a warning, not an error).</summary>
    public Action<string> Warn { get; init; } = message => Console.Error.WriteLine("warning: " + message);
    private readonly string _initExecutable;

    public OciRuntime(string stateRoot, string initExecutable = "/proc/self/exe")
    {
        StateRoot = Path.GetFullPath(stateRoot);
        _initExecutable = initExecutable;
    }

    [GeneratedRegex(@"^[\w+\-\.]+$")]
    private static partial Regex IdPattern();

    // ---- create / start / run -------------------------------------------------------------------

    /// <summary>create: the container exists, its process waits for start.</summary>
    public OciState Create(string id, string bundle, OciCreateOptions o) => CreateProcess(id, bundle, o, gate: true).State;

    /// <summary>
    /// create + start without waiting (runc run --detach): the program runs when this returns.
    /// The container's process is this process's child (or, with a pre-cloned init, the child of
    /// whoever cloned it): the caller reaps it and then deletes the container. The engine's one way
    /// to start a container.
    /// </summary>
    public OciStarted RunDetached(string id, string bundle, OciCreateOptions o)
    {
        var started = CreateProcess(id, bundle, o, gate: false);
        HookRunner.RunAllWarning("poststart", started.State.Hooks?.Poststart, started.State.ToSpecJson("running", indented: false), new LinuxKernel(o.Trace), Warn);
        return started;
    }

    /// <summary>start: the created container's program runs (its startContainer hooks first); then the poststart hooks.</summary>
    public void Start(string id)
    {
        var state = Require(id);
        string status = state.Status(StateRoot);
        if (status != "created")
            throw new RuntimeException($"cannot start container {GoQuote.Quote(id)}: it is {status}, not created");
        string fifo = Path.Combine(OciState.DirOf(StateRoot, id), OciState.FifoName);
        // Our own read end first: once every writer is gone (init holds the fifo until it execs
        // the program) it reports POLLHUP. Opened before our write end, or the kernel would not.
        int watch = Libc.open(fifo, Libc.O_RDONLY | Libc.O_NONBLOCK | Libc.O_CLOEXEC, 0);
        if (watch < 0)
            throw new RuntimeException($"cannot start container {GoQuote.Quote(id)}: open {fifo}: {Errno.Describe(Marshal.GetLastPInvokeError())}");
        string failure;
        try
        {
            int fd = Libc.open(fifo, Libc.O_WRONLY | Libc.O_NONBLOCK | Libc.O_CLOEXEC, 0);
            if (fd < 0)
                throw new RuntimeException($"cannot start container {GoQuote.Quote(id)}: open {fifo}: {Errno.Describe(Marshal.GetLastPInvokeError())}");
            try
            {
                unsafe
                {
                    byte go = (byte)'0';
                    if (Libc.write(fd, &go, 1) != 1)
                        throw new RuntimeException($"cannot start container {GoQuote.Quote(id)}: write {fifo}: {Errno.Describe(Marshal.GetLastPInvokeError())}");
                }
            }
            finally
            {
                Libc.close(fd);
            }
            File.Delete(fifo);   // from now on the status is "running"
            failure = WaitForExec(watch);
        }
        finally
        {
            Libc.close(watch);
        }
        if (failure.Length > 0)
        {
            string reason = failure == "0" ? "its init process is gone" : failure;   // "0": our byte, never read
            try { Delete(id, force: true); }
            catch (RuntimeException e) { Warn(e.Message); }
            throw new RuntimeException($"cannot start container {GoQuote.Quote(id)}: {reason}");
        }
        HookRunner.RunAllWarning("poststart", state.Hooks?.Poststart, state.ToSpecJson("running", indented: false), new LinuxKernel(), Warn);
    }

    /// <summary>Blocks until no process holds exec.fifo for writing; returns what init wrote there ("" when it exec'd).</summary>
    private static unsafe string WaitForExec(int watch)
    {
        var p = new Libc.pollfd { fd = watch, events = 0 };   // POLLHUP is always reported
        while (Libc.poll(&p, 1, -1) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR) throw new KernelException("poll exec.fifo", errno);
        }
        var text = new List<byte>();
        byte* buffer = stackalloc byte[512];
        nint n;
        while ((n = Libc.read(watch, buffer, 512)) > 0)
            text.AddRange(new ReadOnlySpan<byte>(buffer, (int)n));
        return System.Text.Encoding.UTF8.GetString(text.ToArray()).Trim();
    }

    /// <summary>
    /// run = create + start in one call (no fifo: init execs as soon as it is set up). With
    /// <paramref name="detach"/> returns at once (null); otherwise waits, forwarding signals, deletes
    /// the container and returns the program's exit status (128+N for signal N).
    /// </summary>
    public int? Run(string id, string bundle, OciCreateOptions o, bool detach)
    {
        using var waiter = detach ? null : new ProcessWaiter();
        var state = RunDetached(id, bundle, o).State;
        if (detach) return null;
        waiter!.Attach(state.Pid);
        int code = waiter.Wait();
        Delete(id, force: true);
        return code;
    }

    private OciStarted CreateProcess(string id, string bundle, OciCreateOptions o, bool gate)
    {
        try { return CreateProcessOrFail(id, bundle, o, gate); }
        catch (Exception e) when (o.Cloned is not null && e is not ContainerStartException)
        {
            o.Cloned.Abort();   // refused before the handover: it must not stay (after a start failure init ends by itself)
            throw;
        }
    }

    private OciStarted CreateProcessOrFail(string id, string bundle, OciCreateOptions o, bool gate)
    {
        if (!IdPattern().IsMatch(id))
            throw new RuntimeException($"invalid container id {GoQuote.Quote(id)}: use letters, digits, '_', '+', '-' and '.'");
        bundle = Path.GetFullPath(bundle);
        string configPath = Path.Combine(bundle, "config.json");
        if (!File.Exists(configPath))
            throw new RuntimeException($"bundle {GoQuote.Quote(bundle)}: no config.json in it");
        RuntimeSpec spec;
        try { spec = RuntimeSpec.Load(configPath); }
        catch (InvalidDataException e) { throw new RuntimeException(e.Message, e); }
        string rootfs = Path.IsPathRooted(spec.Root.Path) ? spec.Root.Path : Path.GetFullPath(Path.Combine(bundle, spec.Root.Path));
        if (!Directory.Exists(rootfs))
            throw new RuntimeException($"config.json: root.path {GoQuote.Quote(spec.Root.Path)}: no such directory ({rootfs})");
        if (spec.Process.Terminal && o.ConsoleSocket is null && !o.ReturnTerminal)
            throw new RuntimeException("config.json asks for a terminal (process.terminal) but no --console-socket was given to send it to");
        if (SpecValidator.Problem(spec) is string problem)
            throw new RuntimeException("config.json: " + problem);
        if (spec.Process.Capabilities is { } caps && CapabilitiesStep.AmbientNotGrantable(caps) is { Count: > 0 } notAmbient)
            Warn($"process.capabilities.ambient: {string.Join(", ", notAmbient)} left out: an ambient capability must also be permitted and inheritable");
        // The cgroup and its limits are decided and checked against this host before anything
        // exists: limits this host cannot give are one line, and nothing is left behind.
        OciCgroupPlan? plan = null;
        if (NoCgroups)
        {
            if (SpecResourceMap.ToLimits(spec.Linux.Resources).NeedsCgroupLimits)
                o.Trace?.Note(Messages.CgroupDisabled);
        }
        else
        {
            plan = OciCgroup.Plan(spec, id);
            if (plan.Note is { } note) o.Trace?.Note(note);
        }

        // A device list no cgroup will carry is kept by nodev mounts, which cannot give a node one way only.
        bool keepDevices = DeviceAllowList.NeedsKeeping(spec);
        if (keepDevices && plan?.RelativePath is null && DeviceAllowList.ProblemWithoutCgroup(spec) is string devicesProblem)
            throw new RuntimeException(devicesProblem);

        Directory.CreateDirectory(StateRoot);
        string dir = OciState.DirOf(StateRoot, id);
        if (Libc.mkdir(dir, 0x1c0 /*0700*/) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new RuntimeException(errno == 17 /*EEXIST*/ ? $"container {GoQuote.Quote(id)} already exists" : $"mkdir {dir}: {Errno.Describe(errno)}");
        }
        Cgroup? cgroup = null;
        StartResult? started = null;
        var created = DateTimeOffset.UtcNow;
        OciState StateOf(int pid) => new()
        {
            Id = id,
            Pid = pid,
            PidStartTime = ProcStat.StartTime(pid) ?? 0,
            Bundle = bundle,
            Rootfs = rootfs,
            Created = created,
            CgroupRoot = cgroup?.Root,
            CgroupPath = cgroup?.RelativePath,
            Annotations = spec.Annotations ?? new(),
            Hooks = spec.Hooks,
            Resources = spec.Linux.Resources,
        };
        OciState? hooked = null;   // the state the runtime's hooks saw: the container's process exists
        try
        {
            string? fifo = null;
            if (gate)
            {
                fifo = Path.Combine(dir, OciState.FifoName);
                if (Libc.mkfifo(fifo, 0x180 /*0600*/) < 0)
                    throw new KernelException($"mkfifo {fifo}", Marshal.GetLastPInvokeError());
            }
            cgroup = plan is null ? null
                : o.Cloned?.BornIn is { } bornIn && OciCgroup.Names(plan, bornIn) ? OciCgroup.Adopt(plan, bornIn, o.Trace)
                : OciCgroup.Create(plan, o.Trace);
            DeviceFilter.ApplyTo(cgroup, spec, o.Trace);   // linux.resources.devices, before init runs a step (usually before it exists)
            bool nodevDevices = cgroup is null && keepDevices;   // no cgroup for the filter: init keeps the list with nodev mounts
            var request = new StartRequest(bundle, spec, _initExecutable, ConnectStdin: o.Stdio is null, o.Trace,
                Cgroup: cgroup, Stdio: o.Stdio, StartFifo: fifo, PreserveFds: o.PreserveFds,
                NodevDevices: nodevDevices,
                SeccompCache: SeccompCacheDir,
                RunRuntimeHooks: pid =>
                {
                    hooked = StateOf(pid);
                    string creating = hooked.ToSpecJson("creating", indented: false);
                    var kernel = new LinuxKernel(o.Trace);
                    HookRunner.RunAll("prestart", spec.Hooks?.Prestart, creating, kernel);
                    HookRunner.RunAll("createRuntime", spec.Hooks?.CreateRuntime, creating, kernel);
                    return (creating, hooked.ToSpecJson("created", indented: false));
                });
            started = o.Cloned is { } cloned ? ContainerStarter.Start(cloned, request) : ContainerStarter.Start(request);
            if (started.FailureCode is int failed)
            {
                if (started.TerminalMaster >= 0) Libc.close(started.TerminalMaster);
                throw new ContainerStartException(id, failed, started.FailureMessage ?? "init failed");
            }
            int master = -1;
            if (started.TerminalMaster >= 0 && o.ReturnTerminal) master = started.TerminalMaster;
            else if (started.TerminalMaster >= 0)
            {
                try { ConsoleSocket.Send(o.ConsoleSocket!, started.TerminalMaster); }
                finally { Libc.close(started.TerminalMaster); }
            }
            var state = StateOf(started.Pid);
            state.Save(StateRoot);
            if (o.PidFile is not null) WritePidFile(o.PidFile, started.Pid);
            return new OciStarted(state, master);
        }
        catch (Exception e)
        {
            if (started is not null && o.Cloned is null) EndProcess(started.Pid);   // a cloned init: Abort, above
            if (o.Cloned is not null && e is not ContainerStartException)
                o.Cloned.Abort();   // before its cgroup goes: a waiting init may be in it
            try { cgroup?.Remove(); } catch (KernelException) { }
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
            if ((hooked ?? (started is null ? null : StateOf(started.Pid))) is { } gone)   // the container existed: its poststop hooks
                HookRunner.RunAllWarning("poststop", spec.Hooks?.Poststop, gone.ToSpecJson("stopped", indented: false), new LinuxKernel(o.Trace), Warn);
            if (e is KernelException k) throw new RuntimeException($"create container {GoQuote.Quote(id)}: {k.Message}", k);
            if (e is HookFailedException h) throw new RuntimeException($"create container {GoQuote.Quote(id)}: {h.Message}", h);
            throw;
        }
    }

    /// <summary>runc's pid file: the pid alone, written atomically (engines poll for it).</summary>
    private static void WritePidFile(string path, int pid)
    {
        string full = Path.GetFullPath(path);
        File.WriteAllText(full + ".tmp", pid.ToString());
        File.Move(full + ".tmp", full, overwrite: true);
    }

    /// <summary>SIGKILL and, when it is our child, reap it (a failed create must leave no process).</summary>
    private static void EndProcess(int pid)
    {
        Libc.kill(pid, 9);
        while (Libc.waitpid(pid, out _, 0) < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR) { }
    }

    // ---- state / list / ps ----------------------------------------------------------------------

    public OciState Require(string id) =>
        (IdPattern().IsMatch(id) ? OciState.Load(StateRoot, id) : null) ?? throw new ContainerDoesNotExistException(id);

    /// <summary>Every container in the state root, by id.</summary>
    public IReadOnlyList<OciState> List()
    {
        if (!Directory.Exists(StateRoot)) return [];
        var all = new List<OciState>();
        foreach (var dir in Directory.EnumerateDirectories(StateRoot).Order(StringComparer.Ordinal))
            if (OciState.Load(StateRoot, Path.GetFileName(dir)) is { } s) all.Add(s);
        return all;
    }

    /// <summary>The host pids of the container's processes: its cgroup's, else those in its PID namespace.</summary>
    public IReadOnlyList<int> Pids(string id)
    {
        var state = Require(id);
        if (state.Status(StateRoot) == "stopped") return [];
        if (state.CgroupRoot is not null && state.CgroupPath is not null &&
            FileText.ReadIfExists(Path.Combine(state.CgroupRoot, state.CgroupPath, "cgroup.procs")) is { } procs)
            return procs.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();
        string? ns = Namespaces.Inode(state.Pid, "pid");
        var pids = new List<int>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
            if (int.TryParse(Path.GetFileName(entry), out int pid) && ns is not null && Namespaces.Inode(pid, "pid") == ns)
                pids.Add(pid);
        return pids.Order().ToList();
    }

    // ---- kill / delete / pause / resume -----------------------------------------------------------

    public void Kill(string id, int signal, bool all)
    {
        var state = Require(id);
        string status = state.Status(StateRoot);
        if (status == "stopped")
            throw new RuntimeException($"cannot kill container {GoQuote.Quote(id)}: container not running");
        var targets = all ? Pids(id) : [state.Pid];
        foreach (int pid in targets)
            if (Libc.kill(pid, signal) < 0 && Marshal.GetLastPInvokeError() is int errno && errno != 3 /*ESRCH*/)
                throw new RuntimeException($"kill container {GoQuote.Quote(id)}: kill({pid}, {signal}): {Errno.Describe(errno)}");
    }

    /// <summary>
    /// delete: a stopped or created container goes; a running or paused one only with
    /// <paramref name="force"/> (SIGKILL to all of it first). Processes, cgroup, state directory.
    /// </summary>
    public void Delete(string id, bool force, ITrace? trace = null)
    {
        trace ??= NullTrace.Instance;
        var state = Require(id);
        string status = state.Status(StateRoot);
        if (status is "running" or "paused" && !force)
            throw new RuntimeException($"cannot delete container {GoQuote.Quote(id)} that is not stopped: {status}");
        trace.Step(Messages.RmCoreTitle, Messages.RmCoreWhy.With(status));
        var cgroup = state.CgroupRoot is not null && state.CgroupPath is not null ? Cgroup.Open(state.CgroupRoot, state.CgroupPath, null, trace) : null;
        if (status != "stopped")
        {
            if (status == "paused") cgroup?.Thaw();
            if (cgroup is not null && Directory.Exists(cgroup.Path)) cgroup.Kill();
            int rc = Libc.kill(state.Pid, 9);
            trace.Call($"kill({state.Pid}, SIGKILL)", rc == 0 ? Messages.ResultKillPid1.Text : Messages.ResultGoneAlready.Text);
            if (!ProcessIdentity.WaitGone(state.Pid, state.PidStartTime, TimeSpan.FromSeconds(10)))
                throw new RuntimeException($"delete container {GoQuote.Quote(id)}: its process {state.Pid} did not end after SIGKILL");
            Libc.waitpid(state.Pid, out _, Libc.WNOHANG);   // our child after `run -d` in this process: reap it
        }
        if (cgroup is not null)
        {
            try { cgroup.Remove(); }
            catch (KernelException e) { throw new RuntimeException($"delete container {GoQuote.Quote(id)}: remove cgroup {cgroup.Path}: {e.Message}", e); }
        }
        Directory.Delete(OciState.DirOf(StateRoot, id), recursive: true);
        trace.Call($"rm -r {OciState.DirOf(StateRoot, id)}", Messages.ResultStateRemoved.Text);
        HookRunner.RunAllWarning("poststop", state.Hooks?.Poststop, state.ToSpecJson("stopped", indented: false), new LinuxKernel(), Warn);
    }

    // ---- update -----------------------------------------------------------------------------------

    /// <summary>
    /// update: the fields <paramref name="update"/> sets, over the container's current resources
    /// (config.json's, merged with earlier updates; kept in its state), written to its cgroup.
    /// Refused for a stopped container, one without a cgroup, and for device rules (those are
    /// fixed at create). With memory.checkBeforeUpdate, a memory limit below the current usage is
    /// refused instead of OOM-killing the container.
    /// </summary>
    public void Update(string id, SpecResources update, ITrace? trace = null)
    {
        var state = Require(id);
        string status = state.Status(StateRoot);
        if (status == "stopped")
            throw new RuntimeException($"cannot update container {GoQuote.Quote(id)}: it is stopped");
        if (state.CgroupRoot is null || state.CgroupPath is null)
            throw new RuntimeException($"cannot update container {GoQuote.Quote(id)}: it has no cgroup (created without linux.cgroupsPath and limits, or with --cgroup-manager disabled)");
        if (update.Devices is not null)
            throw new RuntimeException($"cannot update container {GoQuote.Quote(id)}: linux.resources.devices is fixed at create; update changes limits only");
        var merged = SpecResourceMap.Merge(state.Resources, update);
        if (SpecValidator.ResourcesProblem(merged) is string problem)
            throw new RuntimeException($"update container {GoQuote.Quote(id)}: {problem}");
        var limits = SpecResourceMap.ToLimits(merged);
        var host = CgroupV2Host.Detect();   // as create decided: limits need cgroup2 at /sys/fs/cgroup
        if (OciCgroup.MissingController(host, limits.RequiredControllers()) is { } missing)
            throw new RuntimeException($"update container {GoQuote.Quote(id)}: {missing}");
        var cgroup = Cgroup.Open(state.CgroupRoot, state.CgroupPath, trace: trace);
        try
        {
            cgroup.EnableControllers(limits.RequiredControllers());
            if (merged.Memory?.CheckBeforeUpdate is true && update.Memory?.Limit is > 0 and long limit
                && FileText.ReadIfExists(Path.Combine(cgroup.Path, "memory.current"))?.Trim() is string text
                && long.TryParse(text, out long current) && current > limit)
                throw new RuntimeException($"update container {GoQuote.Quote(id)}: memory.limit {limit} is below what the container uses now " +
                    $"({current} bytes, memory.current) and memory.checkBeforeUpdate is set");
            cgroup.Apply(limits);
        }
        catch (Exception e) when (e is KernelException or IOException)
        {
            throw new RuntimeException($"update container {GoQuote.Quote(id)}: {e.Message}", e);
        }
        state.Resources = merged;
        state.Save(StateRoot);
    }

    public void Pause(string id) => Freeze(id, true);
    public void Resume(string id) => Freeze(id, false);

    private void Freeze(string id, bool freeze)
    {
        var state = Require(id);
        string verb = freeze ? "pause" : "resume";
        string status = state.Status(StateRoot);
        if (status != (freeze ? "running" : "paused"))
            throw new RuntimeException($"cannot {verb} container {GoQuote.Quote(id)}: it is {status}");
        if (state.CgroupRoot is null || state.CgroupPath is null)
            throw new RuntimeException($"cannot {verb} container {GoQuote.Quote(id)}: it has no cgroup (config.json sets no linux.cgroupsPath), and freezing needs one");
        var cgroup = Cgroup.Open(state.CgroupRoot, state.CgroupPath);
        if (freeze) cgroup.Freeze(); else cgroup.Thaw();
    }

    // ---- exec -------------------------------------------------------------------------------------

    /// <summary>
    /// exec: <paramref name="process"/> (runtime-spec's process object: args, env, cwd, user,
    /// terminal) started inside the running container as this process's child. The caller waits
    /// for it, or exits and leaves it to its own parent (an engine's subreaper) with --detach.
    /// Its capabilities, noNewPrivileges, rlimits, oomScoreAdj and umask are runc's: a
    /// process.json's own; for the argument form the container's config.json process, with the
    /// capabilities named in process.capabilities (runc's --cap) added and process.noNewPrivileges
    /// (--no-new-privs) switching it on. The container's linux.seccomp always applies.
    /// </summary>
    /// <param name="processFile">
    /// process is a whole process.json: its env is the whole environment and its attributes are the
    /// process's; false: the argument form (env added to the container's, the container's attributes).
    /// </param>
    /// <param name="userGiven">Argument form: --user was given; without it the process runs as the container's process.user, as runc does.</param>
    public ExecProcess Exec(string id, SpecProcess process, bool processFile, string? consoleSocket, string? pidFile, ITrace? trace = null,
        bool userGiven = true)
    {
        var state = Require(id);
        if (state.Status(StateRoot) is not ("running" or "created"))
            throw new RuntimeException($"cannot exec in container {GoQuote.Quote(id)}: container not running");
        if (process.Terminal && consoleSocket is null)
            throw new RuntimeException("the process asks for a terminal (terminal: true) but no --console-socket was given to send it to");
        var target = ExecTargetOf(id, state);
        var spec = target.Spec;
        var user = processFile || userGiven ? process.User
            : new SpecUser { Uid = spec.Process.User.Uid, Gid = spec.Process.User.Gid, Username = spec.Process.User.Username,
                AdditionalGids = process.User.AdditionalGids ?? spec.Process.User.AdditionalGids };
        var attributes = processFile ? process : ArgumentFormAttributes(spec.Process, process);
        ExecProcess started;
        try
        {
            started = ExecStarter.Start(target, new ExecOptions   // the one exec path (Exec below, for the engine, too)
            {
                Args = process.Args,
                Env = process.Env,
                ReplaceEnv = processFile,
                User = user.Username ?? $"{user.Uid}:{user.Gid}",
                AdditionalGids = user.AdditionalGids ?? [],
                Attributes = attributes,
                WorkingDir = string.IsNullOrEmpty(process.Cwd) ? null : process.Cwd,
                Tty = process.Terminal,
                Rows = (ushort)(process.ConsoleSize?.Height ?? 0),
                Columns = (ushort)(process.ConsoleSize?.Width ?? 0),
                Trace = trace ?? NullTrace.Instance,
            });
        }
        catch (Exception e) when (e is ExecFailure or ExecTargetGoneException or KernelException)
        {
            throw new RuntimeException($"exec in container {GoQuote.Quote(id)}: {e.Message}", e);
        }
        if (started.TerminalMaster >= 0)
        {
            try { ConsoleSocket.Send(consoleSocket!, started.TerminalMaster); }
            finally { Libc.close(started.TerminalMaster); }
        }
        if (pidFile is not null) WritePidFile(pidFile, started.Pid);
        return started with { TerminalMaster = -1 };
    }

    /// <summary>
    /// exec for an engine (`minirun exec`, health probes): <paramref name="options"/> already
    /// decided (docker exec's flags; Attributes null: the container's config.json process, as
    /// Docker's exec), started inside the running container as this process's child, the
    /// terminal's master handed back. ExecFailure (126, 127: the engine's exit codes) and
    /// ExecTargetGoneException (not running, including no state: never started or ended) pass
    /// through unchanged.
    /// </summary>
    public ExecProcess Exec(string id, ExecOptions options)
    {
        var state = (IdPattern().IsMatch(id) ? OciState.Load(StateRoot, id) : null) ?? throw new ExecTargetGoneException(id);
        if (state.Status(StateRoot) is not ("running" or "created")) throw new ExecTargetGoneException(id);
        return ExecStarter.Start(ExecTargetOf(id, state), options);
    }

    /// <summary>What an exec enters: the container's PID 1 (with its start time), its cgroup and its bundle's config.json.</summary>
    private ExecTarget ExecTargetOf(string id, OciState state)
    {
        RuntimeSpec spec;
        try { spec = RuntimeSpec.Load(Path.Combine(state.Bundle, "config.json")); }
        catch (Exception e) when (e is IOException or InvalidDataException) { throw new RuntimeException($"exec in container {GoQuote.Quote(id)}: {e.Message}", e); }
        return new ExecTarget(id, state.Pid, state.PidStartTime, state.CgroupPath, spec, SeccompCacheDir);
    }

    /// <summary>
    /// runc's argument form: the container's process attributes, plus the capabilities the flags
    /// name (--cap: bounding, effective, permitted) and no_new_privs when --no-new-privs asks.
    /// </summary>
    internal static SpecProcess ArgumentFormAttributes(SpecProcess container, SpecProcess flags)
    {
        var caps = container.Capabilities;
        var added = flags.Capabilities?.Bounding ?? [];
        if (added.Count > 0)
        {
            static List<string> With(List<string>? set, List<string> more) => (set ?? []).Concat(more).Distinct().ToList();
            caps = new SpecCapabilities
            {
                Bounding = With(caps?.Bounding, added), Effective = With(caps?.Effective, added),
                Permitted = With(caps?.Permitted, added), Inheritable = caps?.Inheritable, Ambient = caps?.Ambient,
            };
        }
        return new SpecProcess
        {
            User = new SpecUser { Umask = container.User.Umask },
            Capabilities = caps,
            NoNewPrivileges = container.NoNewPrivileges || flags.NoNewPrivileges,
            Rlimits = container.Rlimits,
            OomScoreAdj = container.OomScoreAdj,
        };
    }
}

/// <summary>No container with this id in the state root (runc: "container does not exist").</summary>
public sealed class ContainerDoesNotExistException : RuntimeException
{
    public ContainerDoesNotExistException(string id) : base($"container {GoQuote.Quote(id)} does not exist") { }
}
