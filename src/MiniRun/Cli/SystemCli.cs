// SystemCli: the `system` group: `system df` (disk usage of images, containers, local volumes
// and the build cache, Docker's table) and `system prune` (Docker's question, then the removed
// containers, networks, volumes and images, and the space reclaimed). The counting and removing
// is Engine/SystemCommands.cs; `system info` is `info` (Cli/InfoCommand.cs), also built here with
// `version`; `system events` says in one line that MiniRun lacks it.
// Follows: docker-system-df(1), docker-system-prune(1) (texts of docker/cli's prune command).
using System.CommandLine;
using MiniRun.Engine;

namespace MiniRun.Cli;

public static class SystemCli
{
    public static Command Build(Option<string> rootOption, Option<bool> debugOption)
    {
        var group = new Command("system", "Manage MiniRun");
        group.Subcommands.Add(Program.Verb("df", "Show disk usage", rootOption, debugOption, cmd =>
        {
            var verbose = new Option<bool>("--verbose", "-v") { Description = "Show detailed information on space usage (not implemented)" };
            var format = new Option<string?>("--format") { Description = "Format output using a custom template (not implemented)" };
            cmd.Options.Add(verbose);
            cmd.Options.Add(format);
            return p =>
            {
                if (p.GetValue(verbose)) throw new CliError("system df: --verbose is not implemented (the four totals are)", 1);
                if (p.GetValue(format) is not null) throw new CliError("system df: --format is not implemented (the table is)", 1);
                return Df(p.GetValue(rootOption)!, Console.Out);
            };
        }));
        group.Subcommands.Add(Program.Verb("prune", "Remove unused data", rootOption, debugOption, cmd =>
        {
            var all = new Option<bool>("--all", "-a") { Description = "Remove all unused images not just dangling ones" };
            var force = new Option<bool>("--force", "-f") { Description = "Do not prompt for confirmation" };
            var volumes = new Option<bool>("--volumes") { Description = "Prune anonymous volumes" };
            var filter = FilterOption.Create("Provide filter values (not implemented; container prune has until= and label=)", shorthand: false);
            foreach (var o in new Option[] { all, force, volumes, filter }) cmd.Options.Add(o);
            return p =>
            {
                if ((p.GetValue(filter) ?? []).Length > 0)
                    throw new CliError("system prune: --filter is not implemented (container prune --filter is)", 1);
                return Prune(p.GetValue(rootOption)!, p.GetValue(all), p.GetValue(volumes), p.GetValue(force), Console.Out, Console.In);
            };
        }));
        group.Subcommands.Add(Info(rootOption, debugOption));
        group.Subcommands.Add(Program.Verb("events", "Get real time events from the server (not implemented)", rootOption, debugOption, _ =>
            _ => throw new CliError("system events is not implemented in MiniRun", 1)));
        return group;
    }

    /// <summary>`info` and `system info` (InfoCommand).</summary>
    public static Command Info(Option<string> rootOption, Option<bool> debugOption) =>
        Program.Verb("info", "Display system-wide information", rootOption, debugOption, cmd =>
        {
            var format = new Option<string?>("--format", "-f") { Description = "Format output using a custom template: 'json' or a Go template" };
            cmd.Options.Add(format);
            return p => InfoCommand.Info(p.GetValue(rootOption)!, p.GetValue(format), p.GetValue(debugOption), Console.Out, Console.Error);
        });

    /// <summary>`version` (InfoCommand).</summary>
    public static Command Version(Option<string> rootOption, Option<bool> debugOption) =>
        Program.Verb("version", "Show the MiniRun version information", rootOption, debugOption, cmd =>
        {
            var format = new Option<string?>("--format", "-f") { Description = "Format output using a custom template: 'json' or a Go template" };
            cmd.Options.Add(format);
            return p => InfoCommand.VersionCmd(p.GetValue(format), Console.Out);
        });

    public static int Df(string root, TextWriter stdout)
    {
        var rows = SystemCommands.DiskUsage(root);
        stdout.Write(HumanFormat.Table(["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"], rows.Select(r => (IReadOnlyList<string>)
            [r.Type, r.Total.ToString(), r.Active.ToString(), HumanFormat.Size(r.Size), Reclaimable(r)])));
        return 0;
    }

    /// <summary>Docker's RECLAIMABLE cell: "1.2MB (40%)", or the size alone when the total is zero.</summary>
    public static string Reclaimable(DiskUsageRow r) =>
        r.Size > 0 ? $"{HumanFormat.Size(r.Reclaimable)} ({r.Reclaimable * 100 / r.Size}%)" : HumanFormat.Size(r.Reclaimable);

    public static int Prune(string root, bool all, bool volumes, bool force, TextWriter stdout, TextReader stdin)
    {
        RunCommand.RequireRoot("system prune");
        if (!force)
        {
            var warnings = new List<string> { "all stopped containers", "all networks not used by at least one container" };
            if (volumes) warnings.Add("all anonymous volumes not used by at least one container");
            warnings.Add(all ? "all images without at least one container associated to them" : "all dangling images");
            warnings.Add(all ? "all build cache" : "unused build cache");
            string warning = "WARNING! This will remove:\n" + string.Concat(warnings.Select(w => $"  - {w}\n"));
            if (!ContainerGroupCli.Confirm(warning, stdout, stdin)) return 0;
        }
        var result = SystemCommands.Prune(root, all, volumes);
        Section(stdout, "Deleted Containers:", result.Containers);
        Section(stdout, "Deleted Networks:", result.Networks);
        Section(stdout, "Deleted Volumes:", result.Volumes);
        Section(stdout, "Deleted Images:", result.Images.Select(e => e.Deleted ? $"deleted: {e.Subject}" : $"untagged: {e.Subject}").ToList());
        stdout.WriteLine($"Total reclaimed space: {HumanFormat.Size(result.ReclaimedBytes)}");
        return 0;
    }

    private static void Section(TextWriter stdout, string title, IReadOnlyList<string> lines)
    {
        if (lines.Count == 0) return;
        stdout.WriteLine(title);
        foreach (string line in lines) stdout.WriteLine(line);
        stdout.WriteLine();
    }
}
