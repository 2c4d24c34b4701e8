// EntryWriter: creates one tar entry on disk inside the layer directory: regular files (O_CREAT |
// O_EXCL | O_NOFOLLOW), directories, symlinks, hardlinks, device nodes, fifos and overlayfs
// whiteouts, then owner, mode, xattrs and times. Directory modes and times are applied at the end
// (Finish), after their contents exist.
//
// Why: every creation is relative to a directory fd from BeneathDirectory, so nothing lands
// outside the layer; a later entry with the same name replaces the earlier one (removed without
// following symlinks), except that an existing directory keeps its contents. Order per file:
// write data, chown (clears setuid), chmod, xattrs (security.capability is cleared by chown and
// write), times. xattrs the filesystem cannot hold (EOPNOTSUPP, EPERM) are skipped as Docker does;
// trusted.overlay.* from the archive are ignored so a layer cannot forge overlayfs metadata.
// Follows: OCI image-spec v1.1 layer.md (whiteouts, opaque whiteouts); overlayfs docs
// (whiteout = char device 0:0, opaque = trusted.overlay.opaque "y"); openat(2), mknodat(2),
// symlinkat(2), linkat(2), fchownat(2), fchmodat(2), utimensat(2), setxattr(2), unlinkat(2).
using System.Text;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace MiniImage.Layers;

internal sealed unsafe class EntryWriter(BeneathDirectory dirs, TarEntryReader reader, string label)
{
    const int DirCreateMode = 0x1c0; // 0700 until Finish sets the real mode
    static readonly byte[] WhiteoutPrefix = ".wh."u8.ToArray();
    static readonly byte[] OpaqueName = ".wh..wh..opq"u8.ToArray();
    static readonly byte[] OverlayXattrPrefix = "trusted.overlay."u8.ToArray();
    static readonly byte[] OpaqueXattr = "trusted.overlay.opaque\0"u8.ToArray();

    readonly record struct DirMeta(byte[] Path, int Mode, timespec Atime, timespec Mtime);
    readonly List<DirMeta> _dirMeta = [];
    readonly Dictionary<string, int> _dirIndex = new(StringComparer.Ordinal);

    /// Sum of regular file sizes written.
    public long BytesWritten { get; private set; }
    /// <summary>Tar entries read (the layer root "./" not counted), whiteouts and opaque directories among them (--trace).</summary>
    public int Entries { get; private set; }
    public int Whiteouts { get; private set; }
    public int OpaqueDirectories { get; private set; }

    public void Write(TarEntry e)
    {
        byte[]? path;
        try { path = LayerPath.Clean(e.Name); }
        catch (FormatException) { throw Refuse(e.Name, "has a NUL byte in its name"); }
        if (path == null) throw Refuse(e.Name, "escapes the layer directory");
        if (path.Length == 0)
        {
            if (e.Type == TarEntryType.Directory) return; // "./": the layer root itself; left as created
            throw Refuse(e.Name, "names the layer root but is not a directory");
        }
        LayerPath.Split(path, out var parent, out var name);
        Entries++;

        if (name.StartsWith(WhiteoutPrefix))
        {
            WriteWhiteout(e, path, parent, name);
            return;
        }

        int dirFd = dirs.Open(parent, e.Name);
        fixed (byte* z = BeneathDirectory.Zero(name))
        {
            switch (e.Type)
            {
                case TarEntryType.File: WriteFile(e, path, dirFd, z); break;
                case TarEntryType.Directory: WriteDirectory(e, path, dirFd, z); break;
                case TarEntryType.Symlink: WriteSymlink(e, path, dirFd, z); break;
                case TarEntryType.HardLink: WriteHardLink(e, path, parent, dirFd, z); break;
                default: WriteNode(e, path, dirFd, z); break;
            }
        }
    }

