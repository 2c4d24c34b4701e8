// CliSurfaceTests: help, usage, unknown commands and flags, missing arguments and --version
// through the real binary; each expectation is Docker's output with "docker" read as "minirun".
namespace MiniRun.Tests.Integration;

public sealed class CliSurfaceTests : IDisposable
{
    private readonly MiniRunHost _host = new();

    public void Dispose() => _host.Dispose();

    [Fact]
    public void NoCommand_PrintsGroupedUsage_Exit0()
    {
        var r = _host.Run();
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith("\nUsage:  minirun [OPTIONS] COMMAND\n\n", r.Stdout);
        Assert.Contains("\nCommon Commands:\n  run         Create and run a new container from an image\n", r.Stdout);
        Assert.Contains("\nManagement Commands:\n  compose     ", r.Stdout);
        Assert.Contains("\n  container   Manage containers\n", r.Stdout);
        Assert.Contains("\nCommands:\n  attach      ", r.Stdout);
        Assert.Contains("\nGlobal Options:\n", r.Stdout);
        Assert.Equal(r.Stdout, _host.Run("--help").Stdout);
    }

    [Fact]
    public void UnknownCommand_DockersWording_Exit1()
    {
        var r = _host.Run("frobnicate");
        Assert.Equal((1, "", "minirun: 'frobnicate' is not a minirun command.\nSee 'minirun --help'\n"), (r.ExitCode, r.Stdout, r.Stderr));
        var group = _host.Run("image");
        Assert.Equal(0, group.ExitCode);
        Assert.StartsWith("\nUsage:  minirun image COMMAND\n\nManage images\n\nCommands:\n", group.Stdout);
    }

    [Fact]
    public void UnknownFlag_Exit125_MissingArgument_Exit1_WithUsage()
    {
        var flag = _host.Run("ps", "--frob");
        Assert.Equal((125, "unknown flag: --frob\nSee 'minirun ps --help'.\n"), (flag.ExitCode, flag.Stderr));
        var shorthand = _host.Run("ps", "-z");
        Assert.Equal((125, "unknown shorthand flag: 'z' in -z\nSee 'minirun ps --help'.\n"), (shorthand.ExitCode, shorthand.Stderr));

        var run = _host.Run("run");
        Assert.Equal(1, run.ExitCode);
        Assert.Equal("\"minirun run\" requires at least 1 argument.\nSee 'minirun run --help'.\n\n" +
                     "Usage:  minirun run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nCreate and run a new container from an image\n", run.Stderr);
        var rename = _host.Run("rename", "only-one");
        Assert.Equal(1, rename.ExitCode);
        Assert.StartsWith("\"minirun rename\" requires exactly 2 arguments.\n", rename.Stderr);
        var value = _host.Run("ps", "-n", "abc");
        Assert.Equal((125, "invalid argument \"abc\" for \"-n, --last\" flag: strconv.ParseInt: parsing \"abc\": invalid syntax\nSee 'minirun ps --help'.\n"),
            (value.ExitCode, value.Stderr));
        var ps = _host.Run("ps", "extra");
        Assert.Equal(1, ps.ExitCode);
        Assert.StartsWith("\"minirun ps\" accepts no arguments.\n", ps.Stderr);
        // a flag given last without its value: pflag's words, a flag error (exit 125)
        var noValue = _host.Run("ps", "--filter");
        Assert.Equal((125, "flag needs an argument: --filter\nSee 'minirun ps --help'.\n"), (noValue.ExitCode, noValue.Stderr));
        var noShort = _host.Run("ps", "-n");
        Assert.Equal((125, "flag needs an argument: 'n' in -n\nSee 'minirun ps --help'.\n"), (noShort.ExitCode, noShort.Stderr));
    }

    [Fact]
    public void HelpPages_StartWithDockersUsageLine()
    {
        var run = _host.Run("run", "--help");
        Assert.Equal(0, run.ExitCode);
        Assert.StartsWith("\nUsage:  minirun run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nCreate and run a new container from an image\n\nOptions:\n", run.Stdout);
        Assert.Matches("\n  -i, --interactive +Keep STDIN open and connect it to the container\n", run.Stdout);

        var rm = _host.Run("rm", "--help");
        Assert.StartsWith("\nUsage:  minirun rm [OPTIONS] CONTAINER [CONTAINER...]\n", rm.Stdout);
        var ls = _host.Run("container", "ls", "--help");
        Assert.StartsWith("\nUsage:  minirun container ls [OPTIONS]\n\nList containers\n\nAliases:\n  minirun container ls, ", ls.Stdout);
        Assert.Contains("      --format string   ", ls.Stdout);
        Assert.Contains("  -n, --last int   ", ls.Stdout);
    }

    /// <summary>Issue 13's lists of Docker's management commands: every subcommand exists (its help page, exit 0).</summary>
    public static TheoryData<string, string> GroupSubcommands()
    {
        var data = new TheoryData<string, string>();
        foreach (string verb in ("ls run create start stop kill rm exec logs inspect cp diff commit export top stats port prune " +
                                 "rename restart wait attach pause unpause update").Split(' '))
            data.Add("container", verb);
        foreach (string verb in "ls pull push rm tag inspect history save load build prune".Split(' ')) data.Add("image", verb);
        foreach (string verb in "create ls inspect rm prune".Split(' ')) data.Add("volume", verb);
        foreach (string verb in "df prune".Split(' ')) data.Add("system", verb);
        return data;
    }

    [Theory]
    [MemberData(nameof(GroupSubcommands))]
    public void GroupSubcommand_Exists(string group, string verb)
    {
        var r = _host.Run(group, verb, "--help");
        Assert.True(r.ExitCode == 0, $"{group} {verb} --help: {r.ExitCode} {r.Stderr}");
        Assert.StartsWith($"\nUsage:  minirun {group} {verb} ", r.Stdout);
    }

    [Fact]
    public void UnknownGroupSubcommand_IsOneLine()
    {
        foreach (string group in new[] { "container", "image", "volume", "system" })
        {
            var r = _host.Run(group, "frobnicate");
            Assert.True(r.ExitCode != 0, $"{group} frobnicate exited 0");
            Assert.DoesNotContain("Unrecognized command", r.Stderr);
            Assert.True(r.Stderr.TrimEnd().Split('\n').Length <= 2, $"{group} frobnicate: {r.Stderr}");
        }
    }

    [Fact]
    public void Version_Flag_AndRmForceOfAMissingContainer()
    {
        var v = _host.Run("--version");
        Assert.Equal(0, v.ExitCode);
        Assert.Matches("^MiniRun version 0\\.1\\.0, build [0-9a-f]{7}\n$", v.Stdout);

        var rm = _host.Run("rm", "-f", "no-such-container");
        Assert.Equal(0, rm.ExitCode);   // Docker: the error is printed, the status is 0 (cleanup scripts)
        Assert.Contains("No such container: no-such-container", rm.Stderr);
        Assert.Equal(1, _host.Run("rm", "no-such-container").ExitCode);
    }
}
