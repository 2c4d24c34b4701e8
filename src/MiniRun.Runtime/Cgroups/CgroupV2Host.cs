// CgroupV2Host: is there a cgroup v2 hierarchy MiniRun can put limits in, and with which controllers?
//
// Why: limits need the unified (v2) hierarchy mounted at /sys/fs/cgroup with the controllers
// enabled at its root. Hosts differ: pure v2 (Ubuntu 24.04, Debian 12 by default), hybrid (v1
// controllers under /sys/fs/cgroup/<name>, a cgroup2 mount at /sys/fs/cgroup/unified that owns no
// controller, like the development machine), or v1 only. Containers still run everywhere;
// only the resource flags need v2, and their error says exactly what this host lacks.
//
// Follows: proc(5) /proc/PID/mountinfo (fields; the filesystem type follows the " - "
// separator), Documentation/admin-guide/cgroup-v2.rst ("Mounting", "cgroup.controllers": a
// controller bound to a v1 hierarchy is not available in v2).
namespace MiniRun.Cgroups;

public enum CgroupLayout { Unified, Hybrid, V1Only, None }

public sealed record CgroupV2Host(CgroupLayout Layout, string? MountPoint, IReadOnlyList<string> Controllers,
    IReadOnlyList<string> V1Controllers, string MountRoot)
{
    /// <summary>Limits can be set: cgroup2 is mounted at the expected root (pure v2).</summary>
    public bool Usable => Layout == CgroupLayout.Unified && MountPoint is not null;

    public bool Has(string controller) => Usable && Controllers.Contains(controller);

    /// <summary>One line describing the host, for --trace and for errors.</summary>
    public string Description => Layout switch
    {
        CgroupLayout.Unified => $"cgroup v2 at {MountPoint} with controllers: {List(Controllers)}",
        CgroupLayout.Hybrid => $"hybrid cgroup layout: cgroup v1 controllers ({List(V1Controllers)}) under {MountRoot}, " +
                               $"cgroup v2 at {MountPoint} with controllers: {List(Controllers)}",
        CgroupLayout.V1Only => $"cgroup v1 only ({List(V1Controllers)}); no cgroup2 filesystem is mounted",
        _ => "no cgroup filesystem is mounted",
    };

    /// <summary>Null when every controller is available; else why not, e.g.
    /// "--memory needs cgroup v2 with the memory controller; this host: hybrid cgroup layout: ...".</summary>
    public string? Missing(string flag, string controller)
    {
        if (Has(controller)) return null;
        return $"{flag} needs cgroup v2 with the {controller} controller; this host: {Description}";
    }

    /// <summary>The first controller these limits need that the host lacks, as an error line (or null).</summary>
    public string? MissingFor(ResourceLimits limits)
    {
        foreach (var c in limits.RequiredControllers())
            if (Missing(FlagsFor(c), c) is { } why) return why;
        return null;
    }

    public static CgroupV2Host Detect(string mountRoot = "/sys/fs/cgroup", string procRoot = "/proc")
    {
        string text;
        try { text = File.ReadAllText(Path.Combine(procRoot, "self", "mountinfo")); }
        catch (IOException) { text = ""; }
        return FromMountInfo(text, mountRoot);
    }

    /// <summary>The decision from mountinfo text; cgroup.controllers is read at the cgroup2 mount point.</summary>
    public static CgroupV2Host FromMountInfo(string mountInfo, string mountRoot)
    {
        mountRoot = mountRoot.TrimEnd('/');
        var v2Mounts = new List<string>();
        var v1 = new List<string>();
        foreach (var line in mountInfo.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var sep = line.IndexOf(" - ", StringComparison.Ordinal);
            if (sep < 0) continue;
            var left = line[..sep].Split(' ');
            var right = line[(sep + 3)..].Split(' ');
            if (left.Length < 5 || right.Length < 3) continue;
            var point = MiniRun.Kernel.MountInfo.Unescape(left[4]);
            if (right[0] == "cgroup2") v2Mounts.Add(point);
            else if (right[0] == "cgroup")
                v1.AddRange(right[2].Split(',').Where(o => o is not ("rw" or "ro" or "nosuid" or "nodev" or "noexec" or "relatime")
                    && !o.StartsWith("name=", StringComparison.Ordinal) && !o.StartsWith("release_agent", StringComparison.Ordinal)
                    && o is not ("xattr" or "clone_children" or "noprefix" or "nsdelegate")));
        }
        v1 = v1.Distinct().Order(StringComparer.Ordinal).ToList();
        var mount = v2Mounts.Contains(mountRoot) ? mountRoot : v2Mounts.FirstOrDefault();
        var controllers = mount is null ? [] : ReadControllers(mount);
        var layout = mount is null ? (v1.Count > 0 ? CgroupLayout.V1Only : CgroupLayout.None)
            : mount == mountRoot && v1.Count == 0 ? CgroupLayout.Unified : CgroupLayout.Hybrid;
        return new CgroupV2Host(layout, mount, controllers, v1, mountRoot);
    }

    private static IReadOnlyList<string> ReadControllers(string mount)
    {
        try
        {
            return File.ReadAllText(Path.Combine(mount, "cgroup.controllers"))
                .Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        }
        catch (IOException) { return []; }
        catch (UnauthorizedAccessException) { return []; }
    }

    private static string List(IReadOnlyList<string> items) => items.Count == 0 ? "(none)" : string.Join(' ', items);

    private static string FlagsFor(string controller) => controller switch
    {
        "memory" => "--memory/--memory-reservation/--memory-swap",
        "cpu" => "--cpus/--cpu-period/--cpu-quota/--cpu-shares",
        "cpuset" => "--cpuset-cpus/--cpuset-mems",
        "io" => "--blkio-weight/--device-*-bps/--device-*-iops",
        "pids" => "--pids-limit",
        _ => controller,
    };
}
