// LayerNative: the few libc calls the layer unpacker needs that Tmds.LibC 0.5.0 lacks (xattrs,
// directory reading), plus makedev and errno formatting.
//
// Why: xattrs carry file capabilities and the overlayfs opaque marker; Tmds.LibC has no xattr
// calls (platform-facts.md section 2). readdir is used to remove a directory tree without
// following symlinks and without decoding names.
// Follows: setxattr(2), readdir(3), makedev(3) (glibc's encoding of dev_t).
using System.Runtime.InteropServices;

namespace MiniImage.Layers;

internal static unsafe partial class LayerNative
{
    [LibraryImport("libc", SetLastError = true)]
    internal static partial int fsetxattr(int fd, byte* name, byte* value, nuint size, int flags);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int lsetxattr(byte* path, byte* name, byte* value, nuint size, int flags);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial IntPtr fdopendir(int fd);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial IntPtr readdir(IntPtr dir);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int closedir(IntPtr dir);

    [LibraryImport("libc")]
    internal static partial void rewinddir(IntPtr dir);

    /// Offset of d_name in glibc's struct dirent on 64-bit Linux (d_ino 8, d_off 8, d_reclen 2, d_type 1).
    internal const int DirentNameOffset = 19;


    /// glibc's makedev(3): 12 bits of major and 8 of minor in the low word, the rest above.
    internal static ulong MakeDev(uint major, uint minor) =>
        (((ulong)major & 0xfffff000UL) << 32) | (((ulong)major & 0xfffUL) << 8) |
        (((ulong)minor & 0xffffff00UL) << 12) | ((ulong)minor & 0xffUL);

    /// "errno 2: No such file or directory"
    internal static string Describe(int errno) => $"errno {errno}: {Marshal.GetPInvokeErrorMessage(errno)}";
}

/// Linux errno values (asm-generic/errno-base.h, errno.h) as constants, so they work in patterns.
internal static class Errno
{
    public const int EPERM = 1, ENOENT = 2, EINTR = 4, EEXIST = 17, EXDEV = 18, ENOTDIR = 20, EISDIR = 21,
        EINVAL = 22, ENOSYS = 38, ENOTEMPTY = 39, ELOOP = 40, EOPNOTSUPP = 95;
}
