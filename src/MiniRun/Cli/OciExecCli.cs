// OciExecCli: `minirun-oci exec [--process FILE | flags] ID [COMMAND [ARG...]]`, runc's exec.
//
// Why: engines start every further process of a container this way: conmon and containerd's
// shim write the process as runtime-spec's process object to a file and pass --process, with
// --detach and --pid-file (the process is then reparented to the engine, which waits for it);
// people use the argument form with -e, -u, --cwd, -t. Without --detach this command waits and
// exits with the process's status. As with runc, the process is confined like the container's:
// a process.json's capabilities, noNewPrivileges, rlimits, umask; for the argument form the
// container's config.json process, with --cap adding capabilities and --no-new-privs setting
// no_new_privs; the container's seccomp filter in both (Runtime/ExecSecurity.cs). MINIRUN_TRACE=1
// narrates the exec as --trace does for `minirun exec`.
//
// Follows: runc-exec(8); runtime-spec config.md "process".
using System.CommandLine;
using MiniRun.Runtime;
using MiniRun.Spec;
using MiniJson;

namespace MiniRun.Cli;

internal static class OciExecCli
{
    public static Func<ParseResult, OciRuntime, int> Configure(Command cmd)
    {
        var process = new Option<string?>("--process", "-p") { Description = "A process.json (runtime-spec's process object); replaces the flags below" };
        var socket = new Option<string?>("--console-socket") { Description = "Unix socket that receives the terminal's master side" };
        var pidFile = new Option<string?>("--pid-file") { Description = "Write the process's pid here" };
        var detach = new Option<bool>("--detach", "-d") { Description = "Do not wait for the process" };
        var tty = new Option<bool>("--tty", "-t") { Description = "A terminal for the process (needs --console-socket)" };
        var cwd = new Option<string?>("--cwd") { Description = "Working directory inside the container" };
        var env = new Option<string[]>("--env", "-e") { Description = "K=V added to the container's environment" };
        var user = new Option<string?>("--user", "-u") { Description = "uid[:gid]" };
        var gids = new Option<string[]>("--additional-gids", "-g") { Description = "Supplementary group ids" };
        var preserve = new Option<int>("--preserve-fds") { Description = "Not supported for exec" };
        var caps = new Option<string[]>("--cap", "-c") { Description = "Add a capability (CAP_NAME) to the bounding, effective and permitted sets" };
        var noNewPrivs = new Option<bool>("--no-new-privs") { Description = "Set no_new_privs for the process" };
        var args = new Argument<string[]>("CONTAINER_ID [COMMAND [ARG...]]") { Arity = ArgumentArity.OneOrMore, CaptureRemainingTokens = true };
        foreach (var o in new Option[] { process, socket, pidFile, detach, tty, cwd, env, user, gids, preserve, caps, noNewPrivs }) cmd.Options.Add(o);
        cmd.Arguments.Add(args);
        return (p, rt) =>
        {
            var tokens = p.GetValue(args) ?? [];
            if (p.GetValue(preserve) != 0) throw new RuntimeException("exec --preserve-fds is not supported by MiniRun");
            SealedExe.ReexecIfWritable();   // about to enter the container: from a read-only mount of the binary (CVE-2019-5736)
            string id = tokens[0];
            SpecProcess spec;
            bool fromFile = p.GetValue(process) is not null;
            if (fromFile)
            {
                try { spec = RuntimeSpec.LoadProcess(p.GetValue(process)!); }
                catch (InvalidDataException e) { throw new RuntimeException(e.Message, e); }
            }
            else
            {
                if (tokens.Length < 2) throw new RuntimeException("exec: no command given (pass COMMAND or --process FILE)");
                spec = new SpecProcess
                {
                    Args = tokens[1..].ToList(),
                    Env = (p.GetValue(env) ?? []).ToList(),
                    Cwd = p.GetValue(cwd) ?? "",
                    Terminal = p.GetValue(tty),
                    User = ParseUser(p.GetValue(user), p.GetValue(gids) ?? []),
                    Capabilities = p.GetValue(caps) is { Length: > 0 } added ? new SpecCapabilities { Bounding = added.ToList() } : null,
                    NoNewPrivileges = p.GetValue(noNewPrivs),
                };
            }
            using var waiter = p.GetValue(detach) ? null : new ProcessWaiter();
            var trace = TraceMode.From(null, false, Environment.GetEnvironmentVariable("MINIRUN_TRACE")).Enabled
                ? new MiniRun.Trace.ConsoleTrace(Console.Error, pause: false) : null;
            var started = rt.Exec(id, spec, processFile: fromFile, p.GetValue(socket), p.GetValue(pidFile), trace,
                userGiven: p.GetValue(user) is not null);
            if (waiter is null) return 0;
            waiter.Attach(started.Pid);
            return waiter.Wait();
        };
    }

    private static SpecUser ParseUser(string? value, string[] gids)
    {
        var user = new SpecUser { AdditionalGids = gids.Length == 0 ? null : gids.Select(g => uint.TryParse(g, out uint n) ? n : throw new RuntimeException($"invalid --additional-gids {GoQuote.Quote(g)}: a number")).ToList() };
        if (value is null) return user;
        var parts = value.Split(':');
        if (parts.Length > 2 || !uint.TryParse(parts[0], out uint uid) || (parts.Length == 2 && !uint.TryParse(parts[1], out _)))
            throw new RuntimeException($"invalid --user {GoQuote.Quote(value)}: use uid[:gid] (numbers)");
        user.Uid = uid;
        user.Gid = parts.Length == 2 ? uint.Parse(parts[1]) : 0;
        user.Username = value;
        return user;
    }
}
