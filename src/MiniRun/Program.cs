// Program: the `minirun` command line, Docker's verbs and flags on top of MiniRun's runtime.
//
// Why: the course's exercises are written for Docker, so `minirun run -it --rm busybox sh`
// parses like `docker run`: flags before the image, everything after the image belongs to the
// container, combined short flags (-it), exit status 125 for MiniRun's own errors.
// `minirun init` is not for users: it is the container's first process, exec'd by the native
// clone stage (see Init/InitProcess.cs); it is dispatched before the parser is even built.
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
        bool debug = args.Contains("--debug");
        try
        {
            var parse = BuildRoot().Parse(args.Length == 0 ? ["--help"] : CliArgs.RewriteTrace(args));
            if (parse.Errors.Count == 0) return parse.Invoke();
            // Docker's style: the problem on one line, where to look, and 125 for `run`.
            string verb = parse.CommandResult.Command.Name;
            foreach (var error in parse.Errors)
                Console.Error.WriteLine($"minirun: {error.Message}");
            Console.Error.WriteLine($"See 'minirun {(verb == "minirun" ? "" : verb + " ")}--help'.");
            return verb == "run" ? 125 : 1;
        }
        catch (Exception e)
        {
            return Report(e, debug);
        }
    }

    /// <summary>One line on stderr, Docker's exit codes; the stack trace only with --debug.</summary>
    public static int Report(Exception e, bool debug)
    {
        int code = e is CliError c ? c.ExitCode : 125;
        string message = e switch
        {
            ContainerNotFoundException => "Error response from daemon: " + e.Message,
            _ => e.Message,
        };
        Console.Error.WriteLine($"minirun: {message}");
        if (debug) Console.Error.WriteLine(e.ToString());
        return code;
    }

    private static RootCommand BuildRoot()
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

        root.Subcommands.Add(RunCli.Build(rootOption, debugOption));
        root.Subcommands.Add(Verb("load", "Load an image from an OCI image layout (directory or tar)", rootOption, debugOption, cmd =>
        {
            var input = new Option<string>("--input", "-i") { Description = "OCI layout directory or tar archive", Required = true };
            var quiet = new Option<bool>("--quiet", "-q") { Description = "Suppress the load output" };
            cmd.Options.Add(input);
            cmd.Options.Add(quiet);
            return p => ImageCommands.Load(p.GetValue(rootOption)!, p.GetValue(input)!, p.GetValue(quiet));
        }));
        root.Subcommands.Add(Verb("images", "List images", rootOption, debugOption, cmd =>
        {
            var quiet = new Option<bool>("--quiet", "-q") { Description = "Only show image IDs" };
            var noTrunc = new Option<bool>("--no-trunc") { Description = "Don't truncate output" };
            cmd.Options.Add(quiet);
            cmd.Options.Add(noTrunc);
            return p => ImageCommands.Images(p.GetValue(rootOption)!, p.GetValue(quiet), p.GetValue(noTrunc));
        }));
        root.Subcommands.Add(Verb("ps", "List containers", rootOption, debugOption, cmd =>
        {
            var all = new Option<bool>("--all", "-a") { Description = "Show all containers (default shows just running)" };
            var quiet = new Option<bool>("--quiet", "-q") { Description = "Only display container IDs" };
            var noTrunc = new Option<bool>("--no-trunc") { Description = "Don't truncate output" };
            cmd.Options.Add(all);
            cmd.Options.Add(quiet);
            cmd.Options.Add(noTrunc);
            return p => ContainerCommands.Ps(p.GetValue(rootOption)!, p.GetValue(all), p.GetValue(quiet), p.GetValue(noTrunc));
        }));
        root.Subcommands.Add(Verb("rm", "Remove one or more containers", rootOption, debugOption, cmd =>
        {
            var force = new Option<bool>("--force", "-f") { Description = "Force the removal of a running container (uses SIGKILL)" };
            var ids = new Argument<string[]>("CONTAINER") { Arity = ArgumentArity.OneOrMore };
            cmd.Options.Add(force);
            cmd.Arguments.Add(ids);
            return p => ContainerCommands.Rm(p.GetValue(rootOption)!, p.GetValue(ids)!, p.GetValue(force));
        }));
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
            try { return action(p); }
            catch (Exception e) { return Report(e, p.GetValue(debugOption)); }
        });
        return cmd;
    }
}
