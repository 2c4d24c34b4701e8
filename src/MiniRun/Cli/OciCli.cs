// OciCli: runc's command line on MiniRun's runtime core - what podman (through conmon) and
// containerd (through its runc shim, and so Kubernetes) call as their low-level runtime.
//
// Why: engines do not link a runtime, they exec one: `RUNTIME [--root DIR] [--log FILE
// --log-format json] create --bundle DIR --pid-file FILE [--console-socket SOCK] ID`, then
// `start ID`, `state ID`, `kill ID SIG`, `delete --force ID`, `exec --process FILE --detach ID`,
// `update --resources FILE ID`.
// The same binary answers when invoked as `minirun-oci` (a link to minirun, installed next to
// it) and, for students, as `minirun oci VERB`. This file only parses and prints: every verb is
// one call of Runtime/OciRuntime.cs in the core. Errors: one line on stderr and, with --log,
// a line in the log file ({"level":"error","msg":...} with --log-format json, which the
// engines read back); exit status 1, as runc's. A failing poststart or poststop hook is a
// warning, reported the same way at level "warning", and does not change the exit status.
//
// Follows: runc(8) and its per-verb pages (runc-create(8), runc-exec(8), ...) for verbs, flags and
// output; runtime-spec runtime.md (state) and features.md (features).
using MiniRun.Containers;
using System.CommandLine;
using System.Text;
using System.Text.Json;
using MiniRun.Runtime;
using MiniRun.Spec;
using MiniRun.Trace;
using MiniJson;

namespace MiniRun.Cli;

public static class OciCli
{
    public const string DefaultRoot = "/run/minirun-oci";
    public const string LinkName = "minirun-oci";

    /// <summary>True, with the verb's arguments, for `minirun-oci ...` (by argv[0]) and `minirun oci ...`.</summary>
    public static bool Invoked(string[] args, out string[] ociArgs)
    {
        ociArgs = args;
        if (args is ["oci", ..]) { ociArgs = args[1..]; return true; }
        string argv0 = "";
        try
        {
            var cmdline = File.ReadAllBytes("/proc/self/cmdline");
            int end = Array.IndexOf(cmdline, (byte)0);
            argv0 = Encoding.UTF8.GetString(cmdline, 0, end < 0 ? cmdline.Length : end);
        }
        catch (IOException) { }
        return Path.GetFileName(argv0) == LinkName;
    }

    public static int Run(string[] args)
    {
        var root = new Option<string>("--root") { Description = "Root directory for container state", DefaultValueFactory = _ => DefaultRoot, Recursive = true };
        var log = new Option<string?>("--log") { Description = "Also write errors to this file", Recursive = true };
        var logFormat = new Option<string>("--log-format") { Description = "Log format: text or json", DefaultValueFactory = _ => "text", Recursive = true };
        var debug = new Option<bool>("--debug") { Description = "Stack traces on errors", Recursive = true };
        var systemdCgroup = new Option<bool>("--systemd-cgroup") { Description = "Not supported: MiniRun manages cgroupfs itself", Recursive = true };
        var cgroupManager = new Option<string>("--cgroup-manager") { Description = "cgroupfs (default) or disabled (no cgroup even when config.json names one); systemd is not supported", DefaultValueFactory = _ => "cgroupfs", Recursive = true };
        var trace = new Option<bool>("--trace") { Description = "MiniRun's own: narrate every kernel call, cgroup write and hook on stderr (create, run, update)", Recursive = true };
        var cmd = new RootCommand("minirun-oci: MiniRun's runtime core behind runc's command line (OCI runtime-spec 1.2)");
        foreach (var o in new Option[] { root, log, logFormat, debug, systemdCgroup, cgroupManager, trace }) cmd.Options.Add(o);
        var g = new Globals(root, log, logFormat, debug, systemdCgroup, cgroupManager, trace);
        foreach (var verb in Verbs(g)) cmd.Subcommands.Add(verb);
        var parse = cmd.Parse(args.Length == 0 ? ["--help"] : args, CliArgs.Parsing);
        if (parse.Errors.Count == 0) return parse.Invoke();
        foreach (var error in parse.Errors) Console.Error.WriteLine($"minirun-oci: {error.Message}");
        return 1;
    }