    void WriteWhiteout(TarEntry e, byte[] path, ReadOnlySpan<byte> parent, ReadOnlySpan<byte> name)
    {
        int dirFd = dirs.Open(parent, e.Name);
        if (name.SequenceEqual(OpaqueName))
        {
            fixed (byte* n = OpaqueXattr)
            {
                byte y = (byte)'y';
                if (LayerNative.fsetxattr(dirFd, n, &y, 1, 0) < 0)
                    throw Fail(e.Name, "set trusted.overlay.opaque on its directory", System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
            }
            OpaqueDirectories++;
            return;
        }
        if (name.StartsWith(".wh..wh."u8)) return; // other AUFS metadata (.wh..wh.plnk, ...): not files
        Whiteouts++;
        ReadOnlySpan<byte> hidden = name[WhiteoutPrefix.Length..];
        if (hidden.Length == 0 || hidden.SequenceEqual("."u8) || hidden.SequenceEqual(".."u8))
            throw Refuse(e.Name, "is a whiteout without a valid name");
        byte[] hiddenPath = [.. path.AsSpan(0, path.Length - name.Length), .. hidden];
        fixed (byte* z = BeneathDirectory.Zero(hidden))
        {
            while (mknodat(dirFd, z, S_IFCHR, 0) < 0)
            {
                int err = errno;
                if (err != Errno.EEXIST) throw Fail(e.Name, "create whiteout", err);
                ClearExisting(dirFd, z, hiddenPath, keepDirectory: false, e.Name);
            }
        }
    }

    void WriteFile(TarEntry e, byte[] path, int dirFd, byte* z)
    {
        int fd;
        while ((fd = openat(dirFd, z, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0x180 /* 0600 */)) < 0)
        {
            int err = errno;
            if (err != Errno.EEXIST) throw Fail(e.Name, "create file", err);
            ClearExisting(dirFd, z, path, keepDirectory: false, e.Name);
        }
        try
        {
            long remaining = e.Size;
            while (remaining > 0)
            {
                ReadOnlySpan<byte> chunk = reader.ReadData(remaining);
                remaining -= chunk.Length;
                fixed (byte* p = chunk)
                {
                    long off = 0;
                    while (off < chunk.Length)
                    {
                        long n = write(fd, p + off, (size_t)(ulong)(chunk.Length - off));
                        if (n < 0)
                        {
                            if (errno == Errno.EINTR) continue;
                            throw Fail(e.Name, "write file", errno);
                        }
                        off += n;
                    }
                }
            }
            if (fchown(fd, e.Uid, e.Gid) < 0) throw Fail(e.Name, $"chown to {e.Uid}:{e.Gid}", errno);
            if (fchmod(fd, (ushort)e.Mode) < 0) throw Fail(e.Name, "chmod", errno);
            foreach (var x in e.Xattrs)
                SetXattr(e.Name, x.Key, x.Value, fd, null);
            timespec* ts = stackalloc timespec[2];
            Times(e, ts);
            if (futimens(fd, ts) < 0) throw Fail(e.Name, "set times", errno);
        }
        finally { close(fd); }
        BytesWritten += e.Size;
    }

    void WriteDirectory(TarEntry e, byte[] path, int dirFd, byte* z)
    {
        while (mkdirat(dirFd, z, DirCreateMode) < 0)
        {
            int err = errno;
            if (err != Errno.EEXIST) throw Fail(e.Name, "create directory", err);
            if (ClearExisting(dirFd, z, path, keepDirectory: true, e.Name)) break;
        }
        int fd = dirs.Open(path, e.Name); // becomes the cached directory for the entries inside it
        if (fchown(fd, e.Uid, e.Gid) < 0) throw Fail(e.Name, $"chown to {e.Uid}:{e.Gid}", errno);
        foreach (var x in e.Xattrs)
            SetXattr(e.Name, x.Key, x.Value, fd, null);
        timespec* ts = stackalloc timespec[2];
        Times(e, ts);
        var meta = new DirMeta(path, e.Mode, ts[0], ts[1]);
        string key = Encoding.Latin1.GetString(path); // one char per byte: lossless key
        if (_dirIndex.TryGetValue(key, out int i)) _dirMeta[i] = meta;
        else { _dirIndex[key] = _dirMeta.Count; _dirMeta.Add(meta); }
    }

    void WriteSymlink(TarEntry e, byte[] path, int dirFd, byte* z)
    {
        if (e.LinkName.AsSpan().IndexOf((byte)0) >= 0) throw Refuse(e.Name, "has a NUL byte in its symlink target");
        fixed (byte* target = BeneathDirectory.Zero(e.LinkName))
        {
            while (symlinkat(target, dirFd, z) < 0)
            {
                int err = errno;
                if (err != Errno.EEXIST) throw Fail(e.Name, "create symlink", err);
                ClearExisting(dirFd, z, path, keepDirectory: false, e.Name);
            }
        }
        FinishNode(e, dirFd, z, chmod: false);
    }

    void WriteHardLink(TarEntry e, byte[] path, ReadOnlySpan<byte> parent, int dirFd, byte* z)
    {
        byte[]? target;
        try { target = LayerPath.Clean(e.LinkName); }
        catch (FormatException) { throw Refuse(e.Name, "has a NUL byte in its hardlink target"); }
        if (target == null) throw Refuse(e.Name, $"is a hardlink to {LayerPath.Quote(e.LinkName)}, which escapes the layer directory");
        if (target.Length == 0) throw Refuse(e.Name, "is a hardlink to the layer root");
        if (target.AsSpan().SequenceEqual(path)) return; // a link to itself: nothing to do
        LayerPath.Split(target, out var targetParent, out var targetName);

        int why = 0;
        int targetDirFd = targetParent.Length == 0 ? dirs.RootFd
            : targetParent.SequenceEqual(parent) ? dirFd
            : dirs.OpenUncached(targetParent, e.Name, create: false, out why);
        if (targetDirFd < 0)
            throw Refuse(e.Name, $"is a hardlink to {LayerPath.Quote(e.LinkName)}, which " + (why switch
            {
                Errno.ENOENT => "does not exist in the layer (its directory does not)",
                Errno.ENOTDIR => "does not exist in the layer (a parent of it is not a directory)",
                _ => "is not reachable inside the layer without symlinks",
            }));
        try
        {
            fixed (byte* t = BeneathDirectory.Zero(targetName))
            {
                while (linkat(targetDirFd, t, dirFd, z, 0) < 0)
                {
                    int err = errno;
                    if (err == Errno.ENOENT)
                        throw Refuse(e.Name, $"is a hardlink to {LayerPath.Quote(e.LinkName)}, which does not exist in the layer");
                    if (err != Errno.EEXIST) throw Fail(e.Name, $"create hardlink to {LayerPath.Quote(e.LinkName)}", err);
                    ClearExisting(dirFd, z, path, keepDirectory: false, e.Name);
                }
            }
        }
        finally
        {
            if (targetDirFd != dirs.RootFd && targetDirFd != dirFd) close(targetDirFd);
        }
        // The link shares the target's inode, and with it owner, mode, xattrs and times.
    }

    void WriteNode(TarEntry e, byte[] path, int dirFd, byte* z)
    {
        (mode_t type, ulong dev) = e.Type switch
        {
            TarEntryType.CharDevice => (S_IFCHR, LayerNative.MakeDev(e.DevMajor, e.DevMinor)),
            TarEntryType.BlockDevice => (S_IFBLK, LayerNative.MakeDev(e.DevMajor, e.DevMinor)),
            _ => (S_IFIFO, 0UL),
        };
        while (mknodat(dirFd, z, type | (ushort)(e.Mode & 0x1ff), dev) < 0)
        {
            int err = errno;
            if (err != Errno.EEXIST) throw Fail(e.Name, "create device node", err);
            ClearExisting(dirFd, z, path, keepDirectory: false, e.Name);
        }
        FinishNode(e, dirFd, z, chmod: true);
    }

    /// Owner, mode, xattrs and times of a symlink, device or fifo, by name without following it.
    void FinishNode(TarEntry e, int dirFd, byte* z, bool chmod)
    {
        if (fchownat(dirFd, z, e.Uid, e.Gid, AT_SYMLINK_NOFOLLOW) < 0) throw Fail(e.Name, $"chown to {e.Uid}:{e.Gid}", errno);
        if (chmod && fchmodat(dirFd, z, (ushort)e.Mode, 0) < 0) throw Fail(e.Name, "chmod", errno);
        if (e.Xattrs.Count > 0)
        {
            // lsetxattr on /proc/self/fd/<dir>/<name>: the magic link resolves to our directory fd,
            // the last component is not followed.
            byte[] procPath = [.. Encoding.ASCII.GetBytes($"/proc/self/fd/{dirFd}/"), .. new ReadOnlySpan<byte>(z, LengthOf(z)), 0];
            fixed (byte* pp = procPath)
                foreach (var x in e.Xattrs)
                    SetXattr(e.Name, x.Key, x.Value, -1, pp);
        }
        timespec* ts = stackalloc timespec[2];
        Times(e, ts);
        if (utimensat(dirFd, z, ts, AT_SYMLINK_NOFOLLOW) < 0) throw Fail(e.Name, "set times", errno);
    }

    /// fsetxattr on `fd`, or lsetxattr on `path` when fd is -1.
    void SetXattr(byte[] entry, byte[] name, byte[] value, int fd, byte* path)
    {
        if (name.AsSpan().StartsWith(OverlayXattrPrefix)) return;
        fixed (byte* n = BeneathDirectory.Zero(name))
        fixed (byte* v = value)
        {
            int r = fd >= 0 ? LayerNative.fsetxattr(fd, n, v, (nuint)value.Length, 0)
                : LayerNative.lsetxattr(path, n, v, (nuint)value.Length, 0);
            if (r == 0) return;
            int err = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            if (err is Errno.EOPNOTSUPP or Errno.EPERM) return;
            throw Fail(entry, $"set xattr {Encoding.UTF8.GetString(name)}", err);
        }
    }

    /// An entry already exists under this name. Returns true if it is a directory and
    /// keepDirectory is set; otherwise removes it (a directory with all its contents).
    bool ClearExisting(int dirFd, byte* z, byte[] path, bool keepDirectory, byte[] entry)
    {
        stat st;
        if (fstatat(dirFd, z, &st, AT_SYMLINK_NOFOLLOW) < 0)
        {
            if (errno == Errno.ENOENT) return false;
            throw Fail(entry, "inspect the existing entry", errno);
        }
        bool isDir = (st.st_mode & S_IFMT) == S_IFDIR;
        if (isDir && keepDirectory) return true;
        dirs.InvalidateUnder(path);
        if (isDir) TreeRemover.Remove(dirFd, z, entry, label);
        else if (unlinkat(dirFd, z, 0) < 0) throw Fail(entry, "remove the existing entry", errno);
        return false;
    }

    /// Sets directory modes and times, deepest-created first, now that their contents exist.
    public void Finish()
    {
        timespec* ts = stackalloc timespec[2];
        for (int i = _dirMeta.Count - 1; i >= 0; i--)
        {
            DirMeta d = _dirMeta[i];
            int fd = dirs.OpenUncached(d.Path, d.Path, create: false);
            if (fd < 0) continue; // replaced by a later entry
            try
            {
                if (fchmod(fd, (ushort)d.Mode) < 0) throw Fail(d.Path, "chmod", errno);
                ts[0] = d.Atime; ts[1] = d.Mtime;
                if (futimens(fd, ts) < 0) throw Fail(d.Path, "set times", errno);
            }
            finally { close(fd); }
        }
    }

    static void Times(TarEntry e, timespec* ts)
    {
        ts[1].tv_sec = e.MtimeSec; ts[1].tv_nsec = e.MtimeNsec;
        ts[0].tv_sec = e.HasAtime ? e.AtimeSec : e.MtimeSec;
        ts[0].tv_nsec = e.HasAtime ? e.AtimeNsec : e.MtimeNsec;
    }

    static int LengthOf(byte* z) { int n = 0; while (z[n] != 0) n++; return n; }

    LayerException Refuse(ReadOnlySpan<byte> entry, string why) =>
        new($"unpack layer {label}: entry {LayerPath.Quote(entry)} {why}");

    LayerException Fail(ReadOnlySpan<byte> entry, string what, int err) =>
        new($"unpack layer {label}: {what} for entry {LayerPath.Quote(entry)}: {LayerNative.Describe(err)}");
}
