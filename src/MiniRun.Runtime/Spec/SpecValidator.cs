// SpecValidator: checks config.json before anything of the container exists, and refuses what
// MiniRun cannot honour.
//
// Why: a mistake found by init is found late - after clone, with namespaces, a cgroup and
// mounts half made - and is reported as the failure of some step. Checked here, in the parent,
// before clone, the error is one line that names the field ("config.json: mounts[2].destination
// "data" is not an absolute path") and nothing is left behind. And a runtime that silently
// ignores a field the bundle asks for (an SELinux label, an Intel RDT class, idmapped mounts)
// runs the container with less protection than its author wrote: runtime-spec lets a runtime
// ignore only properties it does not know, so the fields the spec defines but MiniRun does not
// implement are refused by name (`config.json: linux.intelRdt is not supported by MiniRun`).
// Extensions and fields from a later spec version stay ignored, as runtime-spec requires.
//
// Order: ContainerStarter.Start calls Validate before clone(2); the first problem is thrown.
//
// Follows: runtime-spec config.md ("ociVersion", "Root", "Mounts", "Process"), config-linux.md
// ("Namespaces", "User namespace mappings", "Devices", "Rootfs Mount Propagation"), config.md
// "POSIX-platform Hooks" (path absolute, timeout greater than zero),
// setrlimit(2) (one limit per resource), runtime-spec.md "unknown properties MUST be ignored";
// config-linux.md "Control groups" (memory, cpu, blockIO, pids, unified) and
// Documentation/admin-guide/cgroup-v2.rst for what cgroup v2 can express (no kernel memory
// limit, swappiness, realtime bandwidth or leaf weights: those fields are refused by name).
using MiniRun.Kernel;

namespace MiniRun.Spec;

public static class SpecValidator
{
    /// <summary>
    /// Fields runtime-spec defines that MiniRun does not implement (JSON paths, "[]" for any list
    /// item). A bundle that sets one to a non-empty value is refused. Remove a name here when the
    /// field gets read; the reader (RuntimeSpecReader.SkipUnread) records whatever it skips.
    /// </summary>
    public static readonly string[] NotImplemented =
    [
        "domainname",
        "vm", "solaris", "windows", "zos",
        "process.selinuxLabel", "process.ioPriority", "process.scheduler",
        "process.execCPUAffinity", "process.commandLine", "process.user.username",
        "mounts[].uidMappings", "mounts[].gidMappings",
        "linux.intelRdt", "linux.personality", "linux.timeOffsets", "linux.memoryPolicy", "linux.mountLabel",
        "linux.netDevices",
        "linux.resources.hugepageLimits", "linux.resources.rdma", "linux.resources.network",
    ];

    /// <summary>runtime-spec's namespace types; "time" is refused below, MiniRun does not create it.</summary>
    private static readonly string[] NamespaceTypes = ["pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"];

    /// <summary>True when some NotImplemented name lies below <paramref name="path"/> (the reader then walks that object).</summary>
    internal static bool HasNotImplementedBelow(string path)
    {
        foreach (var name in NotImplemented)
            if (name.Length > path.Length && name[path.Length] == '.' && name.StartsWith(path, StringComparison.Ordinal))
                return true;
        return false;
    }

    /// <summary>Throws InvalidDataException("config.json: FIELD ...") for the first problem found.</summary>
    public static void Validate(RuntimeSpec spec)
    {
        if (Problem(spec) is string problem)
            throw new InvalidDataException("config.json: " + problem);
    }

