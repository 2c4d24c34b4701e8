// Tests of EnvMerge: Docker's order and precedence of default, user and image variables.
using MiniRun.Spec;

namespace MiniRun.Tests.Spec;

public class EnvMergeTests
{
    private const string DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    [Fact]
    public void NoImageEnvGivesDefaults()
    {
        Assert.Equal(new[] { DefaultPath, "HOSTNAME=abc" }, EnvMerge.Merge(null, new List<string>(), "abc", tty: false));
        Assert.Equal(new[] { DefaultPath, "HOSTNAME=abc", "TERM=xterm" }, EnvMerge.Merge(null, new List<string>(), "abc", tty: true));
    }

    [Fact]
    public void ImagePathReplacesDefaultInFirstPosition()
    {
        var env = EnvMerge.Merge(new[] { "PATH=/opt/bin:/bin", "LANG=C.UTF-8" }, new List<string>(), "h", tty: false);
        Assert.Equal(new[] { "PATH=/opt/bin:/bin", "HOSTNAME=h", "LANG=C.UTF-8" }, env);
    }

    [Fact]
    public void UserVariablesComeBeforeImageOnlyVariablesAndOverrideImage()
    {
        var image = new[] { "PATH=/img", "A=img", "B=img" };
        var env = EnvMerge.Merge(image, new[] { "B=user", "C=user" }, "h", tty: false);
        Assert.Equal(new[] { "PATH=/img", "HOSTNAME=h", "B=user", "C=user", "A=img" }, env);
    }

    [Fact]
    public void LaterUserEntryWinsAndKeepsFirstPosition()
    {
        // env-file entries come first, -e entries later: the -e value wins.
        var env = EnvMerge.Merge(null, new[] { "A=file", "B=file", "A=flag" }, "h", tty: false);
        Assert.Equal(new[] { DefaultPath, "HOSTNAME=h", "A=flag", "B=file" }, env);
    }

    [Fact]
    public void UserCanOverrideHostnameTermAndPathInPlace()
    {
        var env = EnvMerge.Merge(new[] { "PATH=/img" }, new[] { "TERM=vt100", "HOSTNAME=mine", "PATH=/user" }, "h", tty: true);
        Assert.Equal(new[] { "PATH=/user", "HOSTNAME=mine", "TERM=vt100" }, env);
    }

    [Fact]
    public void ImageTermIsKeptWithTty()
    {
        var env = EnvMerge.Merge(new[] { "TERM=linux" }, new List<string>(), "h", tty: true);
        Assert.Equal(new[] { DefaultPath, "HOSTNAME=h", "TERM=linux" }, env);
    }

    [Fact]
    public void BareNameUnsetsImageVariable()
    {
        // `-e A` with A unset in the calling environment: Docker removes the image's A.
        var env = EnvMerge.Merge(new[] { "A=img", "B=img" }, new[] { "A" }, "h", tty: false);
        Assert.Equal(new[] { DefaultPath, "HOSTNAME=h", "B=img" }, env);
    }

    [Fact]
    public void BareNameOfUnknownVariableIsIgnored()
    {
        var env = EnvMerge.Merge(null, new[] { "NOPE" }, "h", tty: false);
        Assert.Equal(new[] { DefaultPath, "HOSTNAME=h" }, env);
    }

    [Fact]
    public void DuplicateImageVariablesCollapse()
    {
        var env = EnvMerge.Merge(new[] { "A=1", "B=2", "A=3" }, new List<string>(), "h", tty: false);
        Assert.Equal(new[] { DefaultPath, "HOSTNAME=h", "A=3", "B=2" }, env);
    }

    [Fact]
    public void EmptyValuesAreKept()
    {
        var env = EnvMerge.Merge(new[] { "A=x" }, new[] { "A=" }, "h", tty: false);
        Assert.Equal(new[] { DefaultPath, "HOSTNAME=h", "A=" }, env);
    }
}
