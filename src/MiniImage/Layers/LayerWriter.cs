// LayerWriter: writes a directory tree as a tar stream: regular files, directories, symlinks,
// hardlinks (the second path of an inode becomes a link to the first), character and block
// devices, fifos, owners, modes, mtimes and xattrs. With OverlayWhiteouts it writes an overlayfs
// upper directory as an OCI layer changeset: a character device 0:0 becomes an empty `.wh.NAME`
// file and a directory with trusted.overlay.opaque=y gets a `.wh..wh..opq` entry inside it.
//
// Why: `export` (a container's merged filesystem), `commit` (its upper directory as a new layer)
// and `cp` (a path in or out of a container) all need the same tar writing, and the output must
// read back byte-exactly through the store's own reader (TarEntryReader/EntryWriter). The walk
// is relative to directory fds opened with O_NOFOLLOW, so a symlink inside the tree is written
// as a symlink and never followed: a container's `/evil -> /` cannot make us read the host.
// trusted.overlay.* xattrs are overlayfs's own bookkeeping and are never written. Sockets are
// skipped (tar cannot hold them, as GNU tar and Docker skip them). Children are written in
// byte order, so the same tree gives the same tar.
// Follows: OCI image-spec v1.1 layer.md (changesets, whiteouts, opaque whiteouts); the kernel's
// overlayfs.rst (whiteout = char 0:0, opaque xattr); openat(2), fstatat(2), readlinkat(2),
// llistxattr(2), lgetxattr(2).
using System.Runtime.InteropServices;
using System.Text;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace MiniImage.Layers;

public sealed class LayerWriterOptions
{
    /// <summary>Convert overlayfs whiteouts (char 0:0) and opaque directories into OCI whiteout entries.</summary>
    public bool OverlayWhiteouts { get; init; }
    /// <summary>Do not descend into a directory on another file system (a mount point: /proc, /sys, /dev of a running container).</summary>
    public bool OneFileSystem { get; init; }
    /// <summary>When set, every entry is written with this owner instead of its own (docker cp without -a).</summary>
    public uint? ForceUid { get; init; }
    public uint? ForceGid { get; init; }
    /// <summary>Applied to every owner after ForceUid/ForceGid: a user namespace's id translation (host -> container view, or back).</summary>
    public Func<uint, uint>? MapUid { get; init; }
    public Func<uint, uint>? MapGid { get; init; }
    /// <summary>Entries to leave out, by tar name without a trailing slash ("etc/hosts"); a directory left out is not descended into.</summary>
    public Func<string, bool>? Skip { get; init; }
    /// <summary>Names errors: "export container 3f2a...".</summary>
    public string Label { get; init; } = "write tar";
}

public static unsafe partial class LayerWriter
{
    static readonly byte[] OverlayXattrPrefix = "trusted.overlay."u8.ToArray();

    private static uint Owner(Func<uint, uint>? map, uint id) => map is null ? id : map(id);

    /// <summary>Writes everything below the directory `rootFd` (not the directory itself), then the end marker.</summary>
    public static void WriteTree(int rootFd, Stream output, LayerWriterOptions options)
    {
        var w = new Walker(new TarEntryWriter(output), options);
        w.RootDev = DevOf(rootFd, options.Label);
        w.Children(rootFd, []);
        w.Tar.Finish();
    }

