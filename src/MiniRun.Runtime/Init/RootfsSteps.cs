// RootfsSteps: make the inherited mounts private, then mount the container's root filesystem.
//
// Why: after clone(CLONE_NEWNS) this process has a copy of the host's mount table. Marking it
// MS_REC|MS_PRIVATE first means nothing mounted from now on (or unmounted, like the old root
// after pivot_root) propagates to the host; on systemd hosts every mount is shared, and
// pivot_root refuses to work with a shared parent mount.
// The rootfs is overlayfs: the image layers are read-only lowerdirs shared by every container;
// this container's writes land in its own upperdir (copy-on-write), which is why a file written
// in one `run` is absent from the next. With a user namespace the runtime has mounted it already,
// over idmapped layers (Runtime/IdmappedRootfs.cs), and this step only says so.
// When the device list is kept without a cgroup (NodevDeviceSteps) the rootfs is mounted nodev:
// a device node shipped in an image layer never opens.
//
// Follows: mount(2), mount_namespaces(7) (shared subtrees), the kernel's overlayfs.rst.
using MiniRun.Kernel;

using MiniRun.Trace;

namespace MiniRun.Init;

public static class RootfsSteps
{
    public static void MakeMountsPrivate(InitContext c)
    {
        ulong propagation = RootMountSteps.InheritedPropagation(c.Spec);
        if ((propagation & Libc.MS_SLAVE) != 0)
            c.BeginStep(Messages.RootSlaveTitle, Messages.RootSlaveWhy);
        else
            c.BeginStep(Messages.RootPrivateTitle, Messages.RootPrivateWhy);
        c.Kernel.Mount(null, "/", null, propagation, null);
    }

    public static void MountRootfs(InitContext c)
    {
        var overlay = c.Spec.Linux.Overlay;
        string rootfs = c.RootfsPath;
        if (overlay is null)
        {
            c.BeginStep(Messages.BindRootfsTitle, Messages.BindRootfsWhy);
            c.Kernel.Mount(rootfs, rootfs, null, Libc.MS_BIND | Libc.MS_REC, null);
            if (c.NodevDevices)   // a bind mount takes its flags from the source: nodev needs a remount
                c.Kernel.Mount(null, rootfs, null, Libc.MS_REMOUNT | Libc.MS_BIND | Libc.MS_NODEV |
                    (c.Kernel.MountFlags(rootfs) & MountOptions.PerMountFlags), null);
            return;
        }
        if (MiniRun.Runtime.IdmappedRootfs.Applies(c.Spec))
        {
            // Runtime/IdmappedRootfs.cs: idmapping the layers needs the host's root, so the runtime
            // mounted the overlay in this mount namespace while this process waited for its maps.
            c.BeginStep(Messages.ImageMountedTitle, Messages.ImageMountedWhy);
            c.Trace.Note(Messages.ImageMountedNote.With(rootfs));
            c.Trace.Fact(TraceFact.Mounts, "overlay /");
            return;
        }
        c.BeginStep(Messages.OverlayTitle, overlay.Volatile == true
            ? Messages.OverlayWhy.With(overlay.LowerDirs.Count).Then(Messages.OverlayVolatile)
            : Messages.OverlayWhy.With(overlay.LowerDirs.Count));
        c.Trace.Fact(TraceFact.Mounts, "overlay /");
        MountOverlay(c.Kernel, c.Trace, overlay, rootfs, c.NodevDevices);
    }

    /// <summary>mount(2) of the overlay on rootfs; "volatile" when asked and the kernel knows it; MS_NODEV with <paramref name="nodev"/>.</summary>
    public static void MountOverlay(IKernel kernel, MiniRun.Trace.ITrace trace, MiniRun.Spec.SpecOverlay overlay, string rootfs, bool nodev)
    {
        string data = OverlayData(overlay.LowerDirs, overlay.UpperDir, overlay.WorkDir);
        ulong flags = nodev ? Libc.MS_NODEV : 0;   // the device list without a cgroup: no node of an image layer opens
        if (overlay.Volatile == true)
        {
            try
            {
                kernel.Mount("overlay", rootfs, "overlay", flags, data + ",volatile");
                return;
            }
            catch (KernelException e) when (e.Errno == Errno.EINVAL)
            {
                // Kernels before 5.10 do not know "volatile": the same mount, synced as usual.
                trace.Note(Messages.OverlayNoVolatile);
            }
        }
        kernel.Mount("overlay", rootfs, "overlay", flags, data);
    }

    /// <summary>The overlayfs option string; lowerdirs top-most first, separated by ':'.</summary>
    public static string OverlayData(IReadOnlyList<string> lowerDirs, string upperDir, string workDir)
    {
        foreach (var dir in lowerDirs.Append(upperDir).Append(workDir))
            if (dir.IndexOfAny([':', ',']) >= 0)
                throw new ArgumentException($"overlay directory \"{dir}\" contains ':' or ',' which overlayfs options cannot carry");
        return $"lowerdir={string.Join(':', lowerDirs)},upperdir={upperDir},workdir={workDir}";
    }
}
