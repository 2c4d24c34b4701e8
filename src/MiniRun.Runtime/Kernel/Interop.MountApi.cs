// Interop.MountApi: the descriptor-based mount calls (open_tree, move_mount, mount_setattr on a
// descriptor, fsopen, fsconfig, fsmount), setns, execveat, fstat's type and device numbers,
// fstatfs's magic, and getcwd.
//
// Why: the escapes runc suffered (CVE-2019-5736, CVE-2021-30465, CVE-2025-31133, CVE-2025-52881)
// all came from a path being looked up twice - once to check, once to use - with a container
// able to change what the path means in between. These calls act on an open descriptor instead:
// a bind mount of exactly the file that was opened and checked, a procfs nobody else can see, an
// exec of exactly the binary that was sealed. The same calls make an idmapped mount (user
// namespaces): a detached copy of a layer (open_tree OPEN_TREE_CLONE) gets MOUNT_ATTR_IDMAP, so
// its files' owners show through a user namespace's maps without touching the files, and is
// attached with move_mount. None has a glibc wrapper (glibc 2.36 added some, Debian 12 has them,
// older hosts do not), so they go through syscall(2).
//
// Follows: open_tree(2), move_mount(2), mount_setattr(2) "Idmapped mounts", fsopen(2),
// fsconfig(2), fsmount(2), setns(2), execveat(2), fstat(2), fstatfs(2), getcwd(2). Numbers are
// the same on x86-64 and aarch64 (the generic table from 424 on).
using System.Runtime.InteropServices;

namespace MiniRun.Kernel;

internal static unsafe partial class Libc
{
    public const long SYS_open_tree = 428, SYS_move_mount = 429, SYS_fsopen = 430, SYS_fsconfig = 431, SYS_fsmount = 432;
    public static long SYS_execveat => RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 322 : 281;
    public static long SYS_getcwd => RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 79 : 17;

    public const uint OPEN_TREE_CLONE = 1, OPEN_TREE_CLOEXEC = 0x80000, AT_EMPTY_PATH = 0x1000;
    public const uint MOVE_MOUNT_F_EMPTY_PATH = 0x4, MOVE_MOUNT_T_EMPTY_PATH = 0x40;
    public const uint FSOPEN_CLOEXEC = 1, FSMOUNT_CLOEXEC = 1, FSCONFIG_CMD_CREATE = 6;
    public const ulong MOUNT_ATTR_IDMAP = 0x100000;
    public const int CLONE_FS = 0x200;
    /// <summary>statfs(2) f_type of procfs.</summary>
    public const long PROC_SUPER_MAGIC = 0x9fa0;

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial long syscall_open_tree(long number, int dirfd, string path, uint flags);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial long syscall_move_mount(long number, int fromDirfd, string fromPath, int toDirfd, string toPath, uint flags);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial long syscall_mount_setattr_fd(long number, int dirfd, string path, uint flags, mount_attr* attr, nuint size);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setns(int fd, int nstype);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial long syscall_fsopen(long number, string fsname, uint flags);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    public static partial long syscall_fsconfig(long number, int fd, uint cmd, byte* key, byte* value, int aux);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    public static partial long syscall_fsmount(long number, int fd, uint flags, uint attrFlags);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial long syscall_execveat(long number, int dirfd, string path, byte** argv, byte** envp, uint flags);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    public static partial long syscall_getcwd(long number, byte* buf, nuint size);

    [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
    private static partial int fstat_raw(int fd, byte* statbuf);

    [LibraryImport("libc", EntryPoint = "fstatfs", SetLastError = true)]
    private static partial int fstatfs_raw(int fd, byte* statfsbuf);

    /// <summary>fstat(2): st_mode and the device numbers of st_rdev (for a device node); -errno as Mode on failure.</summary>
    public static (long Mode, uint Major, uint Minor) FstatType(int fd)
    {
        byte* buf = stackalloc byte[256];
        if (fstat_raw(fd, buf) < 0) return (-Marshal.GetLastPInvokeError(), 0, 0);
        // x86_64: st_dev(8) st_ino(8) st_nlink(8) st_mode(4) st_uid(4) st_gid(4) pad(4) st_rdev(8);
        // generic (aarch64): st_dev(8) st_ino(8) st_mode(4) st_nlink(4) st_uid(4) st_gid(4) st_rdev(8).
        bool x64 = RuntimeInformation.ProcessArchitecture == Architecture.X64;
        uint mode = x64 ? *(uint*)(buf + 24) : *(uint*)(buf + 16);
        ulong rdev = x64 ? *(ulong*)(buf + 40) : *(ulong*)(buf + 32);
        uint major = (uint)(((rdev >> 32) & 0xfffff000) | ((rdev >> 8) & 0xfff));
        uint minor = (uint)(((rdev >> 12) & 0xffffff00) | (rdev & 0xff));
        return (mode, major, minor);
    }

    /// <summary>fstatfs(2)'s f_type (the filesystem's magic number), or -errno.</summary>
    public static long FstatfsType(int fd)
    {
        byte* buf = stackalloc byte[128];
        if (fstatfs_raw(fd, buf) < 0) return -Marshal.GetLastPInvokeError();
        return *(long*)buf;   // struct statfs starts with f_type (__fsword_t) on 64-bit Linux
    }
}

internal static unsafe partial class Libc
{
    public const uint MOVE_MOUNT_T_SYMLINKS = 0x10;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mkdirat(int dirfd, string path, uint mode);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int openat(int dirfd, string path, int flags, uint mode);

    [LibraryImport("libc")]
    public static partial int gettid();
}
