// BeneathDirectory: opens directories of the layer by cleaned relative path so that resolution can
// never leave the layer root and never passes through a symlink, creating missing parents (0755,
// as Docker does). Keeps the most recently opened directory open, since tar entries arrive grouped
// by directory.
//
// Why: a hostile layer can first plant a symlink ("link -> /") and then write "link/evil"; lexical
// checks cannot see that. Every entry is created relative to a directory fd obtained here.
// Follows: openat2(2) (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS); with
// ENOSYS/EPERM (old kernel, seccomp) it walks component by component with openat(2)
// O_NOFOLLOW | O_DIRECTORY, which gives the same guarantee for an already-cleaned path.
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace MiniImage.Layers;

internal sealed unsafe class BeneathDirectory : IDisposable
{
    readonly int _rootFd;
    readonly string _label;
    byte[]? _cachedPath;
    int _cachedFd = -1;
    bool _noOpenat2;

    public BeneathDirectory(string rootPath, string label, bool useOpenat2 = true)
    {
        _label = label;
        _noOpenat2 = !useOpenat2;
        fixed (byte* p = Zero(System.Text.Encoding.UTF8.GetBytes(rootPath)))
            _rootFd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (_rootFd < 0) throw new LayerException($"unpack layer {label}: open {rootPath}: {LayerNative.Describe(errno)}");
    }

    public int RootFd => _rootFd;

    /// The directory at `rel` (cleaned, "" = root), created if missing. The fd stays owned by this
    /// object and is valid until the next Open/Invalidate. `entry` names the tar member for errors.
    public int Open(ReadOnlySpan<byte> rel, ReadOnlySpan<byte> entry)
    {
        if (rel.Length == 0) return _rootFd;
        if (_cachedPath != null && rel.SequenceEqual(_cachedPath)) return _cachedFd;
        int fd = OpenUncached(rel, entry, create: true);
        Invalidate();
        _cachedPath = rel.ToArray();
        _cachedFd = fd;
        return fd;
    }

    /// Forgets the cached directory if it is `removed` or lies below it (call before removing).
    public void InvalidateUnder(ReadOnlySpan<byte> removed)
    {
        if (_cachedPath == null) return;
        ReadOnlySpan<byte> c = _cachedPath;
        if (c.StartsWith(removed) && (c.Length == removed.Length || c[removed.Length] == '/')) Invalidate();
    }

    public void Invalidate()
    {
        if (_cachedFd >= 0) close(_cachedFd);
        _cachedFd = -1;
        _cachedPath = null;
    }

    /// Opens `rel` (non-empty) read-only as a directory; the caller closes the fd. With
    /// create=false returns -1 when `rel` does not exist, is not a directory or is reached only
    /// through a symlink; with create=true those refuse the entry.
    public int OpenUncached(ReadOnlySpan<byte> rel, ReadOnlySpan<byte> entry, bool create) =>
        OpenUncached(rel, entry, create, out _);

    /// As above; when it returns -1, <paramref name="err"/> says why (ENOENT, ELOOP, EXDEV, ENOTDIR).
    public int OpenUncached(ReadOnlySpan<byte> rel, ReadOnlySpan<byte> entry, bool create, out int err)
    {
        int fd = TryOpenat2(rel, out err);
        if (fd >= 0) return fd;
        if (!create && err is Errno.ENOENT or Errno.ELOOP or Errno.EXDEV or Errno.ENOTDIR) return -1;
        if (err is Errno.ELOOP or Errno.EXDEV) throw Refuse(entry, "goes through a symlink");
        if (err == Errno.ENOTDIR) throw Refuse(entry, "has a parent that is not a directory");
        if (err is Errno.ENOENT or Errno.ENOSYS or Errno.EPERM or Errno.EINVAL) return Walk(rel, entry, create, out err);
        throw new LayerException($"unpack layer {_label}: open directory {LayerPath.Quote(rel)}: {LayerNative.Describe(err)}");
    }

    int TryOpenat2(ReadOnlySpan<byte> rel, out int err)
    {
        err = Errno.ENOSYS;
        if (_noOpenat2) return -1;
        var how = new open_how
        {
            flags = (ulong)(O_RDONLY | O_DIRECTORY | O_CLOEXEC),
            resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        fixed (byte* p = Zero(rel))
        {
            int fd = openat2(_rootFd, p, &how, (size_t)sizeof(open_how));
            if (fd >= 0) return fd;
            err = errno;
        }
        if (err is Errno.ENOSYS or Errno.EPERM) _noOpenat2 = true;
        return -1;
    }

    /// Component by component: openat(O_NOFOLLOW | O_DIRECTORY), mkdirat when missing.
    int Walk(ReadOnlySpan<byte> rel, ReadOnlySpan<byte> entry, bool create, out int failed)
    {
        failed = 0;
        int cur = _rootFd;
        try
        {
            int i = 0;
            while (i < rel.Length)
            {
                int end = rel[i..].IndexOf((byte)'/');
                ReadOnlySpan<byte> comp = end < 0 ? rel[i..] : rel.Slice(i, end);
                i = end < 0 ? rel.Length : i + end + 1;
                fixed (byte* c = Zero(comp))
                {
                    int next = openat(cur, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
                    if (next < 0 && errno == Errno.ENOENT && create)
                    {
                        if (mkdirat(cur, c, 0x1ed /* 0755 */) < 0 && errno != Errno.EEXIST)
                            throw new LayerException($"unpack layer {_label}: create directory for {LayerPath.Quote(entry)}: {LayerNative.Describe(errno)}");
                        next = openat(cur, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
                        if (next >= 0) fchmod(next, 0x1ed); // the umask may have removed bits
                    }
                    if (next < 0)
                    {
                        int err = errno;
                        // O_NOFOLLOW | O_DIRECTORY on a symlink gives ENOTDIR (or ELOOP): tell them apart.
                        stat st;
                        if (err == Errno.ENOTDIR && fstatat(cur, c, &st, AT_SYMLINK_NOFOLLOW) == 0 && (st.st_mode & S_IFMT) == S_IFLNK)
                            err = Errno.ELOOP;
                        if (!create && err is Errno.ENOENT or Errno.ELOOP or Errno.ENOTDIR) { failed = err; return -1; }
                        if (err == Errno.ELOOP) throw Refuse(entry, "goes through a symlink");
                        if (err == Errno.ENOTDIR) throw Refuse(entry, "has a parent that is not a directory");
                        throw new LayerException($"unpack layer {_label}: open directory for {LayerPath.Quote(entry)}: {LayerNative.Describe(err)}");
                    }
                    if (cur != _rootFd) close(cur);
                    cur = next;
                }
            }
            int result = cur;
            cur = _rootFd; // ownership passes to the caller
            return result;
        }
        finally
        {
            if (cur != _rootFd) close(cur);
        }
    }

    LayerException Refuse(ReadOnlySpan<byte> entry, string why) =>
        new($"unpack layer {_label}: entry {LayerPath.Quote(entry)} {why}");

    /// A NUL-terminated copy for system calls.
    public static byte[] Zero(ReadOnlySpan<byte> s)
    {
        var z = new byte[s.Length + 1];
        s.CopyTo(z);
        return z;
    }

    public void Dispose()
    {
        Invalidate();
        if (_rootFd >= 0) close(_rootFd);
    }
}
