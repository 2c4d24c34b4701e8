// DockerArchiveSource: loads a Docker image archive that has manifest.json but no OCI layout:
// the format of `docker save` before Docker 25 (<v1 id>/layer.tar, <config hex>.json,
// manifest.json, repositories) or any archive whose manifest.json names its files.
//
// Why: courses and old CI caches are full of such archives. The importer walks OCI layouts, so
// this source presents the archive as one: the tar is read once; every regular file is copied
// into staging while its sha256 is computed (the layer.tar files are uncompressed and carry no
// digest of their own: their digest is their diff_id); symlinks and hardlinks between layer
// files (docker save links a layer shared by two images) are followed. Then one OCI manifest per
// manifest.json entry is built (config + layers with media types chosen by magic bytes: gzip,
// zstd or plain tar) and an index.json naming each RepoTag with io.containerd.image.name. The
// manifest is MiniRun's own, so its digest is new; the image ID (config digest) is Docker's.
// Follows: moby image/spec v1.2 ("Combined Image JSON + Filesystem Changeset Format"), OCI
// image-spec v1.1 manifest.md and media-types.md.
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using MiniImage.Oci;
using MiniImage.Reference;
using MiniImage.Store;

namespace MiniImage.Archive;

internal sealed class DockerArchiveSource : LayoutSource
{
    private const string ManifestJson = "manifest.json";
    private const int MaxLinkHops = 16;
    private readonly Dictionary<string, StagedBlob> _blobs = new();          // hex -> blob
    private readonly Dictionary<string, (Digest Digest, long Size)> _files = new(); // path in tar -> content
    private readonly Dictionary<string, string> _links = new();               // path in tar -> target path
    private readonly byte[] _index;
    private byte[]? _manifestJson;
    private int _counter;

