// ContainerRunner: the engine's `run` - create the container's bundle, hand it to a supervisor,
// start it through the runtime core, and either return at once (-d) or stay attached until it ends.
//
// Why this split: run only prepares an OCI bundle (config.json + the overlay directories + /etc
// files, ContainerCreator) and hands it to the runtime core, which reads nothing but that bundle -
// the same bundle podman or containerd would give `minirun-oci create`. The CLI (Cli/RunCommand.cs)
// parses the flags and prints; everything between is here.
//
// Steps: plan the network (a bridge network: make its namespace, Network/ContainerNetwork.cs) ->
// choose the id, note its cgroup in the store (Containers/CgroupReservation.cs: a `run` killed
// before the record exists leaves nothing) and make the cgroup, empty (ContainerCreator.ReserveCgroup) -> clone
// the supervisor and init at once (native stage; init born in that cgroup, joining that network
// namespace) -> resolve the image, unpack its layers once (shared), reserve the name, write the
// bundle (ContainerCreator) -> hand the container to the supervisor ('n') -> attach the network
// (veth, address, route, published ports, whose bound sockets go to the supervisor: 'p') -> the
// core's RunDetached (init's handshake) -> 'r': the
// supervisor records "running" -> with -d return once it has; in the foreground attach to the
// supervisor like `attach` (output, stdin, terminal, detach keys) and return the exit code it
// reports. The supervisor records the exit, applies --restart and removes the container with
// --rm (docs/lifecycle.md). A container that may use a volume with driver options (volume create
// -o type=...) is cloned late, after the bundle, once the engine has mounted those filesystems
// (Volumes/VolumeMounts.cs): a mount namespace cloned before the mount would not see it.
//
// Follows: docker-run(1) for exit status; runtime-spec bundle.md and runtime.md (create, start).
using MiniImage.Store;
using MiniRun.Cgroups;
using MiniRun.Containers;
using MiniRun.Kernel;
using MiniRun.Network;
using MiniRun.Runtime;
using MiniRun.Spec;
using MiniRun.Supervisor;
using MiniRun.Trace;

namespace MiniRun.Engine;

/// <summary>The lifecycle flags of `run` besides RunOptions: -d, --restart, --detach-keys.</summary>
public sealed record LifecycleFlags(bool Detach, RestartPolicy Restart, string? DetachKeys)
{
    /// <summary>A build's RUN: the container's stderr goes to stdout with its stdout (one build output).</summary>
    public bool MergeStderr { get; init; }
    /// <summary>Where the container's output is written: standard output, or a build's held-back output (-q).</summary>
    public int OutputFd { get; init; } = 1;

    public static readonly LifecycleFlags Foreground = new(false, new RestartPolicy(), null);
}

/// <summary>What `run` ended with: the container, and (in the foreground) its exit code or a detach.</summary>
public sealed record RunOutcome(string Id, bool Detached, int ExitCode);

