// RunCommand: `minirun run` - the flags' checks that need no container (--rm with --restart,
// --detach-keys, --trace), then the engine's ContainerRunner, then what Docker prints: the id
// with -d, else the container's exit status.
//
// The work itself (bundle, supervisor, runtime core, attach) is the engine's: Engine/ContainerRunner.cs.
//
// Follows: docker-run(1) for flags and exit status.
using MiniImage;
using MiniImage.Store;
using MiniRun.Cgroups;
using MiniRun.Containers;
using MiniRun.Engine;
using MiniRun.Kernel;
using MiniRun.Runtime;
using MiniRun.Spec;
using MiniRun.Supervisor;
using MiniRun.Trace;
using MiniJson;

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
            _ => throw new CliError($"invalid --trace value {GoQuote.Quote(value)}: use --trace or --trace=pause"),
        };
    }
}

public static class RunCommand
{
    public static int Execute(string root, RunOptions o, TraceMode traceMode, string initExecutable = "/proc/self/exe",
        LifecycleFlags? flags = null)
    {
        RequireRoot("run");
        flags ??= LifecycleFlags.Foreground;
        if (o.Rm && flags.Restart.Name != "no")
            throw new CliError("Conflicting options: --restart and --rm");
        byte[] detachKeys;
        try { detachKeys = AttachClient.ParseDetachKeys(flags.DetachKeys); }
        catch (FormatException e) { throw new CliError(e.Message); }
        var trace = traceMode.Enabled ? new ConsoleTrace(Console.Error, traceMode.Pause) : null;
        var outcome = ContainerRunner.Run(root, o, trace, flags, detachKeys, images => ImageAcquisition.Ensure(images, o.Image, o.Pull, trace),
            initExecutable);
        if (flags.Detach)
        {
            Console.WriteLine(outcome.Id);
            return 0;
        }
        return outcome.ExitCode;
    }

    /// <summary>"busybox" -> "busybox:latest", as Docker's "Unable to find image" line shows it.</summary>
    public static string DisplayReference(string image) =>
        image.Contains('@') || image.LastIndexOf(':') > image.LastIndexOf('/') ? image : image + ":latest";

    /// <summary>
    /// Every verb but `version` refuses a non-root user, as Docker's CLI does when its socket is
    /// root's: MiniRun's store is mode 0700 (Security/StoreAccess.cs), so even `ps` and `images`
    /// would only read half of it. Commands that make containers exit 125 (MiniRun's own
    /// failure), the others 1, Docker's statuses for "permission denied" on the socket.
    /// </summary>
    public static void RequireRoot(string command)
    {
        if (Libc.geteuid() == 0) return;
        bool makesContainers = command is "run" or "create" or "start" or "restart" or "exec" or "update" or "stats" or "build"
            || command.StartsWith("network ") || command.StartsWith("compose ");
        throw makesContainers
            ? new CliError($"{command} needs root: it creates namespaces, mounts and device nodes (try sudo; rootless mode with user namespaces is not implemented yet)")
            : new CliError($"{command} needs root: MiniRun's store is root's alone, mode 0700, as Docker's socket is (try sudo)", 1);
    }
}
