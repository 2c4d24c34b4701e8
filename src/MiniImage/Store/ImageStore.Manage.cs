// ImageStore.Manage: removing images (`rmi`, `image prune`), tagging (`tag`), and the garbage
// collection of blobs and layer directories that removal leaves unreferenced.
//
// Removal follows Docker's daemon rules (docker-rmi(1)):
//   - a reference ("busybox", "busybox:1.36") removes that tag ("Untagged: busybox:latest"); when
//     it was the image's last tag the image is deleted ("Deleted: sha256:..."). If it is the only
//     tag and a container (running or stopped) uses the image, the untag is refused
//     ("conflict: unable to remove repository reference ... (must force)") unless forced; forced,
//     an image still used by a running container stays, untagged;
//   - an image ID deletes the image with its tags if it has at most one tag; with more tags, or
//     when a stopped container uses it, only when forced; never while a container runs it.
// A build's intermediate images (untagged, the parent of another image) go with the image built
// from them: rmi deletes the untagged ancestors nothing else needs, prune keeps the ancestors of
// every image it keeps. `history` walks the same parent chain for its IMAGE column (Lineage).
// Garbage collection, after the records are written (so a crash leaves only unreferenced files,
// which a later load or pull reuses): of the blobs and layer directories the deleted images
// referenced, those that no remaining image references are removed, except layer directories a
// container still mounts as lowerdir (a container whose image was force-removed keeps its layers).
// A layer directory is first renamed into tmp/ and removed there, so layers/<hex> never exists
// half-deleted (its existence means "complete" to LayerPreparer). Everything runs under the
// exclusive store lock.
// Follows: docker-rmi(1), docker-tag(1), docker-image-prune(1); moby's image_delete.go conflict
// rules and messages.
using MiniImage.Archive;
using MiniImage.Oci;
using MiniImage.Reference;

namespace MiniImage.Store;

/// <summary>What a container holds on to: its image, whether it runs, and its overlay lower dirs.</summary>
public sealed record ContainerUse(string ContainerId, string ImageId, bool Running, IReadOnlyList<string> LowerDirs);

/// <summary>One line of rmi/prune output: "Untagged: busybox:latest" (Deleted false) or "Deleted: sha256:..." (true).</summary>
public sealed record RemovalEvent(bool Deleted, string Subject);

public sealed record RemovalResult(IReadOnlyList<RemovalEvent> Events, long ReclaimedBytes);

/// <summary>
/// Everything `image inspect` and `history` show about one image. LayerSizes[i] is the unpacked
/// size of layer i (null until it is unpacked); LayerBlobSizes[i] the size of its blob.
/// </summary>
public sealed record ImageDetails(
    string Id, IReadOnlyList<string> RepoTags, IReadOnlyList<string> RepoDigests, string ManifestDigest,
    ImageConfig Config, long Size, DateTimeOffset LastTagTime,
    IReadOnlyList<long?> LayerSizes, IReadOnlyList<long> LayerBlobSizes);

public sealed partial class ImageStore
{
    /// <summary>`rmi IMAGE`: untags or deletes one image (rules in the file header).</summary>
    public RemovalResult Remove(string image, bool force, Func<IReadOnlyList<ContainerUse>> containers)
    {
        _paths.EnsureDirectories();
        using var storeLock = StoreLock.Exclusive(_paths.Root);
        StoreRecovery.Run(_paths);
        var found = Resolve(image)
                    ?? (ImageReference.TryParse(image, out var dr) && dr.Digest is not null ? ResolveRepoDigest(dr) : null)
                    ?? throw new MiniImageException($"No such image: {WithDefaultTag(image)}");
        var uses = containers();
        var records = ImageRecords.Read(_paths);
        string id = found.ImageId;
        string shortId = id[7..19];
        var events = new List<RemovalEvent>();
        var tags = records.TagsOf(id);
        bool byId = id[7..].StartsWith(image.StartsWith("sha256:", StringComparison.Ordinal) ? image[7..] : image, StringComparison.Ordinal);
        var user = uses.FirstOrDefault(u => u.ImageId == id);
        var running = uses.FirstOrDefault(u => u.ImageId == id && u.Running);
        bool removedRepositoryRef = false;

        if (!byId && ImageReference.TryParse(image, out var reference) && reference.Digest is null)
        {
            if (!force && tags.Count == 1 && user is not null)
                throw new MiniImageException($"conflict: unable to remove repository reference {GoQuote.Quote(image)} (must force) - container {user.ContainerId[..Math.Min(12, user.ContainerId.Length)]} is using its referenced image {shortId}");
            string key = reference.ToString();
            if (records.Tags.Remove(key)) events.Add(new RemovalEvent(false, reference.ToFamiliarString()));
            if (records.TagsOf(id).Count > 0)
            {
                records.Write(_paths);
                return new RemovalResult(events, 0);
            }
            removedRepositoryRef = true;
        }
        else if (tags.Count == 1)
        {
            if (running is not null) throw Conflict(shortId, true, $"image is being used by running container {Short(running.ContainerId)}");
            if (!force && user is not null) throw Conflict(shortId, false, $"image is being used by stopped container {Short(user.ContainerId)}");
            records.Tags.Remove(tags[0]);
            events.Add(new RemovalEvent(false, ImageReference.Parse(tags[0]).ToFamiliarString()));
        }

        // moby's imageDeleteHelper: hard conflicts always, soft ones unless forced.
        string? conflict = null;
        bool hard = false;
        if (running is not null) { conflict = $"image is being used by running container {Short(running.ContainerId)}"; hard = true; }
        else if (!force && records.TagsOf(id).Count > 0) conflict = "image is referenced in multiple repositories";
        else if (!force && user is not null) conflict = $"image is being used by stopped container {Short(user.ContainerId)}";
        if (conflict is not null)
        {
            if (removedRepositoryRef && (!records.IsDangling(id) || user is not null))
            {
                records.Write(_paths); // the untag stands; the image stays (in use)
                return new RemovalResult(events, 0);
            }
            throw Conflict(shortId, hard, conflict);
        }

        var orphans = records.OrphanedAncestors(id, uses.Select(u => u.ImageId).ToHashSet(StringComparer.Ordinal));
        events.AddRange(DeleteImage(records, id));
        foreach (string parent in orphans) events.AddRange(DeleteImage(records, parent));
        long reclaimed = CollectAndWrite(records, [id, .. orphans], uses, events);
        return new RemovalResult(events, reclaimed);
    }

