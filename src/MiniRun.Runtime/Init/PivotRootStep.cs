// PivotRootStep: make the container's rootfs the root of its mount namespace and drop the host's.
//
// Why pivot_root and not chroot: chroot only changes the starting point of path lookups for one
// process, and a root process can walk back out of it. pivot_root moves the whole mount
// namespace's root; after the old root is detached, no path in the container leads to the
// host's files. pivot_root(".", ".") stacks the old root on top of the new one, so no
// temporary directory is needed; the old root is then made a slave (so unmounting it cannot
// propagate anywhere) and lazily unmounted.
//
// Follows: pivot_root(2) ("NOTES": the pivot_root(".", ".") idiom), umount(2) MNT_DETACH.
using MiniRun.Kernel;

using MiniRun.Trace;

namespace MiniRun.Init;

public static class PivotRootStep
{
    public static void Run(InitContext c)
    {
        c.BeginStep(Messages.PivotRootTitle.With(c.RootfsPath), Messages.PivotRootWhy);
        c.Kernel.Chdir(c.RootfsPath);
        c.Kernel.PivotRoot(".", ".");
        c.Kernel.Mount(null, ".", null, Libc.MS_SLAVE | Libc.MS_REC, null);
        c.Kernel.Unmount(".", Libc.MNT_DETACH);
        c.Kernel.Chdir("/");
    }
}
