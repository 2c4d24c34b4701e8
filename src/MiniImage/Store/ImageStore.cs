// ImageStore: the local image store under the MiniRun root: load OCI image layouts, list and
// resolve images, read their config, and unpack their layers for containers.
//
// How writes stay safe (see StorePaths for the directory layout):
//   - every writer holds the exclusive flock on store.lock (StoreLock) for its whole operation and
//     first runs StoreRecovery: tmp/, which only lock holders use, is emptied, and the blobs and
//     layers a failed or killed writer left unreferenced (its StoreJournal lists them) go away;
//   - a load stages every blob in tmp/load-*/ with digest and size verified during the copy, and
//     only when ALL images of the layout verified renames them into blobs/sha256/, fsyncs that
//     directory and then replaces images.json atomically. A bad or missing blob therefore leaves
//     blobs/, tmp/ and images.json exactly as they were. Then every layer the store lacks is
//     unpacked and checked against its diff_id, as pull does (hostile entries refused); if one
//     fails, the layers and blobs this load added are removed and nothing is recorded. A crash
//     before images.json leaves only unreferenced blobs and layers, listed in the load's journal,
//     which the next writer removes;
//   - readers (List, Resolve, ReadConfig) take no lock: every file they read is replaced by rename.
// Loading a tag that already exists moves it; an image left without tags shows as <none>:<none>.
// Resolve accepts a reference ("busybox", "busybox:1.36", "docker.io/library/busybox:latest",
// "name@sha256:<manifest digest>"), an image ID ("sha256:<64 hex>", or its hex), or a unique
// prefix of at least 12 hex characters of an image ID. References are tried first, as in Docker.
// Follows: OCI image-spec v1.1 image-layout.md; docker-load(1), docker-images(1) semantics.
using MiniImage.Oci;
using MiniImage.Reference;

namespace MiniImage.Store;

public sealed partial class ImageStore
{
    /// <summary>Told of each layer this store unpacks (pull, load, the first run of an image): `--trace` narrates it.</summary>
    public Action<MiniImage.Layers.LayerUnpacked>? LayerUnpacked { get; set; }

    private const int MinIdPrefix = 12;
    private readonly StorePaths _paths;

    public ImageStore(string root) => _paths = new StorePaths(root);

    public string Root => _paths.Root;

    /// <summary>Import an OCI image layout (a directory, or a tar of one). Returns the images loaded.</summary>
    public IReadOnlyList<ImageSummary> Load(string path, Action<string>? progress = null) =>
        LoadStaged(staging => LayoutSource.Open(path, _paths, staging), progress);

    /// <summary>
    /// Every load: under the exclusive lock, in a fresh tmp/load-* directory (removed at the end),
    /// open the source, import and verify its blobs, commit them, then record the images.
    /// </summary>
    private IReadOnlyList<ImageSummary> LoadStaged(Func<string, LayoutSource> open, Action<string>? progress)
    {
        _paths.EnsureDirectories();
        using var storeLock = StoreLock.Exclusive(_paths.Root);
        StoreRecovery.Run(_paths);
        using var journal = StoreJournal.Begin(_paths);
        string staging = _paths.NewTemp("load");
        Directory.CreateDirectory(staging);
        try
        {
            var source = open(staging);
            var images = new LayoutImporter(source, progress).Import();
            var newBlobs = CommitBlobs(images, journal);
            var newLayers = new List<string>();
            var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
            try
            {
                foreach (var image in images) UnpackLoaded(image, source.Context, newLayers, sizes, journal);
            }
            catch
            {
                // Refused: nothing of this load stays (layers it unpacked, blobs it brought in).
                foreach (string dir in newLayers) StorePaths.DeleteTree(dir);
                foreach (string blob in newBlobs) File.Delete(blob);
                throw;
            }
            var loaded = Record(images, progress, sizes);
            journal.Complete();
            return loaded;
        }
        catch { Abandon(journal, holdingExclusive: true); throw; }
        finally
        {
            StorePaths.DeleteTree(staging);
        }
    }

