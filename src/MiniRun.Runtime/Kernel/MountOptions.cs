// MountOptions: turns the option words of an OCI mount ("nosuid", "mode=755", "rbind") into
// mount(2) flags plus the filesystem-specific data string, as mount(8) does.
//
// Why: runtime-spec mounts carry mount(8)-style option lists; the kernel wants MS_* bits in one
// argument and everything it does not know as bits in a comma-separated string in another.
//
// Follows: mount(8) "FILESYSTEM-INDEPENDENT MOUNT OPTIONS", mount(2) (MS_REMOUNT replaces every
// per-mount flag), mount_namespaces(7) (propagation types), runtime-spec config.md "Mounts".
using System.Text;

namespace MiniRun.Kernel;

/// <summary>
/// Flags = MS_* bits the words set; Cleared = bits the words explicitly clear ("rw", "suid",
/// "atime"...), needed when a bind mount is remounted on top of the flags it already has;
/// PropagationFlags = MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (+MS_REC) for a separate call.
/// RecursiveSet/RecursiveClear = MOUNT_ATTR_* bits of the recursive words ("rro", "rnosuid"...)
/// for mount_setattr(2) with AT_RECURSIVE.
/// </summary>
public sealed record ParsedMountOptions(ulong Flags, ulong PropagationFlags, string? Data, ulong Cleared = 0,
    ulong RecursiveSet = 0, ulong RecursiveClear = 0)
{
    public bool IsRecursiveAttr => (RecursiveSet | RecursiveClear) != 0;

    public bool IsBind => (Flags & Libc.MS_BIND) != 0;
    public bool IsReadOnly => (Flags & Libc.MS_RDONLY) != 0;

    /// <summary>
    /// The flags a remount of an existing mount (with <paramref name="current"/> flags, from
    /// statvfs) must pass so that only what the words name changes: mount(2) MS_REMOUNT replaces
    /// every per-mount flag, and an atime word replaces the whole atime mode.
    /// </summary>
    public ulong RemountFlags(ulong current)
    {
        ulong keep = current & MountOptions.PerMountFlags & ~Cleared;
        if ((Flags & MountOptions.AtimeFlags) != 0) keep &= ~MountOptions.AtimeFlags;
        return keep | (Flags & MountOptions.PerMountFlags);
    }
}

public static class MountOptions
{
    /// <summary>Every option word MiniRun maps to a mount flag (as `features` lists them).</summary>
    public static IEnumerable<string> Known => FlagWords.Keys.Concat(PropagationWords.Keys);

    private static readonly Dictionary<string, (bool Clear, ulong Flag)> FlagWords = new()
    {
        ["ro"] = (false, Libc.MS_RDONLY), ["rw"] = (true, Libc.MS_RDONLY),
        ["nosuid"] = (false, Libc.MS_NOSUID), ["suid"] = (true, Libc.MS_NOSUID),
        ["nodev"] = (false, Libc.MS_NODEV), ["dev"] = (true, Libc.MS_NODEV),
        ["noexec"] = (false, Libc.MS_NOEXEC), ["exec"] = (true, Libc.MS_NOEXEC),
        ["sync"] = (false, Libc.MS_SYNCHRONOUS), ["async"] = (true, Libc.MS_SYNCHRONOUS),
        ["dirsync"] = (false, Libc.MS_DIRSYNC), ["remount"] = (false, Libc.MS_REMOUNT),
        ["mand"] = (false, Libc.MS_MANDLOCK), ["nomand"] = (true, Libc.MS_MANDLOCK),
        ["atime"] = (true, Libc.MS_NOATIME), ["noatime"] = (false, Libc.MS_NOATIME),
        ["diratime"] = (true, Libc.MS_NODIRATIME), ["nodiratime"] = (false, Libc.MS_NODIRATIME),
        ["relatime"] = (false, Libc.MS_RELATIME), ["norelatime"] = (true, Libc.MS_RELATIME),
        ["strictatime"] = (false, Libc.MS_STRICTATIME), ["nostrictatime"] = (true, Libc.MS_STRICTATIME),
        ["bind"] = (false, Libc.MS_BIND), ["rbind"] = (false, Libc.MS_BIND | Libc.MS_REC),
        ["nosymfollow"] = (false, Libc.MS_NOSYMFOLLOW), ["symfollow"] = (true, Libc.MS_NOSYMFOLLOW),
        ["lazytime"] = (false, Libc.MS_LAZYTIME), ["nolazytime"] = (true, Libc.MS_LAZYTIME),
        ["silent"] = (false, Libc.MS_SILENT), ["loud"] = (true, Libc.MS_SILENT),
    };

