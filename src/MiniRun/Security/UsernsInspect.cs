// UsernsInspect: the "UserNamespace" part of `inspect`'s MiniRun section: the container's uid and
// gid maps (from config.json, and live from /proc/PID while it runs) next to the host's.
//
// Why: the maps are the whole of what a user namespace changes; showing them next to the
// host's own ("0 0 4294967295": every id is itself) lets a student read at a glance that root
// inside is uid 100000 outside. Docker shows only HostConfig.UsernsMode; the maps are MiniRun's.
//   "UserNamespace": {"Remapped": true, "UidMap": ["0 100000 65536"], "GidMap": [...],
//                     "LiveUidMap": [...] (running only), "HostUidMap": ["0 0 4294967295"]}
//
// Follows: user_namespaces(7) "User and group ID mappings", proc(5) /proc/PID/uid_map.
using System.Text.Json;
using MiniRun.Spec;

namespace MiniRun.Security;

public static class UsernsInspect
{
    /// <summary>Writes "UserNamespace"; <paramref name="pid"/> 0 when the container does not run.</summary>
    public static void Write(Utf8JsonWriter w, RuntimeSpec? spec, int pid, string procRoot)
    {
        var uids = spec?.Linux.UidMappings ?? [];
        var gids = spec?.Linux.GidMappings ?? [];
        w.WriteStartObject("UserNamespace");
        w.WriteBoolean("Remapped", spec?.Linux.Namespaces.Any(n => n.Type == "user") == true);
        Lines(w, "UidMap", uids.Select(m => $"{m.ContainerId} {m.HostId} {m.Size}"));
        Lines(w, "GidMap", gids.Select(m => $"{m.ContainerId} {m.HostId} {m.Size}"));
        if (pid > 0)
        {
            Lines(w, "LiveUidMap", Read($"{procRoot}/{pid}/uid_map"));
            Lines(w, "LiveGidMap", Read($"{procRoot}/{pid}/gid_map"));
        }
        Lines(w, "HostUidMap", Read($"{procRoot}/self/uid_map"));
        w.WriteEndObject();
    }

    /// <summary>A map file's lines with runs of spaces squeezed ("         0     100000      65536" -> "0 100000 65536").</summary>
    public static IEnumerable<string> Read(string path)
    {
        try
        {
            return File.ReadAllLines(path).Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries))).Where(l => l.Length > 0).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return []; }
    }

    private static void Lines(Utf8JsonWriter w, string name, IEnumerable<string> lines)
    {
        w.WriteStartArray(name);
        foreach (var l in lines) w.WriteStringValue(l);
        w.WriteEndArray();
    }
}
