// SupervisorLifecycle: what the supervisor does when the container starts, ends, and starts again.
//
// Why: PID 1's end is the one event only the supervisor sees first (it is the parent). It waits
// for the exit status, drains the output, reaps the orphans that came to it (the rest of the
// PID namespace, killed by the kernel when PID 1 died), records the exit - Docker's 128+N for
// signal N, and OOMKilled when memory.events oom_kill rose - and then applies the restart
// policy, or ends: cgroup removed, network released (namespace, lease, port rules and the held
// host ports: Network/ContainerNetwork.cs), with --rm the container and its anonymous volumes
// removed, clients told the code, and only then the veths' host ends deleted (a veth's deletion waits for the kernel's
// RCU grace periods, 10-30 ms that `run` need not wait for: its namespace is already unmounted,
// its lease and ports free). Each start (StartContainer) attaches the network again and mounts the
// volumes with driver options (Volumes/VolumeMounts.cs) before the core starts it; each end
// (restart or final) gives up those mounts before the record and the clients hear of it, and the
// last user unmounts.
//
// Follows: waitpid(2); runtime-spec runtime.md "start"; docker-run(1) "--restart", "--rm";
// cgroup-v2.rst "memory.events".
using System.Runtime.InteropServices;
using MiniRun.Cgroups;
using MiniRun.Containers;
using MiniRun.Kernel;
using MiniRun.Runtime;
using MiniRun.Spec;
using MiniRun.Trace;

namespace MiniRun.Supervisor;

internal sealed unsafe partial class Supervisor
{
    /// <summary>--adopt: 'n' says "PID\nROOT\nID": init is our child, this is its container.</summary>
    private void Adopt(string text)
    {
        var parts = text.Split('\n');
        if (parts.Length != 3 || !int.TryParse(parts[0], out int pid)) return;
        _initPid = pid;
        _pidfd = SupervisorInterop.PidfdOpen(pid);
        OpenContainer(parts[1], parts[2]);
    }

    /// <summary>
    /// 'r': `run` saw init exec the command. Recorded here, so `run` writes nothing after the exec.
    /// A command that has already ended (`true`) skips "running": its start and end are written
    /// together (with --rm nothing is written, the container is removed). With -d, `run` waits for
    /// 'R' (or the exit code) before printing the id, so `ps` right after shows it.
    /// </summary>
    private void Running(Client control, bool wantsAck)
    {
        _handshake = Handshake.Done;
        _startedAt = DateTimeOffset.UtcNow;
        if (SupervisorInterop.HasEnded(_pidfd))
        {
            _endedBeforeRecorded = true;
            OnInitExit();   // tells every client the code ('x'), the acknowledgement included
            return;
        }
        StateRecorder.Running(_store!, _id!, _initPid, Environment.ProcessId);
        StartHealth();   // recorded running: probes may begin
        if (wantsAck) AttachProtocol.Send(control.Fd, (byte)'R');
    }

    private void OnInitExit()
    {
        StopHealth();   // no probe may run (or be reaped by ReapOrphans) once PID 1 is gone
        int status = 0;
        while (Libc.waitpid(_initPid, out status, 0) < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR) { }
        Libc.close(_pidfd);
        _pidfd = -1;
        int code = ProcessWaiter.ExitStatus(status);
        DrainOutput(TimeSpan.FromSeconds(2));
        ReapOrphans();
        if (_id is null)
        {
            // `run` went away before it told us the container: nothing to record.
            _finished = true;
            return;
        }
        if (_handshake == Handshake.Failed)
        {
            _lastExit = _failCode;
            Final(_failCode, false, _failMessage, failedStart: true);
            return;
        }
        if (_handshake == Handshake.Pending)
        {
            // The starting `run` died before init exec'd (init saw EOF and gave up).
            _lastExit = 125;
            Final(125, false, "the starting command went away before the container started", failedStart: true);
            return;
        }
        Ended(code);
    }

