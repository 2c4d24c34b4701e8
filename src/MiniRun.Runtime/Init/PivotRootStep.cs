// PivotRootStep: make the container's rootfs the root of its mount namespace and drop the host's.
//
// Why pivot_root and not chroot: chroot only changes the starting point of path lookups for one
// process, and a root process can walk back out of it. pivot_root moves the whole mount
// namespace's root; after the old root is detached, no path in the container leads to the
// host's files. pivot_root(".", ".") stacks the old root on top of the new one, so no
// temporary directory is needed; the old root is then made a slave (so unmounting it cannot
// propagate anywhere) and lazily unmounted.
// Which mount "." names matters: after pivot_root the working directory is still the new root,
// and mount(2) does not step onto the old root stacked there (only umount2 does). MS_SLAVE|MS_REC
// on "." would then reach every mount of the container, old root included, and turn a shared
// bind mount (rshared) into a slave. So the old root is opened (O_PATH) before pivot_root and
// made the working directory (fchdir) for the slave and the unmount, as runc does.
//
// Follows: pivot_root(2) ("NOTES": the pivot_root(".", ".") idiom), umount(2) MNT_DETACH,
// fchdir(2), open(2) O_PATH, mount_namespaces(7) (MS_REC applies to the whole subtree).
using MiniRun.Kernel;

using MiniRun.Trace;

namespace MiniRun.Init;

public static class PivotRootStep
{
    public static void Run(InitContext c)
    {
        c.BeginStep(Messages.PivotRootTitle.With(c.RootfsPath), Messages.PivotRootWhy);
        int oldRoot = c.Kernel.OpenNoFollow("/").Fd;
        try
        {
            c.Kernel.Chdir(c.RootfsPath);
            c.Kernel.PivotRoot(".", ".");
            c.Kernel.Fchdir(oldRoot);   // "." is the old root now, not the container's new one
            c.Kernel.Mount(null, ".", null, Libc.MS_SLAVE | Libc.MS_REC, null);
            c.Kernel.Unmount(".", Libc.MNT_DETACH);
        }
        finally { c.Kernel.Close(oldRoot); }
        c.Kernel.Chdir("/");
    }
}
