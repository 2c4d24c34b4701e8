// TreeDeletion: removes one store entry (a file, or a directory and everything in it) through
// directory fds and raw byte names, and fails unless the entry is gone afterwards.
//
// Why: a layer's names are whatever bytes its tar held; .NET's Directory APIs decode them as
// UTF-8, so a name with byte 0xff comes back mangled, cannot be found again, and the tree never
// goes (issue 15: tmp/ grew by a layer's size on every retry, rmi said "Deleted:" and left a
// tmp/gc-layer-* directory). Here a name read by readdir(3) is given back to unlinkat(2) as the
// same bytes, symlinks are unlinked and never followed, and a removal that leaves anything
// behind is an error naming the entry (quoted like Go's %q) and the errno, never a success.
// Follows: unlinkat(2) (AT_REMOVEDIR; EISDIR for a directory without it), openat(2)
// O_NOFOLLOW|O_DIRECTORY, fstatat(2) AT_SYMLINK_NOFOLLOW, fdopendir(3), readdir(3).
using System.Text;
using MiniImage.Layers;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace MiniImage.Store;

internal static unsafe class TreeDeletion
{
    /// <summary>Removes path (absent: nothing to do); throws MiniImageException if anything stays.</summary>
    public static void Delete(string path)
    {
        string full = Path.GetFullPath(path).TrimEnd('/');
        string parent = Path.GetDirectoryName(full) ?? "/";
        byte[] name = [.. Encoding.UTF8.GetBytes(Path.GetFileName(full)), 0];
        int parentFd;
        fixed (byte* p = Z(parent)) parentFd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (parentFd < 0)
        {
            if (errno == Errno.ENOENT) return;
            throw Fail(full, [], errno);
        }
        try
        {
            fixed (byte* n = name)
            {
                stat st;
                if (fstatat(parentFd, n, &st, AT_SYMLINK_NOFOLLOW) < 0)
                {
                    if (errno == Errno.ENOENT) return;
                    throw Fail(full, [], errno);
                }
                if (((uint)st.st_mode & (uint)S_IFMT) == (uint)S_IFDIR) RemoveDirectory(parentFd, n, full, []);
                else if (unlinkat(parentFd, n, 0) < 0 && errno != Errno.ENOENT) throw Fail(full, [], errno);
                if (fstatat(parentFd, n, &st, AT_SYMLINK_NOFOLLOW) == 0)
                    throw new MiniImageException($"remove {full}: it is still there after its removal");
            }
        }
        finally { close(parentFd); }
    }

    /// <summary>Empties the directory `name` of parentFd (depth first) and removes it.</summary>
    private static void RemoveDirectory(int parentFd, byte* name, string top, byte[] rel)
    {
        int fd = openat(parentFd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
        if (fd < 0) throw Fail(top, rel, errno);
        IntPtr dir = LayerNative.fdopendir(fd);
        if (dir == IntPtr.Zero)
        {
            int err = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            close(fd);
            throw Fail(top, rel, err);
        }
        try
        {
            // Passes until one finds nothing: removing entries while reading may make readdir skip some.
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
                    var entry = new ReadOnlySpan<byte>(n, System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpanFromNullTerminated(n).Length);
                    byte[] child = rel.Length == 0 ? entry.ToArray() : [.. rel, (byte)'/', .. entry];
                    if (unlinkat(fd, n, 0) < 0)
                    {
                        if (errno != Errno.EISDIR) throw Fail(top, child, errno);
                        RemoveDirectory(fd, n, top, child);
                    }
                    removedAny = true;
                }
            }
        }
        finally { LayerNative.closedir(dir); }
        if (unlinkat(parentFd, name, AT_REMOVEDIR) < 0) throw Fail(top, rel, errno);
    }

    private static MiniImageException Fail(string top, ReadOnlySpan<byte> rel, int err) =>
        new($"remove {top}: {(rel.Length == 0 ? "" : $"entry {LayerPath.Quote(rel)}: ")}{LayerNative.Describe(err)}");

    private static byte[] Z(string s) => [.. Encoding.UTF8.GetBytes(s), 0];
}