    /// <summary>
    /// One entry per tag, plus one &lt;none&gt;:&lt;none&gt; entry per untagged image; newest first.
    /// Without <paramref name="intermediates"/>, untagged images that are another image's parent
    /// (a build's intermediate steps) are left out, as `docker images` does without -a.
    /// </summary>
    public IReadOnlyList<ImageSummary> List(bool intermediates = true)
    {
        var records = ImageRecords.Read(_paths);
        var parents = intermediates ? null : records.Parents();
        var result = new List<ImageSummary>();
        foreach (var (id, r) in records.Images)
        {
            var tags = records.TagsOf(id);
            if (tags.Count == 0 && parents?.Contains(id) != true) result.Add(Summary(records, id, r, null));
            foreach (string tag in tags) result.Add(Summary(records, id, r, ImageReference.Parse(tag)));
        }
        return result
            .OrderByDescending(s => s.Created ?? DateTimeOffset.MinValue)
            .ThenBy(s => s.Repository, StringComparer.Ordinal)
            .ThenBy(s => s.Tag, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The image a user's reference or ID names, or null if the store has none.</summary>
    public ImageSummary? Resolve(string reference)
    {
        var records = ImageRecords.Read(_paths);
        string s = reference.Trim();
        if (s.Length == 0) return null;

        if (s.StartsWith("sha256:", StringComparison.Ordinal))
        {
            string hex = s[7..];
            if (hex.Length < MinIdPrefix || !Digest.IsHex(hex) || hex.Length > 64)
                throw new MiniImageException($"resolve image {GoQuote.Quote(reference)}: need \"sha256:\" and 12 to 64 lowercase hex characters");
            if (hex.Length == 64)
            {
                var d = Digest.FromHex(hex);
                if (records.Images.TryGetValue(d.ToString(), out var byId)) return Summary(records, d.ToString(), byId, FirstTag(records, d.ToString()));
                return ByManifest(records, d, null);
            }
            s = hex;
        }
        else if (ImageReference.TryParse(s, out var r))
        {
            if (r.Digest is { } digest)
            {
                if (ByManifest(records, digest, r) is { } found) return found;
            }
            else if (records.Tags.TryGetValue(r.ToString(), out var id) && records.Images.TryGetValue(id, out var rec))
            {
                return Summary(records, id, rec, r);
            }
        }

        if (s.Length >= MinIdPrefix && Digest.IsHex(s) && s.Length <= 64)
        {
            var matches = records.Images.Keys.Where(k => k.AsSpan(7).StartsWith(s, StringComparison.Ordinal)).ToList();
            if (matches.Count > 1)
                throw new MiniImageException($"resolve image {GoQuote.Quote(reference)}: ambiguous ID prefix, matches {string.Join(", ", matches.Select(m => m[7..19]))}");
            if (matches.Count == 1)
                return Summary(records, matches[0], records.Images[matches[0]], FirstTag(records, matches[0]));
        }
        return null;
    }

    /// <summary>The image's config blob, read back from the store.</summary>
    public ImageConfig ReadConfig(ImageSummary image)
    {
        var digest = Digest.Parse(image.ImageId);
        byte[] json = ReadBlob(digest, $"read config of image {image.DisplayName}");
        try
        {
            return ImageConfig.Parse(json);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidDataException)
        {
            throw new MiniImageException($"read config of image {image.DisplayName}: parse {digest}: {e.Message}");
        }
    }

    /// <summary>
    /// Ensures every layer is unpacked (once, shared by all images); returns the layer dirs, bottom
    /// first. <paramref name="config"/>: the image's config when the caller has read it already.
    /// </summary>
    public IReadOnlyList<string> PrepareLayers(ImageSummary image, ImageConfig? config = null) =>
        new LayerPreparer(_paths, this).Prepare(image, config);

    /// <summary>Docker's limit on the layers of one image (moby's layer store: "max depth exceeded").</summary>
    public const int MaxLayers = 125;

    /// <summary>One line naming the count and the limit, for run/create and for build/commit.</summary>
    public static string TooManyLayers(string what, int count) =>
        $"{what}: too many layers: {count}, more than the {MaxLayers} an image may have";

    /// <summary>
    /// The short links (l/NAME, see LayerLinks) of layer directories PrepareLayers returned,
    /// in the same order; a missing link is made again. config.json's lowerdirs name these.
    /// </summary>
    public IReadOnlyList<string> ShortLinks(IReadOnlyList<string> layerDirs)
    {
        var links = new List<string>(layerDirs.Count);
        foreach (string dir in layerDirs)
        {
            string full = Path.GetFullPath(dir).TrimEnd('/');
            if (Path.GetDirectoryName(full) != _paths.Layers)
                throw new MiniImageException($"layer link for {dir}: not a layer directory of the store {_paths.Layers}");
            links.Add(LayerLinks.Ensure(_paths, Path.GetFileName(full)));
        }
        return links;
    }

    internal ImageManifest ReadManifest(ImageSummary image)
    {
        var digest = Digest.Parse(image.ManifestDigest);
        return ImageManifest.Parse(ReadBlob(digest, $"read manifest of image {image.DisplayName}"), $"manifest {digest} of image {image.DisplayName}");
    }

    /// <summary>Reads a small blob from the store (verified when it was written).</summary>
    private byte[] ReadBlob(Digest digest, string context)
    {
        byte[] data;
        try { data = File.ReadAllBytes(_paths.Blob(digest)); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new MiniImageException($"{context}: blob {digest} is missing from the store ({_paths.Blob(digest)}); load the image again");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MiniImageException($"{context}: read {_paths.Blob(digest)}: {e.Message}");
        }
        // Not re-hashed here: every blob was verified while it was written and then renamed into
        // place, so its name is its digest. Re-hashing on each `run` would load OpenSSL (.NET's
        // SHA-256 on Linux) and cost milliseconds of every container start. Layers are still
        // checked against their diff_id whenever they are unpacked.
        return data;
    }

    /// <summary>Moves verified staged blobs into blobs/sha256/ (already present ones are kept).</summary>
    /// <summary>
    /// `load` verifies what `pull` verifies before anything is recorded: every layer an image
    /// needs and the store lacks is unpacked now (LayerUnpacker: hostile entries refused, the
    /// content checked against its diff_id). The directories made are added to
    /// <paramref name="made"/>, their unpacked sizes to <paramref name="sizes"/>.
    /// </summary>
    private void UnpackLoaded(ImportedImage image, string context, List<string> made, Dictionary<string, long> sizes, StoreJournal journal)
    {
        string label = $"{context}: image {image.Name?.ToFamiliarString() ?? image.ConfigDigest.ToString()}";
        var manifest = ImageManifest.Parse(File.ReadAllBytes(_paths.Blob(image.ManifestDigest)), $"{label}: manifest");
        var diffIds = image.Config.RootFs.DiffIds;
        if (diffIds.Count != manifest.Layers.Count)
            throw new MiniImageException($"{label}: config lists {diffIds.Count} diff_ids but the manifest has {manifest.Layers.Count} layers");
        for (int i = 0; i < diffIds.Count; i++)
        {
            var diffId = Digest.Parse(diffIds[i]);
            string dir = _paths.Layer(diffId);
            journal.Layers(diffId);
            if (Directory.Exists(dir)) continue;
            string layerContext = $"{label}: layer {i + 1}/{diffIds.Count}";
            sizes[diffIds[i]] = LayerPreparer.UnpackLayer(_paths, manifest.Layers[i], manifest.Layers[i].ParsedDigest(layerContext),
                diffId, layerContext, missingHint: "the archive lacks it", prefixLayerErrors: true, unpacked: LayerUnpacked);
            made.Add(dir);
        }
    }

    /// <summary>Moves the staged blobs into the store; returns the paths of those it added.</summary>
    private List<string> CommitBlobs(List<ImportedImage> images, StoreJournal journal)
    {
        var added = new List<string>();
        journal.Blobs(images.SelectMany(i => i.Blobs).Select(b => b.Digest).Distinct().ToArray());
        foreach (var blob in images.SelectMany(i => i.Blobs).Where(b => !b.InStore).DistinctBy(b => b.Digest))
        {
            string target = _paths.Blob(blob.Digest);
            if (File.Exists(target)) continue;
            added.Add(target);
            try { File.Move(blob.Path, target); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new MiniImageException($"store blob {blob.Digest}: move {blob.Path} to {target}: {e.Message}");
            }
        }
        NativeFs.FsyncDirectory(_paths.Blobs);
        return added;
    }

    /// <summary>
    /// After a failed operation: its journal released, and what it left removed at once when the
    /// exclusive lock is (or can be) held; otherwise the next writer does it.
    /// </summary>
    internal void Abandon(StoreJournal journal, bool holdingExclusive)
    {
        journal.Dispose();
        try
        {
            if (holdingExclusive) StoreRecovery.Run(_paths);
            else
            {
                using var storeLock = StoreLock.TryExclusive(_paths.Root);
                if (storeLock is not null) StoreRecovery.Run(_paths);
            }
        }
        catch (MiniImageException) { }   // the operation's own error is the one to report; the next writer tries again
    }

    /// <summary>Adds the images, their tags and the sizes of the layers unpacked to images.json; returns their summaries.</summary>
    private List<ImageSummary> Record(List<ImportedImage> images, Action<string>? progress, IReadOnlyDictionary<string, long> layerSizes)
    {
        var records = ImageRecords.Read(_paths);
        foreach (var (diffId, size) in layerSizes) records.Layers[diffId] = size;
        var result = new List<ImageSummary>();
        var now = DateTimeOffset.UtcNow;
        foreach (var image in images)
        {
            string id = image.ConfigDigest.ToString();
            records.Images[id] = new ImageRecord
            {
                Manifest = image.ManifestDigest.ToString(),
                Created = image.Config.Created,
                DiffIds = image.Config.RootFs.DiffIds.ToList(),
                BlobSize = image.BlobSize,
                Loaded = now,
            };
            if (image.Name is { } name)
            {
                string key = name.ToString();
                if (records.Tags.TryGetValue(key, out var oldId) && oldId != id)
                {
                    records.Tags[key] = id;
                    if (records.TagsOf(oldId).Count == 0)
                        progress?.Invoke($"The image {name.ToFamiliarString()} already exists, leaving the old one with ID {oldId} untagged");
                }
                records.Tags[key] = id;
                progress?.Invoke($"Loaded image: {name.ToFamiliarString()}");
            }
            else
            {
                progress?.Invoke($"Loaded image ID: {id}");
            }
            result.Add(Summary(records, id, records.Images[id], image.Name ?? FirstTag(records, id)));
        }
        records.Write(_paths);
        return result;
    }

    internal void RecordLayerSize(string diffId, long size)
    {
        // Called by LayerPreparer while it holds the exclusive lock.
        var records = ImageRecords.Read(_paths);
        records.Layers[diffId] = size;
        records.Write(_paths);
    }

    private static ImageReference? FirstTag(ImageRecords records, string id) =>
        records.TagsOf(id) is { Count: > 0 } tags ? ImageReference.Parse(tags[0]) : null;

    private static ImageSummary? ByManifest(ImageRecords records, Digest manifest, ImageReference? wanted)
    {
        string m = manifest.ToString();
        foreach (var (id, r) in records.Images)
        {
            if (r.Manifest != m) continue;
            var tags = records.TagsOf(id).Select(ImageReference.Parse).ToList();
            var tag = tags.FirstOrDefault(t => wanted is not null && t.Name == wanted.Name && (wanted.Tag is null || t.Tag == wanted.Tag))
                      ?? tags.FirstOrDefault();
            return Summary(records, id, r, tag);
        }
        return null;
    }

    private static ImageSummary Summary(ImageRecords records, string id, ImageRecord r, ImageReference? name) =>
        new(name?.FamiliarName ?? ImageSummary.None, name?.Tag ?? ImageSummary.None, id, r.Manifest, r.Created, records.SizeOf(r));
}
