// ErrorReport: the one place that turns an error into the lines Docker's CLI prints for it, per
// command. The rest of the code states only the message ("No such container: x", "Cannot kill
// container: ...") and throws; the dressing around it is chosen here by the command's name.
//
// Why: the course's handouts show Docker's stderr, and Docker dresses the same message differently
// per command: `Error: No such container: x` (rm, logs, exec: the CLI's own lookup), a bare
// `Error response from daemon: MSG` (every other command: stop, kill, rmi, history, pull, network
// rm, volume rm, ...), and for run and create `docker: Error response from daemon: MSG.` plus
// `See 'docker run --help'.` (MiniRun prints `minirun` where Docker prints `docker`). The client's
// own errors (a bad reference, a file that `load -i` cannot open, a bad registry answer passed on
// by push) are printed as they are. Which errors are the "daemon's": MiniRun has no daemon, so
// the engine's errors play that part (Engine/DaemonError.cs: one rule, which compose uses too;
// no engine message carries the prefix itself); CliError is the client's own (flags, terminal
// checks) unless made with CliError.Daemon. Flag errors (an unknown flag, a bad value, `--filter foo`)
// never get here: DockerHelp.ParseErrors prints them with `See 'minirun ps --help'.`, exit 125.
// `inspect` prints its own `Error: No such object: x` lines after the `[]` it writes on stdout.
//
// Follows: docker/cli cmd/docker/docker.go (main prints the error as it is, exit status 1 or the
// StatusError's), cli/command/container/run.go and create.go (reportError: trailing period,
// "See '... --help'."), cli/command/image/remove.go (-f hides "No such image"), moby's errdefs
// messages; the outputs listed in issue 17.
using MiniRun.Containers;
using MiniRun.Engine;
using MiniRun.Kernel;
using MiniRun.Runtime;

namespace MiniRun.Cli;

public static class ErrorReport
{
    public const string DaemonPrefix = DaemonError.Prefix;

    private enum Dressing
    {
        /// <summary>Docker's main: the daemon's errors with their prefix, the client's bare (every command but those below).</summary>
        Docker,
        /// <summary>As Docker, but a missing container is the CLI's `Error: No such container: x` (rm, logs, exec).</summary>
        ClientLookup,
        /// <summary>run and create: `minirun: MSG.` and `See 'minirun run --help'.`</summary>
        Run,
    }

    private static Dressing For(string verb) => Verb(verb) switch
    {
        "run" or "create" => Dressing.Run,
        "rm" or "logs" or "exec" => Dressing.ClientLookup,
        _ => Dressing.Docker,
    };

    /// <summary>
    /// The verb a command path stands for: "minirun container rm" and "rm" are "rm"; other groups'
    /// commands keep their group ("network create", "image rm"), so they are not run's create or
    /// the container's rm.
    /// </summary>
    private static string Verb(string path)
    {
        string p = path.StartsWith("minirun ", StringComparison.Ordinal) ? path["minirun ".Length..] : path;
        return p.StartsWith("container ", StringComparison.Ordinal) ? p["container ".Length..] : p;
    }

    /// <summary>Writes the error's lines for command <paramref name="verb"/> (a path, "minirun container rm", or a verb, "rm").</summary>
    public static void Write(TextWriter stderr, string verb, Exception e)
    {
        foreach (string line in Lines(verb, e)) stderr.WriteLine(line);
    }

    public static IReadOnlyList<string> Lines(string verb, Exception e)
    {
        var (message, daemon) = Split(e);
        switch (For(verb))
        {
            case Dressing.Run:
                if (e is CliError { Bare: true }) return [message];   // "the input device is not a TTY", as Docker
                string text = (daemon ? DaemonPrefix : "") + message;
                return [$"minirun: {text.TrimEnd('.')}.", $"See 'minirun {Verb(verb)} --help'."];
            case Dressing.ClientLookup when e is ContainerNotFoundException:
                return ["Error: " + message];
            case Dressing.Docker when e is ContainerPathNotFoundException p:
                return [$"Error: No such container:path: {p.Container}:{p.Path}"];   // the Docker client's wording of the daemon's 404
            default:
                return [(daemon ? DaemonPrefix : "") + message];
        }
    }

    /// <summary>The message without any dressing, and whether it is the daemon's (the engine's) rather than the client's.</summary>
    private static (string Message, bool Daemon) Split(Exception e) =>
        (e.Message, e is CliError c ? c.FromDaemon : DaemonError.IsDaemon(e));
}
