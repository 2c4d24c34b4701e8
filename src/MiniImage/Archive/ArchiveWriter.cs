// ArchiveWriter: writes `save` archives: ONE tar that is at the same time a Docker image archive
// (manifest.json + repositories) and an OCI image layout (oci-layout + index.json), both pointing
// at the same blobs/sha256/<hex> files - the form Docker 25+ writes.
//
// Why: `docker load` (every version), `podman load`, `skopeo ... docker-archive:` read
// manifest.json; containerd, `skopeo ... oci-archive:` and MiniRun read index.json. The blobs are
// the store's own (manifest, config, layer blobs as pulled or loaded, compressed or not), so a
// save followed by a load gives back the identical manifest digest and image ID. Docker's loaders
// decompress layer files they find compressed, so manifest.json may point at gzip layers.
// The tar is reproducible: entries sorted (blobs by digest, then the four metadata files), every
// mtime the Unix epoch, owner 0:0, modes 0755/0644, ustar headers.
// Follows: OCI image-spec v1.1 image-layout.md and annotations.md; moby image/tarexport save.go
// (Docker 25 combined layout, io.containerd.image.name + org.opencontainers.image.ref.name).
using System.Formats.Tar;
using System.Text.Json;
using MiniImage.Oci;
using MiniImage.Reference;
using MiniImage.Store;

namespace MiniImage.Archive;

/// <summary>One image to save: its manifest (as stored) and the tags it is saved under (may be empty).</summary>
internal sealed record SavedImage(Digest ManifestDigest, string ManifestMediaType, long ManifestSize,
                                  ImageManifest Manifest, IReadOnlyList<ImageReference> Tags);

internal static class ArchiveWriter
{
    private static readonly DateTimeOffset Epoch = DateTimeOffset.UnixEpoch;
    private const UnixFileMode FileMode644 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode DirMode755 = FileMode644 | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    public static void Write(Func<Digest, string> blobPath, IReadOnlyList<SavedImage> images, Stream output)
    {
        var blobs = new SortedDictionary<string, Digest>(StringComparer.Ordinal);
        var manifestJson = new List<DockerArchiveEntry>();
        var index = new ImageIndex { SchemaVersion = 2, MediaType = MediaTypes.OciIndex };
        var repositories = new SortedDictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);

        foreach (var image in images)
        {
            var config = image.Manifest.Config.ParsedDigest($"save manifest {image.ManifestDigest}: config");
            var layers = image.Manifest.Layers.Select((l, i) => l.ParsedDigest($"save manifest {image.ManifestDigest}: layer {i + 1}")).ToList();
            blobs[image.ManifestDigest.Hex] = image.ManifestDigest;
            blobs[config.Hex] = config;
            foreach (var l in layers) blobs[l.Hex] = l;

            manifestJson.Add(new DockerArchiveEntry
            {
                Config = BlobName(config),
                RepoTags = image.Tags.Count == 0 ? null : image.Tags.Select(t => t.ToFamiliarString()).ToList(),
                Layers = layers.Select(BlobName).ToList(),
            });
            var descriptor = new Descriptor { MediaType = image.ManifestMediaType, Digest = image.ManifestDigest.ToString(), Size = image.ManifestSize };
            if (image.Tags.Count == 0) index.Manifests.Add(descriptor);
            foreach (var tag in image.Tags)
            {
                index.Manifests.Add(new Descriptor
                {
                    MediaType = descriptor.MediaType, Digest = descriptor.Digest, Size = descriptor.Size,
                    Annotations = new()
                    {
                        [Annotations.ContainerdImageName] = tag.ToString(),
                        [Annotations.RefName] = tag.Tag!,
                    },
                });
                if (layers.Count > 0)
                {
                    if (!repositories.TryGetValue(tag.FamiliarName, out var tagMap)) repositories[tag.FamiliarName] = tagMap = new();
                    tagMap[tag.Tag!] = layers[^1].Hex;
                }
            }
        }

        using var writer = new TarWriter(output, TarEntryFormat.Ustar, leaveOpen: true);
        WriteDirectory(writer, "blobs/");
        WriteDirectory(writer, "blobs/sha256/");
        foreach (var (_, digest) in blobs)
        {
            string path = blobPath(digest);
            FileStream data;
            try { data = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16); }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                throw new MiniImageException($"save: blob {digest} is missing from the store ({path}); pull or load the image again");
            }
            using (data) WriteFile(writer, BlobName(digest), data);
        }
        WriteFile(writer, OciLayout.IndexFileName, index.ToJson());
        WriteFile(writer, "manifest.json", JsonSerializer.SerializeToUtf8Bytes(manifestJson, DockerArchiveJsonContext.Default.ListDockerArchiveEntry));
        WriteFile(writer, OciLayout.FileName, new OciLayout().ToJson());
        var repos = new Dictionary<string, Dictionary<string, string>>(repositories);
        WriteFile(writer, "repositories", JsonSerializer.SerializeToUtf8Bytes(repos, DockerArchiveJsonContext.Default.DictionaryStringDictionaryStringString));
    }

    /// <summary>
    /// Writes the archive to `path` through a temporary file in the same directory, renamed over
    /// `path` only when complete: a failed save never leaves a truncated archive under the name.
    /// </summary>
    public static void WriteFile(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        string temp = Path.Combine(dir, $".{Path.GetFileName(full)}.minirun-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or MiniImageException)
        {
            try { File.Delete(temp); } catch (IOException) { }
            if (e is MiniImageException) throw;
            throw new MiniImageException($"save to {path}: {e.Message}", e);
        }
    }

    private static string BlobName(Digest d) => $"blobs/{d.Algorithm}/{d.Hex}";

    private static void WriteDirectory(TarWriter writer, string name) =>
        writer.WriteEntry(new UstarTarEntry(TarEntryType.Directory, name) { Mode = DirMode755, ModificationTime = Epoch });

    private static void WriteFile(TarWriter writer, string name, byte[] data) =>
        WriteFile(writer, name, new MemoryStream(data));

    private static void WriteFile(TarWriter writer, string name, Stream data) =>
        writer.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name) { Mode = FileMode644, ModificationTime = Epoch, DataStream = data });
}
