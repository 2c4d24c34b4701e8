// Program: the `minirun` command line, Docker's verbs and flags on top of MiniRun's runtime.
//
// Why: the course's exercises are written for Docker, so `minirun run -it --rm busybox sh`
// parses like `docker run`: flags before the image, everything after the image belongs to the
// container, combined short flags (-it), exit status 125 for MiniRun's own errors.
// `minirun init` is not for users: it is the container's first process, exec'd by the native
// clone stage (see Init/InitProcess.cs); it is dispatched before the parser is even built. So is
// `minirun supervise`, the per-container supervisor (Supervisor/SupervisorMain.cs): it must stay small.
//
// Follows: docker(1) and docker-run(1) for names and behaviour; System.CommandLine for parsing.
using System.CommandLine;
using MiniImage;
using MiniRun.Cli;
using MiniRun.Containers;
using MiniRun.Init;
using MiniRun.Kernel;
using MiniRun.Spec;

namespace MiniRun;

public static class Program
{
    public const string DefaultRoot = "/var/lib/minirun";

    public static int Main(string[] args)
    {
        if (args is ["init"] && Environment.GetEnvironmentVariable(InitProcess.SyncFdVariable) is not null)
            return InitProcess.Start();
        if (OciCli.Invoked(args, out var ociArgs))
            return OciCli.Run(ociArgs);   // runc's command line on the runtime core (minirun-oci, minirun oci)
        if (args is ["supervise", ..])
            return MiniRun.Supervisor.Supervisor.Run(args);   // the container's parent; never builds the CLI
        bool debug = args.Contains("--debug");
        try
        {
            var parse = BuildRoot(CliArgs.Verb(args)).Parse(args.Length == 0 ? ["--help"] : CliArgs.RewriteTrace(args), CliArgs.Parsing);
            if (parse.Errors.Count == 0 || DockerHelp.AnswersItself(parse)) return parse.Invoke();
            return DockerHelp.ParseErrors(parse, Console.Out, Console.Error);   // Docker's wording and exit statuses
        }
        catch (Exception e)
        {
            return Report(e, debug);
        }
    }

    /// <summary>The error on stderr as Docker's CLI prints it for <paramref name="verb"/> (Cli/ErrorReport.cs), Docker's exit codes; the stack trace only with --debug.</summary>
    public static int Report(Exception e, bool debug, string verb = "")
    {
        int code = e switch
        {
            CliError c => c.ExitCode,
            ContainerException c => c.ExitCode,
            MiniRun.Network.NetworkException n => n.ExitCode,
            MiniRun.Compose.ComposeException c => c.ExitCode,
            ContainerNotFoundException => 1,   // Docker: "No such container" exits 1
            _ => 125,
        };
        ErrorReport.Write(Console.Error, verb, e);
        if (debug) Console.Error.WriteLine(e.ToString());
        return code;
    }

    /// <summary>
    /// The command tree. When the verb is known (`run`, `ps`, ...) only its command is built: every
    /// `minirun run` pays for building what it parses, not the whole tree (about 2 ms of each
    /// container start). Without a verb, or with an unknown one, everything is built, so help and
    /// "unrecognized command" messages are complete.
    /// </summary>
    private static RootCommand BuildRoot(string? verb)
    {
        var rootOption = new Option<string>("--root")
        {
            Description = "Directory for images and containers (env MINIRUN_ROOT)",
            Recursive = true,
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("MINIRUN_ROOT") is { Length: > 0 } r ? r : DefaultRoot,
        };
        var debugOption = new Option<bool>("--debug") { Description = "Show stack traces on errors", Recursive = true };
        var root = new RootCommand("MiniRun: a small container runtime that shows how containers work");
        root.Options.Add(rootOption);
        root.Options.Add(debugOption);

        DockerHelp.Install(root);
        if (verb == "run")
        {
            root.Subcommands.Add(RunCli.Build(rootOption, debugOption));
            return root;
        }
        var all = new List<Command> { RunCli.Build(rootOption, debugOption) };
        all.AddRange(ContainerCli.Build(rootOption, debugOption));
        all.AddRange(LifecycleCli.Build(rootOption, debugOption));
        all.AddRange(ExecCli.Build(rootOption, debugOption));
        all.AddRange(InspectCli.Build(rootOption, debugOption));
        all.AddRange(FilesystemCli.Build(rootOption, debugOption));
        all.AddRange(CgroupCli.Build(rootOption, debugOption));
        all.AddRange(ImageCli.Build(rootOption, debugOption));
        all.AddRange(RegistryCli.Build(rootOption, debugOption));
        all.Add(NetworkDnsCli.Build(rootOption, debugOption));
        all.AddRange(NetworkCli.Build(rootOption, debugOption));
        all.Add(ContainerGroupCli.Build(rootOption, debugOption));
        all.AddRange(VolumeCli.Build(rootOption, debugOption));
        all.Add(SystemCli.Build(rootOption, debugOption));
        all.Add(ComposeCli.Build(rootOption, debugOption));
        all.Add(LabCli.Build(rootOption, debugOption));
        all.Add(SystemCli.Info(rootOption, debugOption));
        all.Add(SystemCli.Version(rootOption, debugOption));
        var only = all.Where(c => c.Name == verb).ToList();
        foreach (var command in only.Count > 0 ? only : all) root.Subcommands.Add(command);
        return root;
    }

    /// <summary>A subcommand whose action reports errors the MiniRun way.</summary>
    public static Command Verb(string name, string description, Option<string> rootOption, Option<bool> debugOption,
        Func<Command, Func<ParseResult, int>> configure)
    {
        var cmd = new Command(name, description);
        var action = configure(cmd);
        cmd.SetAction(p =>
        {
            try
            {
                if (name != "version") RunCommand.RequireRoot(name);   // the store is root's alone (0700), as Docker's socket is
                MiniRun.Security.StoreAccess.Secure(p.GetValue(rootOption)!);   // an existing root made before 0700 is fixed at start
                return action(p);
            }
            catch (Exception e) { return Report(e, p.GetValue(debugOption), DockerHelp.PathOf(p.CommandResult)); }
        });
        return cmd;
    }
}
