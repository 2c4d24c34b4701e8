// LifecycleCommands: start, stop, kill, restart, wait, attach, rename, create - each talks to the
// container's supervisor (supervisor.sock) or starts a new one, and changes the record only
// through ContainerStore.Update.
//
// Why: Docker's verbs, exit codes and messages, because the course's exercises use them:
// `stop` sends the image's StopSignal (else SIGTERM), waits -t seconds (default 10), then
// SIGKILL: exit 143 or 137. `stop`/`kill` mark the container ManuallyStopped first, so no restart
// policy undoes them; `start` clears it. Stopping a stopped container succeeds; starting a running
// one does nothing. Unknown containers: "No such container: X", exit 1.
//
// Follows: docker-start(1), docker-stop(1), docker-kill(1), docker-restart(1), docker-wait(1),
// docker-attach(1), docker-rename(1), docker-create(1); signal(7).
using MiniRun.Containers;
using MiniRun.Kernel;
using MiniRun.Runtime;
using MiniRun.Supervisor;

namespace MiniRun.Cli;

public static class LifecycleCommands
{
    /// <summary>Runs <paramref name="each"/> per container; Docker's per-container errors, exit 1 if any failed.</summary>
    public static int ForEach(IReadOnlyList<string> names, Action<ContainerStore, ContainerRecord, string> each, string root)
    {
        RunCommand.RequireRoot("this command");
        var store = new ContainerStore(root);
        int status = 0;
        foreach (var name in names)
        {
            try { each(store, store.Find(name), name); }
            catch (Exception e) when (e is CliError or ContainerNotFoundException or Spec.RunConfigException or KernelException)
            {
                Console.Error.WriteLine($"minirun: Error response from daemon: {e.Message}");
                status = 1;
            }
        }
        return status;
    }

    public static int Stop(string root, IReadOnlyList<string> names, int? timeout) => ForEach(names, (store, c, name) =>
    {
        StopOne(store, c, timeout ?? c.Config.StopTimeout ?? 10, Signals.Parse(c.Config.StopSignal) ?? 15);
        Console.WriteLine(name);
    }, root);

    /// <summary>ManuallyStopped, the stop signal, -t seconds, SIGKILL; returns when the supervisor has recorded the end.</summary>
    public static void StopOne(ContainerStore store, ContainerRecord c, int timeout, int signal)
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

    public static int Kill(string root, IReadOnlyList<string> names, string? signalName) => ForEach(names, (store, c, name) =>
    {
        int signal = Signals.Parse(signalName ?? "KILL") ?? throw new CliError($"Invalid signal: {signalName}");
        if (!ContainerLiveness.IsRunning(c) || c.State.Status == ContainerStatus.Restarting)
            throw new CliError($"cannot kill container: {name}: container {c.Id} is not running");
        // A signal that ends the container is a manual stop; a reload signal (HUP, USR1) is not.
        if (signal is 9 or 15 or 2 or 3 || signal == (Signals.Parse(c.Config.StopSignal) ?? 15))
            StateRecorder.ManuallyStopped(store, c.Id, true);
        try
        {
            if (!ContainerRuntime.Signal(store, c.Id, signal))
                throw new CliError($"cannot kill container: {name}: container {c.Id} is not running");
        }
        catch (RuntimeException e) { throw new CliError($"cannot kill container: {name}: {e.Message}"); }
        Console.WriteLine(name);
    }, root);