    /// <summary>The first problem, without the "config.json: " prefix; null when the spec is fine.</summary>
    public static string? Problem(RuntimeSpec spec)
    {
        if (spec.Unread is { } unread)
            foreach (var path in unread)
                if (Array.IndexOf(NotImplemented, path) >= 0)
                    return $"{path} is not supported by MiniRun";

        string v = spec.OciVersion;
        if (!(v.StartsWith("1.", StringComparison.Ordinal) && v.Length > 2 && char.IsAsciiDigit(v[2])))
            return $"ociVersion {GoQuote.Quote(v)} is not 1.x (MiniRun implements runtime-spec 1.x)";
        if (string.IsNullOrEmpty(spec.Root.Path))
            return "root.path is missing";

        var p = spec.Process;
        if (p.Args.Count == 0)
            return "process.args is empty: there is no command to run";
        if (!p.Cwd.StartsWith('/'))
            return $"process.cwd {GoQuote.Quote(p.Cwd)} is not an absolute path";
        if (p.Rlimits is { } rlimits)
            for (int i = 0; i < rlimits.Count; i++)
                if (rlimits.FindIndex(l => l.Type == rlimits[i].Type) < i)
                    return $"process.rlimits[{i}].type {GoQuote.Quote(rlimits[i].Type)} is listed twice";

        for (int i = 0; i < spec.Mounts.Count; i++)
        {
            var m = spec.Mounts[i];
            if (!m.Destination.StartsWith('/'))
                return $"mounts[{i}].destination {GoQuote.Quote(m.Destination)} is not an absolute path";
            bool bind = m.Type == "bind" || (m.Options?.Contains("bind") ?? false) || (m.Options?.Contains("rbind") ?? false);
            if (bind && string.IsNullOrEmpty(m.Source))
                return $"mounts[{i}].source is missing for a bind mount on {m.Destination}";
            if (m.Options?.FirstOrDefault(o => o is "idmap" or "ridmap") is string idmap)
                return $"mounts[{i}].options {GoQuote.Quote(idmap)} (idmapped mount) is not supported by MiniRun";
        }

        var linux = spec.Linux;
        for (int i = 0; i < linux.Namespaces.Count; i++)
        {
            var ns = linux.Namespaces[i];
            if (Array.IndexOf(NamespaceTypes, ns.Type) < 0)
                return $"linux.namespaces[{i}].type {GoQuote.Quote(ns.Type)} is not a namespace type ({string.Join(", ", NamespaceTypes)})";
            if (ns.Type == "time")
                return $"linux.namespaces[{i}].type \"time\" is not supported by MiniRun";
            if (linux.Namespaces.FindIndex(n => n.Type == ns.Type) < i)
                return $"linux.namespaces[{i}].type {GoQuote.Quote(ns.Type)} is listed twice";
            if (ns.Path is not null && !ns.Path.StartsWith('/'))
                return $"linux.namespaces[{i}].path {GoQuote.Quote(ns.Path)} is not an absolute path";
        }
        bool userNamespace = linux.Namespaces.Any(n => n.Type == "user");
        if (!userNamespace && linux.UidMappings is { Count: > 0 })
            return "linux.uidMappings needs a user namespace (linux.namespaces has no \"user\")";
        if (!userNamespace && linux.GidMappings is { Count: > 0 })
            return "linux.gidMappings needs a user namespace (linux.namespaces has no \"user\")";
        if (!string.IsNullOrEmpty(linux.RootfsPropagation) && !MountOptions.PropagationWords.ContainsKey(linux.RootfsPropagation))
            return $"linux.rootfsPropagation {GoQuote.Quote(linux.RootfsPropagation)} is not one of {string.Join(", ", MountOptions.PropagationWords.Keys)}";

        if (linux.Devices is { } devices)
            for (int i = 0; i < devices.Count; i++)
                if (DeviceProblem(devices, i) is string problem)
                    return problem;

        if (spec.Hooks is { } hooks)
            foreach (var (kind, list) in hooks.All)
                for (int i = 0; list is not null && i < list.Count; i++)
                {
                    if (!list[i].Path.StartsWith('/'))
                        return $"hooks.{kind}[{i}].path {GoQuote.Quote(list[i].Path)} is not an absolute path";
                    if (list[i].Timeout is <= 0)
                        return $"hooks.{kind}[{i}].timeout {list[i].Timeout} is not a positive number of seconds";
                }
        if (linux.Resources is { } resources && ResourcesProblem(resources) is string resourceProblem)
            return resourceProblem;
        return null;
    }

    /// <summary>cgroup v2 controllers whose files linux.resources.unified may name ("memory.high").</summary>
    public static readonly string[] UnifiedControllers = ["cpuset", "cpu", "io", "memory", "pids", "hugetlb", "rdma", "misc"];

    private const string V1Only = "is a cgroup v1 setting and MiniRun implements cgroup v2 only";

