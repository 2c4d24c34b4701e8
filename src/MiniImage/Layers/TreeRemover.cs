// TreeRemover: removes a directory and everything in it, relative to its parent's fd, never
// following a symlink and never decoding a name.
//
// Why: a later tar entry may replace a directory with a file; the old tree may contain symlinks
// to anywhere, which must be unlinked, not followed. Path-based helpers (Directory.Delete) would
// also mangle names that are not UTF-8.
// Follows: unlinkat(2) (EISDIR for a directory without AT_REMOVEDIR), openat(2) O_NOFOLLOW,
// fdopendir(3), readdir(3).
using static Tmds.Linux.LibC;

namespace MiniImage.Layers;

internal static unsafe class TreeRemover
{
    public static void Remove(int parentFd, byte* name, ReadOnlySpan<byte> entry, string label)
    {
        int fd = openat(parentFd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
        if (fd < 0) throw Fail(entry, label, errno);
        IntPtr dir = LayerNative.fdopendir(fd);
        if (dir == IntPtr.Zero)
        {
            int err = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            close(fd);
            throw Fail(entry, label, err);
        }
        try
        {
            // Repeat passes until a pass finds nothing: removing entries while reading a directory
            // may make readdir skip some.
            bool removedAny = true;
            while (removedAny)
            {
                removedAny = false;
                LayerNative.rewinddir(dir);
                IntPtr ent;
                while ((ent = LayerNative.readdir(dir)) != IntPtr.Zero)
                {
                    byte* n = (byte*)ent + LayerNative.DirentNameOffset;
                    if (n[0] == '.' && (n[1] == 0 || (n[1] == '.' && n[2] == 0))) continue;
                    if (unlinkat(fd, n, 0) < 0)
                    {
                        if (errno != Errno.EISDIR) throw Fail(entry, label, errno);
                        Remove(fd, n, entry, label);
                    }
                    removedAny = true;
                }
            }
        }
        finally { LayerNative.closedir(dir); }
        if (unlinkat(parentFd, name, AT_REMOVEDIR) < 0) throw Fail(entry, label, errno);
    }

    static LayerException Fail(ReadOnlySpan<byte> entry, string label, int err) =>
        new($"unpack layer {label}: remove the existing directory for entry {LayerPath.Quote(entry)}: {LayerNative.Describe(err)}");
}
