// MountInfo: which mount holds a path, read from /proc/self/mountinfo, with its propagation.
//
// Also the one decoder of mountinfo's escaped paths (Unescape), for every reader of the file.
//
// Why: propagation belongs to mounts, not paths. The runtime core needs the mount holding the
// rootfs (to make it private when / is shared), the engine the host mount holding a bind
// source (a slave or shared bind needs it shared). Both want the same answer: the entry with the
// longest mount point that is the path or one of its parents; of several entries on one point,
// the last (the mount on top).
//
// Follows: proc(5) /proc/pid/mountinfo (fields; optional fields "shared:N", "master:N" end at
// " - "; space, tab, newline and backslash in paths are written \040 \011 \012 \134).
namespace MiniRun.Kernel;

public static class MountInfo
{
    /// <summary>The mount point and optional fields of the mount holding <paramref name="path"/> (absolute); null when no line holds it.</summary>
    public static (string MountPoint, IReadOnlyList<string> Fields)? HolderOf(string path, IEnumerable<string> mountinfo)
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
        return best;
    }

    /// <summary>Whether the optional fields say the mount is in a peer group ("shared:N").</summary>
    public static bool IsShared(IReadOnlyList<string> fields) =>
        fields.Any(f => f.StartsWith("shared:", StringComparison.Ordinal));

    /// <summary>Whether the optional fields say the mount receives from a master ("master:N").</summary>
    public static bool IsSlave(IReadOnlyList<string> fields) =>
        fields.Any(f => f.StartsWith("master:", StringComparison.Ordinal));

    private static bool Holds(string point, string path) =>
        point == "/" || path == point || path.StartsWith(point + "/", StringComparison.Ordinal);

    /// <summary>A mountinfo path field decoded: the kernel writes space, tab, newline and backslash as \040, \011, \012, \134
    /// (the one decoder: also CgroupV2Host's mount points and the volume mounts' checks).</summary>
    public static string Unescape(string s)
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