    /// <summary>
    /// The first problem of a linux.resources object (config.json's, or the merged result of
    /// `update`), named by field: "linux.resources.cpu.cpus \"0-\" is not a CPU list". The
    /// limits are not checked against this host here (that needs the host: Cgroups/OciCgroup.cs).
    /// Zero means "not set" where runtime-spec's Go writers cannot leave a number out (runc does the same).
    /// </summary>
    public static string? ResourcesProblem(SpecResources res, string at = "linux.resources")
    {
        if (res.Memory is { } m)
        {
            string mem = at + ".memory";
            foreach (var (name, value) in new[] { ("limit", m.Limit), ("reservation", m.Reservation), ("swap", m.Swap) })
                if (value < -1)
                    return $"{mem}.{name} {value} is not a number of bytes (or -1 for no limit)";
            // -1 (no limit) is what cgroup v2 does anyway; Docker writes swappiness -1 as uint64 (18446744073709551615): unset.
            if (m.Kernel is not (null or 0 or -1))
                return $"{mem}.kernel {V1Only} (cgroup v2 counts kernel memory in memory.max)";
            if (m.KernelTcp is not (null or 0 or -1))
                return $"{mem}.kernelTCP {V1Only} (cgroup v2 counts TCP buffers in memory.max)";
            if (m.Swappiness is not (null or ulong.MaxValue))
                return $"{mem}.swappiness {V1Only} (cgroup v2 has no per-cgroup swappiness)";
            if (m.DisableOomKiller is true)
                return $"{mem}.disableOOMKiller {V1Only} (cgroup v2 cannot turn the OOM killer off)";
            if (m.UseHierarchy is false)
                return $"{mem}.useHierarchy false {V1Only} (cgroup v2 is always hierarchical)";
            if (m.Swap is > 0 && m.Limit is not > 0)
                return $"{mem}.swap needs memory.limit: swap is memory plus swap";
            if (m.Swap is > 0 and var swap && m.Limit is > 0 and var limit && swap < limit)
                return $"{mem}.swap {swap} is less than memory.limit {limit} (swap is memory plus swap)";
            if (m.Reservation is > 0 and var low && m.Limit is > 0 and var max && low > max)
                return $"{mem}.reservation {low} is more than memory.limit {max}";
        }
        if (res.Cpu is { } c)
        {
            string cpu = at + ".cpu";
            if (c.Shares is > 0 and (< 2 or > 262144))
                return $"{cpu}.shares {c.Shares} is not between 2 and 262144";
            if (c.Quota is < -1 or (> 0 and < 1000))
                return $"{cpu}.quota {c.Quota} is not -1 (no limit) or at least 1000 microseconds";
            if (c.Period is > 0 and (< 1000 or > 1_000_000))
                return $"{cpu}.period {c.Period} is not between 1000 and 1000000 microseconds";
            if (c.Burst is > 0 && c.Quota is > 0 and var quota && c.Burst > (ulong)quota)
                return $"{cpu}.burst {c.Burst} is more than cpu.quota {quota}";
            if (c.Burst is > 1_000_000_000_000)
                return $"{cpu}.burst {c.Burst} is too large";
            if (c.RealtimeRuntime is not (null or 0))
                return $"{cpu}.realtimeRuntime {V1Only} (cgroup v2 has no realtime CPU bandwidth)";
            if (c.RealtimePeriod is not (null or 0))
                return $"{cpu}.realtimePeriod {V1Only} (cgroup v2 has no realtime CPU bandwidth)";
            if (!string.IsNullOrEmpty(c.Cpus) && !Cgroups.CpuList.TryParse(c.Cpus, out _))
                return $"{cpu}.cpus {GoQuote.Quote(c.Cpus)} is not a CPU list (such as 0-2,4)";
            if (!string.IsNullOrEmpty(c.Mems) && !Cgroups.CpuList.TryParse(c.Mems, out _))
                return $"{cpu}.mems {GoQuote.Quote(c.Mems)} is not a memory node list (such as 0-1)";
            if (c.Idle is not (null or 0 or 1))
                return $"{cpu}.idle {c.Idle} is not 0 or 1";
        }
        if (res.BlockIO is { } b)
        {
            string io = at + ".blockIO";
            if (b.Weight is > 0 and (< 10 or > 1000))
                return $"{io}.weight {b.Weight} is not between 10 and 1000";
            if (b.LeafWeight is not (null or 0))
                return $"{io}.leafWeight {V1Only} (the CFQ scheduler's; cgroup v2 has no leaf weight)";
            if (b.WeightDevice is { } weights)
                for (int i = 0; i < weights.Count; i++)
                {
                    var d = weights[i];
                    string at2 = $"{io}.weightDevice[{i}]";
                    if (DeviceNumberProblem(at2, d.Major, d.Minor) is string bad) return bad;
                    if (d.LeafWeight is not (null or 0))
                        return $"{at2}.leafWeight {V1Only} (the CFQ scheduler's; cgroup v2 has no leaf weight)";
                    if (d.Weight is not (>= 10 and <= 1000))
                        return $"{at2}.weight {(d.Weight?.ToString() ?? "(missing)")} is not between 10 and 1000";
                }
            foreach (var (name, list) in new[] { ("throttleReadBpsDevice", b.ThrottleReadBpsDevice), ("throttleWriteBpsDevice", b.ThrottleWriteBpsDevice),
                         ("throttleReadIOPSDevice", b.ThrottleReadIopsDevice), ("throttleWriteIOPSDevice", b.ThrottleWriteIopsDevice) })
                for (int i = 0; i < (list?.Count ?? 0); i++)
                {
                    if (DeviceNumberProblem($"{io}.{name}[{i}]", list![i].Major, list[i].Minor) is string bad) return bad;
                    if (list[i].Rate > long.MaxValue) return $"{io}.{name}[{i}].rate {list[i].Rate} is too large";
                }
        }
        if (res.Unified is { } unified)
            foreach (var (file, value) in unified)
                if (UnifiedFileProblem(file) is string why)
                    return $"{at}.unified {GoQuote.Quote(file)} {why}";
                else if (value.Contains('\0'))
                    return $"{at}.unified {GoQuote.Quote(file)}: the value contains a NUL byte";
        return null;
    }

