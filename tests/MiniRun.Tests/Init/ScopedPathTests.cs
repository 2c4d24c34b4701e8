// ScopedPathTests: symlinks in an image never lead a mount target outside the rootfs.
using MiniRun.Init;

namespace MiniRun.Tests.Init;

public sealed class ScopedPathTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("minirun-scoped-").FullName;
    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void PlainPathStaysUnderRoot() => Assert.Equal(Path.Combine(_root, "etc/hosts"), ScopedPath.Resolve(_root, "/etc/hosts"));

    [Fact]
    public void AbsoluteSymlinkRestartsAtTheRootfs()
    {
        Directory.CreateDirectory(Path.Combine(_root, "real"));
        File.CreateSymbolicLink(Path.Combine(_root, "proc"), "/real");
        Assert.Equal(Path.Combine(_root, "real"), ScopedPath.Resolve(_root, "/proc"));
    }

    [Fact]
    public void DotDotCannotClimbAboveTheRootfs()
    {
        File.CreateSymbolicLink(Path.Combine(_root, "escape"), "../../../../etc");
        Assert.Equal(Path.Combine(_root, "etc/passwd"), ScopedPath.Resolve(_root, "/escape/passwd"));
        Assert.Equal(Path.Combine(_root, "x"), ScopedPath.Resolve(_root, "/../../x"));
    }

    [Fact]
    public void SymlinkLoopsAreRefused()
    {
        File.CreateSymbolicLink(Path.Combine(_root, "a"), "/b");
        File.CreateSymbolicLink(Path.Combine(_root, "b"), "/a");
        Assert.Throws<IOException>(() => ScopedPath.Resolve(_root, "/a/x"));
    }
}
