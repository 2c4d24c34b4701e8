// ContainerCli: the container verbs besides `run`: `ps` and `rm` (the lifecycle issue adds more).
//
// Follows: docker-ps(1), docker-rm(1).
using System.CommandLine;

namespace MiniRun.Cli;

public static class ContainerCli
{
    public static IEnumerable<Command> Build(Option<string> rootOption, Option<bool> debugOption)
    {
        yield return PsCli.Build(rootOption, debugOption);
        yield return Program.Verb("rm", "Remove one or more containers", rootOption, debugOption, cmd =>
        {
            var force = new Option<bool>("--force", "-f") { Description = "Force the removal of a running container (uses SIGKILL)" };
            var volumes = new Option<bool>("--volumes", "-v") { Description = "Remove anonymous volumes associated with the container" };
            var trace = new Option<bool>("--trace") { Description = "Narrate what is removed, in order (--trace=pause waits for Enter before each step)" };
            var tracePause = new Option<bool>(CliArgs.TracePauseOption) { Hidden = true };
            var ids = new Argument<string[]>("CONTAINER") { Arity = ArgumentArity.OneOrMore };
            cmd.Options.Add(force);
            cmd.Options.Add(volumes);
            cmd.Options.Add(trace);
            cmd.Options.Add(tracePause);
            cmd.Arguments.Add(ids);
            return p => LifecycleCommands.Rm(p.GetValue(rootOption)!, p.GetValue(ids)!, p.GetValue(force), p.GetValue(volumes),
                p.GetValue(tracePause) ? new TraceMode(true, true) : TraceMode.From(null, p.GetValue(trace), null));
        });
    }
}