public static class ContainerRunner
{
    /// <param name="findImage">The image, from the store or pulled (the CLI's ImageAcquisition prints the pull).</param>
    /// <param name="detachKeys">The parsed --detach-keys sequence.</param>
    /// <param name="id">The container's id, chosen by the caller (a build prints " ---> Running in ID" first), else a fresh one.</param>
    public static RunOutcome Run(string root, RunOptions o, ConsoleTrace? trace, LifecycleFlags flags, byte[] detachKeys,
        Func<ImageStore, ImageSummary> findImage, string initExecutable = "/proc/self/exe", string? id = null)
    {
        root = Path.GetFullPath(root);
        // Resource flags are checked before anything exists: a bad value, or a limit this host's
        // cgroups cannot enforce, is a one-line error and nothing is left behind.
        var (limits, cgroupHost) = ContainerCreator.CheckResources(o);
        cgroupHost ??= CgroupV2Host.Detect();
        id ??= Naming.NewId();   // before the clone (or the caller's: a build prints it before the output): init is born in the cgroup named after it (clone3 CLONE_INTO_CGROUP)
        // Foreground: SIGINT/SIGTERM from now on are for the container.
        using var waiter = flags.Detach ? null : new ProcessWaiter();
        // The network is planned first: for a bridge network the engine makes the namespace, and
        // init joins it from its clone on (config.json names the same path for every later start).
        ITrace narrate = (ITrace?)trace ?? NullTrace.Instance;
        NameTracePaths(trace, root, id, cgroupHost, o.CgroupParent);
        var network = ContainerNetwork.Plan(root, o, narrate);
        ContainerNetwork.MakeNamespace(network, narrate);
        bool handedOver = false;
        int cloneFlags = ContainerNetwork.CloneFlags(
            ContainerStarter.RunFlags | MiniRun.Security.UsernsRemap.CloneFlag(o.Userns), network);   // --userns=remap: CLONE_NEWUSER
        IReadOnlyList<string> joins = network.JoinPath is string join ? [join] : [];
        // Without --trace, clone the supervisor and the container's first process before preparing
        // the bundle: both runtimes start up (a few ms each) while this process resolves the image
        // and writes the bundle. Init waits for the bundle and reads only that; both end if it never
        // comes. With --trace everything runs in reading order.
        LaunchedSupervisor? early = null;
        CgroupReservation? note = null;
        try
        {
            // Early clone only when no volume needs a mount: init's mount namespace is copied at
            // its clone and would miss a filesystem mounted on the volume afterwards.
            if (trace is null && !MiniRun.Volumes.VolumeMounts.MayNeedMount(root, o))
            {
                // Until the record exists nothing names this cgroup: a note in the store does, so
                // that a `run` killed before then leaves nothing behind (Containers/CgroupReservation.cs).
                var containers = new ContainerStore(root);
                CgroupReservation.Sweep(containers, cgroupHost.MountPoint);
                note = Reserve(containers, id, o, cgroupHost);
                early = SupervisorLauncher.LaunchWithInit(cloneFlags, o.Tty, o.Interactive, initExecutable, null, joins,
                    cgroup: ContainerCreator.ReserveCgroup(id, o, cgroupHost, null));
            }
            var created = ContainerCreator.Create(root, o, flags.Restart, trace, limits, cgroupHost, findImage, network, id);
            note?.Handover();   // the container's directory names the cgroup now (rm and the supervisor's end release it)
            note = null;
            return Start(root, o, trace, initExecutable, waiter, ref early, created, flags, detachKeys, cloneFlags, joins, ref handedOver, cgroupHost);
        }
        finally
        {
            early?.Abort();   // still here: the container was never started (its cgroup goes with init)
            note?.Dispose();
            if (!handedOver) ContainerNetwork.Abandon(network);   // its namespace, made above (the supervisor releases it from here on)
        }
    }

    /// <summary>With --trace: the cgroup (noted in the container's directory first) and the clone, after the bundle exists.</summary>
    private static LaunchedSupervisor LaunchInOrder(ContainerStore containers, string id, RunOptions o, CgroupV2Host cgroupHost,
        int cloneFlags, string initExecutable, ConsoleTrace? trace, IReadOnlyList<string> joins)
    {
        using var note = Reserve(containers, id, o, cgroupHost);
        var launched = SupervisorLauncher.LaunchWithInit(cloneFlags, o.Tty, o.Interactive, initExecutable, trace, joins,
            cgroup: ContainerCreator.ReserveCgroup(id, o, cgroupHost, trace));
        note?.Handover();
        return launched;
    }

    /// <summary>The store's note of the cgroup ReserveCgroup is about to make (Containers/CgroupReservation.cs); null: it makes none.</summary>
    private static CgroupReservation? Reserve(ContainerStore containers, string id, RunOptions o, CgroupV2Host cgroupHost) =>
        ContainerCreator.ReservedCgroupPath(id, o.CgroupParent, cgroupHost) is { } relative
            ? CgroupReservation.Begin(containers, id, Path.Combine(cgroupHost.MountPoint!, relative))
            : null;

