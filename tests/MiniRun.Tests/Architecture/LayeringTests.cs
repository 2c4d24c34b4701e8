// LayeringTests: the three layers stay apart in the source tree - the runtime core references
// neither the engine nor the CLI; the engine never throws or names the CLI's types, and never
// prints (the CLI prints). A file that breaks the rule is named in the failure.
using System.Text.RegularExpressions;
using Xunit;

namespace MiniRun.Tests.Architecture;

public sealed class LayeringTests
{
    private static readonly string Repo = FindRepo();

    private static string FindRepo()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MiniRun.sln"))) return dir.FullName;
        throw new InvalidOperationException("MiniRun.sln not found above " + AppContext.BaseDirectory);
    }

    private static IEnumerable<string> Sources(string folder) =>
        Directory.EnumerateFiles(Path.Combine(Repo, folder), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/obj/") && !f.Contains("/bin/"));

    [Fact]
    public void The_runtime_core_references_no_other_MiniRun_project_and_no_engine_namespace()
    {
        string project = File.ReadAllText(Path.Combine(Repo, "src/MiniRun.Runtime/MiniRun.Runtime.csproj"));
        foreach (Match m in Regex.Matches(project, "ProjectReference Include=\"([^\"]+)\""))
            Assert.Contains("MiniJson", m.Groups[1].Value);
        var offenders = Sources("src/MiniRun.Runtime")
            .Where(f => Regex.IsMatch(File.ReadAllText(f), @"\b(MiniRun\.Cli|MiniRun\.Engine|MiniRun\.Containers|MiniRun\.Supervisor|MiniImage)\b"))
            .ToList();
        Assert.Empty(offenders);
    }

    [Fact]
    public void The_engine_never_uses_the_CLI_types_and_never_prints()
    {
        string[] engine = ["Engine", "Containers", "Supervisor", "Health", "Spec", "Cgroups", "Terminal"];
        var cli = new List<string>();
        var printing = new List<string>();
        foreach (string folder in engine)
        {
            string path = Path.Combine("src/MiniRun", folder);
            if (!Directory.Exists(Path.Combine(Repo, path))) continue;
            foreach (string f in Sources(path))
            {
                string text = File.ReadAllText(f);
                if (Regex.IsMatch(text, @"\bCliError\b|\bMiniRun\.Cli\b|\bnamespace MiniRun\.Cli\b")) cli.Add(f);
                if (Regex.IsMatch(text, @"\bConsole\.(Write|WriteLine|Out|Error)\b")) printing.Add(f);
            }
        }
        Assert.Empty(cli);
        Assert.Empty(printing);
    }
}
