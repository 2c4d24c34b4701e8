// LinuxKernel.MountApi: the IKernel calls that make an idmapped mount (open_tree, mount_setattr
// with MOUNT_ATTR_IDMAP, move_mount), narrated for --trace like every other call.
//
// Why: overlayfs cannot take a user namespace as an option; instead each image layer is
// attached, as a detached clone idmapped through the container's user namespace, over its own
// path in the container's mount namespace, and overlayfs is mounted over those paths
// (Runtime/IdmappedRootfs.cs). A file owned by 0 in the layer then appears owned by the
// container's mapped root (e.g. 100000), which the container sees as 0 again.
//
// Follows: open_tree(2), mount_setattr(2) "Idmapped mounts", move_mount(2).
using System.Runtime.InteropServices;
using static MiniRun.Trace.TraceFormat;

namespace MiniRun.Kernel;

public sealed unsafe partial class LinuxKernel
{
    public int OpenTreeClone(string path)
    {
        int fd = (int)Libc.syscall_open_tree(Libc.SYS_open_tree, Libc.AT_FDCWD, path, Libc.OPEN_TREE_CLONE | Libc.OPEN_TREE_CLOEXEC);
        Check(fd, $"open_tree(AT_FDCWD, {Q(path)}, OPEN_TREE_CLONE|OPEN_TREE_CLOEXEC)", $"open_tree {path}");
        return fd;
    }

    public void SetIdmap(int mountFd, int usernsFd, string what)
    {
        var attr = new Libc.mount_attr { attr_set = Libc.MOUNT_ATTR_IDMAP, userns_fd = (ulong)usernsFd };
        Check((int)Libc.syscall_mount_setattr_fd(Libc.SYS_mount_setattr, mountFd, "", Libc.AT_EMPTY_PATH, &attr, (nuint)sizeof(Libc.mount_attr)),
            $"mount_setattr({mountFd}, \"\", AT_EMPTY_PATH, {{attr_set=MOUNT_ATTR_IDMAP, userns_fd={usernsFd}}}, {sizeof(Libc.mount_attr)})",
            $"mount_setattr(MOUNT_ATTR_IDMAP) on {what}");
    }

    public void MoveMount(int mountFd, string target) =>
        Check((int)Libc.syscall_move_mount(Libc.SYS_move_mount, mountFd, "", Libc.AT_FDCWD, target, Libc.MOVE_MOUNT_F_EMPTY_PATH | Libc.MOVE_MOUNT_T_SYMLINKS),
            $"move_mount({mountFd}, \"\", AT_FDCWD, {Q(target)}, MOVE_MOUNT_F_EMPTY_PATH|MOVE_MOUNT_T_SYMLINKS)", $"move_mount onto {target}");
}