    /// <summary>Writes everything below the directory at `rootPath` (opened without following a final symlink).</summary>
    public static void WriteTree(string rootPath, Stream output, LayerWriterOptions options)
    {
        int fd;
        fixed (byte* p = BeneathDirectory.Zero(Encoding.UTF8.GetBytes(rootPath)))
            fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) throw new LayerException($"{options.Label}: open {rootPath}: {LayerNative.Describe(errno)}");
        try { WriteTree(fd, output, options); }
        finally { close(fd); }
    }

    /// <summary>
    /// Writes the entry `name` of the directory `parentFd` (recursively if it is a directory) under
    /// the tar name `tarName`, then the end marker: `docker cp` of one path.
    /// </summary>
    public static void WriteEntry(int parentFd, byte[] name, byte[] tarName, Stream output, LayerWriterOptions options)
    {
        var w = new Walker(new TarEntryWriter(output), options);
        w.RootDev = DevOf(parentFd, options.Label);
        w.Entry(parentFd, name, tarName);
        w.Tar.Finish();
    }

    static ulong DevOf(int fd, string label)
    {
        stat st;
        if (fstat(fd, &st) < 0) throw new LayerException($"{label}: fstat: {LayerNative.Describe(errno)}");
        return (ulong)st.st_dev;
    }

    sealed class Walker(TarEntryWriter tar, LayerWriterOptions o)
    {
        public readonly TarEntryWriter Tar = tar;
        public ulong RootDev;
        readonly Dictionary<(ulong, ulong), byte[]> _links = new();
        readonly byte[] _buffer = new byte[1 << 16];

        /// The children of the open directory `dirFd`, whose tar name is `prefix` ("" or "a/b/").
        public void Children(int dirFd, byte[] prefix)
        {
            foreach (byte[] child in List(dirFd, prefix))
                Entry(dirFd, child, [.. prefix, .. child]);
        }

        public void Entry(int dirFd, byte[] name, byte[] tarName)
        {
            if (o.Skip is { } skip && skip(Encoding.UTF8.GetString(tarName))) return;
            stat st;
            fixed (byte* z = BeneathDirectory.Zero(name))
            {
                if (fstatat(dirFd, z, &st, AT_SYMLINK_NOFOLLOW) < 0)
                {
                    if (errno == Errno.ENOENT) return; // removed while we walk (a running container)
                    throw Fail(tarName, "stat", errno);
                }
                var e = new TarEntry
                {
                    Name = tarName, Mode = (int)((uint)st.st_mode & 0xfff),
                    Uid = Owner(o.MapUid, o.ForceUid ?? (uint)st.st_uid), Gid = Owner(o.MapGid, o.ForceGid ?? (uint)st.st_gid),
                    MtimeSec = (long)st.st_mtim.tv_sec,
                };
                uint type = (uint)st.st_mode & (uint)S_IFMT;
                if (type == (uint)S_IFDIR) { Directory(dirFd, z, e, st); return; }
                if (type == (uint)S_IFSOCK) return;
                if (type == (uint)S_IFCHR && o.OverlayWhiteouts && (ulong)st.st_rdev == 0)
                {
                    Whiteout(tarName, e.MtimeSec);
                    return;
                }
                if (type != (uint)S_IFLNK) ReadXattrs(dirFd, z, e);
                if (type == (uint)S_IFREG)
                {
                    if ((ulong)st.st_nlink > 1)
                    {
                        var key = ((ulong)st.st_dev, (ulong)st.st_ino);
                        if (_links.TryGetValue(key, out byte[]? first))
                        {
                            e.Type = TarEntryType.HardLink;
                            e.LinkName = first;
                            e.Xattrs.Clear();
                            Tar.WriteHeader(e);
                            return;
                        }
                        _links[key] = tarName;
                    }
                    RegularFile(dirFd, z, e, (long)st.st_size);
                    return;
                }
                if (type == (uint)S_IFLNK)
                {
                    e.Type = TarEntryType.Symlink;
                    e.LinkName = ReadLink(dirFd, z, tarName, (long)st.st_size);
                }
                else
                {
                    e.Type = type == (uint)S_IFCHR ? TarEntryType.CharDevice : type == (uint)S_IFBLK ? TarEntryType.BlockDevice : TarEntryType.Fifo;
                    ulong dev = (ulong)st.st_rdev;
                    e.DevMajor = (uint)(((dev >> 32) & 0xfffff000) | ((dev >> 8) & 0xfff));
                    e.DevMinor = (uint)(((dev >> 12) & 0xffffff00) | (dev & 0xff));
                }
                Tar.WriteHeader(e);
            }
        }

        void Directory(int dirFd, byte* z, TarEntry e, stat st)
        {
            int fd = openat(dirFd, z, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
            if (fd < 0) throw Fail(e.Name, "open directory", errno);
            try
            {
                e.Type = TarEntryType.Directory;
                e.Name = [.. e.Name, (byte)'/'];
                bool opaque = false;
                ReadXattrs(dirFd, z, e, o.OverlayWhiteouts ? v => opaque = v : null);
                Tar.WriteHeader(e);
                if (opaque) Whiteout([.. e.Name, .. ".wh..wh..opq"u8], e.MtimeSec);
                if (o.OneFileSystem && (ulong)st.st_dev != RootDev) return; // a mount point: its own contents are not the container's
                Children(fd, e.Name);
            }
            finally { close(fd); }
        }

        /// An OCI whiteout: an empty regular file `.wh.NAME` beside the deleted name (or the opaque marker itself).
        void Whiteout(byte[] path, long mtime)
        {
            int slash = path.AsSpan().LastIndexOf((byte)'/');
            byte[] name = path.AsSpan().EndsWith(".wh..wh..opq"u8) ? path
                : [.. path.AsSpan(0, slash + 1), .. ".wh."u8, .. path.AsSpan(slash + 1)];
            Tar.WriteHeader(new TarEntry { Name = name, Type = TarEntryType.File, MtimeSec = mtime });
        }

        void RegularFile(int dirFd, byte* z, TarEntry e, long size)
        {
            int fd = openat(dirFd, z, O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0);
            if (fd < 0) throw Fail(e.Name, "open file", errno);
            try
            {
                e.Type = TarEntryType.File;
                e.Size = size;
                Tar.WriteHeader(e);
                long left = size;
                fixed (byte* b = _buffer)
                    while (left > 0)
                    {
                        long n = read(fd, b, (size_t)(ulong)Math.Min(left, _buffer.Length));
                        if (n < 0 && errno == Errno.EINTR) continue;
                        if (n < 0) throw Fail(e.Name, "read file", errno);
                        if (n == 0) break;
                        Tar.WriteData(new ReadOnlySpan<byte>(b, (int)n));
                        left -= n;
                    }
                // A file that shrank while we read it (a running container) is padded with zeros:
                // the header already promised `size` bytes.
                while (left > 0)
                {
                    int n = (int)Math.Min(left, _buffer.Length);
                    Array.Clear(_buffer, 0, n);
                    Tar.WriteData(_buffer.AsSpan(0, n));
                    left -= n;
                }
                Tar.EndData(size);
            }
            finally { close(fd); }
        }

        byte[] ReadLink(int dirFd, byte* z, byte[] tarName, long size)
        {
            var buf = new byte[Math.Max(size, 255) + 1];
            fixed (byte* b = buf)
            {
                long n = readlinkat(dirFd, z, b, (size_t)(ulong)buf.Length);
                if (n < 0) throw Fail(tarName, "readlink", errno);
                return buf[..(int)n];
            }
        }

        /// xattrs of a file, directory or node, read through /proc/self/fd/DIR/NAME without following NAME.
        void ReadXattrs(int dirFd, byte* z, TarEntry e, Action<bool>? opaque = null)
        {
            byte[] path = [.. Encoding.ASCII.GetBytes($"/proc/self/fd/{dirFd}/"), .. new ReadOnlySpan<byte>(z, Strlen(z)), 0];
            fixed (byte* p = path)
            {
                long size = llistxattr(p, null, 0);
                if (size <= 0) return; // none, or a file system without xattrs
                var names = new byte[size];
                fixed (byte* n = names) size = llistxattr(p, n, (nuint)names.Length);
                if (size < 0) return;
                foreach (var range in names.AsSpan(0, (int)size).Split((byte)0))
                {
                    byte[] xname = names[range];
                    if (xname.Length == 0) continue;
                    bool overlay = xname.AsSpan().StartsWith(OverlayXattrPrefix);
                    if (overlay && opaque is null) continue;
                    byte[]? value = GetXattr(p, xname);
                    if (value is null) continue;
                    if (overlay)
                    {
                        if (xname.AsSpan().SequenceEqual("trusted.overlay.opaque"u8) && value.AsSpan().SequenceEqual("y"u8)) opaque!(true);
                        continue;
                    }
                    e.Xattrs.Add(new(xname, value));
                }
            }
        }

        static byte[]? GetXattr(byte* path, byte[] name)
        {
            fixed (byte* n = BeneathDirectory.Zero(name))
            {
                long size = lgetxattr(path, n, null, 0);
                if (size < 0) return null;
                var value = new byte[size];
                fixed (byte* v = value) size = lgetxattr(path, n, v, (nuint)value.Length);
                return size < 0 ? null : value[..(int)size];
            }
        }

        static List<byte[]> List(int dirFd, byte[] where)
        {
            int fd;
            fixed (byte* dot = BeneathDirectory.Zero("."u8)) fd = openat(dirFd, dot, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
            if (fd < 0) throw new LayerException($"list directory {LayerPath.Quote(where)}: {LayerNative.Describe(errno)}");
            IntPtr dir = LayerNative.fdopendir(fd);
            if (dir == IntPtr.Zero) { int err = Marshal.GetLastPInvokeError(); close(fd); throw new LayerException($"list directory {LayerPath.Quote(where)}: {LayerNative.Describe(err)}"); }
            var names = new List<byte[]>();
            try
            {
                IntPtr ent;
                while ((ent = LayerNative.readdir(dir)) != IntPtr.Zero)
                {
                    byte* n = (byte*)ent + LayerNative.DirentNameOffset;
                    if (n[0] == '.' && (n[1] == 0 || (n[1] == '.' && n[2] == 0))) continue;
                    names.Add(new ReadOnlySpan<byte>(n, Strlen(n)).ToArray());
                }
            }
            finally { LayerNative.closedir(dir); }
            names.Sort((a, b) => a.AsSpan().SequenceCompareTo(b));
            return names;
        }

        LayerException Fail(byte[] entry, string what, int err) =>
            new($"{o.Label}: {what} {LayerPath.Quote(entry)}: {LayerNative.Describe(err)}");
    }

    static int Strlen(byte* z) { int n = 0; while (z[n] != 0) n++; return n; }

    [LibraryImport("libc", SetLastError = true)]
    private static partial long llistxattr(byte* path, byte* list, nuint size);

    [LibraryImport("libc", SetLastError = true)]
    private static partial long lgetxattr(byte* path, byte* name, byte* value, nuint size);
}
