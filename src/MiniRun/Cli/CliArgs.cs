// CliArgs: small rewrites of the raw argument list before parsing.
//
// Why: `--trace` is a flag, but `--trace=pause` gives it a value. An option with an optional
// value would swallow the image name in `run --trace busybox`, so `--trace=pause` is rewritten
// to a hidden flag - only among the traced verb's own options (run, exec, pull, rm), never in
// the container's command.
// Response files are off: System.CommandLine would replace any "@word" by the lines of the file
// "word", also in the container's command (`run busybox date -s @1700000000` failed with
// "Response file not found"); Docker and runc pass such arguments through unchanged.
using System.CommandLine;

namespace MiniRun.Cli;

public static class CliArgs
{
    /// <summary>How both command lines (minirun, minirun-oci) are parsed: every token verbatim, no "@file" expansion.</summary>
    public static ParserConfiguration Parsing { get; } = new() { ResponseFileTokenReplacer = null };

    public const string TracePauseOption = "--trace-pause";

    private static readonly HashSet<string> ValueOptions =
        ["--name", "--hostname", "-e", "--env", "--env-file", "-w", "--workdir", "-u", "--user", "--entrypoint", "--root", "--pull", "-m", "--memory", "--memory-reservation", "--memory-swap", "--cpus", "--cpu-period", "--cpu-quota", "-c", "--cpu-shares", "--cpuset-cpus", "--cpuset-mems", "--pids-limit", "--blkio-weight", "--device-read-bps", "--device-write-bps", "--device-read-iops", "--device-write-iops", "--oom-score-adj", "--cgroup-parent", "--restart", "--detach-keys", "--health-cmd", "--health-interval", "--health-timeout", "--health-start-period", "--health-retries"];

    public static string[] RewriteTrace(string[] args)
    {
        var result = (string[])args.Clone();
        // The verbs with --trace: run, exec, pull, rm (`container rm` too); their options end at the first operand.
        int run = -1;
        for (int i = 0; i < result.Length && run < 0; i++)
            if (result[i] is "run" or "exec" or "pull" or "rm") run = i;
            else if (result[i] == "--root") i++;
            else if (!result[i].StartsWith('-') && result[i] != "container" && result[i] != "image") break;
        if (run < 0) return result;
        for (int i = run + 1; i < result.Length; i++)
        {
            string a = result[i];
            if (a == "--") break;
            if (!a.StartsWith('-')) break;                      // the image: options end here
            if (a == "--trace=pause") result[i] = TracePauseOption;
            else if (ValueOptions.Contains(a)) i++;             // skip the option's value
        }
        return result;
    }

    /// <summary>The verb (`run`, `ps`, ...): the first token that is not a global option or its value.</summary>
    public static string? Verb(string[] args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            if (a == "--root") { i++; continue; }
            if (a.StartsWith('-')) continue;
            return a;
        }
        return null;
    }
}
