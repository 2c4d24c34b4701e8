// ContainerLifecycle: the engine's verbs on one existing container - start, stop, kill, restart,
// wait, attach, rename, pause/unpause, remove. Each talks to the container's supervisor
// (supervisor.sock) or starts a new one, signals and freezes through the runtime core
// (ContainerRuntime), and changes the record only through StateRecorder / ContainerStore.Update.
//
// Why here and not in the CLI: these are the engine's rules - `stop` sends the image's StopSignal
// (else SIGTERM), waits -t seconds, then SIGKILL; `stop`/`kill` mark the container ManuallyStopped
// first, so no restart policy undoes them; `start` clears it; stopping a stopped container
// succeeds; starting a running one does nothing. A refused request is a ContainerException with
// Docker's daemon message (exit 1); the CLI (Cli/LifecycleCommands.cs) loops over the names the
// user gave and prints. `rm` also gives up the volume mounts a supervisor killed before its end
// could not (Volumes/VolumeMounts.cs).
//
// Follows: docker-start(1), docker-stop(1), docker-kill(1), docker-restart(1), docker-wait(1),
// docker-attach(1), docker-rename(1), docker-pause(1), docker-rm(1); signal(7); cgroup-v2.rst
// (cgroup.freeze).
using MiniRun.Cgroups;
using MiniRun.Containers;
using MiniRun.Kernel;
using MiniRun.Runtime;
using MiniRun.Supervisor;
using MiniRun.Trace;

namespace MiniRun.Engine;

public static class ContainerLifecycle
{
    /// <summary>ManuallyStopped, the stop signal, -t seconds, SIGKILL; returns when the supervisor has recorded the end.</summary>
    public static void Stop(ContainerStore store, ContainerRecord c, int timeout, int signal)
    {
        c = StateRecorder.ManuallyStopped(store, c.Id, true);
        int socket = ContainerLiveness.HasSupervisor(c) ? AttachProtocol.ConnectTo(store.DirOf(c.Id)) : -1;
        try
        {
            if (socket >= 0) AttachProtocol.Send(socket, (byte)'a', "");
            if (ContainerLiveness.IsRestarting(c))
            {
                if (socket >= 0) AttachProtocol.Send(socket, (byte)'k');   // end the restart wait now
                WaitForEnd(store, c, socket, TimeSpan.FromSeconds(30));
                return;
            }
            if (!ContainerLiveness.IsRunning(c)) return;   // Docker: stopping a stopped container succeeds
            ContainerRuntime.Signal(store, c.Id, signal);
            if (WaitForEnd(store, c, socket, TimeSpan.FromSeconds(Math.Max(0, timeout)))) return;
            ContainerRuntime.Signal(store, c.Id, 9);
            WaitForEnd(store, c, socket, TimeSpan.FromSeconds(30));
        }
        finally
        {
            if (socket >= 0) Libc.close(socket);
        }
    }

    /// <summary>The image's StopSignal (else SIGTERM) and the container's StopTimeout (else 10 s).</summary>
    public static void Stop(ContainerStore store, ContainerRecord c, int? timeout) =>
        Stop(store, c, timeout ?? c.Config.StopTimeout ?? 10, Signals.Parse(c.Config.StopSignal) ?? 15);

    /// <summary>
    /// Waits until PID 1 ended and the supervisor has recorded it ('x' on its socket, or its socket
    /// closing); without a supervisor, until the process is gone. False after <paramref name="limit"/>.
    /// </summary>
    private static unsafe bool WaitForEnd(ContainerStore store, ContainerRecord c, int socket, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        if (socket >= 0)
        {
            var buffer = new byte[AttachProtocol.MaxPayload + 1];
            while (true)
            {
                int left = (int)Math.Max(0, (deadline - DateTime.UtcNow).TotalMilliseconds);
                var pfd = new Libc.pollfd { fd = socket, events = Libc.POLLIN };
                int n = Libc.poll(&pfd, 1, left);
                if (n == 0) return false;
                if (n < 0) continue;
                int got = AttachProtocol.Receive(socket, buffer, out int passed);
                if (passed >= 0) Libc.close(passed);
                if (got <= 0 || buffer[0] == (byte)'x') return true;
            }
        }
        return ProcessIdentity.WaitGone(c.State.Pid, c.State.PidStartTime, limit);
    }

