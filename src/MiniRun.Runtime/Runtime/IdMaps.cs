// IdMaps: write a user namespace's uid_map and gid_map from the parent.
//
// Why: a new user namespace starts with no ids mapped; until the parent writes the maps the
// child is "nobody" and cannot do anything useful. Writing gid_map requires "deny" in
// /proc/PID/setgroups first (unless the writer is privileged in the parent namespace, but
// denying is the safe default: it stops a process from dropping groups to bypass negative ACLs).
//
// Follows: user_namespaces(7) "User and group ID mappings: uid_map and gid_map",
// runtime-spec config-linux.md "User namespace mappings". procRoot is /proc (a temp dir in tests).
using MiniRun.Spec;
using MiniRun.Trace;

namespace MiniRun.Runtime;

public static class IdMaps
{
    public static string Format(IEnumerable<SpecIdMapping> mappings) =>
        string.Concat(mappings.Select(m => $"{m.ContainerId} {m.HostId} {m.Size}\n"));

    public static void Write(int pid, List<SpecIdMapping>? uids, List<SpecIdMapping>? gids, ITrace? trace, string procRoot = "/proc")
    {
        if (uids is null || uids.Count == 0 || gids is null || gids.Count == 0)
            throw new InvalidDataException("a user namespace needs linux.uidMappings and linux.gidMappings in the spec");
        string dir = Path.Combine(procRoot, pid.ToString());
        trace?.Step("map user and group ids", "inside the user namespace, root (0) is the host id the map names; without a map every id is nobody");
        WriteFile(Path.Combine(dir, "setgroups"), "deny", trace);
        WriteFile(Path.Combine(dir, "uid_map"), Format(uids), trace);
        WriteFile(Path.Combine(dir, "gid_map"), Format(gids), trace);
    }

    private static void WriteFile(string path, string content, ITrace? trace)
    {
        try
        {
            File.WriteAllText(path, content);
        }
        catch (IOException e)
        {
            throw new IOException($"write {path}: {e.Message}", e);
        }
        trace?.Call($"write({TraceFormat.Q(path)}, {TraceFormat.Q(content.TrimEnd('\n').Replace("\n", "\\n"))})", "ok");
    }
}
