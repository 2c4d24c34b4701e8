// LayerUnpackerTests: what a layer unpacks into: file contents, modes (setuid, sticky), owners,
// times, symlinks, hardlinks, devices, fifos, overlayfs whiteouts and opaque directories, binary
// xattrs, replacement of earlier entries, long names, and the diff id and size reported.
//
// Why: the unpacked directory becomes a container's root filesystem; every bit of metadata must
// match the archive. Needs root (chown, mknod, trusted.* xattrs), as the project's tests do.
// Follows: OCI image-spec v1.1 layer.md; POSIX.1-2017 pax(1).
using System.Security.Cryptography;
using System.Text;
using MiniImage.Layers;
using static MiniImage.Tests.Layers.LayerSandbox;

namespace MiniImage.Tests.Layers;

public sealed class LayerUnpackerTests : IDisposable
{
    readonly LayerSandbox _box = new();
    public void Dispose() => _box.Dispose();

    const uint S_IFREG = 0x8000, S_IFDIR = 0x4000, S_IFLNK = 0xa000, S_IFCHR = 0x2000, S_IFBLK = 0x6000, S_IFIFO = 0x1000;

    [Fact]
    public void RegularFilesKeepContentModeOwnerAndSetuid()
    {
        byte[] tar = new TestTarWriter()
            .Dir("etc/", uid: 0, gid: 0)
            .File("etc/hello.txt", "hello world\n", mode: 0x1a4, uid: 1000, gid: 1000)
            .Dir("bin/")
            .File("bin/su", "#!binary", mode: 0x9ed /* 04755 */)
            .File("bin/sg", "x", mode: 0x5ed /* 02755 */, gid: 42)
            .Dir("tmp/", mode: 0x3ff /* 01777 */)
            .Finish();
        var result = _box.Unpack(tar);

        Assert.Equal("hello world\n", File.ReadAllText(_box.T("etc/hello.txt")));
        var st = Lstat(_box.T("etc/hello.txt"));
        Assert.Equal(S_IFREG, Type(st));
        Assert.Equal(0x1a4u, Perm(st));
        Assert.Equal(1000u, (uint)st.st_uid);
        Assert.Equal(1000u, (uint)st.st_gid);
        Assert.Equal(0x9edu, Perm(Lstat(_box.T("bin/su"))));
        Assert.Equal(0x5edu, Perm(Lstat(_box.T("bin/sg"))));
        Assert.Equal(42u, (uint)Lstat(_box.T("bin/sg")).st_gid);
        var tmp = Lstat(_box.T("tmp"));
        Assert.Equal(S_IFDIR, Type(tmp));
        Assert.Equal(0x3ffu, Perm(tmp));
        Assert.Equal(12L + 8 + 1, result.Size);
        _box.AssertNothingOutside();
    }

    [Fact]
    public void TimesAreRestoredAndDirectoryTimesSurviveTheirContents()
    {
        byte[] tar = new TestTarWriter()
            .Dir("d/", mode: 0x16d /* 0555 */, mtime: 1_000_000_000)
            .File("d/f", "data", mtime: 1_100_000_000)
            .Symlink("d/l", "f")
            .Pax(("mtime", "1200000000.5"u8.ToArray()), ("atime", "1300000000.25"u8.ToArray()))
            .File("d/g", "g")
            .Finish();
        _box.Unpack(tar);

        var d = Lstat(_box.T("d"));
        Assert.Equal(1_000_000_000L, (long)d.st_mtim.tv_sec);
        Assert.Equal(0x16du, Perm(d));
        Assert.Equal(1_100_000_000L, (long)Lstat(_box.T("d/f")).st_mtim.tv_sec);
        Assert.Equal(1_700_000_000L, (long)Lstat(_box.T("d/l")).st_mtim.tv_sec); // symlink's own time
        var g = Lstat(_box.T("d/g"));
        Assert.Equal(1_200_000_000L, (long)g.st_mtim.tv_sec);
        Assert.Equal(500_000_000L, (long)g.st_mtim.tv_nsec);
        Assert.Equal(1_300_000_000L, (long)g.st_atim.tv_sec);
        Assert.Equal(250_000_000L, (long)g.st_atim.tv_nsec);
    }

