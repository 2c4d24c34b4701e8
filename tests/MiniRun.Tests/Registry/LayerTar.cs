// LayerTar: writes an image layer (a tar stream) entry by entry with System.Formats.Tar, and
// compresses it as gzip, zstd (the zstd(1) tool) or not at all; gives the layer's diff_id.
//
// Why: the three-layer test image needs exact entries that no directory on disk can express:
// whiteout files (.wh.NAME), an opaque-directory marker (.wh..wh..opq), a hard link inside the
// layer, symlinks, owners and modes. Writing them one by one keeps the fixture exact and readable.
// Follows: OCI image-spec layer.md ("Whiteouts", "Opaque Whiteout", "Hardlinks", media types
// ...tar, ...tar+gzip, ...tar+zstd), POSIX pax tar (System.Formats.Tar PaxTarEntry), zstd(1).
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace MiniRun.Tests.Registry;

public enum LayerCompression { None, Gzip, Zstd }

public sealed class LayerTar
{
    private static readonly DateTimeOffset Epoch = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
    private readonly MemoryStream tar = new();
    private readonly TarWriter writer;

    public LayerTar() => writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true);

    private LayerTar Add(TarEntryType type, string name, UnixFileMode mode, int uid, int gid, Action<PaxTarEntry>? fill = null)
    {
        var e = new PaxTarEntry(type, name) { Mode = mode, Uid = uid, Gid = gid, ModificationTime = Epoch };
        fill?.Invoke(e);
        writer.WriteEntry(e);
        return this;
    }

    private const UnixFileMode Mode755 = (UnixFileMode)0b111_101_101;
    private const UnixFileMode Mode644 = (UnixFileMode)0b110_100_100;

    public LayerTar Dir(string name, UnixFileMode mode = Mode755, int uid = 0, int gid = 0) =>
        Add(TarEntryType.Directory, name.TrimEnd('/') + "/", mode, uid, gid);

    public LayerTar File(string name, string content, UnixFileMode mode = Mode644, int uid = 0, int gid = 0) =>
        Add(TarEntryType.RegularFile, name, mode, uid, gid, e => e.DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)));

    public LayerTar Symlink(string name, string target) =>
        Add(TarEntryType.SymbolicLink, name, (UnixFileMode)0b111_111_111, 0, 0, e => e.LinkName = target);

    /// <summary>A hard link to <paramref name="target"/>, an entry earlier in this same layer (path as in the tar).</summary>
    public LayerTar Hardlink(string name, string target) =>
        Add(TarEntryType.HardLink, name, Mode644, 0, 0, e => e.LinkName = target);

    /// <summary>Deletes NAME of a lower layer: an empty file .wh.NAME beside it.</summary>
    public LayerTar Whiteout(string dir, string name) =>
        File((dir.Length == 0 ? "" : dir.TrimEnd('/') + "/") + ".wh." + name, "", (UnixFileMode)0);

    /// <summary>Hides everything lower layers put in DIR: the marker DIR/.wh..wh..opq.</summary>
    public LayerTar Opaque(string dir) => File(dir.TrimEnd('/') + "/.wh..wh..opq", "", (UnixFileMode)0);

    /// <summary>The finished tar (end-of-archive blocks written).</summary>
    public byte[] ToTar()
    {
        writer.Dispose();
        return tar.ToArray();
    }

    public static string Sha256(byte[] data) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data));

    /// <summary>The tar compressed as asked; zstd goes through the zstd(1) tool (no zstd in the .NET base library).</summary>
    public static byte[] Compress(byte[] tar, LayerCompression compression)
    {
        switch (compression)
        {
            case LayerCompression.None:
                return tar;
            case LayerCompression.Gzip:
                using (var ms = new MemoryStream())
                {
                    using (var gz = new GZipStream(ms, CompressionLevel.Optimal, leaveOpen: true)) gz.Write(tar);
                    return ms.ToArray();
                }
            default:
                Tool.Require("/usr/bin/zstd", "zstd");
                string dir = Directory.CreateTempSubdirectory("minirun-zstd-").FullName;
                try
                {
                    System.IO.File.WriteAllBytes(Path.Combine(dir, "layer.tar"), tar);
                    Tool.Check("/usr/bin/zstd", "-q", "-19", Path.Combine(dir, "layer.tar"), "-o", Path.Combine(dir, "layer.tar.zst"));
                    return System.IO.File.ReadAllBytes(Path.Combine(dir, "layer.tar.zst"));
                }
                finally { Directory.Delete(dir, recursive: true); }
        }
    }

    public static byte[] Gunzip(byte[] gz)
    {
        using var input = new GZipStream(new MemoryStream(gz), CompressionMode.Decompress);
        using var ms = new MemoryStream();
        input.CopyTo(ms);
        return ms.ToArray();
    }
}
