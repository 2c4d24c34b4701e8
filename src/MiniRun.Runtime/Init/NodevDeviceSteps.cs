// NodevDeviceSteps: keep linux.resources.devices without a cgroup: every mount is nodev, and the
// device nodes the runtime made and the rules allow are each a bind mount of their own without it.
//
// Why: the device filter (Cgroups/DeviceFilter.cs) needs a cgroup; when the container has none
// (no cgroup2 filesystem, `--cgroup-manager disabled`) the parent says so ("N" instead of "B"
// for the bundle, Init/InitProcess.cs) and init keeps the list with mount flags instead
// (Cgroups/DeviceAllowList.cs says what that can and cannot express):
//   - the rootfs (RootfsSteps), and every spec mount but devpts (SpecMountSteps), get MS_NODEV:
//     a node from an image layer, a volume, or made with mknod in /dev or /tmp cannot be opened
//     (EACCES). devpts keeps device access: it holds only the container's own terminals, and no
//     node can be made on it.
//   - DeviceSteps then makes /dev/null and the others on the nodev /dev as usual; each one the
//     rules allow is bind-mounted onto itself (the new mount copies nodev from /dev) and that
//     bind mount alone is remounted without nodev: the node opens, its neighbours do not.
//     Without CAP_SYS_ADMIN (Docker's default set) the container cannot undo any of it.
//   - in a user namespace the nodes are bind mounts of the host's already (DeviceSteps); one the
//     rules deny is remounted nodev.
// This is what rootless runtimes do for /dev, where mknod is impossible.
//
// Follows: mount(2) MS_BIND, MS_REMOUNT (per-mount flags of one bind mount), MS_NODEV;
// runtime-spec config-linux.md "Devices" and "Allowed Device list".
using MiniRun.Cgroups;
using MiniRun.Kernel;
using MiniRun.Spec;

namespace MiniRun.Init;

public static class NodevDeviceSteps
{
    /// <summary>The rules init keeps (linux.resources.devices), as DeviceFilter reads them.</summary>
    public static IReadOnlyList<DeviceRule> Rules(InitContext c) => DeviceFilter.Rules(c.Spec.Linux.Resources?.Devices ?? []);

    /// <summary>The spec mount's flags with MS_NODEV added when the list is kept by mounts (devpts excepted).</summary>
    public static ParsedMountOptions ForMount(InitContext c, string type, ParsedMountOptions opts) =>
        !c.NodevDevices || type == "devpts" ? opts
            : opts with { Flags = opts.Flags | Libc.MS_NODEV, Cleared = opts.Cleared & ~Libc.MS_NODEV };

    /// <summary>
    /// A node DeviceSteps made with mknod at <paramref name="path"/> (host side, scoped to the
    /// rootfs): when it may open, a bind mount of its own without nodev.
    /// </summary>
    public static void Expose(InitContext c, string path, char type, long major, long minor)
    {
        if (!c.NodevDevices || !DeviceAllowList.Opens(Rules(c), type, major, minor)) return;
        c.Kernel.Mount(path, path, null, Libc.MS_BIND, null);
        ulong current = c.Kernel.MountFlags(path) & MountOptions.PerMountFlags;
        c.Kernel.Mount(null, path, null, Libc.MS_REMOUNT | Libc.MS_BIND | (current & ~Libc.MS_NODEV), null);
    }

    /// <summary>In a user namespace: a host node bind-mounted at <paramref name="path"/> that the rules deny becomes nodev.</summary>
    public static void WithholdBound(InitContext c, string path, char type, long major, long minor)
    {
        if (!c.NodevDevices || DeviceAllowList.Opens(Rules(c), type, major, minor)) return;
        ulong current = c.Kernel.MountFlags(path) & MountOptions.PerMountFlags;
        c.Kernel.Mount(null, path, null, Libc.MS_REMOUNT | Libc.MS_BIND | current | Libc.MS_NODEV, null);
    }
}
