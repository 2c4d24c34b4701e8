// DevicePolicy: which device nodes a container gets and may open - Docker's default list,
// `--device HOST[:CONTAINER[:rwm]]`, and the device side of `--privileged` - written into
// config.json as linux.devices (nodes the core creates) and linux.resources.devices (the allow
// list the core enforces).
//
// Why: a container holds CAP_MKNOD by default and its image layers may carry device nodes; only
// the allow list decides what opens. Docker's default (moby's oci/defaults.go, plus what runc
// appends to every container): deny everything, then allow null, zero, full, random, urandom,
// tty, console, the container's pts and ptmx, /dev/net/tun, and mknod (m, not r or w) of any
// character or block device; /dev/fuse (10:229) is denied even for mknod until the m rules.
// The core enforces the list with the cgroup's eBPF device filter, or with nodev mounts when the
// container has no cgroup (docs/security.md "Devices").
//   --device: the host's node (a symlink is resolved; a directory gives every node below it) is
//     created at CONTAINER (default: the same path) with the host node's mode and owner, and
//     "allow TYPE MAJOR:MINOR PERMS" is added; PERMS is some of r, w, m (default rwm).
//   --privileged: every node of the host's /dev (but pts, shm, fd, mqueue, console and ptmx: the
//     container has its own) and "allow a *:* rwm", as Docker does.
//
// Follows: docker-run(1) "--device", "--privileged"; Docker's CLI parseDevice/validateLinuxPath
// (formats and error texts) and daemon DevicesFromPath; runtime-spec config-linux.md "Devices",
// "Allowed Device list".
using MiniRun.Spec;

namespace MiniRun.Security;

/// <summary>One --device as Docker records it in HostConfig.Devices.</summary>
public sealed record DeviceMapping(string PathOnHost, string PathInContainer, string CgroupPermissions);

public static class DevicePolicy
{
    private static SpecDeviceCgroup Rule(bool allow, string? type, long? major, long? minor, string access) =>
        new() { Allow = allow, Type = type, Major = major, Minor = minor, Access = access };

    /// <summary>Docker's default allow list (moby oci/defaults.go, then runc's appended AllowedDevices), in order.</summary>
    public static List<SpecDeviceCgroup> DefaultRules() =>
    [
        Rule(false, null, null, null, "rwm"),
        Rule(true, "c", 1, 5, "rwm"),      // zero
        Rule(true, "c", 1, 3, "rwm"),      // null
        Rule(true, "c", 1, 9, "rwm"),      // urandom
        Rule(true, "c", 1, 8, "rwm"),      // random
        Rule(true, "c", 5, 0, "rwm"),      // tty
        Rule(true, "c", 5, 1, "rwm"),      // console
        Rule(false, "c", 10, 229, "rwm"),  // fuse
        Rule(true, "c", null, null, "m"),  // mknod of any character device...
        Rule(true, "b", null, null, "m"),  // ...and block device (opening them stays denied)
        Rule(true, "c", 1, 7, "rwm"),      // full
        Rule(true, "c", 136, null, "rwm"), // the container's pseudo-terminals
        Rule(true, "c", 5, 2, "rwm"),      // ptmx
        Rule(true, "c", 10, 200, "rwm"),   // /dev/net/tun (creating an interface still needs CAP_NET_ADMIN)
    ];

    /// <summary>Docker's CLI check of one --device value; the parsed mapping (RunConfigException with Docker's text).</summary>
    public static DeviceMapping Parse(string value)
    {
        string Bad(string why) => $"invalid argument \"{value}\" for \"--device\" flag: {why}";
        if (value.Count(ch => ch == ':') > 2 || value.Length == 0 || value[0] == ':')
            throw new RunConfigException(Bad($"bad format for path: {value}"));
        var parts = value.Split(':');
        string host = parts[0], container = host, perms = "rwm";
        if (parts.Length == 2)
        {
            if (ValidMode(parts[1])) perms = parts[1];
            else container = parts[1];
        }
        else if (parts.Length == 3)
        {
            container = parts[1];
            if (!ValidMode(parts[2])) throw new RunConfigException(Bad($"bad mode specified: {parts[2]}"));
            perms = parts[2];
        }
        if (!container.StartsWith('/')) throw new RunConfigException(Bad($"{container} is not an absolute path"));
        return new DeviceMapping(host, SpecGenerator.CleanAbsolute(container), perms);
    }

