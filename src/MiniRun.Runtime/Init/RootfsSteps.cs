// RootfsSteps: make the inherited mounts private, then mount the container's root filesystem.
//
// Why: after clone(CLONE_NEWNS) this process has a copy of the host's mount table. Marking it
// MS_REC|MS_PRIVATE first means nothing mounted from now on (or unmounted, like the old root
// after pivot_root) propagates to the host; on systemd hosts every mount is shared, and
// pivot_root refuses to work with a shared parent mount. linux.rootfsPropagation slave/rslave
// makes the copy MS_SLAVE, shared/rshared keeps it MS_SHARED, with the mount holding the rootfs
// then made private (RootMountSteps.cs says why and in which order).
// The rootfs is overlayfs: the image layers are read-only lowerdirs shared by every container;
// this container's writes land in its own upperdir (copy-on-write), which is why a file written
// in one `run` is absent from the next. With a user namespace the runtime has mounted it already,
// over idmapped layers (Runtime/IdmappedRootfs.cs), and this step only says so.
// When the device list is kept without a cgroup (NodevDeviceSteps) the rootfs is mounted nodev:
// a device node shipped in an image layer never opens.
// The mount data (lowerdir=...,upperdir=...,workdir=...) is copied by the kernel into one page
// (4096 bytes, the last a NUL); with absolute layer paths that is ~43 layers under a long root.
// So when the absolute form does not fit, and every lowerdir lies in one directory (MiniRun's
// engine hands in its short per-layer links, $LINKS/<12 hex>), the lowerdirs are given relative
// to that directory, which is this process's working directory for the mount alone (the kernel
// resolves relative option paths against the caller's cwd; init is the only task of its
// fs_struct, as is the runtime's mount-namespace thread). 125 layers then take ~1.6 KB whatever
// the root's length; upper and work become relative too if even that does not fit. The new mount
// API (fsconfig "lowerdir+", one call per layer) has no page limit but needs Linux 6.8, and the
// relative form works on every kernel, so it is the only fallback.
//
// Follows: mount(2), mount_namespaces(7) (shared subtrees), the kernel's overlayfs.rst
// ("Multiple lower layers"; mount options are limited to one page).
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
        else if ((propagation & Libc.MS_SHARED) != 0)
            c.BeginStep(Messages.RootSharedTitle, Messages.RootSharedWhy);
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

    /// <summary>
    /// mount(2) of the overlay on rootfs; "volatile" when asked and the kernel knows it; MS_NODEV
    /// with <paramref name="nodev"/>. When the absolute data exceeds a page, the lowerdirs are
    /// given relative to their common directory, the working directory during the mount.
    /// </summary>
    public static void MountOverlay(IKernel kernel, MiniRun.Trace.ITrace trace, MiniRun.Spec.SpecOverlay overlay, string rootfs, bool nodev)
    {
        ulong flags = nodev ? Libc.MS_NODEV : 0;   // the device list without a cgroup: no node of an image layer opens
        string suffix = overlay.Volatile == true ? ",volatile" : "";
        var form = OverlayMountData(overlay.LowerDirs, overlay.UpperDir, overlay.WorkDir, suffix.Length);
        string? back = null;
        if (form.Cwd is not null)
        {
            trace.Note(Messages.OverlayRelative.With(overlay.LowerDirs.Count, form.AbsoluteLength, PageSize - 1, form.Cwd));
            back = kernel.GetCwd() ?? "/";
            kernel.Chdir(form.Cwd);
        }
        try
        {
            if (suffix.Length > 0)
            {
                try
                {
                    kernel.Mount("overlay", rootfs, "overlay", flags, form.Data + suffix);
                    return;
                }
                catch (KernelException e) when (e.Errno == Errno.EINVAL)
                {
                    // Kernels before 5.10 do not know "volatile": the same mount, synced as usual.
                    trace.Note(Messages.OverlayNoVolatile);
                }
            }
            kernel.Mount("overlay", rootfs, "overlay", flags, form.Data);
        }
        finally
        {
            if (back is not null) kernel.Chdir(back);
        }
    }

    /// <summary>The kernel copies mount data into one page; the string and its NUL must fit.</summary>
    public static readonly int PageSize = Environment.SystemPageSize;

    /// <summary>The mount data, and the directory it is relative to (null: absolute paths).</summary>
    public sealed record OverlayForm(string Data, string? Cwd, int AbsoluteLength);

    /// <summary>
    /// The overlay mount data for these directories: absolute when it fits a page with
    /// <paramref name="reserve"/> more bytes (",volatile"), else the lowerdirs relative to their
    /// common directory (and, if still too long, upper and work relative to it as well).
    /// A data string that cannot fit either way is refused here, before anything is mounted.
    /// </summary>
    public static OverlayForm OverlayMountData(IReadOnlyList<string> lowerDirs, string upperDir, string workDir, int reserve = 0)
    {
        string absolute = OverlayData(lowerDirs, upperDir, workDir);
        int limit = PageSize - 1 - reserve;
        if (absolute.Length <= limit) return new OverlayForm(absolute, null, absolute.Length);
        var parents = lowerDirs.Select(d => Path.GetDirectoryName(d) ?? "").Distinct(StringComparer.Ordinal).ToList();
        string dir = parents.Count == 1 ? parents[0] : "";
        if (dir.Length > 0 && lowerDirs.All(d => Path.IsPathRooted(d)))
        {
            var names = lowerDirs.Select(d => Path.GetFileName(d)).ToList();
            string data = OverlayData(names, upperDir, workDir);
            if (data.Length > limit)
                data = OverlayData(names, Path.GetRelativePath(dir, upperDir), Path.GetRelativePath(dir, workDir));
            if (data.Length <= limit) return new OverlayForm(data, dir, absolute.Length);
        }
        throw new MiniRun.Runtime.RuntimeException(
            $"mount overlay: the mount data for {lowerDirs.Count} layers is {absolute.Length} bytes, more than a page ({PageSize - 1} + NUL), " +
            "and the lowerdirs do not share one directory to be given relative to (an image's layers need short links in one directory)");
    }

    /// <summary>The overlayfs option string; lowerdirs top-most first, separated by ':'.</summary>
    public static string OverlayData(IReadOnlyList<string> lowerDirs, string upperDir, string workDir)
    {
        foreach (var dir in lowerDirs.Append(upperDir).Append(workDir))
            if (dir.IndexOfAny([':', ',']) >= 0)
                throw new ArgumentException($"overlay directory {GoQuote.Quote(dir)} contains ':' or ',' which overlayfs options cannot carry");
        return $"lowerdir={string.Join(':', lowerDirs)},upperdir={upperDir},workdir={workDir}";
    }
}