    /// <summary>Sends <paramref name="signal"/> to PID 1; <paramref name="name"/> is how the user named it (for the message).</summary>
    public static void Kill(ContainerStore store, ContainerRecord c, string name, int signal)
    {
        if (!ContainerLiveness.IsRunning(c) || c.State.Status == ContainerStatus.Restarting)
            throw new ContainerException($"Cannot kill container: {name}: container {c.Id} is not running", 1);
        // A signal that ends the container is a manual stop; a reload signal (HUP, USR1) is not.
        if (signal is 9 or 15 or 2 or 3 || signal == (Signals.Parse(c.Config.StopSignal) ?? 15))
            StateRecorder.ManuallyStopped(store, c.Id, true);
        try
        {
            if (!ContainerRuntime.Signal(store, c.Id, signal))
                throw new ContainerException($"Cannot kill container: {name}: container {c.Id} is not running", 1);
        }
        catch (RuntimeException e) { throw new ContainerException($"Cannot kill container: {name}: {e.Message}", 1); }
    }

    /// <summary>Whether `start` has anything to do: false when it runs already (or its supervisor is restarting it).</summary>
    public static bool NeedsStart(ContainerRecord c) => !(ContainerLiveness.IsRunning(c) || ContainerLiveness.HasSupervisor(c));

    /// <summary>A new supervisor for a stopped container; returns once it runs (or throws why it did not start).</summary>
    public static void Start(string root, ContainerStore store, ContainerRecord c)
    {
        StateRecorder.ManuallyStopped(store, c.Id, false);
        using var launched = SupervisorLauncher.LaunchForStart(Path.GetFullPath(root), c.Id);
        if (WaitRunning(launched.Control) is int code) throw new ContainerException(StartError(store, c, code), 1);
    }

    /// <summary>`start -a`: a new supervisor, attached from the start; the exit code, or 0 after a detach.</summary>
    public static int StartAttached(string root, ContainerStore store, ContainerRecord c, bool interactive, byte[] detachKeys)
    {
        StateRecorder.ManuallyStopped(store, c.Id, false);
        using var launched = SupervisorLauncher.LaunchForStart(Path.GetFullPath(root), c.Id);
        var client = new AttachClient(launched.Control);
        using var forward = c.Config.Tty ? null : new ProcessWaiter();
        int? exit = client.Run(interactive && c.Config.OpenStdin, c.Config.Tty, detachKeys);
        if (client.Detached) return 0;
        return exit ?? ContainerRunner.ExitCodeFromRecord(store, c.Id);
    }

    /// <summary>Reads the supervisor's first answer: null when running ('r'), the exit code when the start failed.</summary>
    private static int? WaitRunning(int control)
    {
        var buffer = new byte[AttachProtocol.MaxPayload + 1];
        while (true)
        {
            int n = AttachProtocol.Receive(control, buffer, out int passed);
            if (passed >= 0) Libc.close(passed);
            if (n <= 0) return 125;
            if (buffer[0] == (byte)'r') return null;
            if (buffer[0] == (byte)'x') return int.TryParse(System.Text.Encoding.UTF8.GetString(buffer, 1, n - 1), out int code) ? code : 125;
        }
    }

