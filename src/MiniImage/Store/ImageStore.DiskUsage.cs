// ImageStore.DiskUsage: the Images row of `system df`: how many images, how many a container
// uses, the bytes their layers take, and the bytes removing the unused ones would free.
//
// Why: layers are shared (every image built FROM busybox holds busybox's layer), so image sizes
// cannot be added up: the store counts each layer once. A layer is reclaimable when no image a
// container uses (or an ancestor of one, a build's intermediate steps) holds it; that is what
// `image prune -a` frees. Sizes are the unpacked sizes recorded in images.json, or the blob's
// (compressed) size for a layer never unpacked, as `images` shows.
// Follows: docker-system-df(1) (TYPE, TOTAL, ACTIVE, SIZE, RECLAIMABLE). Docker's reclaimable
// subtracts only each active image's unique size; here a layer an active image holds is never
// counted as reclaimable, since removing the unused images would not free it.
using MiniImage.Oci;

namespace MiniImage.Store;

/// <summary>Total: images `images` lists (intermediate steps not counted); Active: those a container uses.</summary>
public sealed record ImageDiskUsage(int Total, int Active, long Size, long Reclaimable);

public sealed partial class ImageStore
{
    /// <summary>The Images row of `system df`, given the image IDs containers use (running or not).</summary>
    public ImageDiskUsage DiskUsage(IReadOnlySet<string> usedImageIds)
    {
        var records = ImageRecords.Read(_paths);
        var parents = records.Parents();
        int total = records.Images.Keys.Count(id => !parents.Contains(id) || !records.IsDangling(id));
        int active = records.Images.Keys.Count(usedImageIds.Contains);

        var layerSize = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var r in records.Images.Values)
        {
            IReadOnlyList<long>? blobSizes = null;
            for (int i = 0; i < r.DiffIds.Count; i++)
            {
                string diffId = r.DiffIds[i];
                if (layerSize.ContainsKey(diffId)) continue;
                if (records.Layers.TryGetValue(diffId, out long unpacked)) { layerSize[diffId] = unpacked; continue; }
                blobSizes ??= BlobSizes(r.Manifest);
                layerSize[diffId] = i < blobSizes.Count ? blobSizes[i] : 0;
            }
        }

        var held = new HashSet<string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string id in usedImageIds)
            for (string? at = id; at is not null && seen.Add(at) && records.Images.TryGetValue(at, out var r); at = r.Parent)
                held.UnionWith(r.DiffIds);
        long size = layerSize.Values.Sum();
        long reclaimable = layerSize.Where(kv => !held.Contains(kv.Key)).Sum(kv => kv.Value);
        return new ImageDiskUsage(total, active, size, reclaimable);
    }

    /// <summary>The layer blob sizes a stored manifest lists (empty if it is unreadable).</summary>
    private IReadOnlyList<long> BlobSizes(string manifest)
    {
        try
        {
            var m = ImageManifest.Parse(File.ReadAllBytes(_paths.Blob(Digest.Parse(manifest))), $"manifest {manifest}");
            return m.Layers.Select(l => l.Size).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or MiniImageException or FormatException)
        {
            return [];
        }
    }
}
