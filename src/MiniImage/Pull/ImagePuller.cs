// ImagePuller: `pull`: fetches an image from a registry into the local store.
//
// Steps: GET the manifest for the tag or digest -> if it is an index (OCI index, Docker manifest
// list), pick the platform (PlatformSelector) and GET that manifest -> download the config and
// the layer blobs the store lacks, at most MaxConcurrentDownloads at once, each verified while it
// streams (BlobDownloader) and committed to blobs/ atomically -> unpack missing layers (diff_id
// verified) and record the image, its tag and RepoDigest (ImageStore.CompletePull).
// Blobs already in the store are never fetched again, so a base layer shared by two images is
// downloaded once. An image already recorded prints no layer lines (Docker: only Digest and "Status:
// Image is up to date"). Locking and crash safety are described in ImageStore.Pull.cs.
// Follows: OCI distribution-spec v1.1 "Pulling manifests"/"Pulling blobs"; OCI image-spec v1.1
// image-index.md, manifest.md, config.md; Docker's pull semantics (docker-pull(1)).
using System.Text.Json;
using MiniImage.Oci;
using MiniImage.Reference;
using MiniImage.Registry;
using MiniImage.Store;

namespace MiniImage.Pull;

public sealed class ImagePuller
{
    private const int MaxIndexDepth = 2;
    private readonly ImageStore _store;
    private readonly IRegistrySource _registry;
    private readonly PullOptions _options;

