// LifecycleCli: create, start, stop, kill, restart, wait, attach, logs, rename: the verbs around
// the supervisor (printed by LifecycleCommands.cs and LifecycleLogs.cs; the work is the engine's, Engine/).
//
// Follows: docker-create(1), docker-start(1), docker-stop(1), docker-kill(1), docker-restart(1),
// docker-wait(1), docker-attach(1), docker-logs(1), docker-rename(1).
using System.CommandLine;
using MiniRun.Engine;

namespace MiniRun.Cli;

public static class LifecycleCli
{
    public static IEnumerable<Command> Build(Option<string> rootOption, Option<bool> debugOption)
    {
        yield return Program.Verb("create", "Create a new container", rootOption, debugOption, cmd =>
        {
            var parse = RunCli.AddOptions(cmd, create: true);
            return p =>
            {
                var (options, _, flags) = parse(p);
                RunCommand.RequireRoot("create");
                if (options.Rm && flags.Restart.Name != "no") throw new CliError("Conflicting options: --restart and --rm");
                var (limits, host) = ContainerCreator.CheckResources(options);
                var created = ContainerCreator.Create(Path.GetFullPath(p.GetValue(rootOption)!), options, flags.Restart, null, limits, host,
                    images => ImageAcquisition.Ensure(images, options.Image, options.Pull));
                Console.WriteLine(created.Record.Id);
                return 0;
            };
        });
        yield return Program.Verb("boot", "Start again the containers whose restart policy asks for it (run once at machine start)", rootOption, debugOption, cmd =>
        {
            return p =>
            {
                string root = Path.GetFullPath(p.GetValue(rootOption)!);
                RunCommand.RequireRoot("boot");
                return BootRecovery.Run(root, id =>
                {
                    int status = LifecycleCommands.Start(root, [id], attach: false, interactive: false, detachKeys: null);
                    if (status != 0) throw new CliError($"start exited with {status}");
                }, Console.Out);
            };
        });
        yield return Program.Verb("start", "Start one or more stopped containers", rootOption, debugOption, cmd =>
        {
            var attach = new Option<bool>("--attach", "-a") { Description = "Attach STDOUT/STDERR and forward signals" };
            var interactive = new Option<bool>("--interactive", "-i") { Description = "Attach container's STDIN" };
            var keys = new Option<string?>("--detach-keys") { Description = "Override the key sequence for detaching a container" };
            var names = Containers(cmd, attach, interactive, keys);
            return p => LifecycleCommands.Start(p.GetValue(rootOption)!, p.GetValue(names)!, p.GetValue(attach) || p.GetValue(interactive),
                p.GetValue(interactive), p.GetValue(keys));
        });
        yield return Program.Verb("stop", "Stop one or more running containers", rootOption, debugOption, cmd =>
        {
            var time = new Option<int?>("--time", "-t") { Description = "Seconds to wait before killing the container (default 10)" };
            var signal = new Option<string?>("--signal", "-s") { Description = "Signal to send to the container" };
            var names = Containers(cmd, time, signal);
            return p => p.GetValue(signal) is string s
                ? LifecycleCommands.Stop(p.GetValue(rootOption)!, p.GetValue(names)!, p.GetValue(time), s)
                : LifecycleCommands.Stop(p.GetValue(rootOption)!, p.GetValue(names)!, p.GetValue(time));
        });
        yield return Program.Verb("kill", "Kill one or more running containers", rootOption, debugOption, cmd =>
        {
            var signal = new Option<string?>("--signal", "-s") { Description = "Signal to send to the container (default KILL)" };
            var names = Containers(cmd, signal);
            return p => LifecycleCommands.Kill(p.GetValue(rootOption)!, p.GetValue(names)!, p.GetValue(signal));
        });
        yield return Program.Verb("restart", "Restart one or more containers", rootOption, debugOption, cmd =>
        {
            var time = new Option<int?>("--time", "-t") { Description = "Seconds to wait before killing the container (default 10)" };
            var names = Containers(cmd, time);
            return p => LifecycleCommands.Restart(p.GetValue(rootOption)!, p.GetValue(names)!, p.GetValue(time));
        });
        yield return Program.Verb("wait", "Block until one or more containers stop, then print their exit codes", rootOption, debugOption, cmd =>
        {
            var names = Containers(cmd);
            return p => LifecycleCommands.Wait(p.GetValue(rootOption)!, p.GetValue(names)!);
        });
        yield return Program.Verb("attach", "Attach local standard input, output, and error streams to a running container", rootOption, debugOption, cmd =>
        {
            var keys = new Option<string?>("--detach-keys") { Description = "Override the key sequence for detaching a container" };
            var noStdin = new Option<bool>("--no-stdin") { Description = "Do not attach STDIN" };
            var sigProxy = new Option<bool>("--sig-proxy") { Description = "Proxy all received signals to the process (default true)", DefaultValueFactory = _ => true };
            var name = new Argument<string>("CONTAINER");
            foreach (var o in new Option[] { keys, noStdin, sigProxy }) cmd.Options.Add(o);
            cmd.Arguments.Add(name);
            return p => LifecycleCommands.Attach(p.GetValue(rootOption)!, p.GetValue(name)!, p.GetValue(keys), p.GetValue(noStdin));
        });
        yield return Program.Verb("logs", "Fetch the logs of a container", rootOption, debugOption, cmd =>
        {
            var follow = new Option<bool>("--follow", "-f") { Description = "Follow log output" };
            var tail = new Option<string?>("--tail", "-n") { Description = "Number of lines to show from the end of the logs (default \"all\")" };
            var timestamps = new Option<bool>("--timestamps", "-t") { Description = "Show timestamps" };
            var since = new Option<string?>("--since") { Description = "Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m)" };
            var until = new Option<string?>("--until") { Description = "Show logs before a timestamp or relative time" };
            var details = new Option<bool>("--details") { Description = "Show extra details provided to logs (none are recorded)" };
            var name = new Argument<string>("CONTAINER");
            foreach (var o in new Option[] { follow, tail, timestamps, since, until, details }) cmd.Options.Add(o);
            cmd.Arguments.Add(name);
            return p => LifecycleLogs.Logs(p.GetValue(rootOption)!, p.GetValue(name)!, p.GetValue(follow), p.GetValue(tail),
                p.GetValue(timestamps), p.GetValue(since), p.GetValue(until));
        });
        yield return Program.Verb("rename", "Rename a container", rootOption, debugOption, cmd =>
        {
            var oldName = new Argument<string>("CONTAINER");
            var newName = new Argument<string>("NEW_NAME");
            cmd.Arguments.Add(oldName);
            cmd.Arguments.Add(newName);
            return p => LifecycleCommands.Rename(p.GetValue(rootOption)!, p.GetValue(oldName)!, p.GetValue(newName)!);
        });
    }

    private static Argument<string[]> Containers(Command cmd, params Option[] options)
    {
        foreach (var o in options) cmd.Options.Add(o);
        var names = new Argument<string[]>("CONTAINER") { Arity = ArgumentArity.OneOrMore };
        cmd.Arguments.Add(names);
        return names;
    }
}
