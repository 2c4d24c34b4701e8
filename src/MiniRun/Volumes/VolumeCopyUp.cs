// VolumeCopyUp: Docker's copy-up - a volume that is empty when a container first mounts it gets
// the image's content at the mount path: files, directories, symlinks, fifos and devices with
// their owners, modes, times and extended attributes (xattrs: file capabilities survive).
//
// Why: images put data where they declare a VOLUME (e.g. a database's initial files in
// /var/lib/db); mounting an empty volume there would hide it. Docker seeds the volume once, so the
// container starts with the image's files and keeps what it writes. A bind mount is never seeded,
// nor a volume that already holds something, nor one with nocopy (-v NAME:/p:nocopy,
// --mount volume-nocopy), nor one with mount options (volume create -o type=...: its filesystem is
// mounted only while a container runs, Volumes/VolumeMounts.cs).
// Where the image's content comes from: the container's overlay (image layers + its still empty
// upper) mounted in a private mount namespace of one thread (Containers/OverlayRoot.cs), the mount
// path resolved inside it with openat2(RESOLVE_IN_ROOT) - a symlinked VOLUME path in the image
// stays in the image - and read through /proc/self/fd/N without following any symlink below it.
// For a remapped container (--userns=remap) the owners are shifted into its range, as the
// container's root sees them (0 inside = the remap range's first uid outside), and the volume's
// own directory takes the image directory's owner and mode, shifted the same way.
//
// Follows: docker-run(1) VOLUME ("the new volume is initialized with any data that exists at the
// specified location within the base image"); docker-volume-create(1); openat2(2), lstat(2),
// fchownat(2), utimensat(2), xattr(7), user_namespaces(7).
using System.Runtime.InteropServices;
using System.Text;
using MiniRun.Containers;
using MiniRun.Security;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace MiniRun.Volumes;

public static unsafe partial class VolumeCopyUp
{
    /// <summary>Seeds each empty volume of <paramref name="points"/> that asks for it; returns the volumes seeded.</summary>
    public static List<string> Seed(ContainerStore store, string containerId, IReadOnlyList<MountPoint> points, IdTranslation? ids)
    {
        var volumes = new VolumeStore(Path.GetDirectoryName(store.Root)!);
        // A volume with mount options is seeded by nobody: its filesystem is mounted only while a container runs.
        var wanted = points.Where(p => p.Type == MountTypes.Volume && p.CopyUp && IsEmpty(p.Source)
            && !(volumes.Find(p.Name) is { } v && VolumeMounts.NeedsMount(v))).ToList();
        if (wanted.Count == 0) return [];
        string dir = store.DirOf(containerId);
        var layout = OverlayLayout.Of(dir, containerId);
        return OverlayRoot.WithPrivateMount(layout, "copy image content into volume", rootFd =>
        {
            var seeded = new List<string>();
            foreach (var p in wanted)
            {
                int fd = OverlayRoot.ResolveInRoot(rootFd, p.Destination, O_RDONLY | O_DIRECTORY);
                if (fd < 0) continue;   // nothing (or no directory) at that path in the image: the volume stays empty
                try
                {
                    string from = $"/proc/self/fd/{fd}";
                    CopyAttributes(from + "/.", p.Source, ids, p.Destination);   // "/.": the directory, not the magic link
                    CopyTree(from, p.Source, ids, p.Destination);
                    seeded.Add(p.Name);
                }
                finally { close(fd); }
            }
            return seeded;
        });
    }

    /// <summary>Nothing in the directory (a missing one counts as empty).</summary>
    public static bool IsEmpty(string dir)
    {
        try { return !Directory.EnumerateFileSystemEntries(dir).Any(); }
        catch (DirectoryNotFoundException) { return true; }
    }

    private static void CopyTree(string from, string to, IdTranslation? ids, string shown)
    {
        foreach (var name in Directory.EnumerateFileSystemEntries(from).Select(Path.GetFileName))
        {
            string src = Path.Combine(from, name!), dst = Path.Combine(to, name!), what = shown.TrimEnd('/') + "/" + name;
            var st = Lstat(src, what);
            uint type = (uint)st.st_mode & IFMT;
            if (type == IFDIR)
            {
                Directory.CreateDirectory(dst);
                CopyTree(src, dst, ids, what);
            }
            else if (type == IFLNK)
                File.CreateSymbolicLink(dst, new FileInfo(src).LinkTarget!);
            else if (type == IFREG)
                File.Copy(src, dst);
            else if (type is IFCHR or IFBLK or IFIFO or IFSOCK)
            {
                fixed (byte* d = Z(dst))
                    if (mknodat(AT_FDCWD, d, (mode_t)((uint)st.st_mode & (IFMT | 0xfff)), st.st_rdev) < 0)
                        throw Fail("mknod", what, errno);
            }
            CopyAttributes(src, dst, ids, what, st);
        }
    }