    public ImagePuller(ImageStore store, IRegistrySource registry, PullOptions? options = null)
    {
        _store = store;
        _registry = registry;
        _options = options ?? new PullOptions();
        if (_options.MaxConcurrentDownloads < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxConcurrentDownloads must be at least 1");
    }

    public async Task<PullResult> PullAsync(ImageReference reference, IPullProgress? progress, CancellationToken cancel)
    {
        var events = new SerialProgress(progress);
        string context = $"pull {reference}";

        // 1. The manifest (or index) the reference names; a digest wins over a tag.
        string tagOrDigest = reference.Digest?.ToString() ?? reference.Tag ?? ImageReference.DefaultTag;
        var top = await FetchManifestAsync(reference, tagOrDigest, reference.Digest, context, cancel).ConfigureAwait(false);
        events.Start(reference); // after the manifest, as Docker: an unknown tag prints only the error
        var fetched = top;
        for (int depth = 0; Kind(fetched, context) == ManifestKind.Index; depth++)
        {
            if (depth >= MaxIndexDepth)
                throw new MiniImageException($"{context}: image index {fetched.Digest} nests more than {MaxIndexDepth} levels deep");
            var index = ImageIndex.Parse(fetched.Content, $"{context}: image index {fetched.Digest}");
            var pick = PlatformSelector.Select(index, _options.Platform ?? Platform.Host, context);
            var pickDigest = pick.ParsedDigest($"{context}: index {fetched.Digest}");
            fetched = await FetchManifestAsync(reference, pickDigest.ToString(), pickDigest, context, cancel).ConfigureAwait(false);
        }
        var manifestDigest = fetched.Digest;
        var manifest = ImageManifest.Parse(fetched.Content, $"{context}: manifest {manifestDigest}");
        var configDigest = manifest.Config.ParsedDigest($"{context}: config");
        if (manifest.Config.Size > LayoutSource.MaxJsonSize)
            throw new MiniImageException($"{context}: config {configDigest} is {manifest.Config.Size} bytes, more than the {LayoutSource.MaxJsonSize} allowed");
        var layerDigests = manifest.Layers.Select((l, i) => l.ParsedDigest($"{context}: layer {i + 1}/{manifest.Layers.Count}")).ToList();

        // 2. Blobs, under the shared lock (other pulls may download at the same time).
        int downloaded = 0;
        ImageConfig config;
        List<PulledLayer> layers;
        // Every blob and layer this pull adds or reuses is listed here before it is relied on,
        // and stays safe from a recovery until the image is recorded (Store/StoreJournal.cs).
        StoreJournal journal;
        using (_store.BeginDownloads()) journal = _store.BeginJournal();   // made under a store lock
        using var held = journal;
        try
        {
        using (_store.BeginDownloads())
        {
            var downloader = new BlobDownloader(_registry, _options);
            journal.Blobs(configDigest);
            if (!_store.HasBlob(configDigest, manifest.Config.Size))
            {
                await FetchBlobAsync(downloader, reference, configDigest, manifest.Config.Size, null, null, $"{context}: config", cancel).ConfigureAwait(false);
                downloaded++;
            }
            config = ParseConfig(configDigest, context);
            var diffIds = config.RootFs.DiffIds;
            if (diffIds.Count != manifest.Layers.Count)
                throw new MiniImageException($"{context}: config {configDigest.Short} lists {diffIds.Count} diff_ids but the manifest has {manifest.Layers.Count} layers");
            layers = manifest.Layers.Select((l, i) => new PulledLayer(l, layerDigests[i],
                Digest.TryParse(diffIds[i], out var d, out var err) ? d
                    : throw new MiniImageException($"{context}: config diff_id {GoQuote.Quote(diffIds[i])}: {err}"))).ToList();
            journal.Blobs([manifestDigest, .. layers.Select(l => l.BlobDigest)]);
            journal.Layers(layers.Select(l => l.DiffId).ToArray());
            if (config.Os.Length > 0 && _options.Platform is { } wanted && (config.Os != wanted.Os || config.Architecture != wanted.Architecture))
                throw new MiniImageException($"{context}: image is for {config.Os}/{config.Architecture}, not the requested {wanted}");

            // An image already recorded is up to date: Docker then prints no line per layer, only Digest and Status.
            bool present = _store.HasImage(configDigest);
            downloaded += await FetchLayersAsync(downloader, reference, layers, events, context, cancel, quietWhenPresent: present).ConfigureAwait(false);
            _store.CommitSmallBlob(fetched.Content, manifestDigest, $"{context}: manifest");
        }

        // 3. Unpack and record, under the exclusive lock.
        }
        catch { _store.Abandon(journal, holdingExclusive: false); throw; }   // a failed download: what it committed goes

        var pulled = new PulledImage(reference, top.Digest, manifestDigest, configDigest, config, layers, manifest.Layers.Sum(l => l.Size));
        var extracted = new HashSet<int>();
        var (summary, already) = _store.CompletePull(pulled, journal, (i, current, total) =>
        {
            string id = ShortId(layers[i].BlobDigest);
            if (current < 0) events.Layer(id, LayerEvent.PullComplete);
            else events.Layer(id, LayerEvent.Extracting, current, total);
            extracted.Add(i);
        }, context);
        // Layers downloaded now but already unpacked (by a concurrent pull) still complete.
        for (int i = 0; i < layers.Count; i++)
            if (events.Downloaded(ShortId(layers[i].BlobDigest)) && !extracted.Contains(i))
                events.Layer(ShortId(layers[i].BlobDigest), LayerEvent.PullComplete);

        var result = new PullResult(reference, summary, top.Digest, manifestDigest, Updated: downloaded > 0 || !already, downloaded);
        events.Done(result);
        return result;
    }

    /// <summary>Downloads the layers the store lacks, bounded in parallel; returns how many were fetched.</summary>
    private async Task<int> FetchLayersAsync(BlobDownloader downloader, ImageReference reference, List<PulledLayer> layers,
        SerialProgress events, string context, CancellationToken cancel, bool quietWhenPresent = false)
    {
        var todo = new List<(PulledLayer Layer, int Index)>();
        var seen = new HashSet<Digest>();
        for (int i = 0; i < layers.Count; i++)
        {
            var l = layers[i];
            string id = ShortId(l.BlobDigest);
            if (!seen.Add(l.BlobDigest)) continue; // the same blob twice in one manifest: once is enough
            if (_store.HasBlob(l.BlobDigest, l.Blob.Size))
            {
                if (_store.HasLayer(l.DiffId)) { if (!quietWhenPresent) events.Layer(id, LayerEvent.AlreadyExists); }
                else events.Layer(id, LayerEvent.DownloadComplete); // blob here, layer still to unpack
                continue;
            }
            events.Layer(id, LayerEvent.PullingFsLayer);
            todo.Add((l, i));
        }
        if (todo.Count > _options.MaxConcurrentDownloads)
            foreach (var (l, _) in todo.Skip(_options.MaxConcurrentDownloads))
                events.Layer(ShortId(l.BlobDigest), LayerEvent.Waiting);

        using var slots = new SemaphoreSlim(_options.MaxConcurrentDownloads);
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var tasks = todo.Select(async t =>
        {
            await slots.WaitAsync(failed.Token).ConfigureAwait(false);
            try
            {
                string id = ShortId(t.Layer.BlobDigest);
                await FetchBlobAsync(downloader, reference, t.Layer.BlobDigest, t.Layer.Blob.Size,
                    (current, total) => events.Layer(id, LayerEvent.Downloading, current, total),
                    () => events.Layer(id, LayerEvent.VerifyingChecksum),
                    $"{context}: layer {t.Index + 1}/{layers.Count}", failed.Token).ConfigureAwait(false);
                events.Layer(id, LayerEvent.DownloadComplete);
                events.MarkDownloaded(id);
            }
            catch
            {
                failed.Cancel(); // stop the other downloads: the pull fails anyway
                throw;
            }
            finally
            {
                slots.Release();
            }
        }).ToList();
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch
        {
            // Report the first real failure, not the cancellations it caused in the other downloads.
            var first = tasks.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!).FirstOrDefault(e => e is not OperationCanceledException);
            if (first is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
            throw;
        }
        return todo.Count;
    }

    private async Task FetchBlobAsync(BlobDownloader downloader, ImageReference reference, Digest digest, long size,
        Action<long, long>? progress, Action? verifying, string context, CancellationToken cancel)
    {
        string temp = _store.NewDownloadPath();
        await downloader.DownloadAsync(reference, digest, size, temp, progress, verifying, context, cancel).ConfigureAwait(false);
        _store.CommitDownloadedBlob(temp, digest, context);
    }

    private async Task<FetchedManifest> FetchManifestAsync(ImageReference reference, string tagOrDigest, Digest? expected, string context, CancellationToken cancel)
    {
        var m = await _registry.GetManifestAsync(reference, tagOrDigest, cancel).ConfigureAwait(false);
        if (m.Content.Length > LayoutSource.MaxJsonSize)
            throw new MiniImageException($"{context}: manifest {tagOrDigest} is {m.Content.Length} bytes, more than the {LayoutSource.MaxJsonSize} allowed");
        var got = Digest.Compute(m.Content);
        if (expected is { } want && got != want)
            throw new MiniImageException($"{context}: manifest content does not match its digest: expected {want}, got {got}");
        // For a tag, the digest is that of the bytes received (what the registry's Docker-Content-Digest should say).
        return m.Digest == got ? m : m with { Digest = got };
    }

    private enum ManifestKind { Index, Manifest }

    /// <summary>Index or manifest, from the Content-Type, else from the document's own mediaType or shape.</summary>
    private static ManifestKind Kind(FetchedManifest m, string context)
    {
        string? type = m.MediaType;
        if (!MediaTypes.IsIndex(type) && !MediaTypes.IsManifest(type))
        {
            try
            {
                using var doc = JsonDocument.Parse(m.Content);
                var root = doc.RootElement;
                if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("mediaType", out var mt) && mt.ValueKind == JsonValueKind.String)
                    type = mt.GetString();
                else if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("manifests", out _))
                    type = MediaTypes.OciIndex;
                else if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("layers", out _))
                    type = MediaTypes.OciManifest;
                else if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("fsLayers", out _))
                    type = "application/vnd.docker.distribution.manifest.v1+json";
            }
            catch (JsonException e)
            {
                throw new MiniImageException($"{context}: parse manifest {m.Digest}: {e.Message}");
            }
        }
        if (MediaTypes.IsIndex(type)) return ManifestKind.Index;
        if (MediaTypes.IsManifest(type)) return ManifestKind.Manifest;
        if (type is not null && type.StartsWith("application/vnd.docker.distribution.manifest.v1", StringComparison.Ordinal))
            throw new MiniImageException($"{context}: the image uses Docker manifest schema 1, which is too old to be supported; push it again with a current tool");
        throw new MiniImageException($"{context}: manifest {m.Digest} has mediaType {GoQuote.Quote(type)}, which is not an image (not a container image?)");
    }

    private ImageConfig ParseConfig(Digest configDigest, string context)
    {
        byte[] json = _store.ReadStoredBlob(configDigest, $"{context}: config");
        try { return ImageConfig.Parse(json); }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
            throw new MiniImageException($"{context}: parse config {configDigest}: {e.Message}");
        }
    }

    internal static string ShortId(Digest d) => d.Hex[..12];

    /// <summary>Forwards events one at a time and remembers which layers were downloaded in this pull.</summary>
    private sealed class SerialProgress(IPullProgress? inner)
    {
        private readonly object _gate = new();
        private readonly HashSet<string> _downloaded = new();

        public void Start(ImageReference r) { lock (_gate) inner?.Start(r); }
        public void Layer(string id, LayerEvent e, long current = 0, long total = 0) { lock (_gate) inner?.Layer(id, e, current, total); }
        public void Done(PullResult r) { lock (_gate) inner?.Done(r); }
        public void MarkDownloaded(string id) { lock (_gate) _downloaded.Add(id); }
        public bool Downloaded(string id) { lock (_gate) return _downloaded.Contains(id); }
    }
}
