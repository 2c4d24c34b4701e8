// SpecValidator: checks config.json before anything of the container exists, and refuses what
// MiniRun cannot honour.
//
// Why: a mistake found by init is found late - after clone, with namespaces, a cgroup and
// mounts half made - and is reported as the failure of some step. Checked here, in the parent,
// before clone, the error is one line that names the field ("config.json: mounts[2].destination
// "data" is not an absolute path") and nothing is left behind. And a runtime that silently
// ignores a field the bundle asks for (an AppArmor profile, an Intel RDT class, idmapped mounts)
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
// setrlimit(2) (one limit per resource), runtime-spec.md "unknown properties MUST be ignored".
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
        "process.apparmorProfile", "process.selinuxLabel", "process.ioPriority", "process.scheduler",
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
            return $"ociVersion \"{v}\" is not 1.x (MiniRun implements runtime-spec 1.x)";
        if (string.IsNullOrEmpty(spec.Root.Path))
            return "root.path is missing";

        var p = spec.Process;
        if (p.Args.Count == 0)
            return "process.args is empty: there is no command to run";
        if (!p.Cwd.StartsWith('/'))
            return $"process.cwd \"{p.Cwd}\" is not an absolute path";
        if (p.Rlimits is { } rlimits)
            for (int i = 0; i < rlimits.Count; i++)
                if (rlimits.FindIndex(l => l.Type == rlimits[i].Type) < i)
                    return $"process.rlimits[{i}].type \"{rlimits[i].Type}\" is listed twice";

        for (int i = 0; i < spec.Mounts.Count; i++)
        {
            var m = spec.Mounts[i];
            if (!m.Destination.StartsWith('/'))
                return $"mounts[{i}].destination \"{m.Destination}\" is not an absolute path";
            bool bind = m.Type == "bind" || (m.Options?.Contains("bind") ?? false) || (m.Options?.Contains("rbind") ?? false);
            if (bind && string.IsNullOrEmpty(m.Source))
                return $"mounts[{i}].source is missing for a bind mount on {m.Destination}";
            if (m.Options?.FirstOrDefault(o => o is "idmap" or "ridmap") is string idmap)
                return $"mounts[{i}].options \"{idmap}\" (idmapped mount) is not supported by MiniRun";
        }

        var linux = spec.Linux;
        for (int i = 0; i < linux.Namespaces.Count; i++)
        {
            var ns = linux.Namespaces[i];
            if (Array.IndexOf(NamespaceTypes, ns.Type) < 0)
                return $"linux.namespaces[{i}].type \"{ns.Type}\" is not a namespace type ({string.Join(", ", NamespaceTypes)})";
            if (ns.Type == "time")
                return $"linux.namespaces[{i}].type \"time\" is not supported by MiniRun";
            if (linux.Namespaces.FindIndex(n => n.Type == ns.Type) < i)
                return $"linux.namespaces[{i}].type \"{ns.Type}\" is listed twice";
            if (ns.Path is not null && !ns.Path.StartsWith('/'))
                return $"linux.namespaces[{i}].path \"{ns.Path}\" is not an absolute path";
        }
        bool userNamespace = linux.Namespaces.Any(n => n.Type == "user");
        if (!userNamespace && linux.UidMappings is { Count: > 0 })
            return "linux.uidMappings needs a user namespace (linux.namespaces has no \"user\")";
        if (!userNamespace && linux.GidMappings is { Count: > 0 })
            return "linux.gidMappings needs a user namespace (linux.namespaces has no \"user\")";
        if (!string.IsNullOrEmpty(linux.RootfsPropagation) && !MountOptions.PropagationWords.ContainsKey(linux.RootfsPropagation))
            return $"linux.rootfsPropagation \"{linux.RootfsPropagation}\" is not one of {string.Join(", ", MountOptions.PropagationWords.Keys)}";

        if (linux.Devices is { } devices)
            for (int i = 0; i < devices.Count; i++)
                if (DeviceProblem(devices, i) is string problem)
                    return problem;

        if (spec.Hooks is { } hooks)
            foreach (var (kind, list) in hooks.All)
                for (int i = 0; list is not null && i < list.Count; i++)
                {
                    if (!list[i].Path.StartsWith('/'))
                        return $"hooks.{kind}[{i}].path \"{list[i].Path}\" is not an absolute path";
                    if (list[i].Timeout is <= 0)
                        return $"hooks.{kind}[{i}].timeout {list[i].Timeout} is not a positive number of seconds";
                }
        return null;
    }

    private static string? DeviceProblem(List<SpecDevice> devices, int i)
    {
        var d = devices[i];
        if (!d.Path.StartsWith('/'))
            return $"linux.devices[{i}].path \"{d.Path}\" is not an absolute path";
        if (devices.FindIndex(x => x.Path == d.Path) < i)
            return $"linux.devices[{i}].path \"{d.Path}\" is listed twice";
        if (d.Type is not ("c" or "b" or "u" or "p"))
            return $"linux.devices[{i}].type \"{d.Type}\" is not c, b, u or p";
        if (d.Type != "p")
        {
            if (d.Major is not { } major || d.Minor is not { } minor)
                return $"linux.devices[{i}] ({d.Path}): major and minor are required for type \"{d.Type}\"";
            if (major is < 0 or > 0xfff || minor is < 0 or > 0xfffff)
                return $"linux.devices[{i}] ({d.Path}): {major}:{minor} is out of range (major 0-4095, minor 0-1048575)";
        }
        return null;
    }
}
