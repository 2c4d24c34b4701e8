// LayerWriterPropertyTests: property tests (CsCheck) of the commit layer round trip. A generated
// tree (directories, files, symlinks, hardlinks; names of raw bytes, not always UTF-8, some past
// ustar's 100 bytes; any mode, owner and mtime) is written by LayerWriter (what commit, build and
// export use) and read back by TarEntryReader as exactly that tree; unpacked by LayerUnpacker and
// written again, it gives the same entries.
//
// Why: a committed image must be the container's files byte for byte, whatever their names; the
// example tests (LayerWriterTests) pin down each kind, these try many combinations.
// Follows: OCI image-spec v1.1 layer.md; POSIX.1-2017 pax(1) (long names, PAX records).
using System.Security.Cryptography;
using System.Text;
using CsCheck;
using MiniImage.Layers;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace MiniImage.Tests.Commit;

public sealed unsafe class LayerWriterPropertyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("miniimage-layerprop-").FullName;

    // rm -rf: Directory.Delete cannot remove names that are not UTF-8.
    public void Dispose() => System.Diagnostics.Process.Start("rm", ["-rf", "--", _dir])!.WaitForExit();

    enum Kind { Dir, File, Symlink, HardLink }

    /// One node: its parent (an index of an earlier directory, -1 for the root), name, kind, mode,
    /// owner, mtime and content (file data or symlink target; for a hardlink, the index seed of
    /// the file it links to).
    sealed record Node(int Parent, byte[] Name, Kind Kind, int Mode, uint Uid, uint Gid, long Mtime, byte[] Data);

    static readonly Gen<byte> NameByte = Gen.OneOf(
        Gen.Byte[(byte)'a', (byte)'z'], Gen.Byte[(byte)'0', (byte)'9'],
        Gen.OneOf((byte)' ', (byte)'\n', (byte)'-', (byte)'.', (byte)'%', (byte)'\\'),
        Gen.Byte[0x80, 0xff]);          // not UTF-8 on their own

    static readonly Gen<byte[]> Name = Gen.OneOf(
        NameByte.Array[1, 12],
        Gen.Byte[(byte)'a', (byte)'z'].Array[101, 180])   // longer than ustar's name field
        .Where(n => !(n is [(byte)'.'] or [(byte)'.', (byte)'.']) && !n.AsSpan().StartsWith(".wh."u8));

    static readonly Gen<Node> NodeGen =
        from parent in Gen.Int[-1, 6]
        from name in Name
        from kind in Gen.Enum<Kind>()
        from mode in Gen.Int[0, 0xfff]
        from uid in Gen.UInt[0, 70000]
        from gid in Gen.UInt[0, 70000]
        from mtime in Gen.Long[0, 4_000_000_000]
        from data in Gen.Byte.Array[0, 1500]
        select new Node(parent, name, kind, mode, uid, gid, mtime, data);

    /// Expected entry: tar name, kind (a hardlink is its file), mode, owner, mtime, content hash.
    sealed record Entry(string Name, Kind Kind, int Mode, uint Uid, uint Gid, long Mtime, string Content);

    static string Hex(byte[] b) => Convert.ToHexString(b);

    /// Makes the tree under `root`; returns the entries a tar of it must hold.
    static List<Entry> Make(string root, Node[] nodes)
    {
        var dirs = new List<byte[]> { Array.Empty<byte>() };          // relative paths of directories; [0] = root
        var files = new List<(byte[] Path, Node Node)>();
        var names = new HashSet<string>();
        var expected = new List<Entry>();
        var dirTimes = new List<(byte[] Path, Node Node)>();
        foreach (var n in nodes)
        {
            byte[] parent = dirs[Math.Clamp(n.Parent + 1, 0, dirs.Count - 1)];
            byte[] rel = parent.Length == 0 ? n.Name : [.. parent, (byte)'/', .. n.Name];
            if (!names.Add(Hex(rel))) continue;
            byte[] full = Z([.. Encoding.UTF8.GetBytes(root), (byte)'/', .. rel]);
            int mode = n.Mode & 0xfff;
            switch (n.Kind == Kind.HardLink && files.Count == 0 ? Kind.File : n.Kind)
            {
                case Kind.Dir:
                    fixed (byte* p = full) Check(mkdir(p, 0x1c0), "mkdir");
                    Own(full, n, mode);
                    dirs.Add(rel);
                    dirTimes.Add((full, n));
                    expected.Add(new Entry(Tar(rel) + "/", Kind.Dir, mode, n.Uid, n.Gid, n.Mtime, ""));
                    break;
                case Kind.File:
                    int fd;
                    fixed (byte* p = full) fd = open(p, O_CREAT | O_WRONLY | O_EXCL | O_CLOEXEC, 0x180);
                    Check(fd, "open");
                    fixed (byte* d = n.Data) Assert.Equal(n.Data.Length, (int)write(fd, d, n.Data.Length));
                    close(fd);
                    Own(full, n, mode);
                    Times(full, n.Mtime);
                    files.Add((full, n));
                    expected.Add(new Entry(Tar(rel), Kind.File, mode, n.Uid, n.Gid, n.Mtime, Hex(SHA256.HashData(n.Data))));
                    break;
                case Kind.Symlink:
                    byte[] target = n.Data.Length == 0 ? "t"u8.ToArray() : n.Data.Select(b => b is 0 ? (byte)'x' : b).Take(200).ToArray();
                    fixed (byte* t = Z(target)) fixed (byte* p = full)
                    {
                        Check(symlink(t, p), "symlink");
                        Check(lchown(p, n.Uid, n.Gid), "lchown");
                    }
                    Times(full, n.Mtime);
                    expected.Add(new Entry(Tar(rel), Kind.Symlink, 0x1ff, n.Uid, n.Gid, n.Mtime, Hex(target)));
                    break;
                case Kind.HardLink:
                    var (path, file) = files[(int)(n.Mtime % files.Count)];
                    fixed (byte* from = path) fixed (byte* p = full) Check(link(from, p), "link");
                    expected.Add(new Entry(Tar(rel), Kind.File, file.Mode & 0xfff, file.Uid, file.Gid, file.Mtime, Hex(SHA256.HashData(file.Data))));
                    break;
            }
        }
        // A directory's mtime last, innermost first: creating its entries changed it.
        for (int i = dirTimes.Count - 1; i >= 0; i--) Times(dirTimes[i].Path, dirTimes[i].Node.Mtime);
        return expected;
    }

    static string Tar(byte[] rel) => Convert.ToBase64String(rel);  // compared as bytes
    static byte[] Z(byte[] b) => [.. b, 0];
    static void Check(int rc, string what) => Assert.True(rc >= 0, $"{what}: errno {errno}");

    static void Own(byte[] full, Node n, int mode)
    {
        fixed (byte* p = full)
        {
            Check(lchown(p, n.Uid, n.Gid), "lchown");
            Check(chmod(p, (mode_t)mode), "chmod");       // after chown, which clears setuid/setgid
        }
    }

    static void Times(byte[] full, long mtime)
    {
        timespec* ts = stackalloc timespec[2];
        ts[0].tv_sec = mtime; ts[0].tv_nsec = 0;
        ts[1].tv_sec = mtime; ts[1].tv_nsec = 0;
        fixed (byte* p = full) Check(utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW), "utimensat");
    }

    /// The entries of a tar, hardlinks resolved to the file they name.
    static List<Entry> Read(byte[] tar)
    {
        using var input = new HashingTarInput(new MemoryStream(tar));
        var reader = new TarEntryReader(input);
        var e = new TarEntry();
        var list = new List<Entry>();
        var byName = new Dictionary<string, Entry>();
        while (reader.Next(e))
        {
            string name = Tar(e.Name.AsSpan().EndsWith("/"u8) ? e.Name[..^1] : e.Name) + (e.Type == TarEntryType.Directory ? "/" : "");
            Entry entry;
            switch (e.Type)
            {
                case TarEntryType.Directory: entry = new Entry(name, Kind.Dir, e.Mode, e.Uid, e.Gid, e.MtimeSec, ""); break;
                case TarEntryType.Symlink: entry = new Entry(name, Kind.Symlink, 0x1ff, e.Uid, e.Gid, e.MtimeSec, Hex(e.LinkName)); break;
                case TarEntryType.HardLink: entry = byName[Tar(e.LinkName)] with { Name = name }; break;
                case TarEntryType.File:
                    var data = new MemoryStream();
                    for (long left = e.Size; left > 0;)
                    {
                        var chunk = reader.ReadData(left);
                        data.Write(chunk);
                        left -= chunk.Length;
                    }
                    entry = new Entry(name, Kind.File, e.Mode, e.Uid, e.Gid, e.MtimeSec, Hex(SHA256.HashData(data.ToArray())));
                    break;
                default: throw new InvalidDataException($"unexpected entry type {e.Type}");
            }
            byName[name] = entry;
            list.Add(entry);
        }
        return list;
    }

    static List<Entry> Sorted(IEnumerable<Entry> e) => e.OrderBy(x => x.Name, StringComparer.Ordinal).ToList();

    [Fact]
    public void A_generated_tree_is_written_and_read_back_exactly_and_survives_an_unpack()
    {
        int run = 0;
        NodeGen.Array[1, 14].Sample(nodes =>
        {
            string root = Path.Combine(_dir, $"tree-{Interlocked.Increment(ref run)}");
            Directory.CreateDirectory(root);
            var expected = Sorted(Make(root, nodes));

            var tar = new MemoryStream();
            LayerWriter.WriteTree(root, tar, new LayerWriterOptions());
            var written = Read(tar.ToArray());
            Assert.Equal(expected, Sorted(written));

            string unpacked = root + "-unpacked";
            Directory.CreateDirectory(unpacked);
            tar.Position = 0;
            LayerUnpacker.Unpack(tar, "application/vnd.oci.image.layer.v1.tar", unpacked, null);
            var again = new MemoryStream();
            LayerWriter.WriteTree(unpacked, again, new LayerWriterOptions());
            Assert.Equal(expected, Sorted(Read(again.ToArray())));
        }, iter: 60, threads: 1);
    }
}
