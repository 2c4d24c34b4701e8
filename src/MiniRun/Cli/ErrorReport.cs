// ErrorReport: the one place that turns an error into the lines Docker's CLI prints for it, per
// command. The rest of the code states only the message ("No such container: x", "Cannot kill
// container: ...") and throws; the dressing around it is chosen here by the command's name.
//
// Why: the course's handouts show Docker's stderr, and Docker dresses the same message differently
// per command: `Error: No such container: x` (rm, logs, exec: the CLI's own lookup), a bare
// `Error response from daemon: MSG` (stop, kill, diff, commit, ...), and for run and create
// `docker: Error response from daemon: MSG.` plus `See 'docker run --help'.` (MiniRun prints
// `minirun` where Docker prints `docker`). Which errors are the "daemon's": MiniRun has no daemon,
// so the engine's errors (ContainerException, a missing container, the core's RuntimeException,
// kernel and I/O failures) play that part; CliError is the client's own (flags, terminal checks)
// unless made with CliError.Daemon. The verbs not converted yet keep the older `minirun: MSG` line.
//
// Follows: docker/cli cmd/docker/docker.go (main prints the error, exit status), cli/command/
// container/run.go and create.go (reportError: trailing period, "See '... --help'."), moby's
// errdefs messages; the outputs listed in issue 17.
using MiniRun.Containers;
using MiniRun.Kernel;
using MiniRun.Runtime;

namespace MiniRun.Cli;

public static class ErrorReport
{
    public const string DaemonPrefix = "Error response from daemon: ";

    private enum Dressing
    {
        /// <summary>`minirun: MSG`, the line of the verbs not converted yet.</summary>
        Legacy,
        /// <summary>Docker's main: the daemon's errors with their prefix, the client's bare.</summary>
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
        "stop" or "kill" or "start" or "restart" or "wait" or "pause" or "unpause" or "rename" or "update" or "attach"
            or "diff" or "commit" or "cp" or "export" or "top" or "port" or "tag" or "images" or "ps" => Dressing.Docker,
        _ => Dressing.Legacy,
    };

    /// <summary>
    /// The top-level verb a command path stands for: "minirun container rm" and "rm" are "rm",
    /// "minirun image ls" is "images", "minirun container ls" is "ps"; other groups' commands
    /// ("network create") keep their group and so are none of the verbs above.
    /// </summary>
    private static string Verb(string path)
    {
        string p = path.StartsWith("minirun ", StringComparison.Ordinal) ? path["minirun ".Length..] : path;
        if (p.StartsWith("container ", StringComparison.Ordinal)) p = p["container ".Length..] is "ls" or "list" ? "ps" : p["container ".Length..];
        return p switch
        {
            "image ls" or "image list" => "images",
            "image tag" => "tag",
            _ => p,
        };
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
            case Dressing.Docker:
            case Dressing.ClientLookup:
                return [(daemon ? DaemonPrefix : "") + message];
            default:
                return [$"minirun: {(e is ContainerNotFoundException ? DaemonPrefix : "")}{e.Message}"];
        }
    }

    /// <summary>The message without any dressing, and whether it is the daemon's (the engine's) rather than the client's.</summary>
    private static (string Message, bool Daemon) Split(Exception e)
    {
        string m = e.Message;
        if (m.StartsWith(DaemonPrefix, StringComparison.Ordinal)) return (m[DaemonPrefix.Length..], true);   // older engine messages
        bool daemon = e switch
        {
            CliError c => c.FromDaemon,
            ContainerNotFoundException or ContainerException or Spec.RunConfigException or KernelException
                or RuntimeException or IOException or MiniRun.Network.NetworkException => true,
            _ => false,
        };
        return (m, daemon);
    }
}