    public static int Start(string root, IReadOnlyList<string> names, bool attach, bool interactive, string? detachKeys)
    {
        if (attach && names.Count > 1) { Console.Error.WriteLine("minirun: you cannot start and attach multiple containers at once"); return 1; }
        int result = 0;
        int status = ForEach(names, (store, c, name) =>
        {
            if (ContainerLiveness.IsRunning(c) || ContainerLiveness.HasSupervisor(c))
            {
                if (!attach) { Console.WriteLine(name); return; }
                result = Attach(store, c, detachKeys, noStdin: !interactive, out _, checkInput: false);   // Docker's start does not check
                return;
            }
            StateRecorder.ManuallyStopped(store, c.Id, false);
            using var launched = SupervisorLauncher.LaunchForStart(Path.GetFullPath(root), c.Id);
            var client = new AttachClient(launched.Control);
            if (!attach)
            {
                int? early = WaitRunning(launched.Control);
                if (early is int code) throw new CliError(StartError(store, c, code));
                Console.WriteLine(name);
                return;
            }
            using var forward = c.Config.Tty ? null : new ProcessWaiter();
            int? exit = client.Run(interactive && c.Config.OpenStdin, c.Config.Tty, Keys(detachKeys));
            if (client.Detached) { result = 0; return; }
            result = exit ?? RunCommand.ExitCodeFromRecord(store, c.Id);
        }, root);
        return status != 0 ? status : result;
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

    public static int Restart(string root, IReadOnlyList<string> names, int? timeout) => ForEach(names, (store, c, name) =>
    {
        StopOne(store, c, timeout ?? c.Config.StopTimeout ?? 10, Signals.Parse(c.Config.StopSignal) ?? 15);
        // The old supervisor writes its last record and exits right after 'x'.
        var latest = store.Load(c.Id);
        ProcessIdentity.WaitGone(latest.State.SupervisorPid, latest.State.SupervisorStartTime, TimeSpan.FromSeconds(10));
        StateRecorder.ManuallyStopped(store, c.Id, false);
        using var launched = SupervisorLauncher.LaunchForStart(Path.GetFullPath(root), c.Id);
        if (WaitRunning(launched.Control) is int code) throw new CliError(StartError(store, c, code));
        Console.WriteLine(name);
    }, root);

    public static int Wait(string root, IReadOnlyList<string> names) => ForEach(names, (store, c, _) =>
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
        Console.WriteLine(code ?? store.Load(c.Id).State.ExitCode);
    }, root);

    public static int Attach(string root, string name, string? detachKeys, bool noStdin)
    {
        int result = 0;
        bool notATerminal = false;
        int status = ForEach([name], (store, c, _) => result = Attach(store, c, detachKeys, noStdin, out notATerminal), root);
        if (notATerminal) throw InputTty.Error();   // Docker's client-side line, not a daemon's error
        return status != 0 ? status : result;
    }

    private static int Attach(ContainerStore store, ContainerRecord c, string? detachKeys, bool noStdin, out bool notATerminal, bool checkInput = true)
    {
        notATerminal = false;
        if (!ContainerLiveness.IsRunning(c))
            throw new CliError("You cannot attach to a stopped container, start it first");
        if (c.State.Status == ContainerStatus.Paused)
            throw new CliError("You cannot attach to a paused container, unpause it first");
        if (checkInput && InputTty.Lacking(!noStdin, c.Config.Tty)) { notATerminal = true; return 1; }
        int socket = AttachProtocol.ConnectTo(store.DirOf(c.Id));
        if (socket < 0) throw new CliError($"attach {c.Id}: its supervisor does not answer: {Errno.Describe(-socket)}");
        try
        {
            using var forward = c.Config.Tty ? null : new ProcessWaiter();
            forward?.Attach(c.State.Pid);
            var client = new AttachClient(socket);
            int? code = client.Run(c.Config.OpenStdin && !noStdin, c.Config.Tty, Keys(detachKeys));
            if (client.Detached) return 0;
            return code ?? RunCommand.ExitCodeFromRecord(store, c.Id);
        }
        finally
        {
            Libc.close(socket);
        }
    }

    private static byte[] Keys(string? spec)
    {
        try { return AttachClient.ParseDetachKeys(spec); }
        catch (FormatException e) { throw new CliError(e.Message); }
    }

    public static int Rename(string root, string oldName, string newName) => ForEach([oldName], (store, c, _) =>
    {
        string name = newName.StartsWith('/') ? newName[1..] : newName;
        try { name = Naming.ValidateName(name); }
        catch (Exception e) when (e is Spec.RunConfigException or ArgumentException) { throw new CliError(e.Message); }
        if (name == c.Name) throw new CliError($"Renaming a container with the same name as its current name");
        store.Locked(() =>
        {
            string names = Path.Combine(store.Root, ".names");
            string target = Path.Combine(names, name);
            if (File.Exists(target) && File.ReadAllText(target).Trim() is var owner && File.Exists(Path.Combine(store.DirOf(owner), "container.json")))
                throw new CliError($"Conflict. The container name \"/{name}\" is already in use by container \"{owner}\". You have to remove (or rename) that container to be able to reuse that name.");
            File.WriteAllText(target, c.Id);
            store.Update(c.Id, r => r.Name = name);
            File.Delete(Path.Combine(names, c.Name));
            return 0;
        });
    }, root);
}
