// LayoutSource: read access to an OCI image layout being loaded (a directory or a tar of one),
// with every blob handed out already verified and staged.
//
// Why: the importer walks index.json -> manifests -> config and layers the same way whatever the
// container format; what differs is how bytes arrive (random access in a directory, one
// sequential pass in a tar). GetBlob returns a file whose bytes are known to hash to the
// descriptor's digest and whose length equals its size: either a blob the store already holds
// (not copied again) or a verified copy in the staging directory, to be renamed into blobs/ on
// commit.
// Follows: OCI image-spec v1.1 image-layout.md (oci-layout, index.json, blobs/<alg>/<hex>).
using MiniImage.Oci;

namespace MiniImage.Store;

internal abstract class LayoutSource
{
    /// <summary>Largest manifest/index/config/index.json accepted (as containerd: 4 MiB).</summary>
    public const long MaxJsonSize = 4 << 20;

    protected LayoutSource(string path, StorePaths store, string staging)
    {
        SourcePath = path;
        Store = store;
        Staging = staging;
    }

    public string SourcePath { get; }
    protected StorePaths Store { get; }
    protected string Staging { get; }

    /// <summary>"load /path": the prefix of every error message.</summary>
    public string Context => $"load {SourcePath}";

    /// <summary>Contents of index.json (after checking oci-layout).</summary>
    public abstract byte[] ReadIndexJson();

    /// <summary>A verified file holding the blob `d`; `role` ("config of busybox:latest") is for errors.</summary>
    public abstract StagedBlob GetBlob(Descriptor d, string role);

    /// <summary>Reads a small JSON blob (manifest, index, config) after verifying it.</summary>
    public byte[] ReadJsonBlob(Descriptor d, string role)
    {
        if (d.Size > MaxJsonSize)
            throw new MiniImageException($"{Context}: {role} {d.Digest} is {d.Size} bytes, more than the {MaxJsonSize} allowed");
        var blob = GetBlob(d, role);
        return File.ReadAllBytes(blob.Path);
    }

    protected void CheckLayoutFile(byte[]? ociLayout)
    {
        if (ociLayout is null)
            throw new MiniImageException($"{Context}: not an OCI image layout (no {GoQuote.Quote(OciLayout.FileName)} file)");
        OciLayout.Parse(ociLayout, $"{SourcePath}: {OciLayout.FileName}");
    }

    /// <summary>If the store already holds `digest`, the blob as a StagedBlob (after a size check).</summary>
    protected StagedBlob? FromStore(Descriptor d, Digest digest, string role)
    {
        string path = Store.Blob(digest);
        var info = new FileInfo(path);
        if (!info.Exists) return null;
        if (info.Length != d.Size)
            throw new MiniImageException($"{Context}: {role} {digest} has size {d.Size} in its descriptor, but the stored blob has {info.Length} bytes");
        return new StagedBlob(digest, path, InStore: true);
    }

    /// <summary>
    /// Opens `path` in a layout if it is a directory, or a tar (optionally gzip-compressed) otherwise:
    /// an OCI layout tar (which may also hold Docker's manifest.json, as Docker 25+ writes), or a
    /// Docker archive with only manifest.json (docker save before 25), read by DockerArchiveSource.
    /// </summary>
    public static LayoutSource Open(string path, StorePaths store, string staging)
    {
        if (Directory.Exists(path)) return new DirectoryLayoutSource(path, store, staging);
        if (File.Exists(path))
            return Archive.DockerArchiveSource.IsDockerOnly(path)
                ? new Archive.DockerArchiveSource(path, store, staging)
                : new TarLayoutSource(path, store, staging);
        throw new MiniImageException($"load {path}: no such file or directory");
    }

    /// <summary>Every entry of the tar at <paramref name="path"/> (plain or gzip), in order: the one loop both tar readers share.</summary>
    protected static void ReadTar(string path, Action<System.Formats.Tar.TarEntry> each)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using Stream input = IsGzip(file) ? new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionMode.Decompress) : file;
        using var reader = new System.Formats.Tar.TarReader(input);
        while (reader.GetNextEntry() is { } entry)
            each(entry);
    }

    private static bool IsGzip(FileStream file)
    {
        Span<byte> magic = stackalloc byte[2];
        int n = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        file.Position = 0;
        return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    }
}

/// <param name="Path">The file holding the verified bytes.</param>
/// <param name="InStore">True if Path is already blobs/sha256/hex; else it is in staging and must be committed.</param>
internal sealed record StagedBlob(Digest Digest, string Path, bool InStore);
