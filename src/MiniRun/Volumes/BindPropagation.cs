// BindPropagation: what a bind mount's propagation word (-v SRC:DST:rslave, --mount
// bind-propagation=) needs from the host and from the container's root, checked before anything
// is made.
//
// Why: propagation is a relation between mounts. A bind mount can only be a slave of the host's
// mount, or its peer, if that host mount is shared (or, for a slave, itself a slave), and the
// container's copy of the host's mounts must stay connected to it: the runtime core cuts them
// (MS_REC|MS_PRIVATE) unless linux.rootfsPropagation says slave or shared
// (MiniRun.Runtime/Init/RootMountSteps.InheritedPropagation).
// Docker's rules, kept here:
//   - shared/rshared: the host mount holding the source must be shared, otherwise
//     "path SRC is mounted on MNT but it is not a shared mount"; the container's root
//     propagation becomes rshared (whatever it was). The core then keeps its copy of the host's
//     mounts peers of the host's and makes only the mount holding the rootfs private, so mounts
//     below the bind cross both ways and the container's own mounts stay inside. A source on the
//     same host mount as the container's rootfs (MiniRun's root) is cut with it: nothing crosses.
//   - slave/rslave: the host mount holding the source must be shared or a slave, otherwise
//     "path SRC is mounted on MNT but it is not a shared or slave mount"; the container's root
//     propagation becomes rslave (unless it is already slave or shared);
//   - private/rprivate (the default): nothing to check.
// The host mount holding a path is the mountinfo entry with the longest mount point that is the
// path or one of its parents (the last such entry: the mount on top; Kernel/MountInfo.cs).
//
// Follows: mount_namespaces(7) "Shared subtrees", proc(5) /proc/pid/mountinfo (optional fields
// "shared:N", "master:N"; octal escapes in paths), docker-run(1) "bind propagation".
using MiniRun.Kernel;
using MiniRun.Spec;

namespace MiniRun.Volumes;

public static class BindPropagation
{
    /// <summary>Checks a bind source's host mount for <paramref name="propagation"/>; RunConfigException (exit 125) with Docker's text.</summary>
    public static void Check(string source, string propagation, IReadOnlyList<string>? mountinfo = null)
    {
        switch (propagation)
        {
            case "shared" or "rshared":
            {
                var (mountPoint, fields) = HostMountOf(source, mountinfo ?? File.ReadAllLines("/proc/self/mountinfo"));
                if (!MountInfo.IsShared(fields))
                    throw new RunConfigException($"path {source} is mounted on {mountPoint} but it is not a shared mount");
                break;
            }
            case "slave" or "rslave":
            {
                var (mountPoint, fields) = HostMountOf(source, mountinfo ?? File.ReadAllLines("/proc/self/mountinfo"));
                if (!MountInfo.IsShared(fields) && !MountInfo.IsSlave(fields))
                    throw new RunConfigException($"path {source} is mounted on {mountPoint} but it is not a shared or slave mount");
                break;
            }
        }
    }

    /// <summary>
    /// linux.rootfsPropagation for these mount points: "rshared" when a bind mount is shared;
    /// else "rslave" when one is a slave and <paramref name="current"/> is neither slave nor shared;
    /// else <paramref name="current"/>.
    /// </summary>
    public static string? RootPropagation(IEnumerable<MountPoint> points, string? current)
    {
        var binds = points.Where(p => p.Type == MountTypes.Bind).ToList();
        if (binds.Any(p => p.Propagation is "shared" or "rshared")) return "rshared";
        if (current is "slave" or "rslave" or "shared" or "rshared") return current;
        return binds.Any(p => p.Propagation is "slave" or "rslave") ? "rslave" : current;
    }

    /// <summary>The mount point and the optional fields of the host mount that holds <paramref name="path"/> (absolute, resolved).</summary>
    public static (string MountPoint, IReadOnlyList<string> Fields) HostMountOf(string path, IReadOnlyList<string> mountinfo) =>
        MountInfo.HolderOf(path, mountinfo) ?? throw new RunConfigException($"path {path}: no mount holds it in /proc/self/mountinfo");
}
