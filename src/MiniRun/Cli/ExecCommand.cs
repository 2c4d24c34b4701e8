// ExecCommand: `minirun exec` = check the flags, find the container, have the engine start the
// command inside it (Engine/ContainerExec.cs: the runtime core's exec), relay the terminal,
// forward signals, and return the command's exit status.
//
// Why: the course uses `docker exec -it web sh` to look around a running container; the answers
// must be Docker's: "No such container" and "is not running" with exit 1, 126/127 when the
// command cannot be executed / found, 128+N when signal N ended it, and nothing printed for -d.
//
// Follows: docker-exec(1); moby daemon/exec.go for the messages.
using MiniRun.Containers;
using MiniRun.Engine;
using MiniRun.Runtime;
using MiniRun.Spec;
using MiniRun.Terminal;
using MiniRun.Trace;

namespace MiniRun.Cli;

public sealed class ExecCommandOptions
{
    public required string Container { get; init; }
    public required IReadOnlyList<string> Command { get; init; }
    public bool Detach { get; init; }
    public bool Interactive { get; init; }
    public bool Tty { get; init; }
    public IReadOnlyList<string> Env { get; init; } = [];
    public string? WorkingDir { get; init; }
    public string? User { get; init; }
    /// <summary>--privileged: every capability for this command (Security/CapabilityPolicy.PrivilegedExec).</summary>
    public bool Privileged { get; init; }
    /// <summary>--trace / --trace=pause (or MINIRUN_TRACE): narrate the steps of entering the container.</summary>
    public TraceMode Trace { get; init; } = TraceMode.Off;
}

public static class ExecCommand
{
    public static int Execute(string root, ExecCommandOptions o)
    {
        RunCommand.RequireRoot("exec");
        if (o.WorkingDir is { } wd && !wd.StartsWith('/'))
            throw CliError.Daemon($"the working directory '{wd}' is invalid, it needs to be an absolute path", 1);
        var env = new List<string>();
        foreach (string e in o.Env)
        {
            try { env.Add(EnvFile.ResolveFlag(e)); }
            catch (RunConfigException x) { throw new CliError(x.Message, 1); }
        }

        var store = new ContainerStore(root);
        ContainerRecord record = store.Find(o.Container);   // a missing one: Docker's "Error: No such container: x", exit 1
        if (!o.Detach) InputTty.Require(o.Interactive, o.Tty);   // Docker: after the lookup, before the state checks

        // Without -i the command reads an empty stdin, as with Docker; stdout and stderr are ours.
        int devNull = !o.Interactive && !o.Tty && !o.Detach
            ? MiniRun.Kernel.Libc.open("/dev/null", ExecNative.O_RDONLY | ExecNative.O_CLOEXEC, 0) : -1;
        bool tty = o.Tty && !o.Detach;
        var trace = o.Trace.Enabled ? new ConsoleTrace(Console.Error, o.Trace.Pause) : null;
        var (rows, cols) = tty ? TerminalRelay.WindowSize() : ((ushort)0, (ushort)0);
        var options = new ExecOptions
        {
            Args = o.Command,
            Env = env,
            User = o.User,
            // null: the container's capabilities, no_new_privs, rlimits, umask (+ its seccomp filter)
            Attributes = o.Privileged ? MiniRun.Security.CapabilityPolicy.PrivilegedExec(
                RuntimeSpec.Load(Path.Combine(store.DirOf(record.Id), "config.json")).Process, MiniRun.Security.CapabilityPolicy.HostLastCap(),
                MiniRun.Security.CapabilityPolicy.OwnBoundingSet()) : null,
            WorkingDir = o.WorkingDir,
            Tty = tty,
            Rows = rows,
            Columns = cols,
            Detach = o.Detach,
            Stdin = devNull >= 0 ? devNull : o.Interactive && !o.Detach ? 0 : -1,
            Trace = trace ?? (ITrace)NullTrace.Instance,
        };

        using var waiter = new ProcessWaiter();   // from now on SIGINT/SIGTERM are for the command
        ExecProcess started;
        try
        {
            started = ContainerExec.Start(store, record, options);
        }
        catch (ExecFailure f)
        {
            throw new CliError($"OCI runtime exec failed: exec failed: unable to start container process: {f.Message}: unknown", f.ExitCode);
        }
        finally
        {
            if (devNull >= 0) MiniRun.Kernel.Libc.close(devNull);
        }
        trace?.Summary();   // the program runs: what it was given, before its output
        waiter.Attach(started.Pid);
        if (o.Detach)
        {
            waiter.Wait();   // the helper that handed the command to the container's PID 1
            return 0;
        }
        TerminalRelay? relay = null;
        if (started.TerminalMaster >= 0)
        {
            relay = new TerminalRelay(started.TerminalMaster, copyStdin: o.Interactive);
            relay.Start();
        }
        try
        {
            return waiter.Wait();
        }
        finally
        {
            relay?.WaitForOutput(TimeSpan.FromSeconds(2));
            relay?.Dispose();
            if (started.TerminalMaster >= 0) MiniRun.Kernel.Libc.close(started.TerminalMaster);
        }
    }
}