    private sealed record Globals(Option<string> Root, Option<string?> Log, Option<string> LogFormat, Option<bool> Debug, Option<bool> SystemdCgroup,
        Option<string> CgroupManager, Option<bool> Trace)
    {
        public ConsoleTrace? TraceFor(ParseResult p) => p.GetValue(Trace) ? new ConsoleTrace(Console.Error, pause: false) : null;
    }

    private static Command Verb(Globals g, string name, string description, Func<Command, Func<ParseResult, OciRuntime, int>> configure)
    {
        var cmd = new Command(name, description);
        var action = configure(cmd);
        cmd.SetAction(p =>
        {
            try
            {
                string manager = p.GetValue(g.CgroupManager)!;
                if (p.GetValue(g.SystemdCgroup) || manager == "systemd")
                    throw new RuntimeException("the systemd cgroup manager is not supported: MiniRun writes cgroupfs itself (use the cgroupfs cgroup manager)");
                if (manager is not ("cgroupfs" or "disabled"))
                    throw new RuntimeException($"invalid --cgroup-manager {GoQuote.Quote(manager)}: use cgroupfs or disabled");
                string format = p.GetValue(g.LogFormat)!;
                if (format is not ("text" or "json"))
                    throw new RuntimeException($"invalid --log-format \"{format}\": use text or json");
                return action(p, new OciRuntime(p.GetValue(g.Root)!)
                {
                    NoCgroups = manager == "disabled",
                    Warn = message => Log("warning", message, p.GetValue(g.Log), format),
                });
            }
            catch (Exception e) when (e is RuntimeException or IOException or UnauthorizedAccessException or Kernel.KernelException or CliError)
            {
                Report(e, p.GetValue(g.Log), p.GetValue(g.LogFormat)!, p.GetValue(g.Debug));
                return 1;
            }
        });
        return cmd;
    }

    /// <summary>One line on stderr; with --log also in the log file, as text or as runc's JSON record.</summary>
    private static void Report(Exception e, string? logFile, string format, bool debug)
    {
        Console.Error.WriteLine($"minirun-oci: {e.Message}");
        if (debug) Console.Error.WriteLine(e);
        Log("error", e.Message, logFile, format, echo: false);
    }