    private static string? DeviceNumberProblem(string at, long major, long minor) =>
        major is < 0 or > 0xfff || minor is < 0 or > 0xfffff
            ? $"{at}: {major}:{minor} is not a device number (major 0-4095, minor 0-1048575)"
            : null;

    /// <summary>Why a linux.resources.unified key is not a plain file of a cgroup v2 controller; null when it is.</summary>
    private static string? UnifiedFileProblem(string file)
    {
        if (file.Length == 0 || file.Contains('/') || file is "." or ".." || file.Contains('\0'))
            return "is not a plain file name (no '/', '.' or '..')";
        int dot = file.IndexOf('.');
        string controller = dot > 0 ? file[..dot] : file;
        if (controller == "cgroup")
            return "is a cgroup core file the runtime manages itself (cgroup.procs, cgroup.freeze ...), not a limit";
        if (dot <= 0 || dot == file.Length - 1 || Array.IndexOf(UnifiedControllers, controller) < 0)
            return $"is not a file of a cgroup v2 controller ({string.Join(", ", UnifiedControllers)})";
        return null;
    }

    private static string? DeviceProblem(List<SpecDevice> devices, int i)
    {
        var d = devices[i];
        if (!d.Path.StartsWith('/'))
            return $"linux.devices[{i}].path {GoQuote.Quote(d.Path)} is not an absolute path";
        if (devices.FindIndex(x => x.Path == d.Path) < i)
            return $"linux.devices[{i}].path {GoQuote.Quote(d.Path)} is listed twice";
        if (d.Type is not ("c" or "b" or "u" or "p"))
            return $"linux.devices[{i}].type {GoQuote.Quote(d.Type)} is not c, b, u or p";
        if (d.Type != "p")
        {
            if (d.Major is not { } major || d.Minor is not { } minor)
                return $"linux.devices[{i}] ({d.Path}): major and minor are required for type {GoQuote.Quote(d.Type)}";
            if (major is < 0 or > 0xfff || minor is < 0 or > 0xfffff)
                return $"linux.devices[{i}] ({d.Path}): {major}:{minor} is out of range (major 0-4095, minor 0-1048575)";
        }
        return null;
    }
}
