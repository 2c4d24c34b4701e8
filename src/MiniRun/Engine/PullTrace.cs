// PullTrace: `pull --trace` - the registry requests a pull makes, and the closing summary.
//
// What it shows: each GET of a manifest (an index first, for a multi-platform image) with its
// media type, size and digest, and what the manifest names; each GET of a blob - the config, then
// the layers the store lacks - with what the blob is. The layers are then unpacked one step each
// (LayerTrace: entries, whiteouts, opaque directories, where the layer lands), and the summary
// says what the pull did: the image id, the manifest, the blobs and bytes fetched, the layers
// unpacked. `run --trace` of an image it must pull first narrates the same (Cli/ImageAcquisition.cs),
// without this summary: the run's own closes the trace.
//
// Why: pulling is the first thing students do, and an image is only a few JSON documents and tars
// addressed by their sha256; seeing the requests makes that concrete (docs/labs/*/06-layers.md).
// It wraps the registry (IRegistrySource) rather than the puller, so MiniImage knows nothing of
// the trace. Layers download in parallel: one lock keeps each request's lines together.
//
// Follows: OCI distribution-spec v1.1 "Pulling manifests", "Pulling blobs" (GET /v2/<name>/
// manifests/<reference>, GET /v2/<name>/blobs/<digest>, Range); OCI image-spec v1.1 manifest.md,
// image-index.md.
using MiniImage.Layers;
using MiniImage.Oci;
using MiniImage.Pull;
using MiniImage.Reference;
using MiniImage.Registry;
using MiniImage.Store;
using MiniRun.Trace;

namespace MiniRun.Engine;

public sealed class PullTrace : IRegistrySource, IDisposable
{
    private readonly IRegistrySource _registry;
    private readonly ConsoleTrace _trace;
    private readonly string? _platform;
    private readonly object _lock = new();
    /// <summary>What each blob the last manifest names is: the config, or layer i of n and its media type.</summary>
    private readonly Dictionary<string, Narration> _blobs = new();
    private int _blobsFetched, _layersUnpacked, _entries, _whiteouts, _opaque;
    private long _bytesFetched, _bytesUnpacked;

    /// <summary>
    /// Narrates on <paramref name="trace"/> what <paramref name="registry"/> is asked and every
    /// layer <paramref name="store"/> unpacks (LayerTrace).
    /// </summary>
    public PullTrace(IRegistrySource registry, ConsoleTrace trace, ImageStore store, string root, Platform? platform)
    {
        _registry = registry;
        _trace = trace;
        _platform = (platform ?? Platform.Host).ToString();
        LayerTrace.Attach(store, trace, root);
        // --trace=pause before the pull: the blobs arrive here, named by their sha256
        trace.LookWith = $"ls -l {Path.Combine(Path.GetFullPath(root), "blobs", "sha256")}";
        var narrate = store.LayerUnpacked;
        store.LayerUnpacked = layer =>
        {
            narrate?.Invoke(layer);
            _layersUnpacked++;
            _entries += layer.Result.Entries;
            _whiteouts += layer.Result.Whiteouts;
            _opaque += layer.Result.OpaqueDirectories;
            _bytesUnpacked += layer.Result.Size;
        };
    }

    public async Task<FetchedManifest> GetManifestAsync(ImageReference image, string tagOrDigest, CancellationToken cancel)
    {
        var m = await _registry.GetManifestAsync(image, tagOrDigest, cancel).ConfigureAwait(false);
        lock (_lock)
        {
            _trace.Call($"GET /v2/{image.Path}/manifests/{tagOrDigest}", $"{m.MediaType}, {m.Content.Length} bytes, {m.Digest}");
            if (MediaTypes.IsIndex(m.MediaType)) _trace.Note(Messages.PullIndex.With(_platform));
            else if (TryManifest(m) is { } manifest)
            {
                _blobs.Clear();
                _blobs[manifest.Config.Digest] = Messages.PullConfigBlob;
                for (int i = 0; i < manifest.Layers.Count; i++)
                    _blobs.TryAdd(manifest.Layers[i].Digest, Messages.PullLayerBlob.With(i + 1, manifest.Layers.Count, manifest.Layers[i].MediaType));
                _trace.Note(Messages.PullManifest.With(manifest.Layers.Count));
            }
        }
        return m;
    }

    public async Task<BlobStream> OpenBlobAsync(ImageReference image, Digest digest, long offset, CancellationToken cancel)
    {
        var blob = await _registry.OpenBlobAsync(image, digest, offset, cancel).ConfigureAwait(false);
        lock (_lock)
        {
            string range = offset > 0 ? $" (Range: bytes={offset}-)" : "";
            string length = blob.Length is long n ? $"{n} bytes" : "? bytes";
            _trace.Call($"GET /v2/{image.Path}/blobs/{digest}{range}", length);
            if (_blobs.TryGetValue(digest.ToString(), out var what)) _trace.Note(what);
            _blobsFetched++;
            _bytesFetched += blob.Length ?? 0;
        }
        return blob;
    }

    /// <summary>The registry it wraps is closed with it.</summary>
    public void Dispose() => (_registry as IDisposable)?.Dispose();

    /// <summary>The closing summary: the image, its manifest, what was fetched and unpacked.</summary>
    public void Summary(PullResult result)
    {
        var unpacked = _layersUnpacked == 0 ? Messages.PullSummaryUnpackedNone
            : Messages.PullSummaryUnpackedValue.With(_layersUnpacked, _entries, _whiteouts, _opaque, _bytesUnpacked);
        _trace.Summary(Messages.PullSummaryTitle,
        [
            (Messages.PullSummaryImage, Messages.PullSummaryImageValue.With(result.Image.ImageId, result.Reference).Text),
            (Messages.PullSummaryManifest, result.ManifestDigest.ToString()),
            (Messages.PullSummaryFetched, Messages.PullSummaryFetchedValue.With(_blobsFetched, _bytesFetched).Text),
            (Messages.PullSummaryUnpacked, unpacked.Text),
        ]);
    }

    private static ImageManifest? TryManifest(FetchedManifest m)
    {
        try { return ImageManifest.Parse(m.Content, "manifest"); }
        catch (MiniImage.MiniImageException) { return null; }   // the puller reports what is wrong with it
    }
}
