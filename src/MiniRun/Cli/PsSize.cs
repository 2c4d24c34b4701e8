// PsSize: the SIZE column of `ps -s`: what a container wrote (its overlay upper directory) and
// the total it sees (that plus its image).
//
// Why: copy-on-write made visible: a fresh container costs "0B" however large its image is;
// "virtual" is what a full copy would cost. Sizes are apparent file sizes of regular files and
// symlinks (a symlink counts the length of its target path, as lstat(2) reports it), without
// following symlinks; a file with several hard links inside the directory counts each time.
//
// Follows: docker-ps(1) "--size" ("SIZE" = size of the writable layer, "virtual" = plus the
// read-only image), Docker's format "0B (virtual 1.2MB)".
using MiniImage.Store;
using MiniRun.Containers;

namespace MiniRun.Cli;

public static class PsSize
{
    /// <summary>Bytes under <paramref name="dir"/> (0 when it does not exist).</summary>
    public static long DirectorySize(string dir)
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

    /// <summary>"12.3kB (virtual 4.3MB)": the upper directory, and that plus the image's size.</summary>
    public static string Column(ContainerStore store, ImageStore? images, ContainerRecord c)
    {
        long rw = DirectorySize(Path.Combine(store.DirOf(c.Id), "upper"));
        long image = 0;
        try { image = images?.Resolve(c.ImageId)?.Size ?? 0; }
        catch (MiniImage.MiniImageException) { }
        return $"{HumanFormat.Size(rw)} (virtual {HumanFormat.Size(rw + image)})";
    }
}
