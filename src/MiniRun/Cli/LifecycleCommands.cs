// LifecycleCommands: the CLI of start, stop, kill, restart, wait, attach, rename, pause/unpause,
// update and rm - for each container the user named, the engine's verb (Engine/ContainerLifecycle.cs),
// then what Docker prints: the name as given, or the error (Cli/ErrorReport.cs dresses it per
// command) and exit 1 for that container while the others go on.
//
// Follows: docker-start(1), docker-stop(1), docker-kill(1), docker-restart(1), docker-wait(1),
// docker-attach(1), docker-rename(1), docker-pause(1), docker-update(1) ("You must provide one or
// more flags when using this command."), docker-rm(1).
using MiniRun.Cgroups;
using MiniRun.Containers;
using MiniRun.Engine;
using MiniRun.Kernel;
using MiniRun.Runtime;
using MiniRun.Supervisor;

namespace MiniRun.Cli;

public static class LifecycleCommands
{
    /// <summary>Runs <paramref name="each"/> per container; Docker's per-container errors, exit 1 if any failed.</summary>
    /// <param name="failed">Receives the names whose verb failed (start's summary line).</param>
    /// <param name="missingIsOk">`rm -f`: a container that does not exist is reported but does not fail the command (Docker exits 0, so cleanup scripts work).</param>
    public static int ForEach(IReadOnlyList<string> names, Action<ContainerStore, ContainerRecord, string> each, string root,
        string command, bool missingIsOk = false, List<string>? failed = null)
    {
        RunCommand.RequireRoot(command);
        var store = new ContainerStore(root);
        int status = 0;
        foreach (var name in names)
        {
            try { each(store, store.Find(name), name); }
            catch (Exception e) when (e is CliError or ContainerException or ContainerNotFoundException or Spec.RunConfigException
                or KernelException or RuntimeException or IOException)
            {
                ErrorReport.Write(Console.Error, command, e);
                if (!(missingIsOk && e is ContainerNotFoundException)) status = 1;
                failed?.Add(name);
            }
        }
        return status;
    }

    public static int Stop(string root, IReadOnlyList<string> names, int? timeout) => ForEach(names, (store, c, name) =>
    {
        ContainerLifecycle.Stop(store, c, timeout);
        Console.WriteLine(name);
    }, root, "stop");

    /// <summary>`stop -s SIGNAL`: the given signal instead of the image's StopSignal.</summary>
    public static int Stop(string root, IReadOnlyList<string> names, int? timeout, string signalName) => ForEach(names, (store, c, name) =>
    {
        int signal = Signals.Parse(signalName) ?? throw CliError.Daemon($"Invalid signal: {signalName}");
        ContainerLifecycle.Stop(store, c, timeout ?? c.Config.StopTimeout ?? 10, signal);
        Console.WriteLine(name);
    }, root, "stop");

    public static int Kill(string root, IReadOnlyList<string> names, string? signalName) => ForEach(names, (store, c, name) =>
    {
        int signal = Signals.Parse(signalName ?? "KILL") ?? throw CliError.Daemon($"Invalid signal: {signalName}");
        ContainerLifecycle.Kill(store, c, name, signal);
        Console.WriteLine(name);
    }, root, "kill");

    public static int Start(string root, IReadOnlyList<string> names, bool attach, bool interactive, string? detachKeys)
    {
        if (attach && names.Count > 1) throw new CliError("you cannot start and attach multiple containers at once", 1);
        int result = 0;
        var failed = new List<string>();
        int status = ForEach(names, (store, c, name) =>
        {
            if (!ContainerLifecycle.NeedsStart(c))
            {
                if (!attach) { Console.WriteLine(name); return; }
                ContainerLifecycle.CheckAttachable(c);
                result = ContainerLifecycle.Attach(store, c, Keys(detachKeys), noStdin: !interactive);   // Docker's start does not check the input
                return;
            }
            if (!attach)
            {
                ContainerLifecycle.Start(root, store, c);
                Console.WriteLine(name);
                return;
            }
            result = ContainerLifecycle.StartAttached(root, store, c, interactive, Keys(detachKeys));
        }, root, "start", failed: failed);
        if (failed.Count > 0) Console.Error.WriteLine($"Error: failed to start containers: {string.Join(", ", failed)}");   // Docker's summary
        return status != 0 ? status : result;
    }

    public static int Restart(string root, IReadOnlyList<string> names, int? timeout) => ForEach(names, (store, c, name) =>
    {
        ContainerLifecycle.Restart(root, store, c, timeout);
        Console.WriteLine(name);
    }, root, "restart");

    public static int Wait(string root, IReadOnlyList<string> names) => ForEach(names, (store, c, _) =>
        Console.WriteLine(ContainerLifecycle.Wait(store, c)), root, "wait");

    public static int Attach(string root, string name, string? detachKeys, bool noStdin)
    {
        int result = 0;
        bool notATerminal = false;
        int status = ForEach([name], (store, c, _) =>
        {
            ContainerLifecycle.CheckAttachable(c);
            if (InputTty.Lacking(!noStdin, c.Config.Tty)) { notATerminal = true; result = 1; return; }
            result = ContainerLifecycle.Attach(store, c, Keys(detachKeys), noStdin);
        }, root, "attach");
        if (notATerminal) throw InputTty.Error();   // Docker's client-side line, not a daemon's error
        return status != 0 ? status : result;
    }

    private static byte[] Keys(string? spec)
    {
        try { return AttachClient.ParseDetachKeys(spec); }
        catch (FormatException e) { throw new CliError(e.Message); }
    }

    public static int Rename(string root, string oldName, string newName) => ForEach([oldName], (store, c, _) =>
        ContainerLifecycle.Rename(store, c, newName), root, "rename");

    public static int Pause(string root, IReadOnlyList<string> names, bool pause) => ForEach(names, (store, c, name) =>
    {
        ContainerLifecycle.Pause(store, c, pause);
        Console.WriteLine(name);
    }, root, pause ? "pause" : "unpause");

    public static int Rm(string root, IReadOnlyList<string> names, bool force, bool volumes = false, TraceMode? trace = null) => ForEach(names, (store, c, name) =>
    {
        ContainerLifecycle.Remove(store, c, force, volumes, trace is { Enabled: true } t ? new MiniRun.Trace.ConsoleTrace(Console.Error, t.Pause) : null);
        Console.WriteLine(name);
    }, root, "rm", missingIsOk: force);

    public static int Update(string root, ResourceFlagValues given, IReadOnlyList<string> names)
    {
        RunCommand.RequireRoot("update");
        if (ContainerUpdater.IsEmpty(given)) throw new CliError("You must provide one or more flags when using this command.", 1);
        var store = new ContainerStore(root);
        int status = 0;
        foreach (var name in names)
        {
            try
            {
                ContainerUpdater.Update(store, store.Find(name), given);
                Console.WriteLine(name);
            }
            catch (Exception e) when (e is ContainerException or ContainerNotFoundException or Spec.RunConfigException or KernelException
                or IOException or RuntimeException or InvalidDataException)
            {
                ErrorReport.Write(Console.Error, "update", e is ContainerNotFoundException ? e : new ContainerException($"Cannot update container {name}: {e.Message}", 1));
                status = 1;
            }
        }
        return status;
    }
}
