// ExecCli: `minirun exec [-d] [-i] [-t] [-e K=V] [-w DIR] [-u USER[:GROUP]] [--trace[=pause]] CONTAINER CMD [ARG...]`.
//
// Why: the flags parse like Docker's (combined -it, everything after the container belongs to the
// command, so `exec web ls -l` passes -l to ls); ExecCommand does the work.
//
// Follows: docker-exec(1).
using System.CommandLine;

namespace MiniRun.Cli;

public static class ExecCli
{
    public static IEnumerable<Command> Build(Option<string> rootOption, Option<bool> debugOption)
    {
        yield return Program.Verb("exec", "Execute a command in a running container", rootOption, debugOption, cmd =>
        {
            var detach = new Option<bool>("--detach", "-d") { Description = "Detached mode: run command in the background" };
            var interactive = new Option<bool>("--interactive", "-i") { Description = "Keep STDIN open even if not attached" };
            var tty = new Option<bool>("--tty", "-t") { Description = "Allocate a pseudo-TTY" };
            var env = new Option<string[]>("--env", "-e") { Description = "Set environment variables (K=V, or K to copy it)", AllowMultipleArgumentsPerToken = false };
            var workdir = new Option<string?>("--workdir", "-w") { Description = "Working directory inside the container" };
            var user = new Option<string?>("--user", "-u") { Description = "Username or UID (format: \"<name|uid>[:<group|gid>]\")" };
            var privileged = new Option<bool>("--privileged") { Description = "Give extended privileges to the command (every capability)" };
            var trace = new Option<bool>("--trace") { Description = "Narrate each step of entering the container (--trace=pause waits for Enter before each)" };
            var tracePause = new Option<bool>(CliArgs.TracePauseOption) { Hidden = true };
            var rest = new Argument<string[]>("CONTAINER COMMAND [ARG...]") { Arity = ArgumentArity.OneOrMore, CaptureRemainingTokens = true };
            foreach (var o in new Option[] { detach, interactive, tty, env, workdir, user, privileged, trace, tracePause }) cmd.Options.Add(o);
            cmd.Arguments.Add(rest);
            return p =>
            {
                var tokens = p.GetValue(rest) ?? [];
                if (tokens.Length > 0 && tokens[0].StartsWith('-') && tokens[0].Length > 1)
                    throw new CliError($"unknown flag: {tokens[0]}\nSee 'minirun exec --help'.", 1);
                if (tokens.Length < 2)
                    throw new CliError("\"exec\" requires at least 2 arguments.\nSee 'minirun exec --help'.", 1);
                // This process is about to enter the container: run it from a read-only mount of
                // the binary first (CVE-2019-5736, Runtime/SealedExe.cs); returns when already so.
                MiniRun.Runtime.SealedExe.ReexecIfWritable();
                return ExecCommand.Execute(p.GetValue(rootOption)!, new ExecCommandOptions
                {
                    Container = tokens[0],
                    Command = tokens[1..],
                    Detach = p.GetValue(detach),
                    Interactive = p.GetValue(interactive),
                    Tty = p.GetValue(tty),
                    Env = p.GetValue(env) ?? [],
                    WorkingDir = p.GetValue(workdir),
                    User = p.GetValue(user),
                    Privileged = p.GetValue(privileged),
                    Trace = p.GetValue(tracePause) ? new TraceMode(true, true)
                        : TraceMode.From(null, p.GetValue(trace), Environment.GetEnvironmentVariable("MINIRUN_TRACE")),
                });
            };
        });
    }
}
