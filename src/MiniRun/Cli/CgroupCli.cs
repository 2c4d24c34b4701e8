// CgroupCli: stats, update, pause, unpause: the container's cgroup at work.
//
// Follows: docker-stats(1), docker-update(1), docker-pause(1), docker-unpause(1).
using System.CommandLine;

namespace MiniRun.Cli;

public static class CgroupCli
{
    public static IEnumerable<Command> Build(Option<string> rootOption, Option<bool> debugOption)
    {
        yield return Program.Verb("stats", "Display a live stream of container(s) resource usage statistics", rootOption, debugOption, cmd =>
        {
            var all = new Option<bool>("--all", "-a") { Description = "Show all containers (default shows just running)" };
            var noStream = new Option<bool>("--no-stream") { Description = "Disable streaming stats and only pull the first result" };
            var noTrunc = new Option<bool>("--no-trunc") { Description = "Do not truncate output" };
            var ids = new Argument<string[]>("CONTAINER") { Arity = ArgumentArity.ZeroOrMore };
            cmd.Options.Add(all);
            cmd.Options.Add(noStream);
            cmd.Options.Add(noTrunc);
            var format = ImageCli.FormatOption();
            cmd.Options.Add(format);
            cmd.Arguments.Add(ids);
            return p => StatsCommand.Stats(p.GetValue(rootOption)!, p.GetValue(ids) ?? [], p.GetValue(all), p.GetValue(noStream), p.GetValue(noTrunc),
                p.GetValue(format));
        });
        yield return Program.Verb("update", "Update configuration of one or more containers", rootOption, debugOption, cmd =>
        {
            var resources = ResourceCli.Options();
            // Not updatable: the cgroup a container lives in, and oom_score_adj (a property of its
            // first process, not of the cgroup); Docker's update has neither.
            foreach (var o in resources.All)
                if (o != resources.CgroupParent && o != resources.OomScoreAdj) cmd.Options.Add(o);
            var ids = new Argument<string[]>("CONTAINER") { Arity = ArgumentArity.OneOrMore };
            cmd.Arguments.Add(ids);
            return p => LifecycleCommands.Update(p.GetValue(rootOption)!, resources.Values(p) with { OomScoreAdj = null }, p.GetValue(ids)!);
        });
        yield return Program.Verb("pause", "Pause all processes within one or more containers", rootOption, debugOption, cmd =>
        {
            var ids = new Argument<string[]>("CONTAINER") { Arity = ArgumentArity.OneOrMore };
            cmd.Arguments.Add(ids);
            return p => LifecycleCommands.Pause(p.GetValue(rootOption)!, p.GetValue(ids)!, pause: true);
        });
        yield return Program.Verb("unpause", "Unpause all processes within one or more containers", rootOption, debugOption, cmd =>
        {
            var ids = new Argument<string[]>("CONTAINER") { Arity = ArgumentArity.OneOrMore };
            cmd.Arguments.Add(ids);
            return p => LifecycleCommands.Pause(p.GetValue(rootOption)!, p.GetValue(ids)!, pause: false);
        });
    }
}