    /// <summary>
    /// runtime-spec's recursive words (config.md "Mounts", since 1.1): the flag on the mount and on
    /// every mount below it, which MS_REMOUNT cannot do. (set, clear) in MOUNT_ATTR_* bits; an atime
    /// mode is one field, so every atime word clears MOUNT_ATTR__ATIME and sets its mode
    /// ("ratime", "rnorelatime", "rnostrictatime" give the kernel's default, relatime).
    /// </summary>
    private static readonly Dictionary<string, (ulong Set, ulong Clear)> RecursiveWords = new()
    {
        ["rro"] = (Libc.MOUNT_ATTR_RDONLY, 0), ["rrw"] = (0, Libc.MOUNT_ATTR_RDONLY),
        ["rnosuid"] = (Libc.MOUNT_ATTR_NOSUID, 0), ["rsuid"] = (0, Libc.MOUNT_ATTR_NOSUID),
        ["rnodev"] = (Libc.MOUNT_ATTR_NODEV, 0), ["rdev"] = (0, Libc.MOUNT_ATTR_NODEV),
        ["rnoexec"] = (Libc.MOUNT_ATTR_NOEXEC, 0), ["rexec"] = (0, Libc.MOUNT_ATTR_NOEXEC),
        ["rnodiratime"] = (Libc.MOUNT_ATTR_NODIRATIME, 0), ["rdiratime"] = (0, Libc.MOUNT_ATTR_NODIRATIME),
        ["rnosymfollow"] = (Libc.MOUNT_ATTR_NOSYMFOLLOW, 0), ["rsymfollow"] = (0, Libc.MOUNT_ATTR_NOSYMFOLLOW),
        ["rnoatime"] = (Libc.MOUNT_ATTR_NOATIME, Libc.MOUNT_ATTR__ATIME),
        ["rstrictatime"] = (Libc.MOUNT_ATTR_STRICTATIME, Libc.MOUNT_ATTR__ATIME),
        ["rrelatime"] = (Libc.MOUNT_ATTR_RELATIME, Libc.MOUNT_ATTR__ATIME),
        ["ratime"] = (Libc.MOUNT_ATTR_RELATIME, Libc.MOUNT_ATTR__ATIME),
        ["rnorelatime"] = (Libc.MOUNT_ATTR_RELATIME, Libc.MOUNT_ATTR__ATIME),
        ["rnostrictatime"] = (Libc.MOUNT_ATTR_RELATIME, Libc.MOUNT_ATTR__ATIME),
    };

    /// <summary>The flags a bind remount can change on one mount (mount(2) "Creating a bind mount", MS_REMOUNT).</summary>
    public const ulong PerMountFlags = Libc.MS_RDONLY | Libc.MS_NOSUID | Libc.MS_NODEV | Libc.MS_NOEXEC |
        Libc.MS_NOATIME | Libc.MS_NODIRATIME | Libc.MS_RELATIME | Libc.MS_STRICTATIME | Libc.MS_NOSYMFOLLOW;

    /// <summary>One atime mode at a time: noatime, relatime or strictatime (mount(2) MS_NOATIME...).</summary>
    public const ulong AtimeFlags = Libc.MS_NOATIME | Libc.MS_RELATIME | Libc.MS_STRICTATIME;

    /// <summary>Propagation words, also the values of linux.rootfsPropagation (mount_namespaces(7)).</summary>
    public static readonly Dictionary<string, ulong> PropagationWords = new()
    {
        ["private"] = Libc.MS_PRIVATE, ["rprivate"] = Libc.MS_PRIVATE | Libc.MS_REC,
        ["shared"] = Libc.MS_SHARED, ["rshared"] = Libc.MS_SHARED | Libc.MS_REC,
        ["slave"] = Libc.MS_SLAVE, ["rslave"] = Libc.MS_SLAVE | Libc.MS_REC,
        ["unbindable"] = Libc.MS_UNBINDABLE, ["runbindable"] = Libc.MS_UNBINDABLE | Libc.MS_REC,
    };

