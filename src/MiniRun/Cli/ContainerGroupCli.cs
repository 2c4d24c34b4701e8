// ContainerGroupCli: Docker's management command `container`: `container ls|run|create|start|
// stop|kill|rm|exec|logs|inspect|cp|diff|commit|export|top|stats|port|prune|rename|restart|wait|
// attach|pause|unpause|update`, each the same verb as its top-level twin (`container ls` is
// `ps`, `container inspect` is `inspect --type container`), plus `container prune`.
//
// Why: the course writes `docker container exec -ti web sh` and `docker container stop web`. The
// group is made by asking each verb's builder for a fresh command and keeping the container
// verbs, so a flag added to a verb appears in both places and the two can never drift apart.
// Follows: docker-container(1) and its subcommands, docker-container-prune(1).
using System.CommandLine;
using MiniRun.Containers;
using MiniRun.Engine;

namespace MiniRun.Cli;

public static class ContainerGroupCli
{
    /// <summary>The top-level verbs that are also `container` subcommands (Docker's list).</summary>
    private static readonly HashSet<string> Verbs =
    [
        "run", "create", "start", "stop", "kill", "rm", "exec", "logs", "cp", "diff", "commit", "export", "top",
        "stats", "port", "rename", "restart", "wait", "attach", "pause", "unpause", "update",
    ];

    public static Command Build(Option<string> rootOption, Option<bool> debugOption)
    {
        var group = new Command("container", "Manage containers");
        var ls = PsCli.Build(rootOption, debugOption, "ls");
        ls.Aliases.Add("ps");
        ls.Aliases.Add("list");
        group.Subcommands.Add(ls);
        group.Subcommands.Add(InspectCli.Inspect("inspect", InspectCli.Only.Containers, rootOption, debugOption));
        var verbs = new List<Command> { RunCli.Build(rootOption, debugOption) };
        verbs.AddRange(ContainerCli.Build(rootOption, debugOption));
        verbs.AddRange(LifecycleCli.Build(rootOption, debugOption));
        verbs.AddRange(ExecCli.Build(rootOption, debugOption));
        verbs.AddRange(InspectCli.Build(rootOption, debugOption));
        verbs.AddRange(FilesystemCli.Build(rootOption, debugOption));
        verbs.AddRange(CgroupCli.Build(rootOption, debugOption));
        verbs.AddRange(NetworkCli.Build(rootOption, debugOption));
        foreach (var verb in verbs.Where(v => Verbs.Contains(v.Name)).OrderBy(v => v.Name, StringComparer.Ordinal))
            group.Subcommands.Add(verb);
        group.Subcommands.Add(Prune(rootOption, debugOption));
        return group;
    }

    private static Command Prune(Option<string> rootOption, Option<bool> debugOption) =>
        Program.Verb("prune", "Remove all stopped containers", rootOption, debugOption, cmd =>
        {
            var force = new Option<bool>("--force", "-f") { Description = "Do not prompt for confirmation" };
            var filter = FilterOption.Create("Provide filter values (e.g. 'until=<timestamp>', 'label=KEY')", shorthand: false);
            cmd.Options.Add(force);
            cmd.Options.Add(filter);
            return p => RunPrune(p.GetValue(rootOption)!, p.GetValue(filter) ?? [], p.GetValue(force), Console.Out, Console.In);
        });

    public static int RunPrune(string root, IReadOnlyList<string> filters, bool force, TextWriter stdout, TextReader stdin)
    {
        RunCommand.RequireRoot("container prune");
        ContainerPrune.Filters(filters, DateTimeOffset.UtcNow);   // a bad filter fails before the question
        if (!force && !Confirm("WARNING! This will remove all stopped containers.", stdout, stdin)) return 0;
        var result = Directory.Exists(Path.Combine(root, "containers"))
            ? ContainerPrune.Prune(new ContainerStore(root), filters, DateTimeOffset.UtcNow)
            : new ContainerPruneResult([], 0);
        if (result.Deleted.Count > 0)
        {
            stdout.WriteLine("Deleted Containers:");
            foreach (var id in result.Deleted) stdout.WriteLine(id);
            stdout.WriteLine();
        }
        stdout.WriteLine($"Total reclaimed space: {HumanFormat.Size(result.ReclaimedBytes)}");
        return 0;
    }

    /// <summary>Docker's prune question; true for y/yes. A refusal prints the newline Docker prints.</summary>
    public static bool Confirm(string warning, TextWriter stdout, TextReader stdin)
    {
        stdout.Write(warning + "\nAre you sure you want to continue? [y/N] ");
        stdout.Flush();
        string answer = (stdin.ReadLine() ?? "").Trim();
        if (answer is "y" or "Y" or "yes" or "Yes" or "YES") return true;
        stdout.WriteLine();
        return false;
    }
}
