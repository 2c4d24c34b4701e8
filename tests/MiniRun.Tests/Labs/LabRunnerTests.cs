// LabRunnerTests: `minirun lab list` and `minirun lab run N` on a small lab written here: each
// step's command runs, its output is shown beside the expected one, agreeing steps say so, a
// differing one says so and makes the exit status 1; "<id>" keeps the value it first matched.
using MiniRun.Tests.Integration;

namespace MiniRun.Tests.Labs;

public sealed class LabRunnerTests : IDisposable
{
    private readonly string _labs = Directory.CreateTempSubdirectory("minirun-labrunner-").FullName;
    private readonly MiniRunHost _m = new();

    public LabRunnerTests()
    {
        Directory.CreateDirectory(Path.Combine(_labs, "en"));
        File.WriteAllText(Path.Combine(_labs, "en", "01-demo.md"), string.Join('\n',
            "# Lab 1: Demo", "", "```console",
            "$ echo hello", "hello",
            "$ echo id-123; echo id-123", "<id>", "<id>",
            "$ echo id-123 id-456", "<id> <id>",
            "```", "", "<!-- lab: needs /no/such/path -->", "```console", "$ echo skipped", "skipped", "```", ""));
    }

    public void Dispose()
    {
        _m.Dispose();
        Directory.Delete(_labs, recursive: true);
    }

    [Fact]
    public void Lab_list_names_each_lab_with_its_title_and_steps()
    {
        var r = _m.Run("lab", "list", "--labs", _labs, "--lang", "en");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("  1  Lab 1: Demo  (4 steps)", r.Stdout.TrimEnd());
    }

    [Fact]
    public void Lab_run_shows_expected_beside_actual_and_says_whether_they_agree()
    {
        var r = _m.Run("lab", "run", "1", "--yes", "--labs", _labs, "--lang", "en");
        Assert.Equal(1, r.ExitCode);   // one step differs
        var lines = r.Stdout.Split('\n');
        Assert.Contains("$ echo hello", lines);
        Assert.Contains(lines, l => l.StartsWith("   hello") && l.Contains(" = hello"));
        Assert.Contains(lines, l => l.StartsWith("   <id> <id>") && l.Contains(" ≠ id-123 id-456"));   // <id> is id-123 from the step before
        Assert.Equal(2, lines.Count(l => l == "   => they agree"));
        Assert.Single(lines, l => l.StartsWith("   => they differ"));
        Assert.Contains("   skipped here: this step needs /no/such/path", lines);
        Assert.Contains("2 step(s) agreed, 1 differed, 1 skipped", lines);
        Assert.All(lines, l => Assert.True(MiniRun.Trace.DisplayWidth.Of(l) <= 100, l));
    }
}
