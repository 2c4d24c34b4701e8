// SystemTarInteropTests: layers written by an independent tar writer (System.Formats.Tar's
// TarWriter, in PAX and GNU formats) unpack to what was written: long names, text xattrs, owners,
// modes, symlinks, hardlinks.
//
// Why: the hand-written test writer and the hand-written reader could share a misreading of the
// spec; a second writer guards against that. (Binary xattrs cannot be tested this way: TarWriter
// encodes PAX values as UTF-8 text, which is the very reason for our own reader.)
// Follows: POSIX.1-2017 pax(1); GNU tar format.
using System.Formats.Tar;
using System.Text;
using TarEntry = System.Formats.Tar.TarEntry;
using TarEntryType = System.Formats.Tar.TarEntryType;
using static MiniImage.Tests.Layers.LayerSandbox;

namespace MiniImage.Tests.Layers;

public sealed class SystemTarInteropTests : IDisposable
{
    readonly LayerSandbox _box = new();
    public void Dispose() => _box.Dispose();

    [Theory]
    [InlineData(TarEntryFormat.Pax)]
    [InlineData(TarEntryFormat.Gnu)]
    public void LayerFromTarWriterUnpacks(TarEntryFormat format)
    {
        string longName = "deep/" + new string('n', 120) + "/" + new string('m', 140) + ".txt";
        var ms = new MemoryStream();
        using (var w = new TarWriter(ms, format, leaveOpen: true))
        {
            TarEntry Make(TarEntryType t, string name) => format == TarEntryFormat.Pax
                ? new PaxTarEntry(t, name) : new GnuTarEntry(t, name);

            var dir = Make(TarEntryType.Directory, "deep/");
            dir.Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.StickyBit;
            w.WriteEntry(dir);
            var f = Make(TarEntryType.RegularFile, longName);
            f.DataStream = new MemoryStream(Encoding.UTF8.GetBytes("long"));
            f.Uid = 2_500_000; f.Gid = 77;
            f.Mode = (UnixFileMode)0x9ed; // 04755
            f.ModificationTime = new DateTimeOffset(2021, 5, 6, 7, 8, 9, TimeSpan.Zero);
            w.WriteEntry(f);
            var l = Make(TarEntryType.SymbolicLink, "deep/sym");
            l.LinkName = "/" + new string('t', 150);
            w.WriteEntry(l);
            var h = Make(TarEntryType.HardLink, "deep/hard");
            h.LinkName = longName;
            w.WriteEntry(h);
            if (format == TarEntryFormat.Pax)
            {
                var x = new PaxTarEntry(TarEntryType.RegularFile, "withxattr",
                    new Dictionary<string, string> { ["SCHILY.xattr.user.note"] = "héllo" });
                w.WriteEntry(x);
            }
        }
        _box.Unpack(ms.ToArray());

        Assert.Equal("long", File.ReadAllText(_box.T(longName)));
        var st = Lstat(_box.T(longName));
        Assert.Equal(2_500_000u, (uint)st.st_uid);
        Assert.Equal(77u, (uint)st.st_gid);
        Assert.Equal(0x9edu, Perm(st));
        Assert.Equal(new DateTimeOffset(2021, 5, 6, 7, 8, 9, TimeSpan.Zero).ToUnixTimeSeconds(), (long)st.st_mtim.tv_sec);
        Assert.Equal(0x3c0u, Perm(Lstat(_box.T("deep"))));
        Assert.Equal("/" + new string('t', 150), new FileInfo(_box.T("deep/sym")).LinkTarget);
        Assert.Equal((ulong)st.st_ino, (ulong)Lstat(_box.T("deep/hard")).st_ino);
        if (format == TarEntryFormat.Pax)
            Assert.Equal(Encoding.UTF8.GetBytes("héllo"), GetXattr(_box.T("withxattr"), "user.note"));
        _box.AssertNothingOutside();
    }
}
