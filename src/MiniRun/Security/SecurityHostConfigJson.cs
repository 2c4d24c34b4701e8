// SecurityHostConfigJson: the security fields of HostConfig in container.json and in `inspect`,
// in Docker's shapes: Privileged, ReadonlyRootfs, Devices [{PathOnHost, PathInContainer,
// CgroupPermissions}], Tmpfs {path: options}, Ulimits [{Name, Soft, Hard}], Sysctls {key: value},
// GroupAdd [names].
//
// Why: container.json and inspect write the same fields; one writer (and the matching reader)
// keeps the two from drifting. The bytes are the serializer's (ContainerRecordJsonTests): every
// field, empty lists as [] and empty maps as {}.
//
// Follows: Docker's api/types/container HostConfig (json tags), RFC 8259.
using System.Text.Json;
using MiniRun.Containers;
using static MiniJson.JsonReading;

namespace MiniRun.Security;

public static class SecurityHostConfigJson
{
    public static void Write(Utf8JsonWriter w, ContainerRecordHostConfig s)
    {
        w.WriteBoolean("Privileged", s.Privileged);
        w.WriteBoolean("ReadonlyRootfs", s.ReadonlyRootfs);
        w.WriteStartArray("Devices");
        foreach (var d in s.Devices)
        {
            w.WriteStartObject();
            w.WriteString("PathOnHost", d.PathOnHost);
            w.WriteString("PathInContainer", d.PathInContainer);
            w.WriteString("CgroupPermissions", d.CgroupPermissions);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        Map(w, "Tmpfs", s.Tmpfs);
        w.WriteStartArray("Ulimits");
        foreach (var u in s.Ulimits)
        {
            w.WriteStartObject();
            w.WriteString("Name", u.Name);
            w.WriteNumber("Soft", u.Soft);
            w.WriteNumber("Hard", u.Hard);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        Map(w, "Sysctls", s.Sysctls);
        w.WriteStartArray("GroupAdd");
        foreach (var g in s.GroupAdd) w.WriteStringValue(g);
        w.WriteEndArray();
    }

    private static void Map(Utf8JsonWriter w, string name, Dictionary<string, string> map)
    {
        w.WriteStartObject(name);
        foreach (var (k, v) in map) w.WriteString(k, v);
        w.WriteEndObject();
    }

    /// <summary>Reads HostConfig property <paramref name="name"/> into <paramref name="s"/> when it is one of these; false otherwise.</summary>
    public static bool ReadField(ref Utf8JsonReader r, string name, ContainerRecordHostConfig s)
    {
        switch (name)
        {
            case "Privileged": s.Privileged = Boolean(ref r); return true;
            case "ReadonlyRootfs": s.ReadonlyRootfs = Boolean(ref r); return true;
            case "Devices": s.Devices = List(ref r, Device) ?? new(); return true;
            case "Tmpfs": s.Tmpfs = StringMap(ref r, nullValuesAsEmpty: true) ?? new(); return true;
            case "Ulimits": s.Ulimits = List(ref r, Ulimit) ?? new(); return true;
            case "Sysctls": s.Sysctls = StringMap(ref r, nullValuesAsEmpty: true) ?? new(); return true;
            case "GroupAdd": s.GroupAdd = Strings(ref r, nullItemsAsEmpty: true) ?? new(); return true;
            default: return false;
        }
    }

    private static DeviceMapping Device(ref Utf8JsonReader r)
    {
        string host = "", container = "", perms = "";
        if (!StartObject(ref r)) return new DeviceMapping(host, container, perms);
        while (NextProperty(ref r, out string name))
        {
            if (name == "PathOnHost") host = String(ref r) ?? "";
            else if (name == "PathInContainer") container = String(ref r) ?? "";
            else if (name == "CgroupPermissions") perms = String(ref r) ?? "";
            else r.Skip();
        }
        return new DeviceMapping(host, container, perms);
    }

    private static Ulimit Ulimit(ref Utf8JsonReader r)
    {
        string n = "";
        long soft = 0, hard = 0;
        if (!StartObject(ref r)) return new Ulimit(n, soft, hard);
        while (NextProperty(ref r, out string name))
        {
            if (name == "Name") n = String(ref r) ?? "";
            else if (name == "Soft") soft = Int64(ref r);
            else if (name == "Hard") hard = Int64(ref r);
            else r.Skip();
        }
        return new Ulimit(n, soft, hard);
    }
}
