// RuntimeSpecReader: reads config.json with System.Text.Json's Utf8JsonReader, field by field.
//
// Why not JsonSerializer here: `minirun init` reads the spec once, at the start of every
// container, in a fresh process. The serializer's one-time setup of its type metadata cost
// 1.1-2 ms there (measured: the second deserialization in the same process took 0.06 ms) - a
// tenth of a whole container start. The reader has no such setup. The parent still writes the
// file with the serializer (RuntimeSpec.Save); RuntimeSpecReaderTests checks that every field
// written is read back identically. Unknown fields are skipped, as runtime-spec requires.
//
// Follows: OCI runtime-spec config.md / config-linux.md field names; RFC 8259 (JSON).
using System.Text.Json;

namespace MiniRun.Spec;

internal static class RuntimeSpecReader
{
    public static RuntimeSpec Parse(ReadOnlySpan<byte> json)
    {
        var r = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        r.Read();
        var spec = new RuntimeSpec();
        Object(ref r, (ref Utf8JsonReader r, string name) =>
        {
            switch (name)
            {
                case "ociVersion": spec.OciVersion = Str(ref r) ?? ""; break;
                case "process": spec.Process = Process(ref r); break;
                case "root":
                    Object(ref r, (ref Utf8JsonReader r, string n) =>
                    {
                        if (n == "path") spec.Root.Path = Str(ref r) ?? "";
                        else if (n == "readonly") spec.Root.Readonly = r.GetBoolean();
                        else r.Skip();
                    });
                    break;
                case "hostname": spec.Hostname = Str(ref r); break;
                case "mounts": spec.Mounts = Array(ref r, Mount); break;
                case "annotations": spec.Annotations = Map(ref r); break;
                case "linux": spec.Linux = Linux(ref r); break;
                default: r.Skip(); break;
            }
        });
        return spec;
    }

    private static SpecProcess Process(ref Utf8JsonReader r)
    {
        var p = new SpecProcess();
        Object(ref r, (ref Utf8JsonReader r, string name) =>
        {
            switch (name)
            {
                case "terminal": p.Terminal = r.GetBoolean(); break;
                case "consoleSize":
                    var size = new SpecConsoleSize();
                    Object(ref r, (ref Utf8JsonReader r, string n) =>
                    {
                        if (n == "height") size.Height = r.GetUInt32();
                        else if (n == "width") size.Width = r.GetUInt32();
                        else r.Skip();
                    });
                    p.ConsoleSize = size;
                    break;
                case "user": p.User = User(ref r); break;
                case "args": p.Args = Strings(ref r); break;
                case "env": p.Env = Strings(ref r); break;
                case "cwd": p.Cwd = Str(ref r) ?? "/"; break;
                case "noNewPrivileges": p.NoNewPrivileges = r.GetBoolean(); break;
                case "rlimits":
                    p.Rlimits = Array(ref r, (ref Utf8JsonReader r) =>
                    {
                        var l = new SpecRlimit();
                        Object(ref r, (ref Utf8JsonReader r, string n) =>
                        {
                            if (n == "type") l.Type = Str(ref r) ?? "";
                            else if (n == "soft") l.Soft = r.GetUInt64();
                            else if (n == "hard") l.Hard = r.GetUInt64();
                            else r.Skip();
                        });
                        return l;
                    });
                    break;
                default: r.Skip(); break;
            }
        });
        return p;
    }

    private static SpecUser User(ref Utf8JsonReader r)
    {
        var u = new SpecUser();
        Object(ref r, (ref Utf8JsonReader r, string name) =>
        {
            switch (name)
            {
                case "uid": u.Uid = r.GetUInt32(); break;
                case "gid": u.Gid = r.GetUInt32(); break;
                case "umask": u.Umask = r.TokenType == JsonTokenType.Null ? null : r.GetUInt32(); break;
                case "additionalGids": u.AdditionalGids = Array(ref r, (ref Utf8JsonReader r) => r.GetUInt32()); break;
                case "io.minirun.user": u.Username = Str(ref r); break;
                default: r.Skip(); break;
            }
        });
        return u;
    }

