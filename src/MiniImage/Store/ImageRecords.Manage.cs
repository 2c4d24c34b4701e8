// ImageRecords.Manage: the bookkeeping that `rmi`, `tag` and `image prune` need on top of
// images.json: when each image was last tagged (docker's Metadata.LastTagTime), removing tags and
// images, and which blobs and layer directories the remaining images still reference.
//
// Why: garbage collection must only remove what no remaining image needs, and it must know that
// from the records alone, before any file is touched (records are written first, files deleted
// afterwards, so a crash leaves at worst unreferenced files, never a record without its files).
// Follows: docker-rmi(1), docker-tag(1) semantics; OCI image-spec v1.1 manifest.md (a manifest
// references its config and layer blobs).
using System.Text.Json.Serialization;
using MiniImage.Oci;

namespace MiniImage.Store;

internal sealed partial class ImageRecords
{
    /// <summary>image ID -> time of the last `tag` that pointed at it (absent: its load time counts).</summary>
    [JsonPropertyName("lastTagTime")] public Dictionary<string, DateTimeOffset>? LastTagTime { get; set; }

    /// <summary>Points `key` (a full reference) at `imageId` and remembers when.</summary>
    public void SetTag(string key, string imageId, DateTimeOffset now)
    {
        Tags[key] = imageId;
        LastTagTime ??= new();
        LastTagTime[imageId] = now;
    }

    /// <summary>Removes the image's record and every tag pointing at it; returns the tags removed (sorted).</summary>
    public List<string> RemoveImage(string imageId)
    {
        var tags = TagsOf(imageId);
        foreach (string t in tags) Tags.Remove(t);
        Images.Remove(imageId);
        LastTagTime?.Remove(imageId);
        return tags;
    }

    public bool IsDangling(string imageId) => !Tags.ContainsValue(imageId);

    /// <summary>The images some recorded image names as its parent (a build's intermediate images, a commit's base).</summary>
    public HashSet<string> Parents() =>
        Images.Values.Select(r => r.Parent).OfType<string>().Where(Images.ContainsKey).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// The untagged ancestors of <paramref name="imageId"/> that go with it once it is deleted:
    /// walking up its parents while each is untagged, not in <paramref name="keep"/> and the parent
    /// of no other remaining image (docker rmi's "Deleted:" lines for a build's intermediate images).
    /// </summary>
    public List<string> OrphanedAncestors(string imageId, IReadOnlySet<string> keep)
    {
        var result = new List<string>();
        var gone = new HashSet<string>(StringComparer.Ordinal) { imageId };
        string? parent = Images.TryGetValue(imageId, out var r) ? r.Parent : null;
        while (parent is not null && Images.TryGetValue(parent, out var pr) && !gone.Contains(parent) &&
               IsDangling(parent) && !keep.Contains(parent) &&
               !Images.Any(kv => !gone.Contains(kv.Key) && kv.Value.Parent == parent))
        {
            result.Add(parent);
            gone.Add(parent);
            parent = pr.Parent;
        }
        return result;
    }

    /// <summary>
    /// Every blob (manifest, config, layer blobs) and every layer diff_id the images in
    /// `imageIds` reference. A manifest that cannot be read contributes only what the record
    /// itself names (its digest, the config, the diff_ids).
    /// </summary>
    public (HashSet<string> Blobs, HashSet<string> DiffIds) References(StorePaths paths, IEnumerable<string> imageIds)
    {
        var blobs = new HashSet<string>(StringComparer.Ordinal);
        var diffIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (string id in imageIds)
        {
            if (!Images.TryGetValue(id, out var r)) continue;
            blobs.Add(id);
            foreach (string d in r.DiffIds) diffIds.Add(d);
            if (!Digest.TryParse(r.Manifest, out var manifestDigest)) continue;
            blobs.Add(r.Manifest);
            foreach (string layer in LayerBlobs(paths, manifestDigest)) blobs.Add(layer);
        }
        return (blobs, diffIds);
    }

    /// <summary>The layer blob digests a stored manifest lists (empty if the manifest is unreadable).</summary>
    public static List<string> LayerBlobs(StorePaths paths, Digest manifest)
    {
        try
        {
            var m = ImageManifest.Parse(File.ReadAllBytes(paths.Blob(manifest)), $"manifest {manifest}");
            return m.Layers.Select(l => l.Digest).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or MiniImageException)
        {
            return new List<string>();
        }
    }
}
