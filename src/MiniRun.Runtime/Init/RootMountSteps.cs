// RootMountSteps: the two settings of the container's root mount itself, once it is /:
// its propagation (linux.rootfsPropagation) and read-only (root.readonly).
//
// Why: propagation decides whether mount events cross between the container and the host:
// "private" (nothing crosses), "slave" (the host's new mounts appear inside, nothing goes
// back), "shared" (both ways, with every peer), "unbindable" (private, and / cannot be
// bind-mounted); the r* forms apply to every mount below too. A read-only root stops the
// container's command from changing its own image (tmpfs and bind mounts on top stay writable).
//
// Order:
//   - step 1 (RootfsSteps.MakeMountsPrivate) makes the inherited mounts MS_SLAVE instead of
//     MS_PRIVATE when the spec asks for slave/rslave: a slave needs a master, and making the
//     tree private first would cut it from the host for good. For shared/rshared it makes them
//     MS_REC|MS_SHARED: the copies stay peers of the host's mounts (a bind mount of a shared
//     source then joins the source's peer group), where MS_PRIVATE would have cut them for good.
//   - step 1b (MakeRootfsParentPrivate), only with / shared: the mount holding the rootfs
//     directory (and the rootfs mount itself, when the bundle's rootfs is already one) becomes
//     MS_PRIVATE before the rootfs is mounted, so neither the overlay nor any mount made below
//     it reaches the host, and pivot_root(2) accepts the parent (it refuses a shared one).
//     A bind source on that same mount is cut from the host with it (as with runc).
//     With a new user namespace the copied mounts are slaves of the host's already (a less
//     privileged mount namespace, mount_namespaces(7)): nothing made inside reaches the host.
//   - the propagation is set after pivot_root, on "/": pivot_root(2) fails with EINVAL while
//     the new root or its parent mount is shared.
//   - the read-only remount comes after the working directory was created (mkdir) and before
//     the user switch (it needs CAP_SYS_ADMIN). MS_REMOUNT replaces every per-mount flag, so the
//     flags / has (nosuid, nodev, relatime ... read with statvfs) are passed again with
//     MS_RDONLY; inside a user namespace dropping a locked one would be refused (EPERM).
//
// Follows: runtime-spec config-linux.md "Rootfs Mount Propagation", config.md "Root",
// mount_namespaces(7) "Shared subtrees", mount(2) MS_REMOUNT|MS_BIND, statvfs(3), pivot_root(2)
// ("EINVAL": new_root's parent mount shared), proc(5) /proc/pid/mountinfo.
using MiniRun.Kernel;
using MiniRun.Spec;

using MiniRun.Trace;

namespace MiniRun.Init;

public static class RootMountSteps
{
    /// <summary>MS_REC with MS_SLAVE, MS_SHARED or MS_PRIVATE: what step 1 makes of the copied mounts.</summary>
    public static ulong InheritedPropagation(RuntimeSpec spec) => Libc.MS_REC | spec.Linux.RootfsPropagation switch
    {
        "slave" or "rslave" => Libc.MS_SLAVE,
        "shared" or "rshared" => Libc.MS_SHARED,
        _ => Libc.MS_PRIVATE,
    };

    /// <summary>
    /// Step 1b, only when step 1 left / shared: MS_PRIVATE on the mount holding the rootfs's
    /// directory, then on the mount holding the rootfs path if that is another one (a bundle
    /// whose rootfs is mounted already), each only if mountinfo says it is shared.
    /// </summary>
    public static void MakeRootfsParentPrivate(InitContext c)
    {
        if ((InheritedPropagation(c.Spec) & Libc.MS_SHARED) == 0) return;
        string rootfs = c.RootfsPath.Length > 1 ? c.RootfsPath.TrimEnd('/') : c.RootfsPath;
        string text = c.Kernel.ReadFile("/proc/self/mountinfo")
            ?? throw new MiniRun.Runtime.RuntimeException("read /proc/self/mountinfo: cannot find the mount holding the rootfs");
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var holders = new List<(string MountPoint, IReadOnlyList<string> Fields)>();
        foreach (string path in new[] { Path.GetDirectoryName(rootfs) ?? "/", rootfs })
        {
            var holder = MountInfo.HolderOf(path, lines)
                ?? throw new MiniRun.Runtime.RuntimeException($"no mount holds {TraceFormat.Q(path)} in /proc/self/mountinfo");
            if (!holders.Any(h => h.MountPoint == holder.MountPoint)) holders.Add(holder);
        }
        foreach (var (point, fields) in holders)
        {
            if (!MountInfo.IsShared(fields))
            {
                c.Trace.Note(Messages.RootfsParentNotShared.With(point));
                continue;
            }
            c.BeginStep(Messages.RootfsParentPrivateTitle.With(point), Messages.RootfsParentPrivateWhy);
            c.Kernel.Mount(null, point, null, Libc.MS_PRIVATE, null);
        }
    }

    public static void SetPropagation(InitContext c)
    {
        string? name = c.Spec.Linux.RootfsPropagation;
        if (string.IsNullOrEmpty(name)) return;
        if (!MountOptions.PropagationWords.TryGetValue(name, out ulong flags))
            throw new InvalidDataException($"linux.rootfsPropagation {GoQuote.Quote(name)} is not a propagation type");
        c.BeginStep(Messages.PropagationTitle.With(name), name switch
        {
            "shared" or "rshared" => Messages.PropagationShared,
            "slave" or "rslave" => Messages.PropagationSlave,
            "unbindable" or "runbindable" => Messages.PropagationUnbindable,
            _ => Messages.PropagationPrivate,
        });
        c.Kernel.Mount(null, "/", null, flags, null);
    }

    public static void MakeReadonly(InitContext c)
    {
        if (!c.Spec.Root.Readonly) return;
        c.BeginStep(Messages.ReadonlyRootTitle, Messages.ReadonlyRootWhy);
        ulong current = c.Kernel.MountFlags("/") & MountOptions.PerMountFlags;
        c.Kernel.Mount(null, "/", null, Libc.MS_REMOUNT | Libc.MS_BIND | Libc.MS_RDONLY | current, null);
    }
}