    public static ParsedMountOptions Parse(IEnumerable<string>? options)
    {
        ulong flags = 0, cleared = 0, propagation = 0, rset = 0, rclear = 0;
        var data = new StringBuilder();
        foreach (var word in options ?? [])
        {
            if (FlagWords.TryGetValue(word, out var f))
            {
                // The last word wins, as in mount(8): "ro,rw" is read-write.
                if (f.Clear) { flags &= ~f.Flag; cleared |= f.Flag; }
                else
                {
                    // A new atime mode replaces the previous one ("noatime,relatime" is relatime).
                    if ((f.Flag & AtimeFlags) != 0) { flags &= ~AtimeFlags; cleared |= AtimeFlags & ~f.Flag; }
                    flags |= f.Flag;
                    cleared &= ~f.Flag;
                }
            }
            else if (RecursiveWords.TryGetValue(word, out var r))
            {
                // The last word wins here too: a bit set later is no longer cleared, and the reverse.
                if ((r.Clear & Libc.MOUNT_ATTR__ATIME) != 0) rset &= ~Libc.MOUNT_ATTR__ATIME;
                rset = (rset & ~r.Clear) | r.Set;
                rclear = (rclear & ~r.Set) | r.Clear;
            }
            else if (PropagationWords.TryGetValue(word, out var p))
                propagation = p;   // mount(2) takes one propagation type per call: the last word wins
            else
                data.Append(data.Length > 0 ? "," : "").Append(word);   // filesystem-specific: size=, mode=, uid=...
        }
        return new ParsedMountOptions(flags, propagation, data.Length > 0 ? data.ToString() : null, cleared, rset, rclear);
    }

    /// <summary>"MS_NOSUID|MS_NODEV" for the trace.</summary>
    public static string FlagNames(ulong flags)
    {
        if (flags == 0) return "0";
        var names = new List<string>();
        foreach (var (name, bit) in AllFlags)
            if ((flags & bit) != 0) { names.Add(name); flags &= ~bit; }
        if (flags != 0) names.Add($"0x{flags:x}");
        return string.Join('|', names);
    }

    private static readonly (string, ulong)[] AllFlags =
    [
        ("MS_RDONLY", Libc.MS_RDONLY), ("MS_NOSUID", Libc.MS_NOSUID), ("MS_NODEV", Libc.MS_NODEV),
        ("MS_NOEXEC", Libc.MS_NOEXEC), ("MS_SYNCHRONOUS", Libc.MS_SYNCHRONOUS), ("MS_REMOUNT", Libc.MS_REMOUNT),
        ("MS_MANDLOCK", Libc.MS_MANDLOCK), ("MS_DIRSYNC", Libc.MS_DIRSYNC), ("MS_NOSYMFOLLOW", Libc.MS_NOSYMFOLLOW),
        ("MS_NOATIME", Libc.MS_NOATIME), ("MS_NODIRATIME", Libc.MS_NODIRATIME), ("MS_BIND", Libc.MS_BIND),
        ("MS_MOVE", Libc.MS_MOVE), ("MS_REC", Libc.MS_REC), ("MS_SILENT", Libc.MS_SILENT),
        ("MS_UNBINDABLE", Libc.MS_UNBINDABLE), ("MS_PRIVATE", Libc.MS_PRIVATE), ("MS_SLAVE", Libc.MS_SLAVE),
        ("MS_SHARED", Libc.MS_SHARED), ("MS_RELATIME", Libc.MS_RELATIME), ("MS_STRICTATIME", Libc.MS_STRICTATIME),
        ("MS_LAZYTIME", Libc.MS_LAZYTIME),
    ];

    /// <summary>"MOUNT_ATTR_RDONLY|MOUNT_ATTR_NOSUID" for the trace.</summary>
    public static string AttrNames(ulong attrs)
    {
        if (attrs == 0) return "0";
        var names = new List<string>();
        foreach (var (name, bit) in AllAttrs)
            if ((attrs & bit) == bit && bit != 0) { names.Add(name); attrs &= ~bit; }
        if (attrs != 0) names.Add($"0x{attrs:x}");
        return string.Join('|', names);
    }

    private static readonly (string, ulong)[] AllAttrs =
    [
        ("MOUNT_ATTR__ATIME", Libc.MOUNT_ATTR__ATIME), ("MOUNT_ATTR_RDONLY", Libc.MOUNT_ATTR_RDONLY), ("MOUNT_ATTR_NOSUID", Libc.MOUNT_ATTR_NOSUID),
        ("MOUNT_ATTR_NODEV", Libc.MOUNT_ATTR_NODEV), ("MOUNT_ATTR_NOEXEC", Libc.MOUNT_ATTR_NOEXEC), ("MOUNT_ATTR_NOATIME", Libc.MOUNT_ATTR_NOATIME),
        ("MOUNT_ATTR_STRICTATIME", Libc.MOUNT_ATTR_STRICTATIME), ("MOUNT_ATTR_NODIRATIME", Libc.MOUNT_ATTR_NODIRATIME),
        ("MOUNT_ATTR_NOSYMFOLLOW", Libc.MOUNT_ATTR_NOSYMFOLLOW),
    ];
}