    private static SpecMount Mount(ref Utf8JsonReader r)
    {
        var m = new SpecMount();
        Object(ref r, (ref Utf8JsonReader r, string name) =>
        {
            switch (name)
            {
                case "destination": m.Destination = Str(ref r) ?? ""; break;
                case "type": m.Type = Str(ref r); break;
                case "source": m.Source = Str(ref r); break;
                case "options": m.Options = Strings(ref r); break;
                default: r.Skip(); break;
            }
        });
        return m;
    }

    private static SpecLinux Linux(ref Utf8JsonReader r)
    {
        var l = new SpecLinux();
        Object(ref r, (ref Utf8JsonReader r, string name) =>
        {
            switch (name)
            {
                case "namespaces":
                    l.Namespaces = Array(ref r, (ref Utf8JsonReader r) =>
                    {
                        var ns = new SpecNamespace();
                        Object(ref r, (ref Utf8JsonReader r, string n) =>
                        {
                            if (n == "type") ns.Type = Str(ref r) ?? "";
                            else if (n == "path") ns.Path = Str(ref r);
                            else r.Skip();
                        });
                        return ns;
                    });
                    break;
                case "uidMappings": l.UidMappings = Array(ref r, IdMapping); break;
                case "gidMappings": l.GidMappings = Array(ref r, IdMapping); break;
                case "cgroupsPath": l.CgroupsPath = Str(ref r); break;
                case "maskedPaths": l.MaskedPaths = Strings(ref r); break;
                case "readonlyPaths": l.ReadonlyPaths = Strings(ref r); break;
                case "rootfsPropagation": l.RootfsPropagation = Str(ref r); break;
                case "io.minirun.overlay":
                    var o = new SpecOverlay();
                    Object(ref r, (ref Utf8JsonReader r, string n) =>
                    {
                        if (n == "lowerDirs") o.LowerDirs = Strings(ref r);
                        else if (n == "upperDir") o.UpperDir = Str(ref r) ?? "";
                        else if (n == "workDir") o.WorkDir = Str(ref r) ?? "";
                        else r.Skip();
                    });
                    l.Overlay = o;
                    break;
                default: r.Skip(); break;
            }
        });
        return l;
    }

    private static SpecIdMapping IdMapping(ref Utf8JsonReader r)
    {
        var m = new SpecIdMapping();
        Object(ref r, (ref Utf8JsonReader r, string name) =>
        {
            if (name == "containerID") m.ContainerId = r.GetUInt32();
            else if (name == "hostID") m.HostId = r.GetUInt32();
            else if (name == "size") m.Size = r.GetUInt32();
            else r.Skip();
        });
        return m;
    }

    // ---- the few building blocks everything above is made of ----

    private delegate void PropertyReader(ref Utf8JsonReader r, string name);
    private delegate T ValueReader<T>(ref Utf8JsonReader r);

    /// <summary>Calls <paramref name="property"/> for each member, with the reader on its value.</summary>
    private static void Object(ref Utf8JsonReader r, PropertyReader property)
    {
        if (r.TokenType == JsonTokenType.Null) return;
        Expect(ref r, JsonTokenType.StartObject);
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            string name = r.GetString()!;
            r.Read();
            property(ref r, name);
        }
        Expect(ref r, JsonTokenType.EndObject);
    }

    private static List<T> Array<T>(ref Utf8JsonReader r, ValueReader<T> item)
    {
        var list = new List<T>();
        if (r.TokenType == JsonTokenType.Null) return list;
        Expect(ref r, JsonTokenType.StartArray);
        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
            list.Add(item(ref r));
        return list;
    }

    private static List<string> Strings(ref Utf8JsonReader r) => Array(ref r, (ref Utf8JsonReader r) => r.GetString() ?? "");

    private static Dictionary<string, string> Map(ref Utf8JsonReader r)
    {
        var map = new Dictionary<string, string>();
        Object(ref r, (ref Utf8JsonReader r, string name) => map[name] = r.GetString() ?? "");
        return map;
    }

    private static string? Str(ref Utf8JsonReader r) => r.TokenType == JsonTokenType.Null ? null : r.GetString();

    private static void Expect(ref Utf8JsonReader r, JsonTokenType type)
    {
        if (r.TokenType != type)
            throw new JsonException($"expected {type} but found {r.TokenType} at byte {r.TokenStartIndex}");
    }
}