    [Fact]
    public void SymlinksKeepAbsoluteAndRelativeTargetsAndOwners()
    {
        byte[] tar = new TestTarWriter()
            .Symlink("abs", "/etc/passwd", uid: 7, gid: 8)
            .Symlink("rel", "../../x")
            .Symlink("root", "/")
            .Finish();
        _box.Unpack(tar);

        Assert.Equal(S_IFLNK, Type(Lstat(_box.T("abs"))));
        Assert.Equal("/etc/passwd", new FileInfo(_box.T("abs")).LinkTarget);
        Assert.Equal(7u, (uint)Lstat(_box.T("abs")).st_uid);
        Assert.Equal(8u, (uint)Lstat(_box.T("abs")).st_gid);
        Assert.Equal("../../x", new FileInfo(_box.T("rel")).LinkTarget);
        Assert.Equal("/", new FileInfo(_box.T("root")).LinkTarget);
        _box.AssertNothingOutside();
    }

    [Fact]
    public void HardlinkSharesTheInode()
    {
        byte[] tar = new TestTarWriter()
            .File("usr/bin/perl", "perl", mode: 0x1ed)
            .HardLink("usr/bin/perl5.36", "usr/bin/perl")
            .HardLink("toplink", "/usr/bin/perl")
            .Finish();
        var result = _box.Unpack(tar);

        var a = Lstat(_box.T("usr/bin/perl"));
        var b = Lstat(_box.T("usr/bin/perl5.36"));
        Assert.Equal((ulong)a.st_ino, (ulong)b.st_ino);
        Assert.Equal((ulong)a.st_ino, (ulong)Lstat(_box.T("toplink")).st_ino);
        Assert.Equal(3UL, (ulong)a.st_nlink);
        Assert.Equal(4L, result.Size);
    }

    [Fact]
    public void DevicesAndFifosAreCreated()
    {
        byte[] tar = new TestTarWriter()
            .CharDevice("dev/null", 1, 3, mode: 0x1b6)
            .BlockDevice("dev/sda", 8, 0, mode: 0x1b0)
            .CharDevice("dev/big", 300, 70000)
            .Fifo("run/fifo", mode: 0x180)
            .Finish();
        _box.Unpack(tar);

        var n = Lstat(_box.T("dev/null"));
        Assert.Equal(S_IFCHR, Type(n));
        Assert.Equal(0x1b6u, Perm(n));
        Assert.Equal((1UL << 8) | 3UL, (ulong)n.st_rdev);
        var s = Lstat(_box.T("dev/sda"));
        Assert.Equal(S_IFBLK, Type(s));
        Assert.Equal(8UL << 8, (ulong)s.st_rdev);
        // glibc makedev(300, 70000)
        ulong big = ((300UL & 0xfff) << 8) | ((70000UL & 0xffffff00) << 12) | (70000UL & 0xff);
        Assert.Equal(big, (ulong)Lstat(_box.T("dev/big")).st_rdev);
        var f = Lstat(_box.T("run/fifo"));
        Assert.Equal(S_IFIFO, Type(f));
        Assert.Equal(0x180u, Perm(f));
    }

    [Fact]
    public void WhiteoutBecomesCharDevice00AndOpaqueDirGetsXattr()
    {
        byte[] tar = new TestTarWriter()
            .Dir("etc/")
            .File("etc/.wh.motd", "")
            .Dir("var/cache/")
            .File("var/cache/.wh..wh..opq", "")
            .File("var/cache/new", "n")
            .File(".wh..wh.plnk", "")
            .Finish();
        var result = _box.Unpack(tar);
        // what --trace reports for the layer: 6 entries, of them 1 whiteout and 1 opaque directory
        // (.wh..wh.plnk is AUFS metadata: neither)
        Assert.Equal((6, 1, 1), (result.Entries, result.Whiteouts, result.OpaqueDirectories));

        var w = Lstat(_box.T("etc/motd"));
        Assert.Equal(S_IFCHR, Type(w));
        Assert.Equal(0UL, (ulong)w.st_rdev);
        Assert.False(Exists(_box.T("etc/.wh.motd")));
        Assert.Equal("y"u8.ToArray(), GetXattr(_box.T("var/cache"), "trusted.overlay.opaque"));
        Assert.False(Exists(_box.T("var/cache/.wh..wh..opq")));
        Assert.True(File.Exists(_box.T("var/cache/new")));
        Assert.Null(GetXattr(_box.T("etc"), "trusted.overlay.opaque"));
        Assert.False(Exists(_box.T(".wh..wh.plnk")));
    }