    private static string StartError(ContainerStore store, ContainerRecord c, int code)
    {
        try { return store.Load(c.Id).State.Error ?? $"start container {c.Id}: exit code {code}"; }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException) { return $"start container {c.Id}: exit code {code}"; }
    }

    public static void Restart(string root, ContainerStore store, ContainerRecord c, int? timeout)
    {
        Stop(store, c, timeout);
        // The old supervisor writes its last record and exits right after 'x'.
        var latest = store.Load(c.Id);
        ProcessIdentity.WaitGone(latest.State.SupervisorPid, latest.State.SupervisorStartTime, TimeSpan.FromSeconds(10));
        Start(root, store, c);
    }

    /// <summary>Blocks until the container's PID 1 ended; its exit code.</summary>
    public static int Wait(ContainerStore store, ContainerRecord c)
    {
        int? code = null;
        if (ContainerLiveness.HasSupervisor(c))
        {
            int socket = AttachProtocol.ConnectTo(store.DirOf(c.Id));
            if (socket >= 0)
            {
                try { code = new AttachClient(socket).WaitForExit(); }
                finally { Libc.close(socket); }
            }
        }
        if (code is null && ContainerLiveness.IsRunning(c))
            ProcessIdentity.WaitGone(c.State.Pid, c.State.PidStartTime, TimeSpan.MaxValue);
        return code ?? store.Load(c.Id).State.ExitCode;
    }

    /// <summary>Docker refuses to attach to a stopped or paused container.</summary>
    public static void CheckAttachable(ContainerRecord c)
    {
        if (!ContainerLiveness.IsRunning(c))
            throw new ContainerException("You cannot attach to a stopped container, start it first", 1);
        if (c.State.Status == ContainerStatus.Paused)
            throw new ContainerException("You cannot attach to a paused container, unpause it first", 1);
    }

    /// <summary>Attaches to the running container's supervisor; the exit code, or 0 after a detach.</summary>
    public static int Attach(ContainerStore store, ContainerRecord c, byte[] detachKeys, bool noStdin)
    {
        int socket = AttachProtocol.ConnectTo(store.DirOf(c.Id));
        if (socket < 0) throw new ContainerException($"attach {c.Id}: its supervisor does not answer: {Errno.Describe(-socket)}", 1);
        try
        {
            using var forward = c.Config.Tty ? null : new ProcessWaiter();
            forward?.Attach(c.State.Pid);
            var client = new AttachClient(socket);
            int? code = client.Run(c.Config.OpenStdin && !noStdin, c.Config.Tty, detachKeys);
            if (client.Detached) return 0;
            return code ?? ContainerRunner.ExitCodeFromRecord(store, c.Id);
        }
        finally
        {
            Libc.close(socket);
        }
    }

    public static void Rename(ContainerStore store, ContainerRecord c, string newName)
    {
        string name = newName.StartsWith('/') ? newName[1..] : newName;
        try { name = Naming.ValidateName(name); }
        catch (Exception e) when (e is Spec.RunConfigException or ArgumentException) { throw new ContainerException(e.Message, 1); }
        if (name == c.Name) throw new ContainerException("Renaming a container with the same name as its current name", 1);
        store.Locked(() =>
        {
            string names = Path.Combine(store.Root, ".names");
            string target = Path.Combine(names, name);
            if (File.Exists(target) && File.ReadAllText(target).Trim() is var owner && File.Exists(Path.Combine(store.DirOf(owner), "container.json")))
                throw new ContainerException($"Conflict. The container name \"/{name}\" is already in use by container {GoQuote.Quote(owner)}. You have to remove (or rename) that container to be able to reuse that name.", 1);
            File.WriteAllText(target, c.Id);
            store.Update(c.Id, r => r.Name = name);
            File.Delete(Path.Combine(names, c.Name));
            return 0;
        });
    }

    /// <summary>
    /// Freezes (or thaws) every process of the container by the core's pause/resume (cgroup.freeze),
    /// under the container's lock, so a concurrent exit recorded by the supervisor is not overwritten.
    /// </summary>
    public static void Pause(ContainerStore store, ContainerRecord found, bool pause)
    {
        var runtime = ContainerRuntime.For(store);
        StateRecorder.Paused(store, found.Id, pause, check: r =>
        {
            if (!ContainerLiveness.HasLiveProcess(r)) throw new ContainerException($"Container {r.Id} is not running", 1);
            if (pause && r.State.Status == ContainerStatus.Paused) throw new ContainerException($"Container {r.Id} is already paused", 1);
            if (!pause && r.State.Status != ContainerStatus.Paused) throw new ContainerException($"Container {r.Id} is not paused", 1);
            var host = CgroupV2Host.Detect();
            if (r.State.CgroupPath is null || !host.Usable)
                throw new ContainerException($"{(pause ? "pause" : "unpause")} needs the cgroup v2 freezer (cgroup.freeze) and container {r.Id} " +
                    $"has no cgroup; this host: {host.Description}", 1);
        }, freeze: () =>
        {
            if (pause) runtime.Pause(found.Id); else runtime.Resume(found.Id);
        });
    }

    /// <summary>`rm [-f] [-v]`: refused while it runs unless forced; then every process, the cgroup and the files go (-v: its anonymous volumes too).</summary>
    public static void Remove(ContainerStore store, ContainerRecord c, bool force, bool volumes = false, ConsoleTrace? trace = null)
    {
        if (ContainerLiveness.IsRunning(c) && !force)
            throw new ContainerException(c.State.Status == ContainerStatus.Paused
                ? $"cannot remove container \"/{c.Name}\": container is paused and must be unpaused first"
                : $"cannot remove container \"/{c.Name}\": container is running: stop the container before removing or force remove", 1);
        // Under the container's lock: a concurrent stop or the supervisor's last write waits for us.
        List<(Narration, string)>? removed = null;
        var cgroupHost = CgroupV2Host.Detect();   // once: the release below and the sweep after it
        using (store.LockContainer(c.Id))
        {
            c = store.Load(c.Id);
            trace?.Name("CONTAINER", store.DirOf(c.Id));
            if (trace is not null) trace.LookWith = $"ls {store.DirOf(c.Id)}; ps -e -o pid,comm | grep {c.State.Pid}";
            removed = trace is null ? null : RemovalSummary(store, c, volumes);
            ContainerRemover.KillProcesses(store, c, includingSupervisor: true, trace, cgroupHost: cgroupHost);
        }
        // Its supervisor may have died before unmounting its volumes' filesystems (Volumes/VolumeMounts.cs).
        MiniRun.Volumes.VolumeMounts.Release(Path.GetDirectoryName(store.Root)!, store.DirOf(c.Id), c.Id);
        trace?.Step(Messages.RmNameTitle.With(c.Name), Messages.RmNameWhy);
        CgroupReservation.Sweep(store, cgroupHost.MountPoint);   // and those of `run`s killed before their record existed
        if (store.Retire(c) is not string retired) return;
        trace?.Call($"rename(\"{store.DirOf(c.Id)}\", \"{retired}\")", Messages.ResultRetired.Text);
        if (volumes) ContainerRemover.RemoveAnonymousVolumes(store, retired, c.Id, trace);
        trace?.Step(Messages.RmFilesTitle, Messages.RmFilesWhy);
        ContainerStore.DeleteRetired(retired);
        trace?.Call($"rm -r {retired}", Messages.ResultFilesDeleted.Text);
        if (removed is not null) trace?.Summary(Messages.RmSummaryTitle, removed);
    }

    /// <summary>rm --trace's closing summary, read before anything goes: what the steps remove.</summary>
    private static List<(Narration, string)> RemovalSummary(ContainerStore store, ContainerRecord c, bool volumes)
    {
        var s = c.State;
        var processes = !ContainerLiveness.HasLiveProcess(c) ? Messages.RmProcessesNone
            : s.SupervisorPid > 0 && ProcessIdentity.IsAlive(s.SupervisorPid, s.SupervisorStartTime)
                ? Messages.RmProcessesValue.With(s.Pid).Then(Messages.RmProcessesSupervisor.With(s.SupervisorPid))
                : Messages.RmProcessesValue.With(s.Pid);
        bool network = MiniRun.Network.ContainerNetworkFile.IsBridged(store.DirOf(c.Id));
        return
        [
            (Messages.RmSummaryProcesses, processes.Text),
            (Messages.RmSummaryMounts, Messages.RmMountsValue.Text),
            (Messages.RmSummaryCgroup, s.CgroupPath ?? Messages.RmCgroupNone.Text),
            (Messages.RmSummaryNetwork, (network ? Messages.RmNetworkValue : Messages.RmNetworkNone).Text),
            (Messages.RmSummaryVolumes, (volumes ? Messages.RmVolumesValue : Messages.RmVolumesKept).Text),
            (Messages.RmSummaryFiles, Messages.RmFilesValue.With(store.DirOf(c.Id)).Text),
        ];
    }
}
