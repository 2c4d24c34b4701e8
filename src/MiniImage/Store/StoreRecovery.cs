// StoreRecovery: what every writer of the store does first, under the exclusive lock: remove
// what failed, crashed or killed operations left behind (tmp/ entries, blobs and layers no image
// references), so the store holds only what images.json and running operations need.
//
// Rules (a store entry stays if any of these holds):
//   - a blob: images.json references it (manifest, config, layer blobs of a recorded image), or a
//     live operation's journal lists it (StoreJournal: its flock is held);
//   - a layer directory: images.json references its diff_id, or a live journal lists it; the
//     layers of killed operations (listed in journals nobody holds) are removed, and `image prune`
//     (given the layers containers mount) removes every other unreferenced layer too; a
//     container whose image was force-removed keeps its layers through that list;
//   - a tmp/ entry: only a live journal. Staging files belong to the operation that holds the
//     store lock, and the exclusive lock held here means there is none besides the caller.
// A layer is renamed into tmp/ before its tree is removed, so layers/<hex> never exists half
// removed (its existence means "complete"); removal works on names of any bytes and fails if
// anything stays (Layers/TreeRemover). A dead journal is deleted only after what it lists is gone, so
// a recovery killed halfway is finished by the next one.
// Follows: flock(2), rename(2); the store layout in StorePaths.
using MiniImage.Oci;

namespace MiniImage.Store;

internal static class StoreRecovery
{
    /// <summary>
    /// Call with the exclusive store lock held. <paramref name="mountedLayerDirs"/> (full paths of
    /// layer directories containers use): when given, every unreferenced layer not in it goes as well.
    /// Returns the bytes of blobs removed.
    /// </summary>
    public static long Run(StorePaths paths, IReadOnlySet<string>? mountedLayerDirs = null)
    {
        if (!Directory.Exists(paths.Tmp)) return 0;
        var liveJournals = new HashSet<string>(StringComparer.Ordinal);
        var liveBlobs = new HashSet<string>(StringComparer.Ordinal);
        var liveLayers = new HashSet<string>(StringComparer.Ordinal);
        var deadJournals = new List<(string Path, int Fd)>();
        var deadLayers = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            // A journal is only written under a store lock, and this caller holds the exclusive
            // one: what is read now is complete, live or dead.
            foreach (string journal in Directory.EnumerateFiles(paths.Tmp, StoreJournal.Prefix + "*"))
            {
                int fd = NativeFs.TryLock(journal);
                var (blobs, layers) = StoreJournal.Read(journal);
                if (fd < 0)
                {
                    liveJournals.Add(journal);
                    liveBlobs.UnionWith(blobs);
                    liveLayers.UnionWith(layers);
                }
                else
                {
                    deadJournals.Add((journal, fd));
                    deadLayers.UnionWith(layers);
                }
            }

            var records = ImageRecords.Read(paths);
            var (refBlobs, refLayers) = records.References(paths, records.Images.Keys);

            // Blobs: every one nothing references.
            long reclaimed = 0;
            var removedBlob = false;
            if (Directory.Exists(paths.Blobs))
                foreach (string blob in Directory.EnumerateFileSystemEntries(paths.Blobs))
                {
                    string digest = Digest.Sha256 + ":" + Path.GetFileName(blob);
                    if (refBlobs.Contains(digest) || liveBlobs.Contains(digest)) continue;
                    var info = new FileInfo(blob);
                    if (info.Exists) reclaimed += info.Length;
                    StorePaths.DeleteTree(blob);
                    removedBlob = true;
                }
            if (removedBlob) NativeFs.FsyncDirectory(paths.Blobs);

            // Layers: those of killed operations, or (prune) every unreferenced one not mounted.
            var candidates = new List<string>();
            if (mountedLayerDirs is null) candidates.AddRange(deadLayers.Select(d => Digest.Parse(d).Hex));
            else if (Directory.Exists(paths.Layers))
                candidates.AddRange(Directory.EnumerateFileSystemEntries(paths.Layers).Where(d => d != paths.Links).Select(d => Path.GetFileName(d)!));
            bool removedLayer = false;
            foreach (string hex in candidates)
            {
                string digest = Digest.Sha256 + ":" + hex;
                string dir = Path.Combine(paths.Layers, hex);
                if (refLayers.Contains(digest) || liveLayers.Contains(digest) || mountedLayerDirs?.Contains(dir) == true) continue;
                if (!Path.Exists(dir) && new FileInfo(dir).LinkTarget is null) continue;
                RemoveLayer(paths, dir, hex);
                removedLayer = true;
            }
            if (removedLayer) NativeFs.FsyncDirectory(paths.Layers);
            LayerLinks.RemoveDangling(paths);

            // tmp/: everything but the live journals; dead journals last.
            var dead = deadJournals.Select(j => j.Path).ToHashSet(StringComparer.Ordinal);
            foreach (string entry in Directory.EnumerateFileSystemEntries(paths.Tmp).ToList())
                if (!liveJournals.Contains(entry) && !dead.Contains(entry)) StorePaths.DeleteTree(entry);
            foreach (string journal in dead) StorePaths.DeleteTree(journal);
            return reclaimed;
        }
        finally
        {
            foreach (var (_, fd) in deadJournals) NativeFs.Close(fd);
        }
    }

    /// <summary>Renames layers/&lt;hex&gt; into tmp/ (so it never exists half removed), removes it there, and its link.</summary>
    public static void RemoveLayer(StorePaths paths, string dir, string hex)
    {
        string trash = paths.NewTemp("gc-layer");
        try { Directory.Move(dir, trash); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MiniImageException($"remove layer {hex}: move {dir} to {trash}: {e.Message}", e);
        }
        StorePaths.DeleteTree(trash);
        LayerLinks.Remove(paths, hex);
    }
}
