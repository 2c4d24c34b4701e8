// Interop.Mount: the mount-family calls of libc (mount, umount2, pivot_root, mount_setattr, sethostname, statvfs).
//
// Why: the kernel seam (LinuxKernel) calls these; nothing else in MiniRun declares P/Invokes for
// them. pivot_root and mount_setattr have no glibc wrapper, so they go through syscall(2).
//
// Follows: mount(2), umount(2), pivot_root(2), mount_setattr(2), sethostname(2), statvfs(3). Constants from <sys/mount.h>.
using System.Runtime.InteropServices;

namespace MiniRun.Kernel;

internal static unsafe partial class Libc
{
    public const ulong MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8, MS_SYNCHRONOUS = 16,
        MS_REMOUNT = 32, MS_MANDLOCK = 64, MS_DIRSYNC = 128, MS_NOSYMFOLLOW = 256, MS_NOATIME = 1024,
        MS_NODIRATIME = 2048, MS_BIND = 4096, MS_MOVE = 8192, MS_REC = 16384, MS_SILENT = 32768,
        MS_UNBINDABLE = 1 << 17, MS_PRIVATE = 1 << 18, MS_SLAVE = 1 << 19, MS_SHARED = 1 << 20,
        MS_RELATIME = 1 << 21, MS_STRICTATIME = 1 << 24, MS_LAZYTIME = 1 << 25;

    public const int MNT_FORCE = 1, MNT_DETACH = 2, MNT_EXPIRE = 4, UMOUNT_NOFOLLOW = 8;

    public const long SYS_pivot_root = 155, SYS_close_range = 436, SYS_mount_setattr = 442;

    /// <summary>struct mount_attr's bits (<linux/mount.h>); the atime mode is the 3-value field MOUNT_ATTR__ATIME.</summary>
    public const ulong MOUNT_ATTR_RDONLY = 0x1, MOUNT_ATTR_NOSUID = 0x2, MOUNT_ATTR_NODEV = 0x4, MOUNT_ATTR_NOEXEC = 0x8,
        MOUNT_ATTR__ATIME = 0x70, MOUNT_ATTR_RELATIME = 0, MOUNT_ATTR_NOATIME = 0x10, MOUNT_ATTR_STRICTATIME = 0x20,
        MOUNT_ATTR_NODIRATIME = 0x80, MOUNT_ATTR_NOSYMFOLLOW = 0x200000;
    public const int AT_FDCWD = -100;
    public const uint AT_RECURSIVE = 0x8000;

    /// <summary>struct mount_attr (mount_setattr(2)).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct mount_attr
    {
        public ulong attr_set, attr_clr, propagation, userns_fd;
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial long syscall_mount_setattr(long number, int dirfd, string path, uint flags, mount_attr* attr, nuint size);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mount(string? source, string target, string? filesystemtype, ulong mountflags, string? data);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int umount2(string target, int flags);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial long syscall_pivot_root(long number, string newRoot, string putOld);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    public static partial long syscall_close_range(long number, uint first, uint last, uint flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int sethostname(byte* name, nuint len);

    /// <summary>struct statvfs of glibc on 64-bit Linux (statvfs(3)).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct statvfs_t
    {
        public ulong f_bsize, f_frsize, f_blocks, f_bfree, f_bavail, f_files, f_ffree, f_favail, f_fsid, f_flag, f_namemax;
        public fixed int f_spare[6];
    }

    /// <summary>ST_* bits of statvfs's f_flag (from <sys/statvfs.h>).</summary>
    public const ulong ST_RDONLY = 1, ST_NOSUID = 2, ST_NODEV = 4, ST_NOEXEC = 8, ST_SYNCHRONOUS = 16, ST_MANDLOCK = 64,
        ST_NOATIME = 1024, ST_NODIRATIME = 2048, ST_RELATIME = 4096, ST_NOSYMFOLLOW = 8192;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int statvfs(string path, statvfs_t* buf);

    /// <summary>statvfs's ST_* bits as the MS_* bits mount(2) takes: most are equal, relatime and nosymfollow are not.</summary>
    public static ulong MountFlagsFromStatvfs(ulong st)
    {
        ulong ms = st & (ST_RDONLY | ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_SYNCHRONOUS | ST_MANDLOCK | ST_NOATIME | ST_NODIRATIME);
        if ((st & ST_RELATIME) != 0) ms |= MS_RELATIME;
        if ((st & ST_NOSYMFOLLOW) != 0) ms |= MS_NOSYMFOLLOW;
        return ms;
    }
}
