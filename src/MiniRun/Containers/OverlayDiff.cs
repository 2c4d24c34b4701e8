// OverlayDiff: the changes a container made to its image, read from the overlay upper directory,
// as `docker diff` prints them: "A /path" added, "C /path" changed, "D /path" deleted.
//
// Why: copy-on-write made visible. Everything a container writes lands in upper/: a new file is
// there alone (A); a file that exists in the image was copied up before it was changed (C); a
// directory appears in upper/ when something inside it changed, and is C when the image has it;
// a deleted file is a whiteout, a character device 0:0 (D). An opaque directory
// (trusted.overlay.opaque=y, made when a directory is removed and created again) hides all of the
// image's entries below it: it is C (or A), and every image entry in it that upper/ does not
// have again is D. Lines are sorted by path, as Docker sorts them. The walk uses directory fds
// and O_NOFOLLOW; nothing is followed, nothing is mounted, so it works for running and stopped
// containers alike. Names keep their bytes (RawPath), so a name that is not UTF-8 is listed too
// (printed with U+FFFD, as Docker prints it).
// Follows: docker-diff(1); the kernel's overlayfs.rst (whiteouts, opaque directories).
using System.Text;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace MiniRun.Containers;

public sealed record OverlayChange(char Kind, string Path)
{
    public override string ToString() => $"{Kind} {Path}";
}

public static unsafe partial class OverlayDiff
{
    /// <summary>The changes of the container with this layout, sorted by path.</summary>
    public static List<OverlayChange> Compute(OverlayLayout layout)
    {
        var changes = new List<OverlayChange>();
        int fd;
        fixed (byte* p = OverlayLayout.Z(layout.UpperDir)) fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) throw new ContainerException($"diff: open upper directory {layout.UpperDir}: errno {errno}", 1);
        try { Walk(layout, fd, "", changes); }
        finally { close(fd); }
        changes.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return changes;
    }

    /// <summary>Adds the changes below `rel`; returns false when the directory held only mount point placeholders.</summary>
    private static bool Walk(OverlayLayout layout, int dirFd, string rel, List<OverlayChange> changes)
    {
        int start = changes.Count;
        bool sawPlaceholder = false, sawOther = false;
        foreach (string name in Names(dirFd))
        {
            string path = rel.Length == 0 ? name : rel + "/" + name;
            if (layout.IsPlaceholder(path)) { sawPlaceholder = true; continue; }
            sawOther = true;
            fixed (byte* z = OverlayLayout.Z(name))
            {
                stat st;
                if (fstatat(dirFd, z, &st, AT_SYMLINK_NOFOLLOW) < 0) continue; // removed meanwhile
                uint type = (uint)st.st_mode & (uint)S_IFMT;
                if (type == (uint)S_IFCHR && (ulong)st.st_rdev == 0)
                {
                    if (layout.ExistsBelow(path)) changes.Add(new('D', "/" + path));
                    continue;
                }
                bool below = layout.ExistsBelow(path);
                if (type != (uint)S_IFDIR)
                {
                    changes.Add(new(below ? 'C' : 'A', "/" + path));
                    continue;
                }
                int child = openat(dirFd, z, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
                if (child < 0) continue;
                try
                {
                    bool dirBelow = layout.ExistsBelow(path, isDir: true);
                    int at = changes.Count;
                    changes.Add(new(below ? 'C' : 'A', "/" + path));
                    if (dirBelow && OverlayLayout.Opaque(child))
                    {
                        var present = Names(child).ToHashSet(StringComparer.Ordinal);
                        foreach (string hidden in LowerNames(layout, path))
                            if (!present.Contains(hidden)) changes.Add(new('D', "/" + path + "/" + hidden));
                    }
                    // A directory of the image that is in upper/ only to hold mount points is no change.
                    if (!Walk(layout, child, path, changes) && dirBelow && changes.Count == at + 1) changes.RemoveAt(at);
                }
                finally { close(child); }
            }
        }
        return sawOther || !sawPlaceholder || changes.Count > start;
    }

    /// <summary>The names the image (all lowerdirs merged) has in directory `rel`.</summary>
    private static IEnumerable<string> LowerNames(OverlayLayout layout, string rel)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string layer in layout.LowerDirs)
        {
            int fd;
            fixed (byte* p = RawPath.Z(layer + "/" + rel)) fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0) continue;   // absent in this layer, or a symlink (never followed)
            try
            {
                foreach (string name in Names(fd))
                    if (layout.ExistsBelow(rel + "/" + name)) names.Add(name);
            }
            finally { close(fd); }
        }
        return names;
    }

    /// <summary>The entries of an open directory (without . and ..).</summary>
    internal static List<string> Names(int dirFd)
    {
        var result = new List<string>();
        int fd;
        fixed (byte* dot = ".\0"u8) fd = openat(dirFd, dot, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
        if (fd < 0) return result;
        IntPtr dir = fdopendir(fd);
        if (dir == IntPtr.Zero) { close(fd); return result; }
        try
        {
            IntPtr ent;
            while ((ent = readdir(dir)) != IntPtr.Zero)
            {
                byte* n = (byte*)ent + 19; // d_name in glibc's struct dirent (x86-64)
                int len = 0;
                while (n[len] != 0) len++;
                if (len == 1 && n[0] == '.' || len == 2 && n[0] == '.' && n[1] == '.') continue;
                result.Add(RawPath.Decode(new ReadOnlySpan<byte>(n, len)));   // bytes that are not UTF-8 kept (RawPath)
            }
        }
        finally { closedir(dir); }
        result.Sort(StringComparer.Ordinal);
        return result;
    }

    [System.Runtime.InteropServices.LibraryImport("libc", SetLastError = true)]
    private static partial IntPtr fdopendir(int fd);
    [System.Runtime.InteropServices.LibraryImport("libc", SetLastError = true)]
    private static partial IntPtr readdir(IntPtr dir);
    [System.Runtime.InteropServices.LibraryImport("libc")]
    private static partial int closedir(IntPtr dir);
}
