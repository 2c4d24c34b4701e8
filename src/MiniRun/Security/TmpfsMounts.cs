// TmpfsMounts: `--tmpfs PATH[:OPTS]` and `--read-only`, Docker's way.
//
// Why: a read-only root stops a compromised process from changing the image's programs; what a
// program must write goes to a tmpfs the user names (--tmpfs /run, --tmpfs /tmp). Docker's
// semantics, which MiniRun keeps:
//   - --read-only: root.readonly (the core remounts / read-only, Init/RootMountSteps.cs); /dev,
//     /dev/shm, /dev/mqueue, /dev/pts and /proc stay as they are (their own mounts); /etc/hostname,
//     /etc/hosts and /etc/resolv.conf become read-only too; /tmp is NOT made a tmpfs (podman's
//     --read-only-tmpfs is not Docker's): give --tmpfs /tmp.
//   - --tmpfs: a tmpfs mount with "noexec,nosuid,nodev,rprivate" then the user's options, merged
//     as Docker merges them (moby/sys/mount MergeTmpfsOptions): for each flag the last word wins
//     (exec after noexec), for each key=value the last value; only size, mode, uid, gid,
//     nr_inodes, nr_blocks and mpol are accepted as key=value. No size is added: the kernel's
//     default (half of RAM) applies, as with Docker; "size=64m" goes to the kernel as written.
//     A tmpfs on the destination of a default mount (/dev/shm) replaces it.
//
// Follows: docker-run(1) "--read-only", "--tmpfs"; moby's MergeTmpfsOptions and
// ValidateTmpfsMountDestination (error texts); tmpfs(5).
using MiniRun.Spec;

namespace MiniRun.Security;

public static class TmpfsMounts
{
    /// <summary>Flag words and the flag each one sets or clears (a pair shares a key: the last of the pair wins).</summary>
    private static readonly Dictionary<string, string> FlagKeys = new()
    {
        ["ro"] = "rdonly", ["rw"] = "rdonly", ["suid"] = "nosuid", ["nosuid"] = "nosuid", ["dev"] = "nodev", ["nodev"] = "nodev",
        ["exec"] = "noexec", ["noexec"] = "noexec", ["sync"] = "sync", ["async"] = "sync", ["dirsync"] = "dirsync",
        ["mand"] = "mand", ["nomand"] = "mand", ["atime"] = "noatime", ["noatime"] = "noatime",
        ["diratime"] = "nodiratime", ["nodiratime"] = "nodiratime", ["relatime"] = "relatime", ["norelatime"] = "relatime",
        ["strictatime"] = "strictatime", ["nostrictatime"] = "strictatime",
        ["private"] = "propagation", ["rprivate"] = "propagation", ["shared"] = "propagation", ["rshared"] = "propagation",
        ["slave"] = "propagation", ["rslave"] = "propagation", ["unbindable"] = "propagation", ["runbindable"] = "propagation",
    };

    private static readonly string[] DataKeys = ["size", "mode", "uid", "gid", "nr_inodes", "nr_blocks", "mpol"];

    /// <summary>"PATH[:OPTS]" as Docker's CLI splits it (at the first ':').</summary>
    public static (string Path, string Options) Split(string value)
    {
        int colon = value.IndexOf(':');
        return colon < 0 ? (value, "") : (value[..colon], value[(colon + 1)..]);
    }

    /// <summary>Docker's defaults, then the user's words, merged; RunConfigException names a bad word.</summary>
    public static List<string> MergedOptions(string userOptions)
    {
        var words = new List<string> { "noexec", "nosuid", "nodev", "rprivate" };
        if (userOptions.Length > 0) words.AddRange(userOptions.Split(','));
        var seenFlags = new HashSet<string>();
        var seenData = new HashSet<string>();
        var merged = new List<string>();
        for (int i = words.Count - 1; i >= 0; i--)   // from the last: the first seen of each key is kept
        {
            string w = words[i];
            if (w == "defaults") continue;
            if (FlagKeys.TryGetValue(w, out var key))
            {
                if (seenFlags.Add(key)) merged.Insert(0, w);
                continue;
            }
            int eq = w.IndexOf('=');
            if (eq < 0 || !DataKeys.Contains(w[..eq]))
                throw new RunConfigException($"invalid tmpfs option [{string.Join(" ", w.Split('=', 2).Select(GoQuote.Quote))}]");   // Go's %q of a []string
            if (seenData.Add(w[..eq])) merged.Insert(0, w);
        }
        return merged;
    }

    /// <summary>Adds the --tmpfs mounts and --read-only to the spec; returns HostConfig.Tmpfs (path to options as typed).</summary>
    public static Dictionary<string, string> Apply(RuntimeSpec spec, RunOptions o)
    {
        var tmpfs = new Dictionary<string, string>();
        foreach (var value in o.Tmpfs)
        {
            var (path, options) = Split(value);
            if (path == "/") throw new RunConfigException("invalid specification: destination can't be '/'");
            if (!path.StartsWith('/')) throw new RunConfigException($"invalid mount path: '{path}' mount path must be absolute");
            tmpfs[SpecGenerator.CleanAbsolute(path)] = options;
        }
        foreach (var (path, options) in tmpfs)
        {
            var mount = new SpecMount { Destination = path, Type = "tmpfs", Source = "tmpfs", Options = MergedOptions(options) };
            int at = spec.Mounts.FindIndex(m => m.Destination == path);
            if (at >= 0) spec.Mounts[at] = mount;
            else spec.Mounts.Add(mount);
        }
        if (o.ReadOnly)
        {
            spec.Root.Readonly = true;
            foreach (var m in spec.Mounts.Where(m => m.Destination is "/etc/hostname" or "/etc/hosts" or "/etc/resolv.conf"))
                m.Options = [.. m.Options ?? [], "ro"];
        }
        return tmpfs;
    }
}