    [Fact]
    public void BinaryXattrsAreByteExact()
    {
        // A VFS_CAP_REVISION_2 security.capability value (cap_net_raw+ep): full of 0x00 and 0x20,
        // and with bytes >= 0x80 to prove nothing passes through UTF-8.
        byte[] cap = [0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];
        byte[] binary = [0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28, 0x0a, 0x3d];
        byte[] tar = new TestTarWriter()
            .Pax(("SCHILY.xattr.security.capability", cap), ("SCHILY.xattr.user.bin", binary),
                 ("SCHILY.xattr.trusted.overlay.redirect", "/etc"u8.ToArray()))
            .File("usr/bin/ping", "ELF", mode: 0x1ed, uid: 0, gid: 0)
            .Pax(("LIBARCHIVE.xattr.user.b64", Encoding.ASCII.GetBytes(Convert.ToBase64String(binary).TrimEnd('='))),
                 ("LIBARCHIVE.xattr.user.sp%20ace", "eQ=="u8.ToArray()))
            .Dir("withx/")
            .Finish();
        _box.Unpack(tar);

        Assert.Equal(cap, GetXattr(_box.T("usr/bin/ping"), "security.capability"));
        Assert.Equal(binary, GetXattr(_box.T("usr/bin/ping"), "user.bin"));
        Assert.Null(GetXattr(_box.T("usr/bin/ping"), "trusted.overlay.redirect"));
        Assert.Equal(binary, GetXattr(_box.T("withx"), "user.b64"));
        Assert.Equal("y"u8.ToArray(), GetXattr(_box.T("withx"), "user.sp ace"));
    }

    public static TheoryData<string, string> Compressions => new()
    {
        { "gzip", "application/vnd.oci.image.layer.v1.tar+gzip" },
        { "gzip", "application/vnd.docker.image.rootfs.diff.tar.gzip" },
        { "gzip", "application/vnd.oci.image.layer.v1.tar" },            // sniffed
        { "gzip", "application/x-something-else" },                      // sniffed
        { "zstd", "application/vnd.oci.image.layer.v1.tar+zstd" },
        { "zstd", "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd" },
        { "zstd", "application/vnd.oci.image.layer.v1.tar" },            // sniffed
        { "none", "application/vnd.oci.image.layer.nondistributable.v1.tar" },
    };

    [Theory]
    [MemberData(nameof(Compressions))]
    public void CompressedLayersUnpackAndDiffIdIsOfTheUncompressedTar(string compression, string mediaType)
    {
        var big = new string('z', 300_000) + "end";
        byte[] tar = new TestTarWriter().File("a/big", big).File("a/small", "s").Finish();
        byte[] blob = compression switch
        {
            "gzip" => TestCompression.Gzip(tar),
            "zstd" => TestCompression.Zstd(tar),
            _ => tar,
        };
        string diffId = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(tar));
        var result = _box.Unpack(blob, mediaType, diffId);

