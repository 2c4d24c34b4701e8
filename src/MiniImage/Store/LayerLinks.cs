// LayerLinks: a short name for every unpacked layer, l/<12 hex> -> ../layers/<diff_id hex>, so an
// overlay mount can name 125 layers in one page of mount data whatever the root's length.
//
// Why: the kernel copies overlayfs's mount data into one page (4096 bytes). 125 absolute paths
// of layers/<64 hex> under a 150-character root take ~27 KB; 125 links of 12 characters given
// relative to l/ (the core makes it the working directory for the mount,
// Init/RootfsSteps.cs) take ~1.6 KB. config.json names each layer by its link, so the core needs
// nothing beyond the lowerdirs it already gets. The name is the diff_id's first 12 hex digits,
// longer (16, 20, ... 64) only if another layer holds that name already; the link is made when
// the layer is unpacked, checked (and made again if missing) whenever a container uses it, and
// removed with the layer. The target is relative, so the store can be moved as a whole. l/ is
// beside layers/, whose entries stay the complete layers alone (LayerPreparer, StoreRecovery).
// Follows: Docker's overlay2 driver ("l" directory of short symlinks, ~26 characters each;
// moby/daemon/graphdriver/overlay2), symlink(2), the kernel's overlayfs.rst.
namespace MiniImage.Store;

internal static class LayerLinks
{
    private const int ShortLength = 12;

    private const string TargetPrefix = "../layers/";

    /// <summary>The link for layers/&lt;hex&gt;, made if missing; returns its path (l/NAME).</summary>
    public static string Ensure(StorePaths paths, string hex)
    {
        string target = TargetPrefix + hex;
        try { Directory.CreateDirectory(paths.Links, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MiniImageException($"create layer link directory {paths.Links}: {e.Message}");
        }
        for (int length = ShortLength; length <= hex.Length; length += 4)
        {
            string link = Path.Combine(paths.Links, hex[..length]);
            for (int attempt = 0; attempt < 2; attempt++)
            {
                string? existing = Target(link);
                if (existing == target) return link;
                if (existing is not null) break;   // another layer's name: try a longer one
                try
                {
                    File.CreateSymbolicLink(link, target);
                    return link;
                }
                catch (IOException) when (Path.Exists(link) || new FileInfo(link).LinkTarget is not null)
                {
                    // made meanwhile by another process: look at it again
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new MiniImageException($"make layer link {link} -> {target}: {e.Message}");
                }
            }
        }
        throw new MiniImageException($"make layer link for layer {hex}: every name in {paths.Links} is taken by another layer");
    }

    /// <summary>Removes the link(s) naming layers/&lt;hex&gt;.</summary>
    public static void Remove(StorePaths paths, string hex)
    {
        for (int length = ShortLength; length <= hex.Length; length += 4)
        {
            string link = Path.Combine(paths.Links, hex[..length]);
            if (Target(link) == TargetPrefix + hex) StorePaths.DeleteTree(link);
        }
    }

    /// <summary>Removes every link whose layer directory is gone (and anything in l/ that is not a link).</summary>
    public static void RemoveDangling(StorePaths paths)
    {
        if (!Directory.Exists(paths.Links)) return;
        foreach (string entry in Directory.EnumerateFileSystemEntries(paths.Links))
        {
            string? target = Target(entry);
            if (target is null || !target.StartsWith(TargetPrefix, StringComparison.Ordinal) || target.Length != TargetPrefix.Length + 64 ||
                !Directory.Exists(Path.Combine(paths.Layers, target[TargetPrefix.Length..])))
                StorePaths.DeleteTree(entry);
        }
    }

    /// <summary>The layer directory a lowerdir names: a link in l/ resolved, any other path as it is.</summary>
    public static string LayerDirOf(StorePaths paths, string lowerDir)
    {
        string full = Path.GetFullPath(lowerDir).TrimEnd('/');
        if (Path.GetDirectoryName(full) != paths.Links) return full;
        return Target(full) is { } t ? Path.GetFullPath(Path.Combine(paths.Links, t)) : full;
    }

    /// <summary>readlink(2) of path; null when it is not a symlink (or absent).</summary>
    private static string? Target(string path)
    {
        try { return new FileInfo(path).LinkTarget; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}
