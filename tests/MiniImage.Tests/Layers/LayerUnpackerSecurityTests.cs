// LayerUnpackerSecurityTests: hostile layers. Each must be refused with a LayerException, and
// nothing may appear outside the layer directory (the sandbox's listing and canary are checked,
// and "/" is checked for the file a traversal would have created).
//
// Why: image layers come from registries; a layer that writes outside its directory compromises
// the host (CVE-2019-14271 class, tar-slip, symlink-then-write, hardlink-to-host-file).
// Follows: OCI image-spec v1.1 layer.md; openat2(2) RESOLVE_BENEATH / RESOLVE_NO_SYMLINKS.
using System.Text;
using MiniImage.Layers;

namespace MiniImage.Tests.Layers;

public class LayerUnpackerSecurityTests : IDisposable
{
    private protected readonly LayerSandbox _box = new();
    readonly string _evil = "minirun-evil-" + Guid.NewGuid().ToString("N");
    public void Dispose() => _box.Dispose();

    void AssertRefused(byte[] tar, string messagePart)
    {
        var ex = Assert.Throws<LayerException>(() => _box.Unpack(tar));
        Assert.Contains(messagePart, ex.Message);
        Assert.StartsWith("unpack layer ", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
        _box.AssertNothingOutside();
        Assert.False(LayerSandbox.Exists("/" + _evil));
        Assert.False(LayerSandbox.Exists("/etc/" + _evil));
        Assert.False(LayerSandbox.Exists(Path.Combine(Path.GetTempPath(), _evil)));
    }

    [Fact]
    public void DotDotAtTheStartIsRefused() =>
        AssertRefused(new TestTarWriter().File("../" + _evil, "x").Finish(), "escapes the layer directory");

    [Fact]
    public void DotDotThatClimbsOutIsRefused() =>
        AssertRefused(new TestTarWriter().File("a/../../" + _evil, "x").Finish(), "escapes the layer directory");

    [Fact]
    public void DeepDotDotToOutsideIsRefused() =>
        AssertRefused(new TestTarWriter().File("a/b/../../../outside/" + _evil, "x").Finish(), "escapes the layer directory");

    [Fact]
    public void AbsolutePathIsCleanedToRelative()
    {
        _box.Unpack(new TestTarWriter().File("/etc/" + _evil, "x").File("/../" + _evil + "2", "y").Finish());
        Assert.Equal("x", File.ReadAllText(_box.T("etc/" + _evil)));
        Assert.Equal("y", File.ReadAllText(_box.T(_evil + "2"))); // "/.." is "/" (as in filepath.Clean)
        Assert.False(LayerSandbox.Exists("/etc/" + _evil));
        _box.AssertNothingOutside();
    }

    [Fact]
    public void WritingThroughSymlinkToRootIsRefused() =>
        AssertRefused(new TestTarWriter().Symlink("link", "/").File("link/" + _evil, "x").Finish(), "goes through a symlink");

    [Fact]
    public void WritingThroughSymlinkToParentIsRefused() =>
        AssertRefused(new TestTarWriter().Symlink("link", "..").File("link/outside/" + _evil, "x").Finish(), "goes through a symlink");

    [Fact]
    public void WritingThroughDeepSymlinkIsRefused() =>
        AssertRefused(new TestTarWriter().Dir("a/").Symlink("a/link", _box.Outside).Dir("a/link/sub/").Finish(), "goes through a symlink");

    [Fact]
    public void DirectoryEntryThroughSymlinkIsRefused() =>
        AssertRefused(new TestTarWriter().Symlink("link", _box.Outside).Dir("link/" + _evil + "/").Finish(), "goes through a symlink");

    [Fact]
    public void HardlinkToHostPasswdIsRefused() =>
        AssertRefused(new TestTarWriter().HardLink("passwd", "../../etc/passwd").Finish(), "escapes the layer directory");

    [Fact]
    public void HardlinkThroughSymlinkIsRefused() =>
        AssertRefused(new TestTarWriter().Symlink("link", _box.Outside).HardLink("stolen", "link/canary").Finish(), "not reachable inside the layer");

    [Fact]
    public void HardlinkThroughSymlinkToRootIsRefused() =>
        AssertRefused(new TestTarWriter().Symlink("etc", "/etc").HardLink("pw", "etc/passwd").Finish(), "not reachable inside the layer");

    [Fact]
    public void HardlinkToMissingTargetIsRefused() =>
        AssertRefused(new TestTarWriter().HardLink("x", "nothing-here").Finish(), "does not exist");

    [Fact]
    public void HardLinkIntoAMissingDirectorySaysItDoesNotExist() =>
        AssertRefused(new TestTarWriter().HardLink("x", "no-dir/file").Finish(),
            "is a hardlink to \"no-dir/file\", which does not exist in the layer (its directory does not)");

    [Fact]
    public void HardLinkBelowAFileSaysItsParentIsNotADirectory() =>
        AssertRefused(new TestTarWriter().File("f", "x").HardLink("x", "f/file").Finish(),
            "which does not exist in the layer (a parent of it is not a directory)");

    [Fact]
    public void DeviceNodeThatEscapesIsRefused() =>
        AssertRefused(new TestTarWriter().CharDevice("../" + _evil, 1, 3).Finish(), "escapes the layer directory");

    [Fact]
    public void DeviceNodeThroughSymlinkIsRefused() =>
        AssertRefused(new TestTarWriter().Symlink("d", _box.Outside).Fifo("d/" + _evil).Finish(), "goes through a symlink");

    [Fact]
    public void WhiteoutThatEscapesIsRefused() =>
        AssertRefused(new TestTarWriter().File("../.wh." + _evil, "").Finish(), "escapes the layer directory");

    [Fact]
    public void WhiteoutThroughSymlinkIsRefused() =>
        AssertRefused(new TestTarWriter().Symlink("d", _box.Outside).File("d/.wh.canary", "").Finish(), "goes through a symlink");

    [Fact]
    public void OpaqueMarkerThroughSymlinkIsRefused()
    {
        AssertRefused(new TestTarWriter().Symlink("d", _box.Outside).File("d/.wh..wh..opq", "").Finish(), "goes through a symlink");
        Assert.Null(LayerSandbox.GetXattr(_box.Outside, "trusted.overlay.opaque"));
    }

    [Fact]
    public void WhiteoutOfDotDotIsRefused() =>
        AssertRefused(new TestTarWriter().File("a/.wh..", "").Finish(), "whiteout without a valid name");

    [Fact]
    public void PaxPathThatEscapesIsRefused() =>
        AssertRefused(new TestTarWriter().Pax(("path", Encoding.UTF8.GetBytes("ok/../../" + _evil))).File("harmless", "x").Finish(),
            "escapes the layer directory");

    [Fact]
    public void GnuLongNameThatEscapesIsRefused() =>
        AssertRefused(new TestTarWriter().GnuLongName("../" + _evil).Entry((byte)'0', "harmless", "x"u8.ToArray(), gnu: true).Finish(),
            "escapes the layer directory");

    [Fact]
    public void NulInPaxPathIsRefused() =>
        AssertRefused(new TestTarWriter().Pax(("path", [.. "ok"u8, 0, .. "../x"u8])).File("harmless", "x").Finish(), "NUL");

    [Fact]
    public void FileUnderARegularFileIsRefused() =>
        AssertRefused(new TestTarWriter().File("f", "x").File("f/g", "y").Finish(), "not a directory");

    [Fact]
    public void UnknownEntryTypeIsRefused() =>
        AssertRefused(new TestTarWriter().Entry((byte)'S', "sparse", []).Finish(), "unsupported tar entry type");

    [Fact]
    public void ReplacingASymlinkWithAFileDoesNotWriteThroughIt()
    {
        _box.Unpack(new TestTarWriter().Symlink("s", _box.Canary).File("s", "mine").Finish());
        Assert.Equal("mine", File.ReadAllText(_box.T("s")));
        _box.AssertNothingOutside();
    }

    [Fact]
    public void ReplacingASymlinkWithADirectoryDoesNotFollowIt()
    {
        _box.Unpack(new TestTarWriter().Symlink("s", _box.Outside).Dir("s/", mode: 0x1c0).File("s/x", "x").Finish());
        Assert.Equal(0x4000u, LayerSandbox.Type(LayerSandbox.Lstat(_box.T("s"))));
        Assert.Equal("x", File.ReadAllText(_box.T("s/x")));
        Assert.Equal(0x1edu, LayerSandbox.Perm(LayerSandbox.Lstat(_box.Outside)));
        _box.AssertNothingOutside();
    }

    [Fact]
    public void ChmodOfSymlinkEntryDoesNotTouchItsTarget()
    {
        var before = LayerSandbox.Perm(LayerSandbox.Lstat(_box.Canary));
        _box.Unpack(new TestTarWriter().Entry((byte)'2', "s", [], link: _box.Canary, mode: 0xfff, uid: 1234).Finish());
        var after = LayerSandbox.Lstat(_box.Canary);
        Assert.Equal(before, LayerSandbox.Perm(after));
        Assert.Equal(0u, (uint)after.st_uid);
        _box.AssertNothingOutside();
    }
}

/// The same hostile layers with the openat2 fast path switched off (kernels before 5.6, seccomp
/// profiles that return ENOSYS): the component-by-component openat(O_NOFOLLOW) walk must refuse
/// them too.
public sealed class LayerUnpackerSecurityWalkTests : LayerUnpackerSecurityTests
{
    public LayerUnpackerSecurityWalkTests() => _box.UseOpenat2 = false;
}
