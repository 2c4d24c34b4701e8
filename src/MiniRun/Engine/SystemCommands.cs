// SystemCommands: `system df` (what images, containers, volumes and the build cache take on disk)
// and `system prune` (each of their prunes in Docker's order).
//
// Why: copy-on-write and layer sharing made countable: ten containers of one image cost the image
// once plus what each wrote; a stopped container's writable layer and an unused volume are
// what can be reclaimed. The rows are computed from the same stores the other verbs use: images
// (ImageStore.DiskUsage: each layer once), containers (their overlay upper directory, DiskSize),
// volumes (their _data; active when a container's mounts.json names them) and the build cache
// (build-cache.json: its entries are step images, whose layers the Images row already counts).
// system prune runs container prune, network prune, volume prune (with --volumes), image prune
// (dangling, or every unused image with -a), then drops the build cache entries whose image is
// gone (every entry with -a), so a later build does not look for them.
// Follows: docker-system-df(1), docker-system-prune(1).
using MiniImage.Store;
using MiniRun.Build;
using MiniRun.Containers;
using MiniRun.Volumes;

namespace MiniRun.Engine;

/// <summary>One row of `system df`: TYPE, TOTAL, ACTIVE, SIZE, RECLAIMABLE (bytes).</summary>
public sealed record DiskUsageRow(string Type, int Total, int Active, long Size, long Reclaimable);

/// <summary>What `system prune` removed, part by part, and the bytes it freed.</summary>
public sealed record SystemPruneResult(
    IReadOnlyList<string> Containers, IReadOnlyList<string> Networks, IReadOnlyList<string> Volumes,
    IReadOnlyList<RemovalEvent> Images, int BuildCacheEntries, long ReclaimedBytes);

public static class SystemCommands
{
    /// <summary>The four rows of `system df`, in Docker's order.</summary>
    public static IReadOnlyList<DiskUsageRow> DiskUsage(string root)
    {
        var store = Directory.Exists(Path.Combine(root, "containers")) ? new ContainerStore(root) : null;
        var containers = store?.List() ?? [];
        var images = new ImageStore(root).DiskUsage(containers.Select(c => c.ImageId).ToHashSet(StringComparer.Ordinal));

        int running = 0;
        long rwTotal = 0, rwReclaimable = 0;
        foreach (var c in containers)
        {
            long rw = DiskSize.Of(Path.Combine(store!.DirOf(c.Id), "upper"));
            rwTotal += rw;
            if (ContainerLiveness.IsRunning(c)) running++;
            else rwReclaimable += rw;
        }

        int volumes = 0, volumesUsed = 0;
        long volumeBytes = 0, volumeReclaimable = 0;
        var volumeStore = new VolumeStore(root);
        if (Directory.Exists(volumeStore.Dir))
        {
            foreach (var v in volumeStore.List())
            {
                long size = VolumeStore.SizeOf(v);
                volumes++;
                volumeBytes += size;
                if (ContainerMounts.UsersOf(root, v.Name).Count > 0) volumesUsed++;
                else volumeReclaimable += size;
            }
        }

        return
        [
            new DiskUsageRow("Images", images.Total, images.Active, images.Size, images.Reclaimable),
            new DiskUsageRow("Containers", containers.Count, running, rwTotal, rwReclaimable),
            new DiskUsageRow("Local Volumes", volumes, volumesUsed, volumeBytes, volumeReclaimable),
            new DiskUsageRow("Build Cache", new BuildCache(root).Count, 0, 0, 0),
        ];
    }

    /// <summary>`system prune [-a] [--volumes]` (the caller has asked the question).</summary>
    public static SystemPruneResult Prune(string root, bool all, bool volumes)
    {
        var containers = Directory.Exists(Path.Combine(root, "containers"))
            ? ContainerPrune.Prune(new ContainerStore(root), [], DateTimeOffset.UtcNow)
            : new ContainerPruneResult([], 0);
        var networks = Directory.Exists(Path.Combine(root, "networks")) ? NetworkCommands.Prune(root) : [];
        var (removedVolumes, volumeBytes) = volumes && Directory.Exists(new VolumeStore(root).Dir)
            ? VolumeCommands.Prune(root, all: false, [])
            : ([], 0);
        var images = new ImageStore(root);
        var removedImages = images.Prune(all, () => ContainerUses.Of(root));
        int cacheEntries = new BuildCache(root).Prune(id => !all && images.Resolve(id) is not null);
        return new SystemPruneResult(containers.Deleted, networks, removedVolumes, removedImages.Events, cacheEntries,
            containers.ReclaimedBytes + volumeBytes + removedImages.ReclaimedBytes);
    }
}
