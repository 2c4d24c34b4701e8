// RunCli: the flags of `minirun run`, parsed like docker-run(1).
//
// Why: `run [OPTIONS] IMAGE [COMMAND] [ARG...]` - options end at the image; every token after it,
// even ones that look like flags (`ls -l`), belongs to the container's command.
//
// Follows: docker-run(1).
using System.CommandLine;
using MiniRun.Engine;
using MiniRun.Spec;

namespace MiniRun.Cli;

public static class RunCli
{
    public static Command Build(Option<string> rootOption, Option<bool> debugOption) =>
        Program.Verb("run", "Create and run a new container from an image", rootOption, debugOption, cmd =>
        {
            var parse = AddOptions(cmd, create: false);
            return p =>
            {
                var (options, mode, flags) = parse(p);
                return RunCommand.Execute(p.GetValue(rootOption)!, options, mode, flags: flags);
            };
        });

    /// <summary>The options `run` and `create` share (create has no -d, --detach-keys or --trace); returns their reader.</summary>
    internal static Func<ParseResult, (RunOptions Options, TraceMode Trace, LifecycleFlags Flags)> AddOptions(Command cmd, bool create)
    {
        var rm = new Option<bool>("--rm") { Description = "Automatically remove the container when it exits" };
        var interactive = new Option<bool>("--interactive", "-i") { Description = "Keep STDIN open and connect it to the container" };
        var tty = new Option<bool>("--tty", "-t") { Description = "Allocate a pseudo-TTY" };
        var name = new Option<string?>("--name") { Description = "Assign a name to the container" };
        var hostname = new Option<string?>("--hostname") { Description = "Container host name (default: the short container ID)" };
        var env = new Option<string[]>("--env", "-e") { Description = "Set environment variables (K=V, or K to copy it)", AllowMultipleArgumentsPerToken = false };
        var envFile = new Option<string[]>("--env-file") { Description = "Read in a file of environment variables" };
        var label = new Option<string[]>("--label", "-l") { Description = "Set meta data on a container", AllowMultipleArgumentsPerToken = false };
        var labelFile = new Option<string[]>("--label-file") { Description = "Read in a line delimited file of labels" };
        var workdir = new Option<string?>("--workdir", "-w") { Description = "Working directory inside the container" };
        var user = new Option<string?>("--user", "-u") { Description = "Username or UID (format: <name|uid>[:<group|gid>])" };
        var entrypoint = new Option<string?>("--entrypoint") { Description = "Overwrite the default ENTRYPOINT of the image" };
        var trace = new Option<bool>("--trace") { Description = "Narrate each isolation step (--trace=pause waits for Enter before each)" };
        var tracePause = new Option<bool>(CliArgs.TracePauseOption) { Hidden = true };
        var detach = new Option<bool>("--detach", "-d") { Description = "Run container in background and print container ID" };
        var restart = new Option<string?>("--restart") { Description = "Restart policy to apply when a container exits (no, on-failure[:N], always, unless-stopped)" };
        var init = new Option<bool>("--init") { Description = "Run an init inside the container that forwards signals and reaps processes" };
        var detachKeys = new Option<string?>("--detach-keys") { Description = "Override the key sequence for detaching a container" };
        var healthCmd = new Option<string?>("--health-cmd") { Description = "Command to run to check health" };
        var healthInterval = new Option<string?>("--health-interval") { Description = "Time between running the check (ms|s|m|h) (default 30s)" };
        var healthTimeout = new Option<string?>("--health-timeout") { Description = "Maximum time to allow one check to run (ms|s|m|h) (default 30s)" };
        var healthStartPeriod = new Option<string?>("--health-start-period") { Description = "Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)" };
        var healthRetries = new Option<int?>("--health-retries") { Description = "Consecutive failures needed to report unhealthy" };
        var noHealthcheck = new Option<bool>("--no-healthcheck") { Description = "Disable any container-specified HEALTHCHECK" };
        var userns = new Option<string?>("--userns") { Description = "User namespace: \"remap\" (root inside is an unprivileged uid outside) or \"host\"" };
        var pull = new Option<string>("--pull") { Description = "Pull image before running (\"always\", \"missing\", \"never\")", DefaultValueFactory = _ => "missing" };
        // Everything from the image on belongs to the container, flags included (`ls -l`, `sh -c`).
        var imageAndCommand = new Argument<string[]>("IMAGE [COMMAND] [ARG...]") { Arity = ArgumentArity.OneOrMore, CaptureRemainingTokens = true };
        var resources = ResourceCli.Options();
        var security = SecurityCli.Options();
        var network = NetworkFlagsCli.Options();
        var volumes = VolumeCli.RunFlags.Options();
        foreach (var o in new Option[] { rm, interactive, tty, name, hostname, env, envFile, label, labelFile, workdir, user, entrypoint, pull, restart, init,
                                          healthCmd, healthInterval, healthTimeout, healthStartPeriod, healthRetries, noHealthcheck, userns })
            cmd.Options.Add(o);
        if (!create)
            foreach (var o in new Option[] { trace, tracePause, detach, detachKeys }) cmd.Options.Add(o);
        foreach (var o in resources.All) cmd.Options.Add(o);
        foreach (var o in security.All) cmd.Options.Add(o);
        foreach (var o in network.All) cmd.Options.Add(o);
        foreach (var o in volumes.All) cmd.Options.Add(o);
        cmd.Arguments.Add(imageAndCommand);
        cmd.TreatUnmatchedTokensAsErrors = true;
        return p =>
        {
            var rest = p.GetValue(imageAndCommand) ?? [];
            string image = rest[0];
            if (image.StartsWith('-'))
                throw new CliError($"unknown flag: {image}\nSee 'minirun {cmd.Name} --help'.");
            var options = new RunOptions
            {
                Rm = p.GetValue(rm), Interactive = p.GetValue(interactive), Tty = p.GetValue(tty),
                Name = p.GetValue(name), Hostname = p.GetValue(hostname),
                Env = (p.GetValue(env) ?? []).ToList(), EnvFiles = (p.GetValue(envFile) ?? []).ToList(),
                Labels = (p.GetValue(label) ?? []).ToList(), LabelFiles = (p.GetValue(labelFile) ?? []).ToList(),
                Workdir = p.GetValue(workdir), User = p.GetValue(user), Entrypoint = p.GetValue(entrypoint),
                Image = image, Command = rest.Skip(1).ToList(), Pull = p.GetValue(pull)!,
                Resources = resources.Values(p), CgroupParent = p.GetValue(resources.CgroupParent),
                Init = p.GetValue(init), Userns = p.GetValue(userns),
                Health = new MiniRun.Health.HealthFlagValues(p.GetValue(healthCmd), p.GetValue(healthInterval), p.GetValue(healthTimeout),
                    p.GetValue(healthStartPeriod), p.GetValue(healthRetries), p.GetValue(noHealthcheck)),
            };
            security.Read(p, options);
            network.Read(p, options);
            volumes.Read(p, options);
            MiniRun.Containers.RestartPolicy policy;
            try { policy = MiniRun.Supervisor.RestartRules.Parse(p.GetValue(restart)); }
            catch (FormatException e) { throw new CliError(e.Message); }
            bool detached = !create && p.GetValue(detach);
            if (!create && !detached) InputTty.Require(options.Interactive, options.Tty);   // before anything is created
            var mode = create ? TraceMode.Off : p.GetValue(tracePause) ? new TraceMode(true, true)
                : TraceMode.From(null, p.GetValue(trace), Environment.GetEnvironmentVariable("MINIRUN_TRACE"));
            return (options, mode, new LifecycleFlags(detached, policy, create ? null : p.GetValue(detachKeys)));
        };
    }
}