    /// <summary>A line at <paramref name="level"/> on stderr (unless already printed) and in the --log file.</summary>
    private static void Log(string level, string message, string? logFile, string format, bool echo = true)
    {
        if (echo) Console.Error.WriteLine($"minirun-oci: {level}: {message}");
        if (logFile is null) return;
        try
        {
            string line = format == "json"
                ? JsonLine(w => { w.WriteString("level", level); w.WriteString("msg", message); w.WriteString("time", DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'")); })   // RFC 3339 with no '+' (the JSON writer escapes it, and Go's parser then fails)
                : $"{DateTimeOffset.UtcNow:yyyy-MM-dd'T'HH:mm:ss.fffK} {level}: {message}";
            File.AppendAllText(logFile, line + "\n");
        }
        catch (Exception ioe) when (ioe is IOException or UnauthorizedAccessException) { }
    }

    private static IEnumerable<Command> Verbs(Globals g)
    {
        yield return Verb(g, "create", "Create a container from a bundle; its program waits for start", cmd =>
        {
            var (bundle, socket, pidFile, preserve) = CreateFlags(cmd);
            var id = IdArgument(cmd);
            return (p, rt) =>
            {
                rt.Create(p.GetValue(id)!, p.GetValue(bundle)!, CreateOptions(p, socket, pidFile, preserve) with { Trace = g.TraceFor(p) });
                return 0;
            };
        });
        yield return Verb(g, "start", "Run the program of a created container", cmd =>
        {
            var id = IdArgument(cmd);
            return (p, rt) => { rt.Start(p.GetValue(id)!); return 0; };
        });
        yield return Verb(g, "run", "Create and start a container; without --detach wait for it and delete it", cmd =>
        {
            var (bundle, socket, pidFile, preserve) = CreateFlags(cmd);
            var detach = new Option<bool>("--detach", "-d") { Description = "Return once the program runs" };
            cmd.Options.Add(detach);
            var id = IdArgument(cmd);
            return (p, rt) => rt.Run(p.GetValue(id)!, p.GetValue(bundle)!, CreateOptions(p, socket, pidFile, preserve) with { Trace = g.TraceFor(p) },
                p.GetValue(detach)) ?? 0;
        });
        yield return Verb(g, "state", "Print the container's state (runtime-spec JSON)", cmd =>
        {
            var id = IdArgument(cmd);
            return (p, rt) =>
            {
                var s = rt.Require(p.GetValue(id)!);
                Console.WriteLine(s.ToSpecJson(s.Status(rt.StateRoot)));
                return 0;
            };
        });
        yield return Verb(g, "kill", "Send a signal (default SIGTERM) to the container's process", cmd =>
        {
            var all = new Option<bool>("--all", "-a") { Description = "Signal every process of the container" };
            cmd.Options.Add(all);
            var id = IdArgument(cmd);
            var signal = new Argument<string>("SIGNAL") { DefaultValueFactory = _ => "SIGTERM" };
            cmd.Arguments.Add(signal);
            return (p, rt) =>
            {
                string name = p.GetValue(signal)!;
                int sig = Signals.Parse(name) ?? throw new RuntimeException($"invalid signal {GoQuote.Quote(name)}");
                rt.Kill(p.GetValue(id)!, sig, p.GetValue(all));
                return 0;
            };
        });
        yield return Verb(g, "delete", "Delete a stopped (or created) container; --force also a running one", cmd =>
        {
            var force = new Option<bool>("--force", "-f") { Description = "Kill the container first if it runs" };
            cmd.Options.Add(force);
            var id = IdArgument(cmd);
            return (p, rt) =>
            {
                try { rt.Delete(p.GetValue(id)!, p.GetValue(force)); }
                catch (ContainerDoesNotExistException) when (p.GetValue(force)) { }   // runc: delete -f of nothing succeeds
                return 0;
            };
        });
        yield return Verb(g, "list", "List the containers of this root", cmd =>
        {
            var format = new Option<string>("--format", "-f") { Description = "table or json", DefaultValueFactory = _ => "table" };
            var quiet = new Option<bool>("--quiet", "-q") { Description = "Only ids" };
            cmd.Options.Add(format);
            cmd.Options.Add(quiet);
            return (p, rt) => PrintList(rt, p.GetValue(format)!, p.GetValue(quiet));
        });
        yield return Verb(g, "ps", "The container's processes (host pids)", cmd =>
        {
            var format = new Option<string>("--format", "-f") { Description = "table or json", DefaultValueFactory = _ => "table" };
            cmd.Options.Add(format);
            var id = IdArgument(cmd);
            return (p, rt) =>
            {
                var pids = rt.Pids(p.GetValue(id)!);
                if (p.GetValue(format) == "json") Console.WriteLine("[" + string.Join(",", pids) + "]");
                else { Console.WriteLine("PID"); foreach (int pid in pids) Console.WriteLine(pid); }
                return 0;
            };
        });
        yield return Verb(g, "pause", "Freeze every process of the container (cgroup.freeze)", cmd =>
        {
            var id = IdArgument(cmd);
            return (p, rt) => { rt.Pause(p.GetValue(id)!); return 0; };
        });
        yield return Verb(g, "resume", "Thaw a paused container", cmd =>
        {
            var id = IdArgument(cmd);
            return (p, rt) => { rt.Resume(p.GetValue(id)!); return 0; };
        });
        yield return Verb(g, "exec", "Run a further process in the container", OciExecCli.Configure);
        yield return Verb(g, "update", "Change the limits of the container's cgroup (linux.resources)", cmd =>
            OciUpdateCli.Configure(cmd, g.TraceFor));
        yield return Verb(g, "features", "What this runtime implements (runtime-spec features.md)", cmd =>
            (p, rt) => { Console.WriteLine(OciFeatures.Json()); return 0; });
        yield return Verb(g, "spec", "Write a starting config.json into the bundle", cmd =>
        {
            var bundle = new Option<string>("--bundle", "-b") { Description = "Bundle directory", DefaultValueFactory = _ => "." };
            var rootless = new Option<bool>("--rootless") { Description = "Not supported" };
            cmd.Options.Add(bundle);
            cmd.Options.Add(rootless);
            return (p, rt) =>
            {
                if (p.GetValue(rootless)) throw new RuntimeException("spec --rootless is not supported: MiniRun needs root");
                string path = Path.Combine(p.GetValue(bundle)!, "config.json");
                if (File.Exists(path)) throw new RuntimeException($"{path} exists; remove it first");
                OciFeatures.DefaultSpec().Save(path);
                return 0;
            };
        });
    }

    private static Argument<string> IdArgument(Command cmd)
    {
        var id = new Argument<string>("CONTAINER_ID");
        cmd.Arguments.Add(id);
        return id;
    }

    private static (Option<string> Bundle, Option<string?> Socket, Option<string?> PidFile, Option<int> Preserve) CreateFlags(Command cmd)
    {
        var bundle = new Option<string>("--bundle", "-b") { Description = "The bundle directory (config.json, rootfs)", DefaultValueFactory = _ => "." };
        var socket = new Option<string?>("--console-socket") { Description = "Unix socket that receives the terminal's master side" };
        var pidFile = new Option<string?>("--pid-file") { Description = "Write the container's pid here" };
        var preserve = new Option<int>("--preserve-fds") { Description = "Pass descriptors 3..3+N-1 to the container" };
        var noPivot = new Option<bool>("--no-pivot") { Description = "Not supported: MiniRun always uses pivot_root" };
        var noKeyring = new Option<bool>("--no-new-keyring") { Description = "Accepted: MiniRun never creates a session keyring" };
        foreach (var o in new Option[] { bundle, socket, pidFile, preserve, noPivot, noKeyring }) cmd.Options.Add(o);
        cmd.Validators.Add(r =>
        {
            if (r.GetValue(noPivot)) r.AddError("--no-pivot is not supported: MiniRun always enters the rootfs with pivot_root(2)");
            if (r.GetValue(preserve) < 0) r.AddError("--preserve-fds must not be negative");
        });
        return (bundle, socket, pidFile, preserve);
    }

    private static OciCreateOptions CreateOptions(ParseResult p, Option<string?> socket, Option<string?> pidFile, Option<int> preserve) => new()
    {
        ConsoleSocket = p.GetValue(socket),
        PidFile = p.GetValue(pidFile),
        PreserveFds = p.GetValue(preserve),
    };

    private static int PrintList(OciRuntime rt, string format, bool quiet)
    {
        var all = rt.List();
        if (quiet)
        {
            foreach (var s in all) Console.WriteLine(s.Id);
            return 0;
        }
        if (format == "json")
        {
            Console.WriteLine("[" + string.Join(",", all.Select(s => s.ToSpecJson(s.Status(rt.StateRoot), indented: false))) + "]");
            return 0;
        }
        if (format != "table") throw new RuntimeException($"invalid --format \"{format}\": use table or json");
        var rows = new List<string[]> { new[] { "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER" } };
        foreach (var s in all)
        {
            string status = s.Status(rt.StateRoot);
            rows.Add([s.Id, status == "stopped" ? "0" : s.Pid.ToString(), status, s.Bundle, s.Created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'"), "root"]);
        }
        var widths = Enumerable.Range(0, 6).Select(i => rows.Max(r => r[i].Length)).ToArray();
        foreach (var r in rows)
            Console.WriteLine(string.Join("   ", r.Select((c, i) => i == 5 ? c : c.PadRight(widths[i]))));
        return 0;
    }

    internal static string JsonLine(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            write(w);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
