// DiskSize: the bytes the files under a directory take: a container's writable layer (`ps -s`,
// `container prune`, `system df`) and a volume's data (`volume prune`, `system df`).
//
// Why: one rule for every size MiniRun reports: apparent sizes of regular files, and of symlinks
// (the length of the target path, as lstat(2) reports it), without following symlinks out of the
// directory; a file with several hard links inside it counts each time. Unreadable entries are
// skipped rather than failing a listing.
// Follows: docker-ps(1) "--size", docker-system-df(1) (the sizes they show are apparent sizes).
namespace MiniRun.Containers;

public static class DiskSize
{
    /// <summary>Bytes under <paramref name="dir"/> (0 when it does not exist).</summary>
    public static long Of(string dir)
    {
        if (!Directory.Exists(dir)) return 0;
        long total = 0;
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true };
        foreach (var info in new DirectoryInfo(dir).EnumerateFileSystemInfos("*", options))
        {
            try
            {
                if (info.LinkTarget is string target) total += System.Text.Encoding.UTF8.GetByteCount(target);
                else if (info is FileInfo file) total += file.Length;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return total;
    }
}