    /// <summary>Some of r, w, m, each at most once (Docker's validDeviceMode).</summary>
    public static bool ValidMode(string mode) =>
        mode.Length > 0 && mode.All(ch => ch is 'r' or 'w' or 'm') && mode.Distinct().Count() == mode.Length;

    /// <summary>
    /// The nodes and rules of one mapping, read from the host (Docker's DevicesFromPath): a device
    /// node, or a directory whose nodes are all taken. RunConfigException when there is none.
    /// </summary>
    public static (List<SpecDevice> Nodes, List<SpecDeviceCgroup> Rules) FromHost(DeviceMapping m)
    {
        string host = m.PathOnHost;
        try
        {
            var info = new FileInfo(host);
            if (info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is { } target) host = target.FullName;
        }
        catch (IOException) { }
        string Gathering(string why) => $"error gathering device information while adding custom device \"{m.PathOnHost}\": {why}";
        HostDeviceNode? node;
        try { node = HostDeviceNodes.Read(host); }
        catch (MiniRun.Kernel.KernelException e) { throw new RunConfigException(Gathering(e.Errno == MiniRun.Kernel.Errno.ENOENT ? "no such file or directory" : e.Message)); }
        var found = node is not null ? [node with { Path = m.PathInContainer }]
            : Directory.Exists(host)
                ? HostDeviceNodes.Walk(host, forPrivileged: false).Select(n => n with { Path = m.PathInContainer + n.Path[host.TrimEnd('/').Length..] }).ToList()
                : [];
        if (found.Count == 0) throw new RunConfigException(Gathering("not a device node"));
        return (found.Select(ToSpec).ToList(), found.Select(n => Rule(true, n.Type.ToString(), n.Major, n.Minor, m.CgroupPermissions)).ToList());
    }

    /// <summary>--privileged: every node of the host's <paramref name="devRoot"/> (containerd's HostDevices) but ptmx.</summary>
    public static List<SpecDevice> PrivilegedNodes(string devRoot = "/dev") =>
        HostDeviceNodes.Walk(devRoot, forPrivileged: true)
            .Where(n => n.Path != Path.Combine(devRoot, "ptmx"))   // /dev/ptmx must stay the container's own (pts/ptmx)
            .Select(n => ToSpec(n with { Path = "/dev" + n.Path[devRoot.TrimEnd('/').Length..] })).ToList();

    private static SpecDevice ToSpec(HostDeviceNode n) => new()
    {
        Type = n.Type.ToString(), Path = n.Path, Major = n.Major, Minor = n.Minor, FileMode = n.Mode, Uid = n.Uid, Gid = n.Gid,
    };

    /// <summary>Writes the devices of <paramref name="o"/> into the spec: nodes, then the allow list. Returns the mappings for HostConfig.Devices.</summary>
    public static List<DeviceMapping> Apply(RuntimeSpec spec, RunOptions o)
    {
        var mappings = o.Devices.Select(Parse).ToList();
        var nodes = new List<SpecDevice>();
        var rules = o.Privileged ? [Rule(true, null, null, null, "rwm")] : DefaultRules();
        if (o.Privileged) nodes.AddRange(PrivilegedNodes());
        foreach (var m in mappings)
        {
            var (n, r) = FromHost(m);
            nodes.AddRange(n);
            if (!o.Privileged) rules.AddRange(r);
        }
        // One node per container path: a later --device replaces an earlier one (and a host node under --privileged).
        spec.Linux.Devices = nodes.GroupBy(d => d.Path).Select(g => g.Last()).ToList();
        spec.Linux.Resources ??= new SpecResources();
        spec.Linux.Resources.Devices = rules;
        return mappings;
    }
}
