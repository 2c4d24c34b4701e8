// IdmappedRootfs: with a user namespace, the runtime (not init) mounts the container's overlay
// rootfs, over image layers idmapped through the container's user namespace.
//
// Why: the image's layers are unpacked once and shared by every container; their files belong to
// host ids (0 for most). In a container whose root is host uid 100000, those files would show up
// as nobody (65534) and root could not change them. Copying and chowning every layer per range
// costs time and disk; an idmapped mount costs neither: a detached clone of each layer
// (open_tree OPEN_TREE_CLONE) gets MOUNT_ATTR_IDMAP with the container's user namespace
// (mount_setattr), so on-disk 0 reads as 100000 through it - and as 0 inside the container.
// Who does it, and why not init: mount_setattr with MOUNT_ATTR_IDMAP needs CAP_SYS_ADMIN in the
// user namespace that owns the layers' filesystem (the host's); init is root only in the
// container's own. The overlay mount is made by the same privileged thread, so its superblock
// belongs to the host's user namespace, which keeps the image's trusted.overlay.* xattrs
// (opaque directories) meaningful, as without a user namespace.
// Steps, on a thread that has joined the container's mount namespace (the container's process
// waits for "G" meanwhile, see ContainerStarter / UserNamespaceSetup):
//   1. each lower dir: open_tree clone -> mount_setattr(MOUNT_ATTR_IDMAP, userns fd) -> move_mount
//      over its own path (only in the container's mount namespace; the host sees nothing);
//   2. mount overlayfs on the rootfs with the usual lowerdir=...,upperdir=...,workdir=...: the
//      paths now lead to the idmapped mounts (overlayfs accepts idmapped lowers since Linux 5.19);
//   3. detach the idmapped mounts from the layer paths again: overlayfs holds its own private
//      clones of its layers (clone_private_mount), so the rootfs keeps them.
// The upper dir is not idmapped: the engine chowns it to the mapped root, and a file root creates
// inside lands on disk owned by the mapped uid (100000), as `ls -ln upper/` shows.
// Init then finds its rootfs mounted (RootfsSteps.MountRootfs says so and moves on).
// Maps that give every id itself (0 0 65536) change no owner: step 1 and 3 are skipped, the
// overlay is still mounted here (host-owned superblock), and no idmapped mount is needed - so
// such a bundle also starts where the layers' filesystem cannot be idmapped (tmpfs before 6.3).
//
// Follows: open_tree(2), mount_setattr(2) "Idmapped mounts", move_mount(2), user_namespaces(7),
// the kernel's Documentation/filesystems/overlayfs.rst ("idmapped layers"), idmappings.rst.
using MiniRun.Init;
using MiniRun.Kernel;
using MiniRun.Spec;
using MiniRun.Trace;

namespace MiniRun.Runtime;

public static class IdmappedRootfs
{
    /// <summary>The core mounts the rootfs itself when the container gets a new user namespace and an overlay (io.minirun.overlay).</summary>
    public static bool Applies(RuntimeSpec spec) =>
        spec.Linux.Overlay is not null && spec.Linux.Namespaces.Any(n => n.Type == "user" && n.Path is null);

    /// <summary>Whether every uid and gid mapping gives each id itself: then an idmapped mount would change nothing.</summary>
    public static bool IsIdentity(RuntimeSpec spec) =>
        (spec.Linux.UidMappings ?? []).Concat(spec.Linux.GidMappings ?? []).All(m => m.HostId == m.ContainerId);

    /// <summary>
    /// Steps 1-3 above. The calling thread must be in the mount namespace the rootfs is mounted in
    /// (the container's, or a private one: cp and export of a stopped container).
    /// <paramref name="usernsFd"/> -1: identity maps, the overlay is mounted without idmapping.
    /// </summary>
    public static void Mount(IKernel k, ITrace trace, SpecOverlay overlay, string rootfs, int usernsFd, bool nodev = false)
    {
        if (usernsFd < 0)
        {
            trace.Step(Messages.OverlayByRuntimeTitle, Messages.OverlayByRuntimeWhy);
            RootfsSteps.MountOverlay(k, trace, overlay, rootfs, nodev);
            return;
        }
        trace.Step(Messages.IdmapLayersTitle, Messages.IdmapLayersWhy);
        var lowers = overlay.LowerDirs.Distinct(StringComparer.Ordinal).ToList();
        var attached = new List<string>();
        try
        {
            foreach (string lower in lowers)
            {
                int fd = k.OpenTreeClone(lower);
                try
                {
                    try { k.SetIdmap(fd, usernsFd, lower); }
                    catch (KernelException e) { throw new RuntimeException(IdmapError(lower, e), e); }
                    k.MoveMount(fd, lower);
                    attached.Add(lower);
                }
                finally { k.Close(fd); }
            }
            try { RootfsSteps.MountOverlay(k, trace, overlay, rootfs, nodev); }
            catch (KernelException e) when (e.Errno == Errno.EINVAL)
            {
                throw new RuntimeException($"{e.Message} (overlayfs takes idmapped lower layers since Linux 5.19)", e);
            }
        }
        finally
        {
            if (attached.Count > 0)
                trace.Note(Messages.IdmapLeavesLayers);
            foreach (string lower in attached) k.Unmount(lower, Libc.MNT_DETACH);
        }
    }

    /// <summary>One line: the call, the layer, the errno, and what the kernel lacks.</summary>
    public static string IdmapError(string lower, KernelException e) =>
        $"mount_setattr(MOUNT_ATTR_IDMAP) on {TraceFormat.Q(lower)}: {Errno.Describe(e.Errno)}: " + (e.Errno switch
        {
            Errno.ENOSYS => "this kernel has no mount_setattr (Linux 5.12+ needed for --userns=remap)",
            Errno.EINVAL or Errno.EOPNOTSUPP => "this kernel or the layer's filesystem cannot make idmapped mounts (ext4, xfs, btrfs since Linux 5.12; tmpfs since 6.3)",
            Errno.EPERM => "the runtime needs CAP_SYS_ADMIN in the host's user namespace",
            _ => "idmapped mounts are needed for --userns=remap",
        });
}