    public DockerArchiveSource(string path, StorePaths store, string staging)
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
        if (_manifestJson is null)
            throw new MiniImageException($"{Context}: not a Docker image archive (no {ManifestJson})");
        _index = BuildIndex();
    }

    /// <summary>True if the tar at `path` (optionally gzip) has manifest.json but not both oci-layout and index.json.</summary>
    public static bool IsDockerOnly(string path)
    {
        bool manifest = false, layout = false, index = false;
        try
        {
            ReadTar(path, entry =>
            {
                string name = Normalize(entry.Name);
                manifest |= name == ManifestJson;
                layout |= name == OciLayout.FileName;
                index |= name == OciLayout.IndexFileName;
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or FormatException)
        {
            return false; // let the OCI reader report the problem
        }
        return manifest && !(layout && index);
    }

    public override byte[] ReadIndexJson() => _index;

    public override StagedBlob GetBlob(Descriptor d, string role)
    {
        var digest = d.ParsedDigest($"{Context}: {role}");
        if (!_blobs.TryGetValue(digest.Hex, out var blob))
            throw new MiniImageException($"{Context}: {role} {digest} is missing from the archive");
        long size = blob.InStore || File.Exists(blob.Path) ? new FileInfo(blob.Path).Length : -1;
        if (size != d.Size)
            throw new MiniImageException($"{Context}: {role} {digest} has size {d.Size} in its descriptor, but the blob has {size} bytes");
        return blob;
    }

    private void Consume(TarEntry entry)
    {
        string name = Normalize(entry.Name);
        switch (entry.EntryType)
        {
            case TarEntryType.SymbolicLink:
                string dir = name.Contains('/') ? name[..name.LastIndexOf('/')] : "";
                _links[name] = Resolve(dir, entry.LinkName);
                return;
            case TarEntryType.HardLink:
                _links[name] = Normalize(entry.LinkName);
                return;
            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                break;
            default:
                return;
        }
        if (name == ManifestJson)
        {
            if (entry.Length > MaxJsonSize)
                throw new MiniImageException($"{Context}: {ManifestJson} is {entry.Length} bytes, more than the {MaxJsonSize} allowed");
            var ms = new MemoryStream();
            entry.DataStream?.CopyTo(ms);
            _manifestJson = ms.ToArray();
            return;
        }
        _files[name] = Stage(entry.DataStream ?? Stream.Null, $"tar entry {GoQuote.Quote(entry.Name)}");
    }

    /// <summary>Copies `data` into staging while hashing it; the file ends up named by its digest.</summary>
    private (Digest, long) Stage(Stream data, string what)
    {
        string temp = Path.Combine(Staging, $"entry-{_counter++}");
        long total = 0;
        Digest digest;
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                byte[] buffer = new byte[1 << 20];
                int n;
                while ((n = data.Read(buffer, 0, buffer.Length)) > 0)
                {
                    hash.AppendData(buffer, 0, n);
                    output.Write(buffer, 0, n);
                    total += n;
                }
            }
            digest = Digest.FromHash(hash.GetHashAndReset());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            StorePaths.DeleteTree(temp);
            throw new MiniImageException($"{Context}: copy {what} to {temp}: {e.Message}", e);
        }
        if (_blobs.ContainsKey(digest.Hex) || File.Exists(Store.Blob(digest)))
        {
            StorePaths.DeleteTree(temp);
            if (!_blobs.ContainsKey(digest.Hex)) _blobs[digest.Hex] = new StagedBlob(digest, Store.Blob(digest), InStore: true);
        }
        else
        {
            string target = Path.Combine(Staging, digest.Hex);
            File.Move(temp, target);
            _blobs[digest.Hex] = new StagedBlob(digest, target, InStore: false);
        }
        return (digest, total);
    }

    /// <summary>An index.json with one entry per RepoTag (or one unnamed entry) of every manifest.json entry.</summary>
    private byte[] BuildIndex()
    {
        List<DockerArchiveEntry> entries;
        try { entries = JsonSerializer.Deserialize(_manifestJson!, DockerArchiveJsonContext.Default.ListDockerArchiveEntry) ?? new(); }
        catch (JsonException e) { throw new MiniImageException($"{Context}: parse {ManifestJson}: {e.Message}"); }
        if (entries.Count == 0) throw new MiniImageException($"{Context}: {ManifestJson} lists no image");
        var index = new ImageIndex { SchemaVersion = 2, MediaType = MediaTypes.OciIndex };
        foreach (var entry in entries)
        {
            var config = ArchiveFile(entry.Config, "config");
            var manifest = new ImageManifest
            {
                SchemaVersion = 2,
                MediaType = MediaTypes.OciManifest,
                Config = new Descriptor { MediaType = MediaTypes.OciConfig, Digest = config.Digest.ToString(), Size = config.Size },
            };
            foreach (string layerPath in entry.Layers)
            {
                var layer = ArchiveFile(layerPath, "layer");
                manifest.Layers.Add(new Descriptor { MediaType = LayerMediaType(layer.Digest), Digest = layer.Digest.ToString(), Size = layer.Size });
            }
            byte[] json = manifest.ToJson();
            var (digest, size) = Stage(new MemoryStream(json), $"manifest built for {entry.Config}");
            var descriptor = new Descriptor { MediaType = MediaTypes.OciManifest, Digest = digest.ToString(), Size = size };
            var tags = entry.RepoTags ?? new List<string>();
            if (tags.Count == 0) index.Manifests.Add(descriptor);
            foreach (string tag in tags)
            {
                if (!ImageReference.TryParse(tag, out var r, out var error))
                    throw new MiniImageException($"{Context}: {ManifestJson}: RepoTag {GoQuote.Quote(tag)}: {error}");
                index.Manifests.Add(new Descriptor
                {
                    MediaType = descriptor.MediaType, Digest = descriptor.Digest, Size = descriptor.Size,
                    Annotations = new() { [Annotations.ContainerdImageName] = r.ToString() },
                });
            }
        }
        return index.ToJson();
    }

    /// <summary>The content of a file manifest.json names, following links.</summary>
    private (Digest Digest, long Size) ArchiveFile(string path, string role)
    {
        string name = Normalize(path);
        for (int hops = 0; hops <= MaxLinkHops; hops++)
        {
            if (_files.TryGetValue(name, out var content)) return content;
            if (!_links.TryGetValue(name, out var target)) break;
            name = target;
        }
        throw new MiniImageException($"{Context}: {ManifestJson} names {role} {GoQuote.Quote(path)}, which is not a file in the archive");
    }

    /// <summary>Plain tar, gzip or zstd, from the blob's first bytes.</summary>
    private string LayerMediaType(Digest digest)
    {
        Span<byte> magic = stackalloc byte[4];
        int n;
        using (var fs = new FileStream(_blobs[digest.Hex].Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1))
            n = fs.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
        if (n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) return MediaTypes.OciLayerGzip;
        if (n >= 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd) return MediaTypes.OciLayerZstd;
        return MediaTypes.OciLayer;
    }

    private static string Normalize(string name)
    {
        while (name.StartsWith("./", StringComparison.Ordinal)) name = name[2..];
        return name.TrimStart('/');
    }

    /// <summary>A symlink target resolved against the link's directory, inside the archive.</summary>
    private static string Resolve(string dir, string target)
    {
        var parts = new List<string>();
        if (!target.StartsWith('/')) parts.AddRange(dir.Split('/', StringSplitOptions.RemoveEmptyEntries));
        foreach (string p in target.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (p == ".") continue;
            if (p == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); continue; }
            parts.Add(p);
        }
        return string.Join('/', parts);
    }

}
