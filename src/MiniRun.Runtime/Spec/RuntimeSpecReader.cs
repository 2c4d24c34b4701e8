// RuntimeSpecReader: reads config.json with System.Text.Json's Utf8JsonReader, field by field.
//
// Why not JsonSerializer here: `minirun init` reads the spec once, at the start of every
// container, in a fresh process. The serializer's one-time setup of its type metadata cost
// 1.1-2 ms there (measured: the second deserialization in the same process took 0.06 ms) - a
// tenth of a whole container start. The reader has no such setup. The parent still writes the
// file with the serializer (RuntimeSpec.Save); RuntimeSpecReaderTests checks that every field
// written is read back identically. Unknown fields are skipped, as runtime-spec requires; the
// path of each skipped non-empty value is kept (RuntimeSpec.Unread) so that SpecValidator can
// refuse the fields runtime-spec defines but MiniRun does not implement.
// The building blocks are MiniJson's JsonReading, shared by every hand-written reader.
//
// Lenient where the spec's writers differ: comments are skipped, JSON null for an object, a list
// or a map gives an empty one (null list items and map values read as ""), and a null document
// is the default spec. A value of the wrong type is a JsonException (RuntimeSpec.Load names the
// file).
//
// Follows: OCI runtime-spec config.md / config-linux.md field names; RFC 8259 (JSON).
using System.Text.Json;
using static MiniJson.JsonReading;

namespace MiniRun.Spec;

internal static class RuntimeSpecReader
{
    public static RuntimeSpec Parse(ReadOnlySpan<byte> json)
    {
        t_unread = null;
        try
        {
            var spec = ParseDocument(json);
            spec.Unread = t_unread;
            return spec;
        }
        finally { t_unread = null; }
    }

    /// <summary>
    /// JSON paths of the non-empty values skipped by the parse running on this thread ("linux.intelRdt",
    /// "mounts[].uidMappings"); null until the first one, so a document whose every field is read
    /// allocates nothing for it. SpecValidator refuses the ones runtime-spec defines and MiniRun lacks.
    /// </summary>
    [ThreadStatic] private static List<string>? t_unread;

    /// <summary>
    /// Skips the value the reader is on (a property MiniRun does not model), recording its path
    /// unless the value is empty (null, false, 0, "", {}, []). An object that holds an unsupported
    /// field (linux.resources holds linux.resources.hugepageLimits) is walked to record its members.
    /// </summary>
    internal static void SkipUnread(ref Utf8JsonReader r, string parent, string name)
    {
        string path = parent.Length == 0 ? name : parent + "." + name;
        if (r.TokenType == JsonTokenType.StartObject && SpecValidator.HasNotImplementedBelow(path))
        {
            StartObject(ref r);
            while (NextProperty(ref r, out string member)) SkipUnread(ref r, path, member);
            return;
        }
        if (!IsEmpty(r)) (t_unread ??= new()).Add(path);
        r.Skip();
    }

    private static bool IsEmpty(Utf8JsonReader r) => r.TokenType switch   // a copy: peeking moves it
    {
        JsonTokenType.Null or JsonTokenType.False => true,
        JsonTokenType.String => r.ValueSpan.Length == 0,
        JsonTokenType.Number => r.TryGetDouble(out double d) && d == 0,
        JsonTokenType.StartObject or JsonTokenType.StartArray => r.Read() && r.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray,
        _ => false,
    };