    /// <summary>Reaps every child left (the subreaper's duty); returns at once when there are none.</summary>
    private static void ReapOrphans()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        while (true)
        {
            int pid = Libc.waitpid(-1, out _, Libc.WNOHANG);
            if (pid > 0) continue;
            if (pid < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR) continue;
            if (pid < 0 || DateTime.UtcNow > deadline) return;   // ECHILD: none left
            Thread.Sleep(5);                                      // children still dying
        }
    }

    private void Ended(int code)
    {
        _lastExit = code;
        ContainerRecord record;
        try { record = _store!.Load(_id!); }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or InvalidDataException)
        {
            SendExitToClients(code);   // removed under us (rm -f): nothing to record
            _finished = true;
            return;
        }
        // The runtime core makes the cgroup afresh at every start (and removes it at the end), so
        // any oom_kill it counts happened in this run.
        bool oom = ReadOomKills(record) > 0;
        if (RestartRules.ShouldRestart(record.HostConfig.RestartPolicy, code, record.RestartCount, record.State.ManuallyStopped))
        {
            var delay = _backoff.Next(DateTimeOffset.UtcNow - _startedAt);
            ReleaseVolumeMounts();   // a tmpfs volume starts empty again, as in Docker
            StateRecorder.Ended(_store!, _id!, code, oom, restarting: true, startedAt: StartNotRecorded());
            try { ContainerRuntime.Delete(_store!, _id!, force: true); }   // the next start makes it again from config.json
            catch (RuntimeException) { }                                   // retried by StartContainer
            ReleaseNetwork();                                              // and its network (namespace, veth, lease, ports)
            SendExitToClients(code);
            _restartAt = DateTime.UtcNow + delay;
            return;
        }
        Final(code, oom, null, failedStart: false, record.AutoRemove || record.HostConfig.AutoRemove ? record : null);
    }

    /// <summary>The end: record, cgroup, --rm, clients told, socket gone.</summary>
    /// <param name="removing">With --rm, the record as loaded: it is removed at once, so the exit is not written first.</param>
    private void Final(int code, bool oom, string? error, bool failedStart, ContainerRecord? removing = null)
    {
        _lastExit = code;
        string? retired = null;
        var deferredLinks = new List<string>();   // veth host ends: deleted after the clients heard the code
        ReleaseVolumeMounts();   // before the record says exited: `stop` returning means unmounted
        try
        {
            var record = removing ?? (failedStart ? StateRecorder.FailedStart(_store!, _id!, code, error)
                : StateRecorder.Ended(_store!, _id!, code, oom, restarting: false, error, StartNotRecorded()));
            ContainerRuntime.Delete(_store!, _id!, force: true);   // its cgroup and the core's state: this run is over
            var cgroupHost = MiniRun.Cgroups.CgroupV2Host.Detect();
            CgroupReservation.Release(_store!, _id!, cgroupHost.MountPoint);   // `run` died before the core started it: the cgroup it reserved
            bool networkReleased = ReleaseNetwork(deferredLinks);
            if (record.AutoRemove || record.HostConfig.AutoRemove)   // the network once: its veth is deleted after the code is sent
                retired = ContainerRemover.Retire(_store!, record, includingSupervisor: false, networkReleased: networkReleased, cgroupHost);
            else
                try { File.Delete(Path.Combine(_store!.DirOf(_id!), AttachProtocol.SocketName)); } catch (IOException) { }
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or ContainerNotFoundException or RuntimeException) { }
        // --rm: the container is out of the store (directory moved away, name free) and its
        // anonymous volumes are gone before the clients hear the code (`run --rm` returns with them
        // removed, as Docker's CLI waits for the removal); its files are deleted after, off the path
        // of `run`'s return.
        if (retired is not null) ContainerRemover.RemoveAnonymousVolumes(_store!, retired, _id!);
        SendExitToClients(code);
        if (_listen >= 0) { Libc.close(_listen); _listen = -1; }
        try { MiniRun.Network.ContainerNetwork.DeleteLinks(deferredLinks, NullTrace.Instance); }
        catch (Exception e) when (e is RuntimeException or KernelException or IOException or MiniRun.Network.NetworkException) { }
        if (retired is not null)
            try { ContainerStore.DeleteRetired(retired); } catch (IOException) { }
        _finished = true;
    }

    /// <summary>This container uses its volumes' mounts no more: the last user unmounts (Volumes/VolumeMounts.cs).</summary>
    private void ReleaseVolumeMounts()
    {
        try { MiniRun.Volumes.VolumeMounts.Release(Path.GetDirectoryName(_store!.Root)!, _store.DirOf(_id!), _id!); }
        catch (Exception e) when (e is IOException or KernelException or ContainerException or UnauthorizedAccessException) { }   // the next start, rm, prune or boot repairs it
    }

    /// <summary>The start time to write with the end, when "running" was never written for this start.</summary>
    private DateTimeOffset? StartNotRecorded()
    {
        if (!_endedBeforeRecorded) return null;
        _endedBeforeRecorded = false;
        return _startedAt;
    }

    /// <summary>The restart policy's delay is over: start the container again (unless stopped meanwhile).</summary>
    private void Restart()
    {
        if (IsManuallyStopped())
        {
            Final(_lastExit, false, null, failedStart: false);
            return;
        }
        var failure = StartContainer();
        if (failure is var (code, message))
        {
            Final(code, false, message, failedStart: false);
            return;
        }
        _store!.Update(_id!, r => r.RestartCount++);
    }

    /// <summary>
    /// Starts the container from its bundle (config.json) through the runtime core, as this
    /// process's child, with fresh pipes (or a terminal) for its output, and records it running.
    /// config.json is all it reads: the user's flags were turned into it once, by `create`/`run`.
    /// Returns (code, message) when init failed before exec.
    /// </summary>
    private (int Code, string? Message)? StartContainer()
    {
        var record = _store!.Load(_id!);
        string bundle = _store.DirOf(_id!);
        int devNull = Libc.open("/dev/null", Libc.O_RDWR | Libc.O_CLOEXEC, 0);
        var childEnds = new List<int> { devNull };
        try
        {
            StdioFds stdio;
            if (record.Config.Tty) stdio = new StdioFds(devNull, devNull, devNull);
            else
            {
                var (outR, outW) = Libc.Pipe();
                var (errR, errW) = Libc.Pipe();
                _out = outR; _err = errR;
                childEnds.Add(outW); childEnds.Add(errW);
                int stdinR = devNull;
                if (record.Config.OpenStdin)
                {
                    var (inR, inW) = Libc.Pipe();
                    _stdin = inW;
                    SupervisorInterop.SetNonBlocking(inW);
                    childEnds.Add(inR);
                    stdinR = inR;
                }
                stdio = new StdioFds(stdinR, outW, errW);
            }
            ContainerRuntime.Delete(_store, _id!, force: false);   // the previous run's state, if its delete failed
            MiniRun.Security.AppArmor.EnsureLoadedFor(_store, _id!);   // minirun-default again if the kernel lost it (a reboot)
            // The network namespace named in config.json, its veth, address and published ports.
            using (var ports = MiniRun.Network.ContainerNetwork.Attach(Path.GetDirectoryName(_store.Root)!, record, bundle, NullTrace.Instance))
                if (ports is not null)
                    foreach (int fd in ports.Fds) _portFds.Add(Libc.fcntl(fd, 1030 /*F_DUPFD_CLOEXEC*/, 0));   // ours; the hold closes its own
            // Volumes with mount options: mounted (refcounted) before the core binds their _data.
            MiniRun.Volumes.VolumeMounts.AcquireFor(Path.GetDirectoryName(_store.Root)!, bundle, _id!);
            OciStarted started;
            try
            {
                started = ContainerRuntime.For(_store).RunDetached(_id!, bundle, new OciCreateOptions { Stdio = stdio, ReturnTerminal = true });
            }
            finally
            {
                foreach (var fd in childEnds) Libc.close(fd);
                childEnds.Clear();
            }
            if (started.TerminalMaster >= 0)
            {
                _master = _stdin = started.TerminalMaster;
                SupervisorInterop.SetNonBlocking(_master);
            }
            _initPid = started.State.Pid;
            _pidfd = SupervisorInterop.PidfdOpen(_initPid);
            _handshake = Handshake.Done;
            _startedAt = DateTimeOffset.UtcNow;
            StateRecorder.Running(_store, _id!, _initPid, Environment.ProcessId);
            StartHealth();
            return null;
        }
        catch (ContainerStartException e)
        {
            CloseContainerIo();
            ReleaseNetwork();
            return (e.ExitCode, e.Reason);
        }
        catch (Exception e) when (e is RuntimeException or KernelException or IOException or InvalidOperationException or System.Text.Json.JsonException
            or InvalidDataException or MiniRun.Spec.RunConfigException or MiniRun.Network.NetworkException or ContainerException)
        {
            foreach (var fd in childEnds) Libc.close(fd);
            CloseContainerIo();
            ReleaseNetwork();
            return (e is MiniRun.Network.NetworkException n ? n.ExitCode : 125, e.Message);
        }
    }

    /// <summary>This run's network is over: port rules, veth, lease, namespace (Network/ContainerNetwork.cs), and the held ports.</summary>
    /// <param name="deferredLinks">Null: everything now. Else the veth host ends are left for the caller (ContainerNetwork.Detach).</param>
    /// <summary>The container's network (namespace, lease, ports; the veth now or into <paramref name="deferredLinks"/>); false if that failed.</summary>
    private bool ReleaseNetwork(List<string>? deferredLinks = null)
    {
        bool released = true;
        try { MiniRun.Network.ContainerNetwork.Detach(Path.GetDirectoryName(_store!.Root)!, _id!, _store.DirOf(_id!), NullTrace.Instance, deferredLinks: deferredLinks); }
        catch (Exception e) when (e is RuntimeException or KernelException or IOException or MiniRun.Network.NetworkException) { released = false; }
        foreach (int fd in _portFds) Libc.close(fd);
        _portFds.Clear();
        return released;
    }

    /// <summary>oom_kill from the cgroup's memory.events; -1 without a cgroup (or memory controller).</summary>
    private long ReadOomKills(ContainerRecord? record = null)
    {
        try
        {
            record ??= _store!.Load(_id!);
            if (string.IsNullOrEmpty(record.State.CgroupPath)) return -1;
            var mount = CgroupV2Host.Detect().MountPoint;
            if (mount is null) return -1;
            foreach (var line in File.ReadAllLines(Path.Combine(mount, record.State.CgroupPath, "memory.events")))
                if (line.StartsWith("oom_kill ", StringComparison.Ordinal)) return long.Parse(line[9..]);
        }
        catch (Exception e) when (e is IOException or FormatException or System.Text.Json.JsonException or UnauthorizedAccessException) { }
        return -1;
    }
}
