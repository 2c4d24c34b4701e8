// RuntimeSpecWriter: writes config.json with System.Text.Json's Utf8JsonWriter, field by field -
// the mirror of RuntimeSpecReader.
//
// Why not JsonSerializer here: `run` writes the spec once per container, in a fresh NativeAOT
// process, right before init may start. The serializer first builds its metadata for all twelve
// spec types (converters, properties, a reflection lookup of attributes per type): measured with
// perf as the largest single item of `run`'s work before the hand-over (docs/benchmarks.md,
// 2026-11-23, evening). The writer has no such setup. Its output is byte for byte what the serializer
// (SpecJsonContext: indented, nulls omitted, properties in declaration order) writes:
// RuntimeSpecWriterTests compares the two on a spec with every field set.
//
// Follows: OCI runtime-spec config.md / config-linux.md field names; RFC 8259 (JSON).
using System.Text.Json;

namespace MiniRun.Spec;

internal static class RuntimeSpecWriter
{
    public static void Write(Stream stream, RuntimeSpec spec)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("ociVersion", spec.OciVersion);
        w.WritePropertyName("process");
        Process(w, spec.Process);
        w.WritePropertyName("root");
        w.WriteStartObject();
        w.WriteString("path", spec.Root.Path);
        w.WriteBoolean("readonly", spec.Root.Readonly);
        w.WriteEndObject();
        if (spec.Hostname is not null) w.WriteString("hostname", spec.Hostname);
        w.WritePropertyName("mounts");
        w.WriteStartArray();
        foreach (var m in spec.Mounts) Mount(w, m);
        w.WriteEndArray();
        if (spec.Annotations is not null)
        {
            w.WritePropertyName("annotations");
            w.WriteStartObject();
            foreach (var (key, value) in spec.Annotations) w.WriteString(key, value);
            w.WriteEndObject();
        }
        w.WritePropertyName("linux");
        Linux(w, spec.Linux);
        if (spec.Hooks is { } hooks) Hooks(w, hooks);
        w.WriteEndObject();
    }

    /// <summary>"hooks": {...}; OciState writes the same object into state.json.</summary>
    internal static void Hooks(Utf8JsonWriter w, SpecHooks hooks)
    {
        w.WritePropertyName("hooks");
        w.WriteStartObject();
        foreach (var (kind, list) in hooks.All)
        {
            if (list is null) continue;
            w.WritePropertyName(kind);
            w.WriteStartArray();
            foreach (var h in list)
            {
                w.WriteStartObject();
                w.WriteString("path", h.Path);
                if (h.Args is not null) Strings(w, "args", h.Args);
                if (h.Env is not null) Strings(w, "env", h.Env);
                if (h.Timeout is int timeout) w.WriteNumber("timeout", timeout);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    private static void Process(Utf8JsonWriter w, SpecProcess p)
    {
        w.WriteStartObject();
        w.WriteBoolean("terminal", p.Terminal);
        if (p.ConsoleSize is { } size)
        {
            w.WritePropertyName("consoleSize");
            w.WriteStartObject();
            w.WriteNumber("height", size.Height);
            w.WriteNumber("width", size.Width);
            w.WriteEndObject();
        }
        w.WritePropertyName("user");
        w.WriteStartObject();
        w.WriteNumber("uid", p.User.Uid);
        w.WriteNumber("gid", p.User.Gid);
        if (p.User.Umask is uint umask) w.WriteNumber("umask", umask);
        if (p.User.AdditionalGids is { } gids)
        {
            w.WritePropertyName("additionalGids");
            w.WriteStartArray();
            foreach (uint g in gids) w.WriteNumberValue(g);
            w.WriteEndArray();
        }
        if (p.User.Username is not null) w.WriteString("io.minirun.user", p.User.Username);
        if (p.User.AdditionalGroups is { } groups) Strings(w, "io.minirun.additionalGroups", groups);
        if (p.User.PrimaryGidSupplementary is bool primary) w.WriteBoolean("io.minirun.primaryGidSupplementary", primary);
        w.WriteEndObject();
        Strings(w, "args", p.Args);
        Strings(w, "env", p.Env);
        w.WriteString("cwd", p.Cwd);
        w.WriteBoolean("noNewPrivileges", p.NoNewPrivileges);
        if (p.ApparmorProfile is { } apparmor) w.WriteString("apparmorProfile", apparmor);
        if (p.Rlimits is { } rlimits)
        {
            w.WritePropertyName("rlimits");
            w.WriteStartArray();
            foreach (var l in rlimits)
            {
                w.WriteStartObject();
                w.WriteString("type", l.Type);
                w.WriteNumber("soft", l.Soft);
                w.WriteNumber("hard", l.Hard);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        if (p.Capabilities is { } caps)
        {
            w.WritePropertyName("capabilities");
            w.WriteStartObject();
            if (caps.Bounding is not null) Strings(w, "bounding", caps.Bounding);
            if (caps.Effective is not null) Strings(w, "effective", caps.Effective);
            if (caps.Inheritable is not null) Strings(w, "inheritable", caps.Inheritable);
            if (caps.Permitted is not null) Strings(w, "permitted", caps.Permitted);
            if (caps.Ambient is not null) Strings(w, "ambient", caps.Ambient);
            w.WriteEndObject();
        }
        if (p.OomScoreAdj is int oom) w.WriteNumber("oomScoreAdj", oom);
        w.WriteEndObject();
    }

    private static void Mount(Utf8JsonWriter w, SpecMount m)
    {
        w.WriteStartObject();
        w.WriteString("destination", m.Destination);
        if (m.Type is not null) w.WriteString("type", m.Type);
        if (m.Source is not null) w.WriteString("source", m.Source);
        if (m.Options is not null) Strings(w, "options", m.Options);
        w.WriteEndObject();
    }

    private static void Linux(Utf8JsonWriter w, SpecLinux l)
    {
        w.WriteStartObject();
        w.WritePropertyName("namespaces");
        w.WriteStartArray();
        foreach (var ns in l.Namespaces)
        {
            w.WriteStartObject();
            w.WriteString("type", ns.Type);
            if (ns.Path is not null) w.WriteString("path", ns.Path);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (l.UidMappings is not null) IdMappings(w, "uidMappings", l.UidMappings);
        if (l.GidMappings is not null) IdMappings(w, "gidMappings", l.GidMappings);
        if (l.CgroupsPath is not null) w.WriteString("cgroupsPath", l.CgroupsPath);
        if (l.MaskedPaths is not null) Strings(w, "maskedPaths", l.MaskedPaths);
        if (l.ReadonlyPaths is not null) Strings(w, "readonlyPaths", l.ReadonlyPaths);
        if (l.RootfsPropagation is not null) w.WriteString("rootfsPropagation", l.RootfsPropagation);
        if (l.Overlay is { } o)
        {
            w.WritePropertyName("io.minirun.overlay");
            w.WriteStartObject();
            Strings(w, "lowerDirs", o.LowerDirs);
            w.WriteString("upperDir", o.UpperDir);
            w.WriteString("workDir", o.WorkDir);
            if (o.Volatile is bool v) w.WriteBoolean("volatile", v);
            w.WriteEndObject();
        }
        if (l.Sysctl is { } sysctl)
        {
            w.WritePropertyName("sysctl");
            w.WriteStartObject();
            foreach (var (key, value) in sysctl) w.WriteString(key, value);
            w.WriteEndObject();
        }
        if (l.Devices is { } devices)
        {
            w.WritePropertyName("devices");
            w.WriteStartArray();
            foreach (var d in devices)
            {
                w.WriteStartObject();
                w.WriteString("type", d.Type);
                w.WriteString("path", d.Path);
                if (d.Major is long major) w.WriteNumber("major", major);
                if (d.Minor is long minor) w.WriteNumber("minor", minor);
                if (d.FileMode is uint mode) w.WriteNumber("fileMode", mode);
                if (d.Uid is uint uid) w.WriteNumber("uid", uid);
                if (d.Gid is uint gid) w.WriteNumber("gid", gid);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        if (l.Seccomp is { } seccomp) Seccomp(w, seccomp);
        if (l.Resources is { } resources) Resources(w, resources);
        w.WriteEndObject();
    }

    private static void Resources(Utf8JsonWriter w, SpecResources res)
    {
        w.WritePropertyName("resources");
        ResourcesObject(w, res);
    }

    /// <summary>The linux.resources object alone (also kept in the OCI state for `update`).</summary>
    internal static void ResourcesObject(Utf8JsonWriter w, SpecResources res)
    {
        w.WriteStartObject();
        if (res.Devices is { } devices)
        {
            w.WritePropertyName("devices");
            w.WriteStartArray();
            foreach (var d in devices)
            {
                w.WriteStartObject();
                w.WriteBoolean("allow", d.Allow);
                if (d.Type is not null) w.WriteString("type", d.Type);
                if (d.Major is long major) w.WriteNumber("major", major);
                if (d.Minor is long minor) w.WriteNumber("minor", minor);
                if (d.Access is not null) w.WriteString("access", d.Access);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        if (res.Memory is { } m)
        {
            w.WritePropertyName("memory");
            w.WriteStartObject();
            Number(w, "limit", m.Limit);
            Number(w, "reservation", m.Reservation);
            Number(w, "swap", m.Swap);
            Number(w, "kernel", m.Kernel);
            Number(w, "kernelTCP", m.KernelTcp);
            if (m.Swappiness is ulong swappiness) w.WriteNumber("swappiness", swappiness);
            if (m.DisableOomKiller is bool noOom) w.WriteBoolean("disableOOMKiller", noOom);
            if (m.UseHierarchy is bool hierarchy) w.WriteBoolean("useHierarchy", hierarchy);
            if (m.CheckBeforeUpdate is bool check) w.WriteBoolean("checkBeforeUpdate", check);
            w.WriteEndObject();
        }
        if (res.Cpu is { } c)
        {
            w.WritePropertyName("cpu");
            w.WriteStartObject();
            if (c.Shares is ulong shares) w.WriteNumber("shares", shares);
            Number(w, "quota", c.Quota);
            if (c.Burst is ulong burst) w.WriteNumber("burst", burst);
            if (c.Period is ulong period) w.WriteNumber("period", period);
            Number(w, "realtimeRuntime", c.RealtimeRuntime);
            if (c.RealtimePeriod is ulong rtPeriod) w.WriteNumber("realtimePeriod", rtPeriod);
            if (c.Cpus is not null) w.WriteString("cpus", c.Cpus);
            if (c.Mems is not null) w.WriteString("mems", c.Mems);
            Number(w, "idle", c.Idle);
            w.WriteEndObject();
        }
        if (res.Pids is { } p)
        {
            w.WritePropertyName("pids");
            w.WriteStartObject();
            Number(w, "limit", p.Limit);
            w.WriteEndObject();
        }
        if (res.BlockIO is { } b)
        {
            w.WritePropertyName("blockIO");
            w.WriteStartObject();
            if (b.Weight is uint weight) w.WriteNumber("weight", weight);
            if (b.LeafWeight is uint leaf) w.WriteNumber("leafWeight", leaf);
            if (b.WeightDevice is { } weights)
            {
                w.WritePropertyName("weightDevice");
                w.WriteStartArray();
                foreach (var d in weights)
                {
                    w.WriteStartObject();
                    w.WriteNumber("major", d.Major);
                    w.WriteNumber("minor", d.Minor);
                    if (d.Weight is uint dw) w.WriteNumber("weight", dw);
                    if (d.LeafWeight is uint dl) w.WriteNumber("leafWeight", dl);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            Throttles(w, "throttleReadBpsDevice", b.ThrottleReadBpsDevice);
            Throttles(w, "throttleWriteBpsDevice", b.ThrottleWriteBpsDevice);
            Throttles(w, "throttleReadIOPSDevice", b.ThrottleReadIopsDevice);
            Throttles(w, "throttleWriteIOPSDevice", b.ThrottleWriteIopsDevice);
            w.WriteEndObject();
        }
        if (res.Unified is { } unified)
        {
            w.WritePropertyName("unified");
            w.WriteStartObject();
            foreach (var (key, value) in unified) w.WriteString(key, value);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private static void Number(Utf8JsonWriter w, string name, long? value)
    {
        if (value is long v) w.WriteNumber(name, v);
    }

    private static void Throttles(Utf8JsonWriter w, string name, List<SpecThrottleDevice>? devices)
    {
        if (devices is null) return;
        w.WritePropertyName(name);
        w.WriteStartArray();
        foreach (var d in devices)
        {
            w.WriteStartObject();
            w.WriteNumber("major", d.Major);
            w.WriteNumber("minor", d.Minor);
            w.WriteNumber("rate", d.Rate);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void Seccomp(Utf8JsonWriter w, SpecSeccomp s)
    {
        w.WritePropertyName("seccomp");
        w.WriteStartObject();
        w.WriteString("defaultAction", s.DefaultAction);
        if (s.DefaultErrnoRet is uint errno) w.WriteNumber("defaultErrnoRet", errno);
        if (s.Architectures is not null) Strings(w, "architectures", s.Architectures);
        if (s.Flags is not null) Strings(w, "flags", s.Flags);
        if (s.ListenerPath is not null) w.WriteString("listenerPath", s.ListenerPath);
        if (s.ListenerMetadata is not null) w.WriteString("listenerMetadata", s.ListenerMetadata);
        if (s.Syscalls is { } syscalls)
        {
            w.WritePropertyName("syscalls");
            w.WriteStartArray();
            foreach (var call in syscalls)
            {
                w.WriteStartObject();
                Strings(w, "names", call.Names);
                w.WriteString("action", call.Action);
                if (call.ErrnoRet is uint e) w.WriteNumber("errnoRet", e);
                if (call.Args is { } args)
                {
                    w.WritePropertyName("args");
                    w.WriteStartArray();
                    foreach (var a in args)
                    {
                        w.WriteStartObject();
                        w.WriteNumber("index", a.Index);
                        w.WriteNumber("value", a.Value);
                        if (a.ValueTwo is ulong two) w.WriteNumber("valueTwo", two);
                        w.WriteString("op", a.Op);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    private static void IdMappings(Utf8JsonWriter w, string name, List<SpecIdMapping> mappings)
    {
        w.WritePropertyName(name);
        w.WriteStartArray();
        foreach (var m in mappings)
        {
            w.WriteStartObject();
            w.WriteNumber("containerID", m.ContainerId);
            w.WriteNumber("hostID", m.HostId);
            w.WriteNumber("size", m.Size);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void Strings(Utf8JsonWriter w, string name, List<string> values)
    {
        w.WritePropertyName(name);
        w.WriteStartArray();
        foreach (var v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }
}