        Assert.Equal(diffId, result.DiffId);
        Assert.Equal(big.Length + 1L, result.Size);
        Assert.Equal(big, File.ReadAllText(_box.T("a/big")));
    }

    [Fact]
    public void DiffIdCoversTrailingBytesAfterTheEndMarker()
    {
        byte[] tar = [.. new TestTarWriter().File("f", "x").Finish(), .. new byte[8192]];
        var result = _box.Unpack(tar);
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(tar)), result.DiffId);
    }

    [Fact]
    public void DiffIdMismatchIsRefused()
    {
        byte[] tar = new TestTarWriter().File("f", "x").Finish();
        string wrong = "sha256:" + new string('0', 64);
        var ex = Assert.Throws<LayerException>(() => _box.Unpack(tar, diffId: wrong));
        Assert.Contains("expected " + wrong, ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void UnknownMediaTypeWithPlainDataIsRefused()
    {
        byte[] tar = new TestTarWriter().File("f", "x").Finish();
        var ex = Assert.Throws<LayerException>(() => _box.Unpack(tar, "application/x-bogus"));
        Assert.Contains("application/x-bogus", ex.Message);
    }

    [Fact]
    public void CorruptDataGivesLayerException()
    {
        byte[] gz = TestCompression.Gzip(new TestTarWriter().File("f", new string('q', 10000)).Finish());
        Array.Resize(ref gz, gz.Length / 2);
        Assert.Throws<LayerException>(() => _box.Unpack(gz, "application/vnd.oci.image.layer.v1.tar+gzip"));
        _box.ResetTarget();
        byte[] bad = new TestTarWriter().File("f", "x").Finish();
        bad[148] = (byte)'7'; // checksum
        var ex = Assert.Throws<LayerException>(() => _box.Unpack(bad));
        Assert.Contains("checksum", ex.Message);
    }

    [Fact]
    public void TargetMustBeEmpty()
    {
        File.WriteAllText(_box.T("x"), "x");
        Assert.Throws<LayerException>(() => _box.Unpack(new TestTarWriter().Finish()));
    }

    [Fact]
    public void LaterEntriesReplaceEarlierOnes()
    {
        byte[] tar = new TestTarWriter()
            .File("f", "first")
            .File("f", "second")
            .Dir("d/", mode: 0x1c0)
            .File("d/keep", "k")
            .Dir("d/", mode: 0x1ed, uid: 5)                  // existing dir: metadata updated, contents kept
            .File("was-file", "x")
            .Dir("was-file/")                                 // file replaced by a directory
            .Dir("was-dir/")
            .Symlink("was-dir/out", _box.Outside)             // removing the tree must not follow this
            .File("was-dir", "now a file")                    // directory replaced by a file
            .Symlink("s", _box.Canary)
            .File("s", "replaced the symlink, not its target") // must not write through the symlink
            .Finish();
        _box.Unpack(tar);

        Assert.Equal("second", File.ReadAllText(_box.T("f")));
        Assert.Equal("k", File.ReadAllText(_box.T("d/keep")));
        Assert.Equal(0x1edu, Perm(Lstat(_box.T("d"))));
        Assert.Equal(5u, (uint)Lstat(_box.T("d")).st_uid);
        Assert.Equal(S_IFDIR, Type(Lstat(_box.T("was-file"))));
        Assert.Equal("now a file", File.ReadAllText(_box.T("was-dir")));
        Assert.Equal(S_IFREG, Type(Lstat(_box.T("s"))));
        _box.AssertNothingOutside();
    }

    [Fact]
    public void LongNamesPrefixesAndBase256NumbersAreRead()
    {
        string longDir = string.Join('/', Enumerable.Repeat("averyveryverylongdirectoryname", 6));
        string gnuName = longDir + "/gnu.txt";
        string paxName = longDir + "/pax-é.txt";
        var w = new TestTarWriter()
            .GnuLongName(gnuName).Entry((byte)'0', "truncated", "g"u8.ToArray(), gnu: true)
            .Pax(("path", Encoding.UTF8.GetBytes(paxName)), ("uid", "3000000000"u8.ToArray()))
            .File("short", "p")
            .Entry((byte)'0', "b256", "b"u8.ToArray(), uid: 5_000_000, gid: 6_000_000, base256Ids: true);
        // ustar prefix field: "pre/fix" + "name"
        byte[] tar = w.Finish();
        _box.Unpack(tar);

        Assert.Equal("g", File.ReadAllText(_box.T(gnuName)));
        Assert.Equal("p", File.ReadAllText(_box.T(paxName)));
        Assert.Equal(3_000_000_000u, (uint)Lstat(_box.T(paxName)).st_uid);
        Assert.False(Exists(_box.T("short")));
        Assert.Equal(5_000_000u, (uint)Lstat(_box.T("b256")).st_uid);
        Assert.Equal(6_000_000u, (uint)Lstat(_box.T("b256")).st_gid);
    }

    [Fact]
    public void UstarPrefixFieldIsJoined()
    {
        byte[] tar = new TestTarWriter().File("placeholder", "u").Finish();
        Encoding.ASCII.GetBytes("pre/fix").CopyTo(tar, 345);
        TestCompression.FixChecksum(tar, 0);
        _box.Unpack(tar);
        Assert.Equal("u", File.ReadAllText(_box.T("pre/fix/placeholder")));
    }

    [Fact]
    public void PaxGlobalHeaderAppliesToLaterEntries()
    {
        byte[] tar = new TestTarWriter()
            .PaxGlobal(("uid", "4242"u8.ToArray()), ("path", "ignored"u8.ToArray()))
            .File("a", "1")
            .File("b", "2")
            .Finish();
        _box.Unpack(tar);
        Assert.Equal(4242u, (uint)Lstat(_box.T("a")).st_uid);
        Assert.Equal(4242u, (uint)Lstat(_box.T("b")).st_uid);
        Assert.False(Exists(_box.T("ignored")));
    }

    [Fact]
    public void MissingParentsAreCreatedAndDotSlashIsCleaned()
    {
        byte[] tar = new TestTarWriter()
            .Dir("./")
            .File("./usr/share/doc/x", "x")
            .File("/abs/y", "y")
            .File("a//b/./c", "c")
            .File("q/../r", "r")
            .Finish();
        _box.Unpack(tar);
        Assert.Equal("x", File.ReadAllText(_box.T("usr/share/doc/x")));
        Assert.Equal(0x1edu, Perm(Lstat(_box.T("usr/share"))));
        Assert.Equal("y", File.ReadAllText(_box.T("abs/y")));
        Assert.Equal("c", File.ReadAllText(_box.T("a/b/c")));
        Assert.Equal("r", File.ReadAllText(_box.T("r")));
        _box.AssertNothingOutside();
    }
}
