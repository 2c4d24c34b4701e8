// TreeRemover: removes a directory and everything in it, relative to its parent's fd, never
// following a symlink and never decoding a name; DeletePath does the same for a path (a
// container's retired directory, a volume, a test's root).
//
// Why: a later tar entry may replace a directory with a file; the old tree may contain symlinks
// to anywhere, which must be unlinked, not followed. Path-based helpers (Directory.Delete) also
// mangle names that are not UTF-8: a container that wrote "\xffx" left its directory behind on
// `rm` ("Directory not empty"), because .NET asked to remove "\ufffdx", which names nothing. Here
// names go from readdir to unlinkat as bytes, so every name that can be created can be removed,
// and a removal that leaves anything behind fails with the entry and errno.
// Follows: unlinkat(2) (EISDIR for a directory without AT_REMOVEDIR), openat(2) O_NOFOLLOW,
// fdopendir(3), readdir(3).
using static Tmds.Linux.LibC;

namespace MiniImage.Layers;

public static unsafe class TreeRemover
{
    /// <summary>Removes the directory NAME below parentFd and all it holds (unpacking: a tar entry replaces a directory).</summary>
    internal static void Remove(int parentFd, byte* name, ReadOnlySpan<byte> entry, string label)
    {
        if (RemoveTree(parentFd, name, out int err, out string failed) < 0)
            throw new LayerException($"unpack layer {label}: remove the existing directory for entry {LayerPath.Quote(entry)}: {LayerNative.Describe(err)}"
                + (failed.Length > 0 ? $" (at {GoQuote.Quote(failed)})" : ""));
    }

    /// <summary>
    /// Removes <paramref name="path"/> whatever it is (a file, a symlink, not followed, or a whole
    /// tree); a path already gone is fine. IOException naming the path, the entry that could not
    /// go and the errno otherwise.
    /// </summary>
    public static void DeletePath(string path)
    {
        string full = Path.GetFullPath(path).TrimEnd('/');
        string parent = Path.GetDirectoryName(full) ?? "/";
        string name = Path.GetFileName(full);
        if (name.Length == 0) throw new IOException($"remove {path}: refusing to remove /");
        int dirFd;
        fixed (byte* p = RawPath.Z(parent)) dirFd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirFd < 0)
        {
            int e = errno;
            if (e == ENOENT) return;
            throw new IOException($"remove {path}: open {parent}: {LayerNative.Describe(e)}");
        }
        try
        {
            fixed (byte* n = RawPath.Z(name))
            {
                if (unlinkat(dirFd, n, 0) == 0) return;
                int e = errno;
                if (e == ENOENT) return;
                if (e != EISDIR)
                    throw new IOException($"remove {path}: {LayerNative.Describe(e)}");
                if (RemoveTree(dirFd, n, out int err, out string failed) < 0 && err != ENOENT)
                    throw new IOException($"remove {path}: {(failed.Length > 0 ? GoQuote.Quote(failed) + ": " : "")}{LayerNative.Describe(err)}");
            }
        }
        finally { close(dirFd); }
    }

    /// <summary>0, or -1 with the errno and the name (below the tree, decoded with RawPath) that could not be removed.</summary>
    private static int RemoveTree(int parentFd, byte* name, out int err, out string failed)
    {
        err = 0;
        failed = "";
        int fd = openat(parentFd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
        if (fd < 0) { err = errno; return -1; }
        IntPtr dir = LayerNative.fdopendir(fd);
        if (dir == IntPtr.Zero)
        {
            err = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            close(fd);
            return -1;
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
                        int e = errno;
                        if (e != EISDIR) { err = e; failed = Name(n); return -1; }
                        if (RemoveTree(fd, n, out err, out string below) < 0)
                        {
                            failed = below.Length > 0 ? Name(n) + "/" + below : Name(n);
                            return -1;
                        }
                    }
                    removedAny = true;
                }
            }
        }
        finally { LayerNative.closedir(dir); }
        if (unlinkat(parentFd, name, AT_REMOVEDIR) < 0) { err = errno; return -1; }
        return 0;
    }

    private static string Name(byte* n)
    {
        int len = 0;
        while (n[len] != 0) len++;
        return RawPath.Decode(new ReadOnlySpan<byte>(n, len));
    }
}
