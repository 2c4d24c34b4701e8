// ImageStore.Commit: a new image from a base image plus one layer (`minirun commit`): the layer
// tar is gzip-compressed into a blob while both digests are computed, then a config (the base's,
// changed by the caller, with the new diff_id and a history entry) and a manifest (the base's
// layers plus the new one) are stored and the image is recorded, optionally under a tag.
//
// Why the order: the same rules as pull and load (see ImageStore.cs and ImageStore.Pull.cs).
// The layer is written to tmp/commit-* under the SHARED lock and renamed into blobs/ only when
// complete; config, manifest and images.json are written under the EXCLUSIVE lock, images.json
// last and atomically. A commit that fails at any point therefore leaves no image record, no tag
// and no partial blob: at worst complete, unreferenced blobs (listed in its StoreJournal) that
// the next writer removes. The new layer is unpacked into layers/ now, under the exclusive lock,
// so `images` shows the image's unpacked size (Docker's) from the start, not after a first run.
// `build` uses two variants: no base image (FROM scratch: no layers, an empty config for this
// host's platform) and no layer (a metadata instruction such as CMD: only the config changes,
// its history entry says empty_layer). The record keeps the base as the image's parent, which
// `images` uses to hide a build's intermediate images and rmi/prune to remove them with their child.
// Follows: OCI image-spec v1.1 config.md (rootfs.diff_ids, history), manifest.md, layer.md;
// docker-commit(1) (author, comment, created_by).
using System.IO.Compression;
using MiniImage.Layers;
using MiniImage.Oci;
using MiniImage.Reference;

namespace MiniImage.Store;

/// <summary>What `commit` asks of the store.</summary>
public sealed class CommitRequest
{
    /// <summary>The base image's ID (sha256:...): the container's image; null: no base (a build's FROM scratch).</summary>
    public required string? BaseImageId { get; init; }
    /// <summary>Writes the new layer's uncompressed tar (with OCI whiteouts) to the stream; null: no new layer (config only).</summary>
    public required Action<Stream>? WriteLayer { get; init; }
    /// <summary>The history entry's created_by (the container's command).</summary>
    public string CreatedBy { get; init; } = "";
    public string? Comment { get; init; }
    public string? Author { get; init; }
    /// <summary>Changes the new image's container config (the base's, copied): `-c` instructions.</summary>
    public Action<ContainerConfig>? Configure { get; init; }
    /// <summary>REPOSITORY[:TAG] to tag the image with; null for an untagged image.</summary>
    public string? Tag { get; init; }
}

