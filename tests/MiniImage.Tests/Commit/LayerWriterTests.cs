// LayerWriterTests: a directory tree written by LayerWriter reads back through the store's own
// tar reader and unpacker exactly: types, owners, modes, hardlinks, devices, binary xattrs; an
// overlayfs upper directory becomes an OCI changeset (char 0:0 -> .wh.NAME, opaque -> .wh..wh..opq).
//
// Why: export, commit and cp all rely on this writer; a layer it writes must unpack to the same
// tree, or a committed image would differ from the container it came from.
// Follows: OCI image-spec v1.1 layer.md; overlayfs.rst whiteouts.
using System.Runtime.InteropServices;
using System.Text;
using MiniImage.Layers;

namespace MiniImage.Tests.Commit;

public sealed unsafe partial class LayerWriterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("miniimage-layerwriter-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Tree()
    {
        string t = Path.Combine(_dir, "tree");
        Directory.CreateDirectory(Path.Combine(t, "etc/sub"));
        File.WriteAllText(Path.Combine(t, "etc/passwd"), "root:x:0:0\n");
        File.WriteAllBytes(Path.Combine(t, "etc/sub/big"), Enumerable.Range(0, 70000).Select(i => (byte)i).ToArray());
        File.CreateSymbolicLink(Path.Combine(t, "link"), "/etc/passwd");
        Assert.Equal(0, link(Path.Combine(t, "etc/sub/big"), Path.Combine(t, "hard")));
        Assert.Equal(0, mknod(Path.Combine(t, "null"), 0x2000 | 0x1b6, (1 << 8) | 3));
        Assert.Equal(0, mknod(Path.Combine(t, "fifo"), 0x1000 | 0x1a4, 0));
        Assert.Equal(0, chown(Path.Combine(t, "etc/passwd"), 1000, 2000));
        File.SetUnixFileMode(Path.Combine(t, "etc/passwd"), (UnixFileMode)0x9ed); // 04755
        string longName = Path.Combine(t, new string('n', 150));
        File.WriteAllText(longName, "long");
        byte[] value = [0x01, 0x00, 0xff, 0x80];
        fixed (byte* v = value) Assert.Equal(0, setxattr(longName, "user.bin", v, (nuint)value.Length, 0));
        return t;
    }

    private static List<TarEntry> Read(byte[] tar)
    {
        using var input = new HashingTarInput(new MemoryStream(tar));
        var reader = new TarEntryReader(input);
        var list = new List<TarEntry>();
        var e = new TarEntry();
        while (reader.Next(e))
        {
            var copy = new TarEntry
            {
                Type = e.Type, Name = e.Name, LinkName = e.LinkName, Size = e.Size, Mode = e.Mode, Uid = e.Uid, Gid = e.Gid,
                DevMajor = e.DevMajor, DevMinor = e.DevMinor,
            };
            foreach (var x in e.Xattrs) copy.Xattrs.Add(x);
            list.Add(copy);
        }
        return list;
    }

    private static string N(TarEntry e) => Encoding.UTF8.GetString(e.Name);

    [Fact]
    public void Tree_ReadsBackWithEveryKind()
    {
        var tar = new MemoryStream();
        LayerWriter.WriteTree(Tree(), tar, new LayerWriterOptions());
        var entries = Read(tar.ToArray()).ToDictionary(N);

        Assert.Equal(TarEntryType.Directory, entries["etc/"].Type);
        var passwd = entries["etc/passwd"];
        Assert.Equal((1000u, 2000u, 0x9ed), (passwd.Uid, passwd.Gid, passwd.Mode));
        Assert.Equal(TarEntryType.Symlink, entries["link"].Type);
        Assert.Equal("/etc/passwd", Encoding.UTF8.GetString(entries["link"].LinkName));
        Assert.Equal(TarEntryType.CharDevice, entries["null"].Type);
        Assert.Equal((1u, 3u), (entries["null"].DevMajor, entries["null"].DevMinor));
        Assert.Equal(TarEntryType.Fifo, entries["fifo"].Type);
        // "etc/sub/big" and "hard" share an inode: the one written second links to the first.
        Assert.Equal(TarEntryType.File, entries["etc/sub/big"].Type);
        Assert.Equal(TarEntryType.HardLink, entries["hard"].Type);
        Assert.Equal("etc/sub/big", Encoding.UTF8.GetString(entries["hard"].LinkName));
        var longEntry = entries[new string('n', 150)];
        var x = Assert.Single(longEntry.Xattrs, x => Encoding.UTF8.GetString(x.Key) == "user.bin");
        Assert.Equal(new byte[] { 0x01, 0x00, 0xff, 0x80 }, x.Value);
    }

    [Fact]
    public void Tree_UnpacksToTheSameTree()
    {
        string tree = Tree();
        var tar = new MemoryStream();
        LayerWriter.WriteTree(tree, tar, new LayerWriterOptions());
        string target = Path.Combine(_dir, "out");
        Directory.CreateDirectory(target);
        tar.Position = 0;
        LayerUnpacker.Unpack(tar, "application/vnd.oci.image.layer.v1.tar", target, null);

        Assert.Equal("root:x:0:0\n", File.ReadAllText(Path.Combine(target, "etc/passwd")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(tree, "etc/sub/big")), File.ReadAllBytes(Path.Combine(target, "hard")));
        Assert.Equal("/etc/passwd", new FileInfo(Path.Combine(target, "link")).LinkTarget);
        Assert.Equal((UnixFileMode)0x9ed, File.GetUnixFileMode(Path.Combine(target, "etc/passwd")));
    }

    [Fact]
    public void OverlayUpper_WhiteoutsBecomeOciWhiteouts()
    {
        string upper = Path.Combine(_dir, "upper");
        Directory.CreateDirectory(Path.Combine(upper, "bin"));
        Directory.CreateDirectory(Path.Combine(upper, "opq"));
        File.WriteAllText(Path.Combine(upper, "opq/kept"), "k");
        File.WriteAllText(Path.Combine(upper, "new"), "hi\n");
        Assert.Equal(0, mknod(Path.Combine(upper, "bin/ls"), 0x2000, 0));
        byte y = (byte)'y';
        Assert.Equal(0, setxattr(Path.Combine(upper, "opq"), "trusted.overlay.opaque", &y, 1, 0));

        var tar = new MemoryStream();
        LayerWriter.WriteTree(upper, tar, new LayerWriterOptions { OverlayWhiteouts = true });
        var names = Read(tar.ToArray()).Select(N).ToList();

        Assert.Equal(["bin/", "bin/.wh.ls", "new", "opq/", "opq/.wh..wh..opq", "opq/kept"], names);
        var entries = Read(tar.ToArray());
        Assert.DoesNotContain(entries, e => e.Xattrs.Any(x => Encoding.UTF8.GetString(x.Key).StartsWith("trusted.overlay.")));
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mknod(string path, uint mode, ulong dev);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int link(string target, string path);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int chown(string path, uint uid, uint gid);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setxattr(string path, string name, byte* value, nuint size, int flags);
}