    /// <summary>--trace: the container's long paths get short names, printed once before the first step.</summary>
    public static void NameTracePaths(ConsoleTrace? trace, string root, string id, CgroupV2Host host, string? cgroupParent)
    {
        if (trace is null) return;
        string bundle = Path.Combine(root, "containers", id);
        trace.Name("BUNDLE", bundle);
        trace.Name("ROOTFS", Path.Combine(bundle, "rootfs"));
        trace.Name("LAYERS", Path.Combine(root, "layers"));
        trace.Name("LINKS", Path.Combine(root, "l"));   // the layers' short links, which config.json's lowerdirs name
        if (host.MountPoint is string mount && OciCgroup.PathFor(ContainerCreator.CgroupsPathFor(id, cgroupParent, host), id, host) is { } relative)
            trace.Name("CGROUP", Path.Combine(mount, relative.TrimStart('/')));
    }

    private static RunOutcome Start(string root, RunOptions o, ConsoleTrace? trace, string initExecutable, ProcessWaiter? waiter,
        ref LaunchedSupervisor? early, CreatedContainer created, LifecycleFlags flags, byte[] detachKeys, int cloneFlags,
        IReadOnlyList<string> joins, ref bool handedOver, CgroupV2Host cgroupHost)
    {
        var (containers, record, _, bundle) = created;
        LaunchedSupervisor launched;
        bool clonedEarly = early is not null;
        try
        {
            if (!clonedEarly) MiniRun.Volumes.VolumeMounts.AcquireFor(root, bundle, record.Id);   // before init's clone (its mount namespace)
            launched = early ?? LaunchInOrder(containers, record.Id, o, cgroupHost, cloneFlags, initExecutable, trace, joins);
            early = null;
            if (trace is not null) ContainerStarter.ShowNamespaces(trace, launched.Init!.Pid, cloneFlags, "/proc");
            // From here on the supervisor owns the container: it records the end and, with --rm, removes it.
            if (!AttachProtocol.Send(launched.Control, (byte)'n', $"{launched.Init!.Pid}\n{root}\n{record.Id}"))
            {
                launched.Abort();
                throw new ContainerException($"start container {record.Id}: the supervisor ended before it took the container");
            }
            handedOver = true;
        }
        catch
        {
            // Never started: the container goes, and the anonymous volumes made for it with it.
            try { MiniRun.Volumes.VolumeMounts.Release(root, bundle, record.Id); }
            catch (Exception e) when (e is KernelException or IOException or ContainerException) { }
            if (containers.Retire(record) is string retired)
            {
                ContainerRemover.RemoveAnonymousVolumes(containers, retired, record.Id);
                ContainerStore.DeleteRetired(retired);
            }
            throw;
        }
        using (launched)
        {
            int initPid = launched.Init.Pid;
            waiter?.Attach(initPid);
            // Its network before its command: veth, address, route, published ports (held by the supervisor).
            PortReservation? ports;
            try
            {
                ports = ContainerNetwork.Attach(root, record, bundle, (ITrace?)trace ?? NullTrace.Instance);
            }
            catch (Exception e) when (e is NetworkException or RuntimeException or KernelException or IOException)
            {
                int code = e is NetworkException n ? n.ExitCode : 125;
                AttachProtocol.Send(launched.Control, (byte)'f', $"{code} {e.Message}");
                launched.Init.Abort();
                new AttachClient(launched.Control).WaitForExit();   // recorded (or removed with --rm) when this returns
                ReapSupervisor(launched.SupervisorPid);
                throw new ContainerException(e.Message, code);
            }
            using (ports)
                foreach (int fd in ports?.Fds ?? [])
                    AttachProtocol.Send(launched.Control, (byte)'p', [], fd);
            // Volumes with mount options (volume create -o type=...): mounted on the host first,
            // so the core's bind mount of their _data takes the filesystem (Volumes/VolumeMounts.cs).
            try { if (clonedEarly) MiniRun.Volumes.VolumeMounts.AcquireFor(root, bundle, record.Id); }   // MayNeedMount said none: normally nothing to do
            catch (Exception e) when (e is KernelException or IOException or ContainerException or UnauthorizedAccessException)
            {
                AttachProtocol.Send(launched.Control, (byte)'f', $"125 {e.Message}");
                launched.Init.Abort();
                new AttachClient(launched.Control).WaitForExit();   // the supervisor releases what was mounted
                ReapSupervisor(launched.SupervisorPid);
                throw new ContainerException(e.Message, 125);
            }
            OciStarted started;
            try
            {
                // The one way to start a container: the runtime core, from the bundle's config.json.
                started = ContainerRuntime.For(containers, initExecutable).RunDetached(record.Id, bundle,
                    new OciCreateOptions { Cloned = launched.Init, ReturnTerminal = true, Trace = trace });
            }
            catch (Exception e)
            {
                var (code, message) = e is ContainerStartException s ? (s.ExitCode, s.Reason) : (125, e.Message);
                AttachProtocol.Send(launched.Control, (byte)'f', $"{code} {message}");
                new AttachClient(launched.Control).WaitForExit();   // recorded (or removed with --rm) when this returns
                ReapSupervisor(launched.SupervisorPid);
                if (e is ContainerStartException) throw new ContainerException(message, code);
                throw;
            }
            trace?.Summary();   // init has exec'd the command: what the container was given, before its output
            if (started.TerminalMaster >= 0)
            {
                AttachProtocol.Send(launched.Control, (byte)'m', [], started.TerminalMaster);
                Libc.close(started.TerminalMaster);
            }
            // The supervisor records it running ('r'); -d waits until it has, so `ps` right after shows it.
            var client = new AttachClient(launched.Control) { OutputFd = flags.OutputFd, ErrorFd = flags.MergeStderr ? flags.OutputFd : 2 };
            if (flags.Detach)
            {
                AttachProtocol.Send(launched.Control, (byte)'a', "");   // no output for us
                AttachProtocol.Send(launched.Control, (byte)'r', "ack");
                if (!client.WaitForRecorded())
                    throw new ContainerException($"start container {record.Id}: the supervisor ended before it recorded the container running");
                return new RunOutcome(record.Id, true, 0);
            }
            AttachProtocol.Send(launched.Control, (byte)'r');
            int? status = client.Run(o.Interactive, o.Tty, detachKeys);
            if (client.Detached) return new RunOutcome(record.Id, true, 0);
            ReapSupervisor(launched.SupervisorPid);
            return new RunOutcome(record.Id, false, status ?? ExitCodeFromRecord(containers, record.Id));
        }
    }

    /// <summary>
    /// The supervisor is our child (the native stage cloned it). After telling us the exit code it
    /// still deletes a --rm container's files and exits; nobody waits for that. Reap whichever of
    /// our supervisors have ended by now (this one, or those of earlier containers when one process
    /// runs many - the tests), so zombies do not pile up; one still running is reaped on a later
    /// call, or by whoever inherits it when this process exits.
    /// </summary>
    private static void ReapSupervisor(int pid)
    {
        lock (Unreaped)
        {
            Unreaped.Add(pid);
            Unreaped.RemoveAll(p => Libc.waitpid(p, out _, Libc.WNOHANG) != 0);   // reaped, or not ours (-1)
        }
    }

    private static readonly List<int> Unreaped = new();

    /// <summary>The supervisor went away without telling the code (killed): what the record says, else 125.</summary>
    public static int ExitCodeFromRecord(ContainerStore store, string id)
    {
        try
        {
            var r = store.Load(id);
            return r.State.Status == ContainerStatus.Exited ? r.State.ExitCode : 125;
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException) { return 125; }
    }
}