public sealed partial class ImageStore
{
    /// <summary>Stores the new layer, config and manifest and records the image; returns its summary (ImageId = sha256:...).</summary>
    public ImageSummary Commit(CommitRequest request)
    {
        ImageReference? tag = null;
        if (request.Tag is { } t)
        {
            if (!ImageReference.TryParse(t, out var parsed, out var error))
                throw new MiniImageException($"commit: invalid reference format {GoQuote.Quote(t)}: {error}");
            if (parsed.Digest is not null)
                throw new MiniImageException($"commit: refusing to create a tag with a digest reference: {GoQuote.Quote(t)}");
            tag = parsed;
        }
        var baseImage = request.BaseImageId is null ? null : Resolve(request.BaseImageId)
            ?? throw new MiniImageException($"commit: base image {request.BaseImageId} is no longer in the store");
        var baseManifest = baseImage is null ? null : ReadManifest(baseImage);
        bool docker = baseManifest is null || baseManifest.MediaType == MediaTypes.DockerManifest;
        int layerCount = (baseManifest?.Layers.Count ?? 0) + (request.WriteLayer is null ? 0 : 1);
        if (layerCount > MaxLayers) throw new MiniImageException(TooManyLayers("commit", layerCount));

        // 1. The layer blob, under the shared lock (other pulls and commits may run).
        Digest diffId = default, blobDigest = default;
        long blobSize = 0;
        StoreJournal? journal = null;
        try
        {
            if (request.WriteLayer is not null)
            using (BeginDownloads())
            {
                journal = StoreJournal.Begin(_paths);
                string temp = _paths.NewTemp("commit");
                try
                {
                    using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                    {
                        var compressed = new HashingWriteStream(file);
                        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
                        using (var uncompressed = new HashingWriteStream(gzip))
                        {
                            request.WriteLayer(uncompressed);
                            uncompressed.Flush();
                            diffId = uncompressed.Digest();
                        }
                        blobDigest = compressed.Digest();
                        blobSize = compressed.Count;
                        file.Flush(flushToDisk: true);
                    }
                    journal.Blobs(blobDigest);
                    journal.Layers(diffId);
                    CommitDownloadedBlob(temp, blobDigest, "commit");
                }
                catch (Exception e)
                {
                    StorePaths.DeleteTree(temp);
                    if (e is IOException or UnauthorizedAccessException)
                        throw new MiniImageException($"commit: write layer {temp}: {e.Message}", e);
                    throw;
                }
            }

            // 2. Config, manifest and the record, under the exclusive lock.
            _paths.EnsureDirectories();
            using var storeLock = StoreLock.Exclusive(_paths.Root);
            journal ??= StoreJournal.Begin(_paths);
            StoreRecovery.Run(_paths);   // this commit's journal is held: its layer blob stays
            var records = ImageRecords.Read(_paths);
            ImageRecord? baseRecord = null;
            if (baseImage is not null && !records.Images.TryGetValue(baseImage.ImageId, out baseRecord))
                throw new MiniImageException($"commit: base image {baseImage.ImageId} was removed while committing");
            var baseConfig = baseImage is null
                ? new ImageConfig { Architecture = Platform.Host.Architecture, Os = Platform.Host.Os, Variant = Platform.Host.Variant }
                : ReadConfig(baseImage);
            bool layer = request.WriteLayer is not null;
            var now = DateTimeOffset.UtcNow;
            var config = new ImageConfig
            {
                Created = now,
                Author = request.Author,
                Comment = string.IsNullOrEmpty(request.Comment) ? null : request.Comment,   // Docker's image JSON keeps commit -m here too
                Architecture = baseConfig.Architecture,
                Os = baseConfig.Os,
                Variant = baseConfig.Variant,
                Config = CopyConfig(baseConfig.Config),
                RootFs = new RootFs { DiffIds = layer ? [.. baseConfig.RootFs.DiffIds, diffId.ToString()] : [.. baseConfig.RootFs.DiffIds] },
                History = [.. baseConfig.History ?? [], new HistoryEntry
                {
                    Created = now, CreatedBy = request.CreatedBy, Author = request.Author, Comment = request.Comment,
                    EmptyLayer = layer ? null : true,
                }],
            };
            request.Configure?.Invoke(config.Config!);
            byte[] configJson = config.ToJson();
            var configDigest = Digest.Compute(configJson);
            var manifest = new ImageManifest
            {
                SchemaVersion = 2,
                MediaType = docker ? MediaTypes.DockerManifest : MediaTypes.OciManifest,
                Config = new Descriptor { MediaType = docker ? MediaTypes.DockerConfig : MediaTypes.OciConfig, Digest = configDigest.ToString(), Size = configJson.Length },
                Layers = layer
                    ? [.. baseManifest?.Layers ?? [], new Descriptor
                    {
                        MediaType = docker ? MediaTypes.DockerLayerGzip : MediaTypes.OciLayerGzip, Digest = blobDigest.ToString(), Size = blobSize,
                    }]
                    : [.. baseManifest?.Layers ?? []],
            };
            byte[] manifestJson = manifest.ToJson();
            var manifestDigest = Digest.Compute(manifestJson);
            journal.Blobs(configDigest, manifestDigest);
            CommitSmallBlob(configJson, configDigest, "commit: config");
            CommitSmallBlob(manifestJson, manifestDigest, "commit: manifest");
            if (layer && !HasLayer(diffId))
                records.Layers[diffId.ToString()] = LayerPreparer.UnpackLayer(_paths, manifest.Layers[^1], blobDigest, diffId,
                    "commit: layer", missingHint: "commit again", prefixLayerErrors: true);

            string id = configDigest.ToString();
            records.Images[id] = new ImageRecord
            {
                Manifest = manifestDigest.ToString(),
                Created = now,
                DiffIds = config.RootFs.DiffIds.ToList(),
                BlobSize = (baseRecord?.BlobSize ?? 0) + blobSize,
                Loaded = now,
                Parent = baseImage?.ImageId,
            };
            if (tag is not null) records.SetTag(tag.ToString(), id, now);
            records.Write(_paths);
            journal.Complete();
            return Summary(records, id, records.Images[id], tag ?? FirstTag(records, id));
        }
        catch
        {
            if (journal is not null) Abandon(journal, holdingExclusive: false);   // the lock of step 2 is released by now
            throw;
        }
    }

    /// <summary>A deep copy (through JSON) so the caller's changes never touch the base's objects.</summary>
    private static ContainerConfig CopyConfig(ContainerConfig? source)
    {
        var holder = new ImageConfig { Config = source ?? new ContainerConfig() };
        return ImageConfig.Parse(holder.ToJson()).Config ?? new ContainerConfig();
    }
}
