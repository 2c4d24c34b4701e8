// PsCli: the `ps` verb's options, Docker's names: -a, -q, -l, -n N, --no-trunc, -s, -f KEY=VALUE,
// --format.
//
// Why: one place that maps docker-ps(1)'s command line onto PsCommand; ContainerCli registers
// the verb it returns.
//
// Follows: docker-ps(1).
using System.CommandLine;

namespace MiniRun.Cli;

public static class PsCli
{
    public static Command Build(Option<string> rootOption, Option<bool> debugOption, string name = "ps") =>
        Program.Verb(name, "List containers", rootOption, debugOption, cmd =>
        {
            var all = new Option<bool>("--all", "-a") { Description = "Show all containers (default shows just running)" };
            var quiet = new Option<bool>("--quiet", "-q") { Description = "Only display container IDs" };
            var latest = new Option<bool>("--latest", "-l") { Description = "Show the latest created container (includes all states)" };
            var last = new Option<int>("--last", "-n") { Description = "Show n last created containers (includes all states)", DefaultValueFactory = _ => -1 };
            var noTrunc = new Option<bool>("--no-trunc") { Description = "Don't truncate output" };
            var size = new Option<bool>("--size", "-s") { Description = "Display total file sizes" };
            var filter = FilterOption.Create("Filter output based on conditions provided (status=, name=, id=, ancestor=, exited=)");
            cmd.Options.Add(all);
            cmd.Options.Add(quiet);
            cmd.Options.Add(latest);
            cmd.Options.Add(last);
            cmd.Options.Add(noTrunc);
            cmd.Options.Add(size);
            cmd.Options.Add(filter);
            var format = new Option<string?>("--format") { Description = "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template" };
            cmd.Options.Add(format);
            return p => PsCommand.Ps(p.GetValue(rootOption)!, new PsOptions
            {
                All = p.GetValue(all),
                Quiet = p.GetValue(quiet),
                Latest = p.GetValue(latest),
                Last = p.GetValue(last),
                NoTrunc = p.GetValue(noTrunc),
                Size = p.GetValue(size),
                Filters = p.GetValue(filter) ?? [],
                Format = p.GetValue(format),
            }, Console.Out, DateTimeOffset.UtcNow);
        });
}
