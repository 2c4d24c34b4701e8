// ImagePusher: `push`: uploads an image of the local store to a registry under a tag.
//
// Steps, per tag: read the image as stored (ImageStore.ReadForPush: the manifest's bytes, its
// config and layer blobs) -> get every blob into the repository, at most MaxConcurrentUploads at
// once (BlobUploader: HEAD, mount from another repository of the registry, monolithic or chunked
// upload) -> only when every blob is confirmed, PUT the manifest under the tag -> record in the
// store that the repository holds these blobs (a later push elsewhere on the registry mounts them)
// and the image's repo digest (`images --digests`, as after docker push).
// `-a` pushes every tag of the repository in turn; blobs already sent for one tag are found by
// HEAD for the next ("Layer already exists").
//
// Why this order: a registry makes a tag visible only with its manifest, and it refuses a manifest
// whose blobs it lacks. PUTting the manifest last means an interrupted push leaves at worst
// unreferenced blobs (garbage the registry collects), never a tag that points at a half image.
// The manifest bytes are the store's, unchanged, so the digest the registry reports is the one
// `images --digests` shows, and a pull of the tag gets back the same image ID.
// Follows: OCI distribution-spec v1.1 "Pushing blobs", "Pushing manifests" (blobs before the
// manifest that references them), "Mounting a blob from another repository"; docker-push(1)
// (-a/--all-tags, output).
using MiniImage.Oci;
using MiniImage.Reference;
using MiniImage.Registry;
using MiniImage.Store;

namespace MiniImage.Push;

public sealed class ImagePusher
{
    private readonly ImageStore _store;
    private readonly RegistryClient _registry;
    private readonly PushOptions _options;