    /// <summary>`image prune`: deletes dangling images (all: every image) that no container uses.</summary>
    public RemovalResult Prune(bool all, Func<IReadOnlyList<ContainerUse>> containers)
    {
        _paths.EnsureDirectories();
        using var storeLock = StoreLock.Exclusive(_paths.Root);
        var uses = containers();
        // Everything unreferenced goes first, whatever left it (a failed or killed pull, load,
        // build or commit, a store of an older MiniRun): blobs, layers no container mounts, tmp/.
        long recovered = StoreRecovery.Run(_paths, uses.SelectMany(u => u.LowerDirs).Select(d => LayerLinks.LayerDirOf(_paths, d)).ToHashSet(StringComparer.Ordinal));
        var used = uses.Select(u => u.ImageId).ToHashSet(StringComparer.Ordinal);
        var records = ImageRecords.Read(_paths);
        // Kept: what containers use and (without -a) what is tagged, with all their ancestors (a
        // build's intermediate images stay while the image built from them is kept).
        var kept = new HashSet<string>(StringComparer.Ordinal);
        foreach (string id in records.Images.Keys)
        {
            if (!used.Contains(id) && (all || records.IsDangling(id))) continue;
            for (string? at = id; at is not null && kept.Add(at);)
                at = records.Images.TryGetValue(at, out var r) ? r.Parent : null;
        }
        var victims = records.Images
            .Where(kv => !kept.Contains(kv.Key))
            .OrderByDescending(kv => kv.Value.Created ?? DateTimeOffset.MinValue).ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => kv.Key).ToList();
        var events = new List<RemovalEvent>();
        if (victims.Count == 0) return new RemovalResult(events, recovered);
        foreach (string id in victims) events.AddRange(DeleteImage(records, id));
        long reclaimed = CollectAndWrite(records, victims, uses, events);
        return new RemovalResult(events, recovered + reclaimed);
    }

    /// <summary>`tag SOURCE TARGET`: points TARGET (a tag reference) at the image SOURCE names.</summary>
    public void Tag(string source, string target)
    {
        if (!ImageReference.TryParse(target, out var reference, out var error))
            throw new MiniImageException($"Error parsing reference: {GoQuote.Quote(target)} is not a valid repository/tag: invalid reference format: {error}");
        if (reference.Digest is not null)
            throw new MiniImageException($"refusing to create a tag with a digest reference: {GoQuote.Quote(target)}");
        _paths.EnsureDirectories();
        using var storeLock = StoreLock.Exclusive(_paths.Root);
        var found = Resolve(source) ?? throw new MiniImageException($"No such image: {WithDefaultTag(source)}");
        var records = ImageRecords.Read(_paths);
        records.SetTag(reference.ToString(), found.ImageId, DateTimeOffset.UtcNow);
        records.Write(_paths);
    }

    /// <summary>The name as Docker's daemon names a missing image: a name without tag or digest gets `:latest` (`No such image: x:latest`).</summary>
    public static string WithDefaultTag(string name)
    {
        int slash = name.LastIndexOf('/');
        bool tagged = name.IndexOf(':', slash + 1) >= 0 || name.Contains('@');
        return tagged || !ImageReference.TryParse(name, out _, out _) ? name : name + ":latest";
    }

    /// <summary>The details of the image `reference` names, or null if the store has none.</summary>
    public ImageDetails? Inspect(string reference)
    {
        var found = Resolve(reference)
                    ?? (ImageReference.TryParse(reference, out var dr) && dr.Digest is not null ? ResolveRepoDigest(dr) : null);
        if (found is null) return null;
        var records = ImageRecords.Read(_paths);
        if (!records.Images.TryGetValue(found.ImageId, out var record)) return null;
        var config = ReadConfig(found);
        var manifest = ReadManifest(found);
        var tags = records.TagsOf(found.ImageId).Select(t => ImageReference.Parse(t).ToFamiliarString()).ToList();
        var layerSizes = record.DiffIds.Select(d => records.Layers.TryGetValue(d, out long s) ? s : (long?)null).ToList();
        DateTimeOffset tagged = records.LastTagTime is { } times && times.TryGetValue(found.ImageId, out var t2) ? t2 : record.Loaded;
        return new ImageDetails(found.ImageId, tags, Familiar(record.RepoDigests), record.Manifest, config,
            records.SizeOf(record), tagged, layerSizes, manifest.Layers.Select(l => l.Size).ToList());
    }

    /// <summary>
    /// `history`'s IMAGE column: the image, its parent, the parent's parent... as long as each is in
    /// the store. A build (or commit) records the image it started from as the parent and adds one
    /// history entry per step, so the k-th history row from the top is the k-th image of this chain
    /// (Docker fills the column the same way); rows below the chain are images the store never had.
    /// </summary>
    public IReadOnlyList<string> Lineage(string imageId)
    {
        var records = ImageRecords.Read(_paths);
        var chain = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (string? at = imageId; at is not null && seen.Add(at) && records.Images.TryGetValue(at, out var r); at = r.Parent)
            chain.Add(at);
        return chain;
    }

    /// <summary>
    /// `save`: writes the images (references save under that tag, IDs untagged) as one archive
    /// that is both a Docker archive and an OCI layout (see ArchiveWriter), holding the shared
    /// store lock so no removal deletes a blob meanwhile.
    /// </summary>
    public void Save(IReadOnlyList<string> images, Stream output)
    {
        _paths.EnsureDirectories();
        using var storeLock = StoreLock.Shared(_paths.Root);
        var order = new List<string>();
        var byId = new Dictionary<string, (ImageSummary Summary, List<ImageReference> Tags)>();
        foreach (string image in images)
        {
            var found = Resolve(image)
                        ?? (ImageReference.TryParse(image, out var dr) && dr.Digest is not null ? ResolveRepoDigest(dr) : null)
                        ?? throw new MiniImageException($"No such image: {WithDefaultTag(image)}");
            if (!byId.TryGetValue(found.ImageId, out var entry))
            {
                byId[found.ImageId] = entry = (found, new List<ImageReference>());
                order.Add(found.ImageId);
            }
            bool isId = found.ImageId[7..].StartsWith(image.StartsWith("sha256:", StringComparison.Ordinal) ? image[7..] : image, StringComparison.Ordinal);
            if (!isId && ImageReference.TryParse(image, out var r) && r.Tag is not null)
            {
                var tag = r.Digest is null ? r : r.WithTag(r.Tag);
                if (!entry.Tags.Contains(tag)) entry.Tags.Add(tag);
            }
        }
        var saved = new List<SavedImage>();
        foreach (string id in order)
        {
            var (summary, tags) = byId[id];
            var manifestDigest = Digest.Parse(summary.ManifestDigest);
            var manifest = ReadManifest(summary);
            string mediaType = manifest.MediaType ?? MediaTypes.OciManifest;
            saved.Add(new SavedImage(manifestDigest, mediaType, new FileInfo(_paths.Blob(manifestDigest)).Length, manifest, tags));
        }
        ArchiveWriter.Write(_paths.Blob, saved, output);
    }

    /// <summary>`save -o FILE`: Save into a temporary file beside FILE, renamed over it when complete.</summary>
    public void SaveToFile(IReadOnlyList<string> images, string path) =>
        ArchiveWriter.WriteFile(path, output => Save(images, output));

    /// <summary>`load` from a stream (stdin): the tar is copied into tmp/ first, then loaded like a file.</summary>
    public IReadOnlyList<ImageSummary> Load(Stream input, Action<string>? progress = null) =>
        LoadStaged(staging =>
        {
            // "-.tar": a bare OCI ref.name tag gives no repository from this file name, so such
            // images load untagged instead of being named after a temporary file.
            string copy = Path.Combine(staging, "-.tar");
            try
            {
                using var fs = new FileStream(copy, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
                input.CopyTo(fs, 1 << 20);
            }
            catch (IOException e)
            {
                throw new MiniImageException($"load from standard input: copy to {copy}: {e.Message}", e);
            }
            if (new FileInfo(copy).Length == 0)
                throw new MiniImageException("load from standard input: empty input (use -i FILE, or pipe a tar archive)");
            string blobs = Path.Combine(staging, "blobs");
            Directory.CreateDirectory(blobs);
            return LayoutSource.Open(copy, _paths, blobs);
        }, progress);

    /// <summary>RepoDigests per image ID, familiar form ("busybox@sha256:...").</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> RepoDigests()
    {
        var records = ImageRecords.Read(_paths);
        return records.Images.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)Familiar(kv.Value.RepoDigests));
    }

    private static List<string> Familiar(List<string>? refs) =>
        (refs ?? new List<string>()).Select(r => ImageReference.TryParse(r, out var p) ? p.ToFamiliarString() : r).ToList();

    private static string Short(string id) => id[..Math.Min(12, id.Length)];

    private static MiniImageException Conflict(string shortId, bool hard, string message) =>
        new($"conflict: unable to delete {shortId} ({(hard ? "cannot be forced" : "must be forced")}) - {message}");

    /// <summary>Removes the record and its tags from `records` (not yet written); returns the output lines.</summary>
    private static List<RemovalEvent> DeleteImage(ImageRecords records, string id)
    {
        var events = new List<RemovalEvent>();
        var record = records.Images[id];
        foreach (string tag in records.RemoveImage(id))
            events.Add(new RemovalEvent(false, ImageReference.Parse(tag).ToFamiliarString()));
        foreach (string digestRef in Familiar(record.RepoDigests))
            events.Add(new RemovalEvent(false, digestRef));
        events.Add(new RemovalEvent(true, id));
        return events;
    }

    /// <summary>
    /// Writes `records` (the deleted images already removed), then removes the blobs and layer
    /// directories of `deleted` that nothing references any more. Adds a "Deleted:" line per
    /// removed layer (its chain ID, as Docker prints) to `events`; returns the bytes freed.
    /// </summary>
    private long CollectAndWrite(ImageRecords records, IReadOnlyList<string> deleted, IReadOnlyList<ContainerUse> uses, List<RemovalEvent> events)
    {
        // What the deleted images referenced: read their records from disk (records no longer has them).
        var before = ImageRecords.Read(_paths);
        var (candidateBlobs, candidateLayers) = before.References(_paths, deleted);
        var (keptBlobs, keptLayers) = records.References(_paths, records.Images.Keys);
        var mounted = uses.SelectMany(u => u.LowerDirs).Select(d => LayerLinks.LayerDirOf(_paths, d)).ToHashSet(StringComparer.Ordinal);

        var blobs = candidateBlobs.Where(b => !keptBlobs.Contains(b)).Select(b => Digest.Parse(b)).ToList();
        var layers = candidateLayers.Where(l => !keptLayers.Contains(l))
            .Select(l => Digest.Parse(l))
            .Where(l => !mounted.Contains(_paths.Layer(l)))
            .ToList();

        long reclaimed = 0;
        foreach (var l in layers)
            if (records.Layers.Remove(l.ToString(), out long size)) reclaimed += size;
        foreach (var b in blobs)
        {
            var info = new FileInfo(_paths.Blob(b));
            if (info.Exists) reclaimed += info.Length;
        }
        records.Write(_paths);

        // Docker lists the removed layers by chain ID, top layer first.
        var removedLayers = layers.Select(l => l.ToString()).ToHashSet(StringComparer.Ordinal);
        foreach (string id in deleted)
        {
            var diffIds = before.Images[id].DiffIds;
            var chains = ChainIds(diffIds);
            for (int i = diffIds.Count - 1; i >= 0; i--)
                if (removedLayers.Contains(diffIds[i]) && !events.Any(e => e.Subject == chains[i]))
                    events.Add(new RemovalEvent(true, chains[i]));
        }

        foreach (var b in blobs) StorePaths.DeleteTree(_paths.Blob(b));
        if (blobs.Count > 0) NativeFs.FsyncDirectory(_paths.Blobs);
        foreach (var l in layers)
        {
            string dir = _paths.Layer(l);
            if (Directory.Exists(dir)) StoreRecovery.RemoveLayer(_paths, dir, l.Hex);
        }
        if (layers.Count > 0) NativeFs.FsyncDirectory(_paths.Layers);
        return reclaimed;
    }

    /// <summary>OCI chain IDs: ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)).</summary>
    internal static List<string> ChainIds(IReadOnlyList<string> diffIds)
    {
        var result = new List<string>();
        foreach (string d in diffIds)
            result.Add(result.Count == 0 ? d : Digest.Compute(System.Text.Encoding.ASCII.GetBytes(result[^1] + " " + d)).ToString());
        return result;
    }
}
