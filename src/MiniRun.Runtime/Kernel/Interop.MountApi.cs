// Interop.MountApi: the new mount API calls an idmapped mount needs: open_tree, mount_setattr
// with MOUNT_ATTR_IDMAP, move_mount; and setns, to do them in a container's mount namespace.
//
// Why: an idmapped mount shows a directory's files with their owners translated through a user
// namespace's uid_map/gid_map, without touching the files. It can only be made on a detached
// copy of a mount (open_tree with OPEN_TREE_CLONE), which is then attached with move_mount.
// glibc has no wrappers for open_tree and move_mount (2.36 has, Debian 12's has not all), so
// they go through syscall(2) with the x86_64 numbers.
//
// Follows: open_tree(2), mount_setattr(2) "Idmapped mounts", move_mount(2), setns(2);
// constants from <linux/mount.h> and <fcntl.h>.
using System.Runtime.InteropServices;

namespace MiniRun.Kernel;

internal static unsafe partial class Libc
{
    public const long SYS_open_tree = 428, SYS_move_mount = 429;
    public const uint OPEN_TREE_CLONE = 1, OPEN_TREE_CLOEXEC = 0x80000 /* O_CLOEXEC */;
    public const uint AT_EMPTY_PATH = 0x1000, MOVE_MOUNT_F_EMPTY_PATH = 0x4;
    public const ulong MOUNT_ATTR_IDMAP = 0x100000;
    public const int CLONE_FS = 0x200;

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial long syscall_open_tree(long number, int dirfd, string path, uint flags);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial long syscall_move_mount(long number, int fromDirfd, string fromPath, int toDirfd, string toPath, uint flags);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial long syscall_mount_setattr_fd(long number, int dirfd, string path, uint flags, mount_attr* attr, nuint size);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setns(int fd, int nstype);
}
