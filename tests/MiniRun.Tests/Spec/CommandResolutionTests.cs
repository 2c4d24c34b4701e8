// Tests of CommandResolution: Docker's ENTRYPOINT / CMD / --entrypoint / COMMAND combinations.
using MiniRun.Spec;

namespace MiniRun.Tests.Spec;

public class CommandResolutionTests
{
    private static readonly string[] Ep = { "/entry.sh", "--flag" };
    private static readonly string[] Cmd = { "serve", "--port", "80" };

    [Fact]
    public void ImageEntrypointPlusImageCmd() =>
        Assert.Equal(new[] { "/entry.sh", "--flag", "serve", "--port", "80" }, CommandResolution.Resolve(Ep, Cmd, null, null));

    [Fact]
    public void CommandReplacesImageCmdButKeepsEntrypoint() =>
        Assert.Equal(new[] { "/entry.sh", "--flag", "ls", "-l" }, CommandResolution.Resolve(Ep, Cmd, null, new[] { "ls", "-l" }));

    [Fact]
    public void CmdOnlyImage() =>
        Assert.Equal(Cmd, CommandResolution.Resolve(null, Cmd, null, new List<string>()));

    [Fact]
    public void CmdOnlyImageWithCommand() =>
        Assert.Equal(new[] { "sh" }, CommandResolution.Resolve(null, Cmd, null, new[] { "sh" }));

    [Fact]
    public void EntrypointFlagDropsImageEntrypointAndImageCmd() =>
        Assert.Equal(new[] { "/bin/sh" }, CommandResolution.Resolve(Ep, Cmd, "/bin/sh", null));

    [Fact]
    public void EntrypointFlagIsNotSplit() =>
        Assert.Equal(new[] { "/bin/sh -c" }, CommandResolution.Resolve(null, null, "/bin/sh -c", null));

    [Fact]
    public void EntrypointFlagPlusCommand() =>
        Assert.Equal(new[] { "/bin/sh", "-c", "echo hi" }, CommandResolution.Resolve(Ep, Cmd, "/bin/sh", new[] { "-c", "echo hi" }));

    [Fact]
    public void EmptyEntrypointFlagClearsEntrypointAndUsesCommand() =>
        Assert.Equal(new[] { "ls", "/" }, CommandResolution.Resolve(Ep, Cmd, "", new[] { "ls", "/" }));

    [Fact]
    public void EmptyEntrypointFlagWithoutCommandDoesNotFallBackToImageCmd()
    {
        var e = Assert.Throws<RunConfigException>(() => CommandResolution.Resolve(Ep, Cmd, "", null));
        Assert.Equal("no command specified", e.Message);
    }

    [Fact]
    public void NothingAtAllIsAnError()
    {
        var e = Assert.Throws<RunConfigException>(() => CommandResolution.Resolve(null, null, null, new List<string>()));
        Assert.Equal("no command specified", e.Message);
        Assert.Throws<RunConfigException>(() => CommandResolution.Resolve(new List<string>(), new List<string>(), null, null));
    }

    [Fact]
    public void ImageEntrypointOfOneEmptyStringCountsAsNone()
    {
        Assert.Equal(Cmd, CommandResolution.Resolve(new[] { "" }, Cmd, null, null));
        Assert.Throws<RunConfigException>(() => CommandResolution.Resolve(new[] { "" }, null, null, null));
    }

    [Fact]
    public void EntrypointOnlyImage() =>
        Assert.Equal(Ep, CommandResolution.Resolve(Ep, null, null, null));
}
