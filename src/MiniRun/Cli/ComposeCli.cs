// ComposeCli: `minirun compose [-f FILE]... [-p NAME] [--project-directory DIR] [--profile P]
// [--env-file F] COMMAND` - docker compose v2's command line over the engine's ComposeEngine
// (src/MiniRun/Compose/).
//
// Why here: the CLI parses, loads the project (ComposeLoader), hands the engine the image path
// `run` uses (ImageAcquisition: a pull prints its progress) and prints what docker compose prints:
// the progress screens go to stderr, tables (ps, images, top), logs and `config` to stdout. A
// failure is one line and exit status 1, as docker compose's.
//
// Follows: docker compose reference (up, down, ps, logs, build, pull, start, stop, restart, rm,
// exec, run, config, top, kill, images).
using System.CommandLine;
using MiniImage.Store;
using MiniRun.Compose;
using MiniRun.Containers;
using MiniJson;

namespace MiniRun.Cli;

public static class ComposeCli
{
    public static Command Build(Option<string> rootOption, Option<bool> debugOption)
    {
        var compose = new Command("compose", "Define and run multi-container applications (docker compose)");
        var files = new Option<string[]>("--file", "-f") { Description = "Compose configuration files", Recursive = true, AllowMultipleArgumentsPerToken = false };
        var project = new Option<string?>("--project-name", "-p") { Description = "Project name", Recursive = true };
        var projectDir = new Option<string?>("--project-directory") { Description = "Alternate working directory (default: the first file's directory)", Recursive = true };
        var profiles = new Option<string[]>("--profile") { Description = "Specify a profile to enable", Recursive = true, AllowMultipleArgumentsPerToken = false };
        var envFile = new Option<string?>("--env-file") { Description = "Alternate environment file", Recursive = true };
        foreach (var o in new Option[] { files, project, projectDir, profiles, envFile }) compose.Options.Add(o);

        ComposeRequest Request(ParseResult p) => new(p.GetValue(files) ?? [], p.GetValue(project), p.GetValue(projectDir), p.GetValue(profiles) ?? [], p.GetValue(envFile));

        Command Sub(string name, string description, Func<Command, Func<ParseResult, ComposeContext, int>> configure, bool needsRoot = true)
        {
            var cmd = new Command(name, description);
            var action = configure(cmd);
            cmd.SetAction(p =>
            {
                try
                {
                    string root = Path.GetFullPath(p.GetValue(rootOption)!);
                    if (needsRoot) { RunCommand.RequireRoot("compose " + name); MiniRun.Security.StoreAccess.Secure(root); }
                    var loaded = Load(Request(p), name is "down" or "ps" or "stop" or "rm" or "kill" or "logs" or "top" or "images");
                    var engine = new ComposeEngine(root, loaded, Console.Error, (store, reference, policy) => ImageAcquisition.Ensure(store, reference, policy));
                    return action(p, new ComposeContext(root, loaded, engine));
                }
                catch (ComposeException e)
                {
                    Console.Error.WriteLine(e.Message);
                    if (p.GetValue(debugOption)) Console.Error.WriteLine(e.ToString());
                    return e.ExitCode;
                }
                catch (Exception e)
                {
                    // docker compose exits 1 on an error (an image it cannot pull, a daemon error); exec and run
                    // keep the status `minirun exec` / `run` give (the command's own, or 125/126/127).
                    int code = Program.Report(e, p.GetValue(debugOption));
                    return name is "exec" or "run" ? code : 1;
                }
            });
            compose.Subcommands.Add(cmd);
            return cmd;
        }

        var services = () => new Argument<string[]>("SERVICE") { Arity = ArgumentArity.ZeroOrMore };
        var timeout = () => new Option<int?>("--timeout", "-t") { Description = "Specify a shutdown timeout in seconds" };

        Sub("up", "Create and start containers", cmd =>
        {
            var detach = new Option<bool>("--detach", "-d") { Description = "Detached mode: Run containers in the background" };
            var build = new Option<bool>("--build") { Description = "Build images before starting containers" };
            var noBuild = new Option<bool>("--no-build") { Description = "Don't build an image, even if it's policy" };
            var force = new Option<bool>("--force-recreate") { Description = "Recreate containers even if their configuration and image haven't changed" };
            var noDeps = new Option<bool>("--no-deps") { Description = "Don't start linked services" };
            var noStart = new Option<bool>("--no-start") { Description = "Don't start the services after creating them" };
            var pull = new Option<string?>("--pull") { Description = "Pull image before running (\"always\"|\"missing\"|\"never\")" };
            var t = timeout();
            var svc = services();
            foreach (var o in new Option[] { detach, build, noBuild, force, noDeps, noStart, pull, t }) cmd.Options.Add(o);
            cmd.Arguments.Add(svc);
            return (p, c) =>
            {
                var up = new ComposeUpOptions(p.GetValue(svc) ?? [], p.GetValue(build), p.GetValue(force), p.GetValue(noDeps), p.GetValue(noStart),
                    p.GetValue(noBuild), p.GetValue(pull), p.GetValue(t));
                if (up.Build && up.NoBuild) throw new ComposeException("--build and --no-build are incompatible");
                var containers = c.Engine.Up(up, Console.Out);
                if (p.GetValue(detach) || up.NoStart) return 0;
                return ComposeLogs.Attach(c, containers, p.GetValue(t));
            };
        });

        Sub("down", "Stop and remove containers, networks", cmd =>
        {
            var volumes = new Option<bool>("--volumes", "-v") { Description = "Remove named volumes declared in the \"volumes\" section of the Compose file and anonymous volumes attached to containers" };
            var rmi = new Option<string?>("--rmi") { Description = "Remove images used by services. \"local\" remove only images that don't have a custom tag (\"local\"|\"all\")" };
            var orphans = new Option<bool>("--remove-orphans") { Description = "Remove containers for services not defined in the Compose file (always done by MiniRun)" };
            var t = timeout();
            foreach (var o in new Option[] { volumes, rmi, orphans, t }) cmd.Options.Add(o);
            return (p, c) =>
            {
                string? mode = p.GetValue(rmi);
                if (mode is not (null or "local" or "all")) throw new ComposeException($"invalid --rmi option {GoQuote.Quote(mode)}: use local or all");
                c.Engine.Down(p.GetValue(volumes), p.GetValue(t), images =>
                {
                    var errors = new StringWriter();
                    if (images.Count > 0) ImageCommands.Rmi(c.Root, images, force: false, TextWriter.Null, errors);
                    if (errors.ToString().Length > 0) Console.Error.Write(errors.ToString());
                }, mode);
                return 0;
            };
        });

        Sub("ps", "List containers", cmd =>
        {
            var all = new Option<bool>("--all", "-a") { Description = "Show all stopped containers" };
            var quiet = new Option<bool>("--quiet", "-q") { Description = "Only display IDs" };
            var listServices = new Option<bool>("--services") { Description = "Display services" };
            var svc = services();
            foreach (var o in new Option[] { all, quiet, listServices }) cmd.Options.Add(o);
            cmd.Arguments.Add(svc);
            return (p, c) => ComposeLogs.Ps(c, p.GetValue(svc) ?? [], p.GetValue(all), p.GetValue(quiet), p.GetValue(listServices), Console.Out);
        });

        Sub("logs", "View output from containers", cmd =>
        {
            var follow = new Option<bool>("--follow", "-f") { Description = "Follow log output" };
            var tail = new Option<string?>("--tail", "-n") { Description = "Number of lines to show from the end of the logs for each container" };
            var timestamps = new Option<bool>("--timestamps", "-t") { Description = "Show timestamps" };
            var noColor = new Option<bool>("--no-color") { Description = "Produce monochrome output" };
            var noPrefix = new Option<bool>("--no-log-prefix") { Description = "Don't print prefix in logs" };
            var svc = services();
            foreach (var o in new Option[] { follow, tail, timestamps, noColor, noPrefix }) cmd.Options.Add(o);
            cmd.Arguments.Add(svc);
            return (p, c) =>
            {
                string? t = p.GetValue(tail);
                int? n = t is null or "all" ? null : int.TryParse(t, out int v) && v >= 0 ? v : throw new ComposeException($"invalid value for --tail: {t}");
                var view = new ComposeLogs(c, Console.Out, p.GetValue(noColor), p.GetValue(noPrefix), p.GetValue(timestamps));
                return view.Show(c.Engine.ContainersOf(p.GetValue(svc) ?? []), n, p.GetValue(follow));
            };
        });

        Sub("build", "Build or rebuild services", cmd =>
        {
            var noCache = new Option<bool>("--no-cache") { Description = "Do not use cache when building the image" };
            var pull = new Option<bool>("--pull") { Description = "Always attempt to pull a newer version of the image" };
            var quiet = new Option<bool>("--quiet", "-q") { Description = "Don't print anything to STDOUT" };
            var svc = services();
            foreach (var o in new Option[] { noCache, pull, quiet }) cmd.Options.Add(o);
            cmd.Arguments.Add(svc);
            return (p, c) =>
            {
                var selected = ComposeOrder.Select(c.Project, p.GetValue(svc) ?? [], noDeps: true);
                c.Engine.BuildImages(selected, onlyMissing: false, p.GetValue(quiet) ? TextWriter.Null : Console.Out, p.GetValue(noCache), p.GetValue(pull));
                return 0;
            };
        });

        Sub("pull", "Pull service images", cmd =>
        {
            var ignore = new Option<bool>("--ignore-pull-failures") { Description = "Pull what it can and ignores images with pull failures" };
            var svc = services();
            cmd.Options.Add(ignore);
            cmd.Arguments.Add(svc);
            return (p, c) =>
            {
                c.Engine.Pull(ComposeOrder.Select(c.Project, p.GetValue(svc) ?? [], noDeps: true), p.GetValue(ignore));
                return 0;
            };
        });

        Sub("start", "Start services", cmd =>
        {
            var svc = services();
            cmd.Arguments.Add(svc);
            return (p, c) => { c.Engine.Start(p.GetValue(svc) ?? []); return 0; };
        });

        Sub("stop", "Stop services", cmd =>
        {
            var t = timeout();
            var svc = services();
            cmd.Options.Add(t);
            cmd.Arguments.Add(svc);
            return (p, c) => { c.Engine.Stop(p.GetValue(svc) ?? [], p.GetValue(t)); return 0; };
        });

        Sub("restart", "Restart service containers", cmd =>
        {
            var t = timeout();
            var svc = services();
            cmd.Options.Add(t);
            cmd.Arguments.Add(svc);
            return (p, c) => { c.Engine.Restart(p.GetValue(svc) ?? [], p.GetValue(t)); return 0; };
        });

        Sub("kill", "Force stop service containers", cmd =>
        {
            var signal = new Option<string>("--signal", "-s") { Description = "SIGNAL to send to the container", DefaultValueFactory = _ => "SIGKILL" };
            var svc = services();
            cmd.Options.Add(signal);
            cmd.Arguments.Add(svc);
            return (p, c) =>
            {
                int sig = Signals.Parse(p.GetValue(signal)) ?? throw new ComposeException($"invalid signal: {p.GetValue(signal)}");
                c.Engine.Kill(p.GetValue(svc) ?? [], sig);
                return 0;
            };
        });

        Sub("rm", "Removes stopped service containers", cmd =>
        {
            var force = new Option<bool>("--force", "-f") { Description = "Don't ask to confirm removal" };
            var stop = new Option<bool>("--stop", "-s") { Description = "Stop the containers, if required, before removing" };
            var volumes = new Option<bool>("--volumes", "-v") { Description = "Remove any anonymous volumes attached to containers" };
            var svc = services();
            foreach (var o in new Option[] { force, stop, volumes }) cmd.Options.Add(o);
            cmd.Arguments.Add(svc);
            return (p, c) =>
            {
                var stopped = c.Engine.ContainersOf(p.GetValue(svc) ?? []).Where(x => !ContainerLiveness.IsRunning(x) || p.GetValue(stop)).ToList();
                if (stopped.Count == 0) { Console.Error.WriteLine("No stopped containers"); return 0; }
                if (!p.GetValue(force)) Console.Error.WriteLine("Going to remove " + string.Join(", ", stopped.Select(x => x.Name)));
                c.Engine.Remove(p.GetValue(svc) ?? [], p.GetValue(stop), p.GetValue(volumes));
                return 0;
            };
        });

        Sub("exec", "Execute a command in a running container", cmd =>
        {
            var detach = new Option<bool>("--detach", "-d") { Description = "Detached mode: Run command in the background" };
            var noTty = new Option<bool>("--no-TTY", "-T") { Description = "Disable pseudo-TTY allocation (default: a TTY when stdin is one)" };
            var env = new Option<string[]>("--env", "-e") { Description = "Set environment variables", AllowMultipleArgumentsPerToken = false };
            var workdir = new Option<string?>("--workdir", "-w") { Description = "Path to workdir directory for this command" };
            var user = new Option<string?>("--user", "-u") { Description = "Run the command as this user" };
            var privileged = new Option<bool>("--privileged") { Description = "Give extended privileges to the process" };
            var rest = new Argument<string[]>("SERVICE COMMAND [ARGS...]") { Arity = ArgumentArity.OneOrMore, CaptureRemainingTokens = true };
            foreach (var o in new Option[] { detach, noTty, env, workdir, user, privileged }) cmd.Options.Add(o);
            cmd.Arguments.Add(rest);
            return (p, c) =>
            {
                var args = p.GetValue(rest) ?? [];
                if (args.Length < 2) throw new ComposeException("exec needs a service and a command");
                var target = c.Engine.ContainerOf(c.Project.Service(args[0]).Name)
                    ?? throw new ComposeException($"service {GoQuote.Quote(args[0])} is not running");
                bool tty = !p.GetValue(noTty) && !Console.IsInputRedirected && !p.GetValue(detach);
                return ExecCommand.Execute(c.Root, new ExecCommandOptions
                {
                    Container = target.Id, Command = args[1..], Detach = p.GetValue(detach), Interactive = tty, Tty = tty,
                    Env = p.GetValue(env) ?? [], WorkingDir = p.GetValue(workdir), User = p.GetValue(user), Privileged = p.GetValue(privileged),
                });
            };
        });

        Sub("run", "Run a one-off command on a service", cmd =>
        {
            var rm = new Option<bool>("--rm") { Description = "Automatically remove the container when it exits" };
            var detach = new Option<bool>("--detach", "-d") { Description = "Run container in background and print container ID" };
            var noTty = new Option<bool>("--no-TTY", "-T") { Description = "Disable pseudo-TTY allocation" };
            var env = new Option<string[]>("--env", "-e") { Description = "Set environment variables", AllowMultipleArgumentsPerToken = false };
            var entrypoint = new Option<string?>("--entrypoint") { Description = "Override the entrypoint of the image" };
            var workdir = new Option<string?>("--workdir", "-w") { Description = "Working directory inside the container" };
            var user = new Option<string?>("--user", "-u") { Description = "Run as specified username or uid" };
            var name = new Option<string?>("--name") { Description = "Assign a name to the container" };
            var noDeps = new Option<bool>("--no-deps") { Description = "Don't start linked services" };
            var publish = new Option<string[]>("--publish", "-p") { Description = "Publish a container's port(s) to the host", AllowMultipleArgumentsPerToken = false };
            var servicePorts = new Option<bool>("--service-ports") { Description = "Run command with the service's ports enabled and mapped to the host" };
            var rest = new Argument<string[]>("SERVICE [COMMAND] [ARGS...]") { Arity = ArgumentArity.OneOrMore, CaptureRemainingTokens = true };
            foreach (var o in new Option[] { rm, detach, noTty, env, entrypoint, workdir, user, name, noDeps, publish, servicePorts }) cmd.Options.Add(o);
            cmd.Arguments.Add(rest);
            return (p, c) =>
            {
                var args = p.GetValue(rest) ?? [];
                var s = c.Project.Service(args[0]);
                if (!p.GetValue(noDeps) && s.DependsOn.Count > 0)
                    c.Engine.Up(new ComposeUpOptions(s.DependsOn.Select(d => d.Service).ToList(), false, false, false), Console.Out);
                c.Engine.PrepareForRun(s, Console.Out);   // its image, networks and volumes; the one-off container is `run`'s own
                var o = ComposeServiceMapper.ForContainer(c.Project, s, s.ImageName(c.Project.Name), oneOff: true);
                if (p.GetValue(name) is { } n) o.Name = n;
                if (args.Length > 1) o.Command = args[1..].ToList();
                if (p.GetValue(entrypoint) is { } ep) { o.Entrypoint = ep; if (args.Length == 1) o.Command = []; }
                if (p.GetValue(workdir) is { } w) o.Workdir = w;
                if (p.GetValue(user) is { } u) o.User = u;
                o.Env.AddRange(p.GetValue(env) ?? []);
                o.Publish = p.GetValue(servicePorts) ? o.Publish : (p.GetValue(publish) ?? []).ToList();
                o.Rm = p.GetValue(rm);
                bool tty = !p.GetValue(noTty) && !Console.IsInputRedirected && !p.GetValue(detach);
                o.Tty = tty; o.Interactive = tty || o.Interactive;
                var restart = new RestartPolicy();
                return RunCommand.Execute(c.Root, o, TraceMode.Off,
                    flags: new MiniRun.Engine.LifecycleFlags(p.GetValue(detach), restart, null));
            };
        });

        Sub("config", "Parse, resolve and render compose file in canonical format", cmd =>
        {
            var listServices = new Option<bool>("--services") { Description = "Print the service names, one per line" };
            var listVolumes = new Option<bool>("--volumes") { Description = "Print the volume names, one per line" };
            var quiet = new Option<bool>("--quiet", "-q") { Description = "Only validate the configuration, don't print anything" };
            foreach (var o in new Option[] { listServices, listVolumes, quiet }) cmd.Options.Add(o);
            return (p, c) =>
            {
                foreach (var w in c.Project.Warnings) Console.Error.WriteLine($"WARN[0000] {w}");
                if (p.GetValue(quiet)) return 0;
                if (p.GetValue(listServices)) { foreach (var s in c.Project.Services) Console.WriteLine(s.Name); return 0; }
                if (p.GetValue(listVolumes)) { foreach (var v in c.Project.Volumes.Keys) Console.WriteLine(v); return 0; }
                Console.Write(ComposeConfigWriter.Write(c.Project));
                return 0;
            };
        }, needsRoot: false);

        Sub("top", "Display the running processes", cmd =>
        {
            var svc = services();
            cmd.Arguments.Add(svc);
            return (p, c) =>
            {
                int status = 0;
                foreach (var x in c.Engine.ContainersOf(p.GetValue(svc) ?? []).Where(x => ContainerLiveness.IsRunning(x)))
                {
                    Console.WriteLine(x.Name);
                    status |= TopCommand.Run(c.Root, x.Id, [], Console.Out);
                    Console.WriteLine();
                }
                return status;
            };
        });

        Sub("images", "List images used by the created containers", cmd =>
        {
            var quiet = new Option<bool>("--quiet", "-q") { Description = "Only display IDs" };
            var svc = services();
            cmd.Options.Add(quiet);
            cmd.Arguments.Add(svc);
            return (p, c) => ComposeLogs.Images(c, p.GetValue(svc) ?? [], p.GetValue(quiet), Console.Out);
        });

        return compose;
    }

    /// <summary>The project; for the verbs that only act on what exists (down, ps...) a missing file is fine with -p.</summary>
    private static ComposeProject Load(ComposeRequest request, bool fileOptional)
    {
        try
        {
            return ComposeLoader.Load(request, Environment.CurrentDirectory, ComposeVariables.ShellEnvironment());
        }
        catch (ComposeException e) when (fileOptional && request.ProjectName is { Length: > 0 } name && e.Message.StartsWith("no configuration file", StringComparison.Ordinal))
        {
            return new ComposeProject
            {
                Name = ComposeFiles.ProjectName(name, null, null, Environment.CurrentDirectory), WorkingDir = Environment.CurrentDirectory,
                ConfigFiles = [], Root = new ComposeNode { Kind = NodeKind.Map },
            };
        }
    }
}

public sealed record ComposeContext(string Root, ComposeProject Project, ComposeEngine Engine);
