// StorePaths: where things live under the MiniRun root, and the small file helpers every writer
// shares (creating the directories, wiping stale tmp/ entries, atomic file replacement).
//
// Layout:  <root>/blobs/sha256/<hex>   content-addressed blobs (manifests, configs, layers)
//          <root>/layers/<diffid-hex>/ one unpacked layer; the directory existing means "done"
//          <root>/l/<short>            a short symlink to ../layers/<diffid-hex> (LayerLinks: overlay mounts)
//          <root>/images.json          tags and image records (replaced atomically)
//          <root>/tmp/                 staging; only used under the exclusive store lock
//          <root>/store.lock           flock target
// Why: a single place that knows the layout keeps the "write to tmp/, then rename" rule uniform:
// a crash leaves at worst garbage in tmp/ (and, listed in a journal, unreferenced blobs and
// layers), which the next writer removes (StoreRecovery).
// Follows: rename(2) atomicity within one file system; OCI image-layout.md's blobs/<alg>/<hex>.
using MiniImage.Oci;

using MiniImage.Layers;

namespace MiniImage.Store;

internal sealed class StorePaths
{
    public string Root { get; }
    public string Blobs { get; }
    public string Layers { get; }
    /// <summary>l/: the layers' short links (LayerLinks); beside layers/, which holds only complete layers.</summary>
    public string Links { get; }
    public string Tmp { get; }
    public string ImagesJson { get; }

    public StorePaths(string root)
    {
        Root = Path.GetFullPath(root);
        Blobs = Path.Combine(Root, "blobs", Digest.Sha256);
        Layers = Path.Combine(Root, "layers");
        Links = Path.Combine(Root, "l");
        Tmp = Path.Combine(Root, "tmp");
        ImagesJson = Path.Combine(Root, "images.json");
    }

    public string Blob(Digest d) => Path.Combine(Blobs, d.Hex);

    public string Layer(Digest diffId) => Path.Combine(Layers, diffId.Hex);

    /// <summary>A fresh, not yet existing path under tmp/ (prefix helps when debugging leftovers).</summary>
    public string NewTemp(string prefix) => Path.Combine(Tmp, $"{prefix}-{Environment.ProcessId}-{Guid.NewGuid():N}");

    /// <summary>
    /// Creates root, blobs/sha256, layers and tmp if missing, for the owner alone (0700): unpacked
    /// layers keep their setuid binaries, which no other host user may reach (CVE-2021-41091).
    /// </summary>
    public void EnsureDirectories()
    {
        const UnixFileMode ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        foreach (string dir in new[] { Root, Path.GetDirectoryName(Blobs)!, Blobs, Layers, Tmp })
        {
            try { Directory.CreateDirectory(dir, ownerOnly); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new MiniImageException($"create store directory {dir}: {e.Message}");
            }
        }
    }

    /// <summary>
    /// Removes a file or directory tree if present; never follows symlinks, and names go to
    /// unlinkat as bytes (TreeRemover), so a layer's "\xffx" goes too. Anything left behind is a
    /// MiniImageException, not a success.
    /// </summary>
    public static void DeleteTree(string path)
    {
        try { TreeRemover.DeletePath(path); }
        catch (IOException e) { throw new MiniImageException(e.Message); }
    }

    /// <summary>Replaces `path` with `data`: write a temp file in tmp/, fsync, rename over.</summary>
    public void WriteAtomically(string path, byte[] data)
    {
        string temp = NewTemp(Path.GetFileName(path));
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                fs.Write(data);
                fs.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
            NativeFs.FsyncDirectory(Path.GetDirectoryName(path)!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            DeleteTree(temp);
            throw new MiniImageException($"write {path}: {e.Message}");
        }
    }
}