    /// <summary>Owner (shifted for a remapped container), mode, xattrs and times of <paramref name="from"/> onto <paramref name="to"/>.</summary>
    private static void CopyAttributes(string from, string to, IdTranslation? ids, string shown, stat? known = null)
    {
        var st = known ?? Lstat(from, shown);
        uint uid = ids?.UidToHost(st.st_uid) ?? st.st_uid, gid = ids?.GidToHost(st.st_gid) ?? st.st_gid;
        bool link = ((uint)st.st_mode & IFMT) == IFLNK;
        fixed (byte* t = Z(to))
        {
            if (fchownat(AT_FDCWD, t, uid, gid, AT_SYMLINK_NOFOLLOW) < 0) throw Fail($"chown {uid}:{gid}", shown, errno);
            if (!link && fchmodat(AT_FDCWD, t, (mode_t)((uint)st.st_mode & 0xfff), 0) < 0) throw Fail("chmod", shown, errno);   // after chown: it clears setuid
            CopyXattrs(from, t, shown);
            timespec* ts = stackalloc timespec[2];
            ts[0] = st.st_atim;
            ts[1] = st.st_mtim;
            if (utimensat(AT_FDCWD, t, ts, AT_SYMLINK_NOFOLLOW) < 0) throw Fail("set times", shown, errno);
        }
    }

    /// <summary>Every xattr but overlayfs's own (trusted.overlay.*) and SELinux labels; a file system without xattrs is fine.</summary>
    private static void CopyXattrs(string from, byte* to, string shown)
    {
        fixed (byte* f = Z(from))
        {
            long size = llistxattr(f, null, 0);
            if (size <= 0) return;
            var names = new byte[size];
            fixed (byte* n = names) size = llistxattr(f, n, (nuint)names.Length);
            if (size <= 0) return;
            foreach (var range in names.AsSpan(0, (int)size).Split((byte)0))
            {
                byte[] name = names[range];
                if (name.Length == 0 || name.AsSpan().StartsWith("trusted.overlay."u8) || name.AsSpan().StartsWith("security.selinux"u8)) continue;
                byte[] zname = [.. name, 0];
                fixed (byte* zn = zname)
                {
                    long length = lgetxattr(f, zn, null, 0);
                    if (length < 0) continue;
                    var value = new byte[Math.Max(length, 1)];
                    fixed (byte* v = value)
                    {
                        length = lgetxattr(f, zn, v, (nuint)value.Length);
                        if (length < 0) continue;
                        if (lsetxattr(to, zn, v, (nuint)length, 0) < 0 && Marshal.GetLastPInvokeError() is not (95 /*EOPNOTSUPP*/ or 1 /*EPERM*/))
                            throw Fail($"setxattr {Encoding.UTF8.GetString(name)}", shown, Marshal.GetLastPInvokeError());
                    }
                }
            }
        }
    }

    private static stat Lstat(string path, string shown)
    {
        stat st;
        fixed (byte* p = Z(path))
            if (fstatat(AT_FDCWD, p, &st, AT_SYMLINK_NOFOLLOW) < 0) throw Fail("lstat", shown, errno);
        return st;
    }

    private static ContainerException Fail(string op, string shown, int err) =>
        new($"copy image content into volume: {op} {shown}: {OverlayRoot.Describe(err)}", 125);

    // stat(2)'s file types (inode(7)).
    private const uint IFMT = 0xf000, IFSOCK = 0xc000, IFLNK = 0xa000, IFREG = 0x8000, IFBLK = 0x6000, IFDIR = 0x4000, IFCHR = 0x2000, IFIFO = 0x1000;

    private static byte[] Z(string s) => [.. Encoding.UTF8.GetBytes(s), 0];

    [LibraryImport("libc", SetLastError = true)]
    private static partial long llistxattr(byte* path, byte* list, nuint size);

    [LibraryImport("libc", SetLastError = true)]
    private static partial long lgetxattr(byte* path, byte* name, byte* value, nuint size);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int lsetxattr(byte* path, byte* name, byte* value, nuint size, int flags);
}
