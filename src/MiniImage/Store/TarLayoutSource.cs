// TarLayoutSource: an OCI image layout packed in a tar file (optionally gzip-compressed), as
// written by `docker save` (Docker >= 25), `skopeo copy ... oci-archive:`, buildkit type=oci.
//
// Why: a tar can only be read front to back, and index.json may come before or after the blobs.
// So the whole tar is read once up front: "oci-layout" and "index.json" are kept in memory, each
// "blobs/sha256/<hex>" entry is copied into staging while its sha256 is checked against <hex>
// (blobs the store already has are skipped). GetBlob then only has to check the size against the
// descriptor. Blobs that no manifest references stay in staging and are deleted with it.
// Other entries (manifest.json, repositories of docker's legacy format) are ignored.
// Follows: OCI image-spec v1.1 image-layout.md; POSIX/PAX tar read with System.Formats.Tar.
using System.Formats.Tar;
using System.IO.Compression;
using MiniImage.Oci;

namespace MiniImage.Store;

internal sealed class TarLayoutSource : LayoutSource
{
    private readonly Dictionary<string, StagedBlob> _blobs = new();
    private readonly Dictionary<string, long> _sizes = new();
    private byte[]? _ociLayout;
    private byte[]? _index;

    public TarLayoutSource(string path, StorePaths store, string staging)
        : base(Path.GetFullPath(path), store, staging)
    {
        try
        {
            ReadTar(SourcePath, Consume);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or FormatException)
        {
            throw new MiniImageException($"{Context}: read tar: {e.Message}");
        }
    }

    public override byte[] ReadIndexJson()
    {
        CheckLayoutFile(_ociLayout);
        return _index ?? throw new MiniImageException($"{Context}: not an OCI image layout (no {GoQuote.Quote(OciLayout.IndexFileName)} in the tar, and no manifest.json of a Docker archive either)");
    }

    public override StagedBlob GetBlob(Descriptor d, string role)
    {
        var digest = d.ParsedDigest($"{Context}: {role}");
        if (!_blobs.TryGetValue(digest.Hex, out var blob))
            throw new MiniImageException($"{Context}: {role} {digest} is missing from the layout (no blobs/sha256/{digest.Hex} in the tar)");
        if (_sizes[digest.Hex] != d.Size)
            throw new MiniImageException($"{Context}: {role} {digest} has size {d.Size} in its descriptor, but the blob has {_sizes[digest.Hex]} bytes");
        return blob;
    }

    private void Consume(TarEntry entry)
    {
        if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile))
            return;
        string name = entry.Name;
        while (name.StartsWith("./", StringComparison.Ordinal)) name = name[2..];
        name = name.TrimStart('/');

        if (name == OciLayout.FileName) { _ociLayout = ReadSmall(entry, name); return; }
        if (name == OciLayout.IndexFileName) { _index = ReadSmall(entry, name); return; }

        const string prefix = "blobs/sha256/";
        if (!name.StartsWith(prefix, StringComparison.Ordinal)) return;
        string hex = name[prefix.Length..];
        if (!Digest.IsHex(hex, 64))
            throw new MiniImageException($"{Context}: tar entry {GoQuote.Quote(entry.Name)} is not named by a sha256 digest");
        var digest = Digest.FromHex(hex);
        _sizes[hex] = entry.Length;
        if (File.Exists(Store.Blob(digest)))
        {
            _blobs[hex] = new StagedBlob(digest, Store.Blob(digest), InStore: true);
            return; // the rest of the entry's data is skipped by TarReader
        }
        string target = Path.Combine(Staging, hex);
        StorePaths.DeleteTree(target); // a tar may hold the same blob twice
        // Not disposed: the stream belongs to the TarReader, which moves past it on GetNextEntry.
        Stream data = entry.DataStream ?? Stream.Null;
        BlobWriter.CopyVerified(data, target, digest, entry.Length, $"{Context}: tar entry {GoQuote.Quote(entry.Name)}");
        _blobs[hex] = new StagedBlob(digest, target, InStore: false);
    }

    private byte[] ReadSmall(TarEntry entry, string name)
    {
        if (entry.Length > MaxJsonSize)
            throw new MiniImageException($"{Context}: {name} is {entry.Length} bytes, more than the {MaxJsonSize} allowed");
        var ms = new MemoryStream();
        entry.DataStream?.CopyTo(ms);
        return ms.ToArray();
    }

}