    public ImagePusher(ImageStore store, RegistryClient registry, PushOptions? options = null)
    {
        _store = store;
        _registry = registry;
        _options = options ?? new PushOptions();
        if (_options.MaxConcurrentUploads < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxConcurrentUploads must be at least 1");
        if (_options.ChunkSize < 1) throw new ArgumentOutOfRangeException(nameof(options), "ChunkSize must be at least 1");
    }

    /// <summary>The references a push of <paramref name="reference"/> covers: itself (tag "latest" when it has none),
    /// or with <paramref name="allTags"/> every tag of its repository in the store. Throws Docker's message when there is none.</summary>
    public IReadOnlyList<ImageReference> Targets(ImageReference reference, bool allTags)
    {
        if (reference.Digest is not null)
            throw new MiniImageException($"push {reference.ToFamiliarString()}: cannot push a digest reference");
        if (!allTags)
        {
            var tagged = reference.Tag is null ? reference.WithTag(ImageReference.DefaultTag) : reference;
            if (_store.Resolve(tagged.ToString()) is null)
                throw new MiniImageException($"An image does not exist locally with the tag: {reference.FamiliarName}");
            return [tagged];
        }
        var tags = _store.List()
            .Where(s => !s.IsDangling && ImageReference.TryParse($"{s.Repository}:{s.Tag}", out var r) && r.Name == reference.Name)
            .Select(s => reference.WithTag(s.Tag))
            .DistinctBy(r => r.Tag)
            .OrderBy(r => r.Tag, StringComparer.Ordinal)
            .ToList();
        if (tags.Count == 0)
            throw new MiniImageException($"An image does not exist locally with the tag: {reference.FamiliarName}");
        return tags;
    }

    /// <summary>Pushes each of <paramref name="targets"/> (from <see cref="Targets"/>): one repository, one or more tags.</summary>
    public async Task<IReadOnlyList<PushResult>> PushAsync(IReadOnlyList<ImageReference> targets, IPushProgress? progress, CancellationToken cancel)
    {
        if (targets.Count == 0) return [];
        var events = new SerialProgress(progress);
        events.Start(targets[0]);
        var results = new List<PushResult>();
        foreach (var target in targets)
            results.Add(await PushTagAsync(target, events, cancel).ConfigureAwait(false));
        return results;
    }

    private async Task<PushResult> PushTagAsync(ImageReference target, SerialProgress events, CancellationToken cancel)
    {
        string context = $"push {target.ToFamiliarString()}";
        var image = _store.Resolve(target.ToString())
            ?? throw new MiniImageException($"An image does not exist locally with the tag: {target.FamiliarName}");
        PushImage plan;
        int uploaded = 0, mounted = 0, existing = 0;
        Digest digest;
        using (_store.BeginPush())
        {
            plan = _store.ReadForPush(image, context);
            // docker push lists the layers top first; a blob listed twice is pushed once.
            var layers = plan.Blobs.Where(b => !b.IsConfig).Reverse().DistinctBy(b => b.Digest).ToList();
            foreach (var l in layers) events.Layer(Id(l), PushEvent.Preparing);
            foreach (var l in layers.Skip(_options.MaxConcurrentUploads)) events.Layer(Id(l), PushEvent.Waiting);

            var uploader = new BlobUploader(_registry, _options);
            var outcomes = await ForEachAsync(layers, async (l, token) =>
            {
                string id = Id(l);
                var sources = _store.BlobSources(l.Digest, target.Domain);
                var (outcome, from) = await uploader.PushAsync(target, l, sources,
                    () => events.Layer(id, PushEvent.Pushing, 0, l.Descriptor.Size),
                    (n, total) => events.Layer(id, PushEvent.Pushing, n, total),
                    $"{context}: layer {id}", token).ConfigureAwait(false);
                events.Layer(id, outcome switch
                {
                    UploadOutcome.Existed => PushEvent.LayerAlreadyExists,
                    UploadOutcome.Mounted => PushEvent.MountedFrom,
                    _ => PushEvent.Pushed,
                }, from: from);
                return outcome;
            }, cancel).ConfigureAwait(false);
            // The config last among the blobs, as Docker does: it is small and shown on no line.
            var config = plan.Blobs.First(b => b.IsConfig);
            var configOutcome = (await uploader.PushAsync(target, config, _store.BlobSources(config.Digest, target.Domain),
                null, null, $"{context}: config", cancel).ConfigureAwait(false)).Outcome;
            foreach (var o in outcomes.Append(configOutcome))
                _ = o switch { UploadOutcome.Uploaded => uploaded++, UploadOutcome.Mounted => mounted++, _ => existing++ };

            // Every blob is in the repository: now, and only now, the tag.
            digest = await _registry.PutManifestAsync(target, target.Tag!, plan.Manifest, plan.MediaType, cancel).ConfigureAwait(false);
        }
        if (digest != plan.ManifestDigest)
            throw new MiniImageException($"{context}: the manifest pushed has digest {digest}, the store names it {plan.ManifestDigest}");
        _store.RecordPush(plan, target);
        var result = new PushResult(target, digest, plan.Manifest.Length, uploaded, mounted, existing);
        events.Done(result);
        return result;
    }

    /// <summary>Runs `work` for each item, at most MaxConcurrentUploads at once; the first failure cancels the rest and is thrown.</summary>
    private async Task<List<T>> ForEachAsync<TItem, T>(List<TItem> items, Func<TItem, CancellationToken, Task<T>> work, CancellationToken cancel)
    {
        using var slots = new SemaphoreSlim(_options.MaxConcurrentUploads);
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var tasks = items.Select(async item =>
        {
            await slots.WaitAsync(failed.Token).ConfigureAwait(false);
            try { return await work(item, failed.Token).ConfigureAwait(false); }
            catch
            {
                failed.Cancel();
                throw;
            }
            finally { slots.Release(); }
        }).ToList();
        try
        {
            return (await Task.WhenAll(tasks).ConfigureAwait(false)).ToList();
        }
        catch
        {
            // The first real failure, not the cancellations it caused in the other uploads.
            var first = tasks.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!).FirstOrDefault(e => e is not OperationCanceledException);
            if (first is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
            throw;
        }
    }

    /// <summary>What docker push shows for a layer: the first 12 hex of its diff_id.</summary>
    private static string Id(PushBlob b) => (b.DiffId ?? b.Digest).Hex[..12];

    /// <summary>Forwards events one at a time.</summary>
    private sealed class SerialProgress(IPushProgress? inner)
    {
        private readonly object _gate = new();

        public void Start(ImageReference r) { lock (_gate) inner?.Start(r); }
        public void Layer(string id, PushEvent e, long current = 0, long total = 0, string? from = null) { lock (_gate) inner?.Layer(id, e, current, total, from); }
        public void Done(PushResult r) { lock (_gate) inner?.Done(r); }
    }
}
