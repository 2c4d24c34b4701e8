// Tests of EnvFile: Docker's --env-file format and `-e` resolution.
using MiniRun.Spec;

namespace MiniRun.Tests.Spec;

public class EnvFileTests
{
    private static string? Lookup(string name) => name switch
    {
        "HOSTVAR" => "from-host",
        "EMPTYVAR" => "",
        _ => null,
    };

    [Fact]
    public void ParsesValuesCommentsBlankLinesAndKeepsQuotes()
    {
        string text = "# a comment\n\nA=1\n   B=two words  \n\t# indented comment\nC=\"quoted\"\nD='single'\nE=\nF=x=y\n";
        var env = EnvFile.Parse(text, "f.env", Lookup);
        Assert.Equal(new[] { "A=1", "B=two words  ", "C=\"quoted\"", "D='single'", "E=", "F=x=y" }, env);
    }

    [Fact]
    public void NameAloneTakesValueFromCallingEnvironmentOrIsSkipped()
    {
        var env = EnvFile.Parse("HOSTVAR\nMISSING\nEMPTYVAR\n  HOSTVAR\n", "f.env", Lookup);
        Assert.Equal(new[] { "HOSTVAR=from-host", "EMPTYVAR=", "HOSTVAR=from-host" }, env);
    }

    [Fact]
    public void CrLfLineEndingsAndBomAreDropped()
    {
        var env = EnvFile.Parse("\uFEFFA=1\r\nB=2\r\n", "f.env", Lookup);
        Assert.Equal(new[] { "A=1", "B=2" }, env);
    }

    [Fact]
    public void WhitespaceInNameIsAnErrorWithFileAndLine()
    {
        var e = Assert.Throws<RunConfigException>(() => EnvFile.Parse("A=1\n# c\nMY VAR=2\n", "/tmp/x.env", Lookup));
        Assert.Contains("/tmp/x.env", e.Message);
        Assert.Contains("line 3", e.Message);
        Assert.Contains("MY VAR", e.Message);
    }

    [Fact]
    public void TrailingWhitespaceAfterBareNameIsAnError()
    {
        var e = Assert.Throws<RunConfigException>(() => EnvFile.Parse("HOSTVAR \n", "f.env", Lookup));
        Assert.Contains("line 1", e.Message);
    }

    [Fact]
    public void SpaceBeforeEqualsIsAnError()
    {
        var e = Assert.Throws<RunConfigException>(() => EnvFile.Parse("\nA =1\n", "f.env", Lookup));
        Assert.Contains("line 2", e.Message);
    }

    [Fact]
    public void EmptyNameIsAnErrorWithFileAndLine()
    {
        var e = Assert.Throws<RunConfigException>(() => EnvFile.Parse("A=1\nB=2\n=x\n", "my.env", Lookup));
        Assert.Contains("my.env", e.Message);
        Assert.Contains("line 3", e.Message);
    }

    [Fact]
    public void ReadFromDiskAndReportMissingFile()
    {
        using var dir = new SpecTempDir();
        string f = dir.File("a.env", "X=1\nHOSTVAR\n");
        Assert.Equal(new[] { "X=1", "HOSTVAR=from-host" }, EnvFile.Read(f, Lookup));

        string missing = Path.Combine(dir.Path, "nope.env");
        var e = Assert.Throws<RunConfigException>(() => EnvFile.Read(missing, Lookup));
        Assert.Contains(missing, e.Message);
    }

    [Fact]
    public void InvalidUtf8IsAnErrorWithLine()
    {
        using var dir = new SpecTempDir();
        string f = Path.Combine(dir.Path, "bad.env");
        File.WriteAllBytes(f, new byte[] { (byte)'A', (byte)'=', (byte)'1', (byte)'\n', (byte)'B', (byte)'=', 0xff, (byte)'\n' });
        var e = Assert.Throws<RunConfigException>(() => EnvFile.Read(f, Lookup));
        Assert.Contains("line 2", e.Message);
        Assert.Contains(f, e.Message);
    }

    [Fact]
    public void ResolveFlag()
    {
        Assert.Equal("A=1", EnvFile.ResolveFlag("A=1", Lookup));
        Assert.Equal("A=", EnvFile.ResolveFlag("A=", Lookup));
        Assert.Equal("HOSTVAR=from-host", EnvFile.ResolveFlag("HOSTVAR", Lookup));
        Assert.Equal("EMPTYVAR=", EnvFile.ResolveFlag("EMPTYVAR", Lookup));
        // Unset: kept bare, which EnvMerge treats as "unset this variable".
        Assert.Equal("MISSING", EnvFile.ResolveFlag("MISSING", Lookup));
        Assert.Throws<RunConfigException>(() => EnvFile.ResolveFlag("=x", Lookup));
        Assert.Throws<RunConfigException>(() => EnvFile.ResolveFlag("", Lookup));
    }

    [Fact]
    public void UserEnvIsFilesInOrderThenFlagsInOrder()
    {
        using var dir = new SpecTempDir();
        var o = new RunOptions
        {
            EnvFiles = { dir.File("1.env", "A=file1\nB=file1\n"), dir.File("2.env", "A=file2\n") },
            Env = { "B=flag", "HOSTVAR" },
        };
        Assert.Equal(new[] { "A=file1", "B=file1", "A=file2", "B=flag", "HOSTVAR=from-host" }, EnvFile.UserEnv(o, Lookup));
    }
}
