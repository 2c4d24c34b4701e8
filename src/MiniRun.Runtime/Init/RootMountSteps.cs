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
//     tree private first would cut it from the host for good.
//   - the propagation is set after pivot_root, on "/": pivot_root(2) fails with EINVAL while
//     the new root or its parent mount is shared.
//   - the read-only remount comes after the working directory was created (mkdir) and before
//     the user switch (it needs CAP_SYS_ADMIN). MS_REMOUNT replaces every per-mount flag, so the
//     flags / has (nosuid, nodev, relatime ... read with statvfs) are passed again with
//     MS_RDONLY; inside a user namespace dropping a locked one would be refused (EPERM).
//
// Follows: runtime-spec config-linux.md "Rootfs Mount Propagation", config.md "Root",
// mount_namespaces(7) "Shared subtrees", mount(2) MS_REMOUNT|MS_BIND, statvfs(3), pivot_root(2).
using MiniRun.Kernel;
using MiniRun.Spec;

using MiniRun.Trace;

namespace MiniRun.Init;

public static class RootMountSteps
{
    /// <summary>MS_REC with MS_SLAVE or MS_PRIVATE: how step 1 cuts the copied mounts from the host's.</summary>
    public static ulong InheritedPropagation(RuntimeSpec spec) =>
        Libc.MS_REC | (spec.Linux.RootfsPropagation is "slave" or "rslave" ? Libc.MS_SLAVE : Libc.MS_PRIVATE);

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
