// BindPropagation: what a bind mount's propagation word (-v SRC:DST:rslave, --mount
// bind-propagation=) needs from the host and from the container's root, checked before anything
// is made.
//
// Why: propagation is a relation between mounts. A bind mount can only be a slave of the host's
// mount if that host mount is shared (or itself a slave), and the container's copy of the host's
// mounts must stay connected to it: the runtime core cuts them (MS_REC|MS_PRIVATE) unless
// linux.rootfsPropagation says slave (MiniRun.Runtime/Init/RootMountSteps.InheritedPropagation).
// Docker's rules, kept here:
//   - slave/rslave: the host mount holding the source must be shared or a slave, otherwise
//     "path SRC is mounted on MNT but it is not a shared or slave mount"; the container's root
//     propagation becomes rslave (unless it is already slave or shared);
//   - shared/rshared needs the copy of the host's mounts to stay shared through pivot_root, which
//     the core does not do: refused as not implemented, never silently made private;
//   - private/rprivate (the default): nothing to check.
// The host mount holding a path is the mountinfo entry with the longest mount point that is the
// path or one of its parents (the last such entry: the mount on top).
//
// Follows: mount_namespaces(7) "Shared subtrees", proc(5) /proc/pid/mountinfo (optional fields
// "shared:N", "master:N"; octal escapes in paths), docker-run(1) "bind propagation".
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
                throw new RunConfigException($"bind propagation \"{propagation}\" is not implemented in MiniRun " +
                    "(private, rprivate, slave and rslave are)");
            case "slave" or "rslave":
                var (mountPoint, fields) = HostMountOf(source, mountinfo ?? File.ReadAllLines("/proc/self/mountinfo"));
                if (!fields.Any(f => f.StartsWith("shared:", StringComparison.Ordinal) || f.StartsWith("master:", StringComparison.Ordinal)))
                    throw new RunConfigException($"path {source} is mounted on {mountPoint} but it is not a shared or slave mount");
                break;
        }
    }

    /// <summary>linux.rootfsPropagation for these mount points: "rslave" when a bind mount is a slave, else <paramref name="current"/>.</summary>
    public static string? RootPropagation(IEnumerable<MountPoint> points, string? current)
    {
        if (current is "slave" or "rslave" or "shared" or "rshared") return current;
        return points.Any(p => p.Type == MountTypes.Bind && p.Propagation is "slave" or "rslave") ? "rslave" : current;
    }

    /// <summary>The mount point and the optional fields of the host mount that holds <paramref name="path"/> (absolute, resolved).</summary>
    public static (string MountPoint, IReadOnlyList<string> Fields) HostMountOf(string path, IReadOnlyList<string> mountinfo)
    {
        (string Point, IReadOnlyList<string> Fields)? best = null;
        foreach (var line in mountinfo)
        {
            // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER
            var f = line.Split(' ');
            if (f.Length < 7) continue;
            string point = Unescape(f[4]);
            if (!Holds(point, path)) continue;
            if (best is null || point.Length >= best.Value.Point.Length)
                best = (point, f.Skip(6).TakeWhile(x => x != "-").ToList());
        }
        return best ?? throw new RunConfigException($"path {path}: no mount holds it in /proc/self/mountinfo");
    }

    private static bool Holds(string point, string path) =>
        point == "/" || path == point || path.StartsWith(point + "/", StringComparison.Ordinal);

    /// <summary>mountinfo writes space, tab, newline and backslash in paths as \040, \011, \012, \134.</summary>
    private static string Unescape(string s)
    {
        if (!s.Contains('\\')) return s;
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && IsOctal(s, i + 1))
            {
                sb.Append((char)Convert.ToInt32(s.Substring(i + 1, 3), 8));
                i += 3;
            }
            else sb.Append(s[i]);
        }
        return sb.ToString();
    }

    private static bool IsOctal(string s, int at) =>
        at + 3 <= s.Length && s[at] is >= '0' and <= '7' && s[at + 1] is >= '0' and <= '7' && s[at + 2] is >= '0' and <= '7';
}