    private static RuntimeSpec ParseDocument(ReadOnlySpan<byte> json)
    {
        var r = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        r.Read();
        var spec = new RuntimeSpec();
        if (!StartObject(ref r)) return spec;
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "ociVersion": spec.OciVersion = String(ref r) ?? ""; break;
                case "process": spec.Process = Process(ref r); break;
                case "root":
                    if (!StartObject(ref r)) break;
                    while (NextProperty(ref r, out string n))
                    {
                        if (n == "path") spec.Root.Path = String(ref r) ?? "";
                        else if (n == "readonly") spec.Root.Readonly = Boolean(ref r);
                        else SkipUnread(ref r, "root", n);
                    }
                    break;
                case "hostname": spec.Hostname = String(ref r); break;
                case "mounts": spec.Mounts = List(ref r, Mount) ?? new(); break;
                case "annotations": spec.Annotations = StringMap(ref r, nullValuesAsEmpty: true) ?? new(); break;
                case "linux": spec.Linux = Linux(ref r); break;
                case "hooks": spec.Hooks = Hooks(ref r); break;
                default: SkipUnread(ref r, "", name); break;
            }
        }
        return spec;
    }

    /// <summary>hooks; JSON null gives null (no hooks). Also read back from an OCI container's state.json.</summary>
    internal static SpecHooks? Hooks(ref Utf8JsonReader r)
    {
        if (!StartObject(ref r)) return null;
        var h = new SpecHooks();
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "prestart": h.Prestart = List(ref r, Hook) ?? new(); break;
                case "createRuntime": h.CreateRuntime = List(ref r, Hook) ?? new(); break;
                case "createContainer": h.CreateContainer = List(ref r, Hook) ?? new(); break;
                case "startContainer": h.StartContainer = List(ref r, Hook) ?? new(); break;
                case "poststart": h.Poststart = List(ref r, Hook) ?? new(); break;
                case "poststop": h.Poststop = List(ref r, Hook) ?? new(); break;
                default: SkipUnread(ref r, "hooks", name); break;
            }
        }
        return h;
    }

    private static SpecHook Hook(ref Utf8JsonReader r)
    {
        var h = new SpecHook();
        if (!StartObject(ref r)) return h;
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "path": h.Path = String(ref r) ?? ""; break;
                case "args": h.Args = StringList(ref r); break;
                case "env": h.Env = StringList(ref r); break;
                case "timeout": h.Timeout = NullableInt32(ref r); break;
                default: SkipUnread(ref r, "hooks[]", name); break;
            }
        }
        return h;
    }

    /// <summary>A runtime-spec process object alone: the process.json of `exec --process`.</summary>
    public static SpecProcess ParseProcess(ReadOnlySpan<byte> json)
    {
        var r = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        r.Read();
        return Process(ref r);
    }

    /// <summary>A list of strings: JSON null gives an empty list, a null item "".</summary>
    private static List<string> StringList(ref Utf8JsonReader r) => Strings(ref r, nullItemsAsEmpty: true) ?? new();

    private static SpecProcess Process(ref Utf8JsonReader r)
    {
        var p = new SpecProcess();
        if (!StartObject(ref r)) return p;
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "terminal": p.Terminal = Boolean(ref r); break;
                case "consoleSize": p.ConsoleSize = ConsoleSize(ref r); break;
                case "user": p.User = User(ref r); break;
                case "args": p.Args = StringList(ref r); break;
                case "env": p.Env = StringList(ref r); break;
                case "cwd": p.Cwd = String(ref r) ?? "/"; break;
                case "noNewPrivileges": p.NoNewPrivileges = Boolean(ref r); break;
                case "apparmorProfile": p.ApparmorProfile = String(ref r) is { Length: > 0 } profile ? profile : null; break;
                case "rlimits": p.Rlimits = List(ref r, Rlimit) ?? new(); break;
                case "capabilities": p.Capabilities = Capabilities(ref r); break;
                case "oomScoreAdj": p.OomScoreAdj = NullableInt32(ref r); break;
                default: SkipUnread(ref r, "process", name); break;
            }
        }
        return p;
    }

    /// <summary>JSON null gives a 0x0 size (not null).</summary>
    private static SpecConsoleSize ConsoleSize(ref Utf8JsonReader r)
    {
        var size = new SpecConsoleSize();
        if (!StartObject(ref r)) return size;
        while (NextProperty(ref r, out string name))
        {
            if (name == "height") size.Height = UInt32(ref r);
            else if (name == "width") size.Width = UInt32(ref r);
            else r.Skip();
        }
        return size;
    }

    private static SpecRlimit Rlimit(ref Utf8JsonReader r)
    {
        var l = new SpecRlimit();
        if (!StartObject(ref r)) return l;
        while (NextProperty(ref r, out string name))
        {
            if (name == "type") l.Type = String(ref r) ?? "";
            else if (name == "soft") l.Soft = UInt64(ref r);
            else if (name == "hard") l.Hard = UInt64(ref r);
            else r.Skip();
        }
        return l;
    }

    /// <summary>JSON null gives empty sets (not null): a present but null object still drops everything.</summary>
    private static SpecCapabilities Capabilities(ref Utf8JsonReader r)
    {
        var c = new SpecCapabilities();
        if (!StartObject(ref r)) return c;
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "bounding": c.Bounding = StringList(ref r); break;
                case "effective": c.Effective = StringList(ref r); break;
                case "inheritable": c.Inheritable = StringList(ref r); break;
                case "permitted": c.Permitted = StringList(ref r); break;
                case "ambient": c.Ambient = StringList(ref r); break;
                default: r.Skip(); break;
            }
        }
        return c;
    }

    private static SpecUser User(ref Utf8JsonReader r)
    {
        var u = new SpecUser();
        if (!StartObject(ref r)) return u;
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "uid": u.Uid = UInt32(ref r); break;
                case "gid": u.Gid = UInt32(ref r); break;
                case "umask": u.Umask = NullableUInt32(ref r); break;
                case "additionalGids": u.AdditionalGids = List(ref r, UInt32) ?? new(); break;
                case "io.minirun.user": u.Username = String(ref r); break;
                case "io.minirun.additionalGroups": u.AdditionalGroups = StringList(ref r); break;
                case "io.minirun.primaryGidSupplementary": u.PrimaryGidSupplementary = NullableBoolean(ref r); break;
                default: SkipUnread(ref r, "process.user", name); break;
            }
        }
        return u;
    }

    private static SpecMount Mount(ref Utf8JsonReader r)
    {
        var m = new SpecMount();
        if (!StartObject(ref r)) return m;
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "destination": m.Destination = String(ref r) ?? ""; break;
                case "type": m.Type = String(ref r); break;
                case "source": m.Source = String(ref r); break;
                case "options": m.Options = StringList(ref r); break;
                default: SkipUnread(ref r, "mounts[]", name); break;
            }
        }
        return m;
    }

    private static SpecLinux Linux(ref Utf8JsonReader r)
    {
        var l = new SpecLinux();
        if (!StartObject(ref r)) return l;
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "namespaces": l.Namespaces = List(ref r, Namespace) ?? new(); break;
                case "uidMappings": l.UidMappings = List(ref r, IdMapping) ?? new(); break;
                case "gidMappings": l.GidMappings = List(ref r, IdMapping) ?? new(); break;
                case "cgroupsPath": l.CgroupsPath = String(ref r); break;
                case "maskedPaths": l.MaskedPaths = StringList(ref r); break;
                case "readonlyPaths": l.ReadonlyPaths = StringList(ref r); break;
                case "rootfsPropagation": l.RootfsPropagation = String(ref r); break;
                case "io.minirun.overlay": l.Overlay = Overlay(ref r); break;
                case "sysctl": l.Sysctl = StringMap(ref r, nullValuesAsEmpty: true) ?? new(); break;
                case "seccomp": l.Seccomp = Seccomp(ref r); break;
                case "devices": l.Devices = List(ref r, Device) ?? new(); break;
                case "resources": l.Resources = Resources(ref r); break;
                default: SkipUnread(ref r, "linux", name); break;
            }
        }
        return l;
    }

    private static SpecNamespace Namespace(ref Utf8JsonReader r)
    {
        var ns = new SpecNamespace();
        if (!StartObject(ref r)) return ns;
        while (NextProperty(ref r, out string name))
        {
            if (name == "type") ns.Type = String(ref r) ?? "";
            else if (name == "path") ns.Path = String(ref r);
            else SkipUnread(ref r, "linux.namespaces[]", name);
        }
        return ns;
    }

    /// <summary>MiniRun's overlay extension; JSON null gives an empty overlay (not null).</summary>
    private static SpecOverlay Overlay(ref Utf8JsonReader r)
    {
        var o = new SpecOverlay();
        if (!StartObject(ref r)) return o;
        while (NextProperty(ref r, out string name))
        {
            if (name == "lowerDirs") o.LowerDirs = StringList(ref r);
            else if (name == "upperDir") o.UpperDir = String(ref r) ?? "";
            else if (name == "workDir") o.WorkDir = String(ref r) ?? "";
            else if (name == "volatile") o.Volatile = NullableBoolean(ref r);
            else r.Skip();
        }
        return o;
    }

    /// <summary>
    /// A linux.resources object alone (`update --resources FILE`); JSON null gives an empty one.
    /// <paramref name="unread"/>: the paths of skipped non-empty fields ("linux.resources.rdma"), as in RuntimeSpec.Unread.
    /// </summary>
    public static SpecResources ParseResources(ReadOnlySpan<byte> json, out List<string>? unread)
    {
        t_unread = null;
        try
        {
            var r = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
            r.Read();
            var res = Resources(ref r) ?? new SpecResources();
            unread = t_unread;
            return res;
        }
        finally { t_unread = null; }
    }

    /// <summary>linux.resources; JSON null gives null (no limits).</summary>
    internal static SpecResources? Resources(ref Utf8JsonReader r)
    {
        if (!StartObject(ref r)) return null;
        var res = new SpecResources();
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "devices": res.Devices = List(ref r, DeviceCgroup) ?? new(); break;
                case "memory": res.Memory = Memory(ref r); break;
                case "cpu": res.Cpu = Cpu(ref r); break;
                case "pids": res.Pids = Pids(ref r); break;
                case "blockIO": res.BlockIO = BlockIO(ref r); break;
                case "unified": res.Unified = StringMap(ref r, nullValuesAsEmpty: true) ?? new(); break;
                default: SkipUnread(ref r, "linux.resources", name); break;
            }
        }
        return res;
    }

    private static ulong? NullableUInt64(ref Utf8JsonReader r) => r.TokenType == JsonTokenType.Null ? null : UInt64(ref r);

    private static SpecMemory? Memory(ref Utf8JsonReader r)
    {
        if (!StartObject(ref r)) return null;
        var m = new SpecMemory();
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "limit": m.Limit = NullableInt64(ref r); break;
                case "reservation": m.Reservation = NullableInt64(ref r); break;
                case "swap": m.Swap = NullableInt64(ref r); break;
                case "kernel": m.Kernel = NullableInt64(ref r); break;
                case "kernelTCP": m.KernelTcp = NullableInt64(ref r); break;
                case "swappiness": m.Swappiness = NullableUInt64(ref r); break;
                case "disableOOMKiller": m.DisableOomKiller = NullableBoolean(ref r); break;
                case "useHierarchy": m.UseHierarchy = NullableBoolean(ref r); break;
                case "checkBeforeUpdate": m.CheckBeforeUpdate = NullableBoolean(ref r); break;
                default: SkipUnread(ref r, "linux.resources.memory", name); break;
            }
        }
        return m;
    }

    private static SpecCpu? Cpu(ref Utf8JsonReader r)
    {
        if (!StartObject(ref r)) return null;
        var c = new SpecCpu();
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "shares": c.Shares = NullableUInt64(ref r); break;
                case "quota": c.Quota = NullableInt64(ref r); break;
                case "burst": c.Burst = NullableUInt64(ref r); break;
                case "period": c.Period = NullableUInt64(ref r); break;
                case "realtimeRuntime": c.RealtimeRuntime = NullableInt64(ref r); break;
                case "realtimePeriod": c.RealtimePeriod = NullableUInt64(ref r); break;
                case "cpus": c.Cpus = String(ref r); break;
                case "mems": c.Mems = String(ref r); break;
                case "idle": c.Idle = NullableInt64(ref r); break;
                default: SkipUnread(ref r, "linux.resources.cpu", name); break;
            }
        }
        return c;
    }

    private static SpecPids? Pids(ref Utf8JsonReader r)
    {
        if (!StartObject(ref r)) return null;
        var p = new SpecPids();
        while (NextProperty(ref r, out string name))
        {
            if (name == "limit") p.Limit = NullableInt64(ref r);
            else SkipUnread(ref r, "linux.resources.pids", name);
        }
        return p;
    }

    private static SpecBlockIO? BlockIO(ref Utf8JsonReader r)
    {
        if (!StartObject(ref r)) return null;
        var b = new SpecBlockIO();
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "weight": b.Weight = NullableUInt32(ref r); break;
                case "leafWeight": b.LeafWeight = NullableUInt32(ref r); break;
                case "weightDevice": b.WeightDevice = List(ref r, WeightDevice) ?? new(); break;
                case "throttleReadBpsDevice": b.ThrottleReadBpsDevice = List(ref r, ThrottleDevice) ?? new(); break;
                case "throttleWriteBpsDevice": b.ThrottleWriteBpsDevice = List(ref r, ThrottleDevice) ?? new(); break;
                case "throttleReadIOPSDevice": b.ThrottleReadIopsDevice = List(ref r, ThrottleDevice) ?? new(); break;
                case "throttleWriteIOPSDevice": b.ThrottleWriteIopsDevice = List(ref r, ThrottleDevice) ?? new(); break;
                default: SkipUnread(ref r, "linux.resources.blockIO", name); break;
            }
        }
        return b;
    }

    private static SpecWeightDevice WeightDevice(ref Utf8JsonReader r)
    {
        var d = new SpecWeightDevice();
        if (!StartObject(ref r)) return d;
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "major": d.Major = Int64(ref r); break;
                case "minor": d.Minor = Int64(ref r); break;
                case "weight": d.Weight = NullableUInt32(ref r); break;
                case "leafWeight": d.LeafWeight = NullableUInt32(ref r); break;
                default: SkipUnread(ref r, "linux.resources.blockIO.weightDevice[]", name); break;
            }
        }
        return d;
    }

    private static SpecThrottleDevice ThrottleDevice(ref Utf8JsonReader r)
    {
        var d = new SpecThrottleDevice();
        if (!StartObject(ref r)) return d;
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "major": d.Major = Int64(ref r); break;
                case "minor": d.Minor = Int64(ref r); break;
                case "rate": d.Rate = UInt64(ref r); break;
                default: SkipUnread(ref r, "linux.resources.blockIO.throttle[]", name); break;
            }
        }
        return d;
    }

    private static SpecDeviceCgroup DeviceCgroup(ref Utf8JsonReader r)
    {
        var d = new SpecDeviceCgroup();
        if (!StartObject(ref r)) return d;
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "allow": d.Allow = NullableBoolean(ref r) ?? false; break;
                case "type": d.Type = String(ref r); break;
                case "major": d.Major = NullableInt64(ref r); break;
                case "minor": d.Minor = NullableInt64(ref r); break;
                case "access": d.Access = String(ref r); break;
                default: SkipUnread(ref r, "linux.resources.devices[]", name); break;
            }
        }
        return d;
    }

    private static SpecDevice Device(ref Utf8JsonReader r)
    {
        var d = new SpecDevice();
        if (!StartObject(ref r)) return d;
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "type": d.Type = String(ref r) ?? ""; break;
                case "path": d.Path = String(ref r) ?? ""; break;
                case "major": d.Major = NullableInt64(ref r); break;
                case "minor": d.Minor = NullableInt64(ref r); break;
                case "fileMode": d.FileMode = NullableUInt32(ref r); break;
                case "uid": d.Uid = NullableUInt32(ref r); break;
                case "gid": d.Gid = NullableUInt32(ref r); break;
                default: SkipUnread(ref r, "linux.devices[]", name); break;
            }
        }
        return d;
    }

    private static SpecIdMapping IdMapping(ref Utf8JsonReader r)
    {
        var m = new SpecIdMapping();
        if (!StartObject(ref r)) return m;
        while (NextProperty(ref r, out string name))
        {
            if (name == "containerID") m.ContainerId = UInt32(ref r);
            else if (name == "hostID") m.HostId = UInt32(ref r);
            else if (name == "size") m.Size = UInt32(ref r);
            else r.Skip();
        }
        return m;
    }

    /// <summary>linux.seccomp; JSON null gives null (no filter). Engine-only fields (archMap, includes, comment) are skipped.</summary>
    private static SpecSeccomp? Seccomp(ref Utf8JsonReader r)
    {
        if (!StartObject(ref r)) return null;
        var s = new SpecSeccomp();
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "defaultAction": s.DefaultAction = String(ref r) ?? ""; break;
                case "defaultErrnoRet": s.DefaultErrnoRet = NullableUInt32(ref r); break;
                case "architectures": s.Architectures = StringList(ref r); break;
                case "flags": s.Flags = StringList(ref r); break;
                case "listenerPath": s.ListenerPath = String(ref r); break;
                case "listenerMetadata": s.ListenerMetadata = String(ref r); break;
                case "syscalls": s.Syscalls = List(ref r, Syscall) ?? new(); break;
                default: r.Skip(); break;
            }
        }
        return s;
    }

    private static SpecSyscall Syscall(ref Utf8JsonReader r)
    {
        var s = new SpecSyscall();
        if (!StartObject(ref r)) return s;
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "names": s.Names = StringList(ref r); break;
                case "action": s.Action = String(ref r) ?? ""; break;
                case "errnoRet": s.ErrnoRet = NullableUInt32(ref r); break;
                case "args": s.Args = List(ref r, SeccompArg) ?? new(); break;
                default: r.Skip(); break;
            }
        }
        return s;
    }

    private static SpecSeccompArg SeccompArg(ref Utf8JsonReader r)
    {
        var a = new SpecSeccompArg();
        if (!StartObject(ref r)) return a;
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "index": a.Index = UInt32(ref r); break;
                case "value": a.Value = UInt64(ref r); break;
                case "valueTwo": a.ValueTwo = r.TokenType == JsonTokenType.Null ? null : UInt64(ref r); break;
                case "op": a.Op = String(ref r) ?? ""; break;
                default: r.Skip(); break;
            }
        }
        return a;
    }
}
