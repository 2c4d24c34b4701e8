// RunCommand: `minirun run` = find the image, create the container's bundle, start it, wait.
//
// Why this split: run only prepares an OCI bundle (config.json + the overlay directories +
// /etc files) and hands it to ContainerStarter, which reads nothing but that bundle. The same
// bundle is what the OCI runtime verbs (create/start) will take from engines later.
//
// Steps: clone the supervisor and init at once (native stage) -> resolve the image, unpack its
// layers once (shared), reserve an id and a name, write the bundle (LifecycleCreate) -> hand the
// container to the supervisor ('n') -> init's handshake (ContainerStarter) -> 'r': the supervisor
// records "running" -> with -d print the id once it has; in the foreground attach to the
// supervisor like `attach` (output, stdin, terminal, detach keys) and return the exit code it
// reports. The supervisor records the exit, applies --restart and removes the container with
// --rm (docs/lifecycle.md).
//
// Follows: docker-run(1) for flags and exit status; runtime-spec bundle.md.
using MiniImage;
using MiniImage.Store;
using MiniRun.Cgroups;
using MiniRun.Containers;
using MiniRun.Kernel;
using MiniRun.Runtime;
using MiniRun.Spec;
using MiniRun.Supervisor;
using MiniRun.Trace;

namespace MiniRun.Cli;

public sealed record TraceMode(bool Enabled, bool Pause)
{
    public static readonly TraceMode Off = new(false, false);

    /// <summary>--trace, --trace=pause, or MINIRUN_TRACE=1|pause.</summary>
    public static TraceMode From(string? flag, bool flagGiven, string? env)
    {
        string? value = flagGiven ? (flag ?? "on") : string.IsNullOrEmpty(env) || env == "0" ? null : env;
        if (value is null) return Off;
        return value switch
        {
            "pause" => new(true, true),
            "on" or "1" or "true" or "" => new(true, false),
            _ => throw new CliError($"invalid --trace value \"{value}\": use --trace or --trace=pause"),
        };
    }
}

/// <summary>The lifecycle flags of `run` besides RunOptions: -d, --restart, --detach-keys.</summary>
public sealed record LifecycleFlags(bool Detach, RestartPolicy Restart, string? DetachKeys)
{
    public static readonly LifecycleFlags Foreground = new(false, new RestartPolicy(), null);
}

public static class RunCommand
{
    public static int Execute(string root, RunOptions o, TraceMode traceMode, string initExecutable = "/proc/self/exe",
        LifecycleFlags? flags = null)
    {
        RequireRoot("run");
        flags ??= LifecycleFlags.Foreground;
        root = Path.GetFullPath(root);
        if (o.Rm && flags.Restart.Name != "no")
            throw new CliError("Conflicting options: --restart and --rm");
        byte[] detachKeys;
        try { detachKeys = AttachClient.ParseDetachKeys(flags.DetachKeys); }
        catch (FormatException e) { throw new CliError(e.Message); }
        var trace = traceMode.Enabled ? new ConsoleTrace(Console.Error, traceMode.Pause) : null;
        // Resource flags are checked before anything exists: a bad value, or a limit this host's
        // cgroups cannot enforce, is a one-line error and nothing is left behind.
        var (limits, cgroupHost) = LifecycleCreate.CheckResources(o);
        // Foreground: SIGINT/SIGTERM from now on are for the container.
        using var waiter = flags.Detach ? null : new ProcessWaiter();
        int cloneFlags = ContainerStarter.RunFlags | MiniRun.Security.UsernsRemap.CloneFlag(o.Userns);   // --userns=remap: CLONE_NEWUSER
        // Without --trace, clone the supervisor and the container's first process before preparing
        // the bundle: both runtimes start up (a few ms each) while this process resolves the image
        // and writes the bundle. Init waits for the bundle and reads only that; both end if it never
        // comes. With --trace everything runs in reading order.
        LaunchedSupervisor? early = trace is null
            ? SupervisorLauncher.LaunchWithInit(cloneFlags, o.Tty, o.Interactive, initExecutable, null)
            : null;
        try
        {
            return CreateAndStart(root, o, trace, initExecutable, waiter, ref early, limits, cgroupHost, flags, detachKeys, cloneFlags);
        }
        finally
        {
            early?.Abort();   // still here: the container was never started
        }
    }

    private static int CreateAndStart(string root, RunOptions o, ConsoleTrace? trace, string initExecutable, ProcessWaiter? waiter,
        ref LaunchedSupervisor? early, ResourceLimits limits, CgroupV2Host? cgroupHost, LifecycleFlags flags, byte[] detachKeys, int cloneFlags)
    {
        var created = LifecycleCreate.Create(root, o, flags.Restart, trace, limits, cgroupHost);
        var (containers, record, spec, bundle) = created;
        LaunchedSupervisor launched;
        try
        {
            launched = early ?? SupervisorLauncher.LaunchWithInit(cloneFlags, o.Tty, o.Interactive, initExecutable, trace);
            early = null;
            if (trace is not null) ContainerStarter.ShowNamespaces(trace, launched.Init!.Pid, cloneFlags, "/proc");
            // From here on the supervisor owns the container: it records the end and, with --rm, removes it.
            if (!AttachProtocol.Send(launched.Control, (byte)'n', $"{launched.Init!.Pid}\n{root}\n{record.Id}"))
            {
                launched.Abort();
                throw new CliError($"start container {record.Id}: the supervisor ended before it took the container");
            }
        }
        catch
        {
            containers.Delete(record);
            throw;
        }
        using (launched)
        {
            int initPid = launched.Init.Pid;
            waiter?.Attach(initPid);
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
                if (e is ContainerStartException) throw new CliError(message, code);
                throw;
            }
            if (started.TerminalMaster >= 0)
            {
                AttachProtocol.Send(launched.Control, (byte)'m', [], started.TerminalMaster);
                Libc.close(started.TerminalMaster);
            }
            // The supervisor records it running ('r'); -d waits until it has, so `ps` right after shows it.
            var client = new AttachClient(launched.Control);
            if (flags.Detach)
            {
                AttachProtocol.Send(launched.Control, (byte)'a', "");   // no output for us
                AttachProtocol.Send(launched.Control, (byte)'r', "ack");
                if (!client.WaitForRecorded())
                    throw new CliError($"start container {record.Id}: the supervisor ended before it recorded the container running");
                Console.WriteLine(record.Id);
                return 0;
            }
            AttachProtocol.Send(launched.Control, (byte)'r');
            int? status = client.Run(o.Interactive, o.Tty, detachKeys);
            if (client.Detached) return 0;
            ReapSupervisor(launched.SupervisorPid);
            return status ?? ExitCodeFromRecord(containers, record.Id);
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

    /// <summary>"busybox" -> "busybox:latest", as Docker's "Unable to find image" line shows it.</summary>
    public static string DisplayReference(string image) =>
        image.Contains('@') || image.LastIndexOf(':') > image.LastIndexOf('/') ? image : image + ":latest";

    public static void RequireRoot(string command)
    {
        if (Libc.geteuid() != 0)
            throw new CliError($"{command} needs root: it creates namespaces, mounts and device nodes (try sudo; rootless mode with user namespaces is not implemented yet)");
    }
}
