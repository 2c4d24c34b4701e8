// IdMaps: write a user namespace's uid_map and gid_map from the parent.
//
// Why: a new user namespace starts with no ids mapped; until the parent writes the maps the
// child is "nobody" and cannot do anything useful. A writer privileged in the parent namespace
// (CAP_SETGID there: the root that runs MiniRun) writes gid_map directly and setgroups stays
// "allow", as runc and crun leave it: the container's root may then set supplementary groups
// (process.user.additionalGids, su, daemons that drop privileges). Only when the kernel refuses
// gid_map (EPERM: an unprivileged writer) is "deny" written to /proc/PID/setgroups first, as
// user_namespaces(7) requires - it stops an unprivileged user from dropping groups to bypass
// negative ACLs.
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
        trace?.Step(Messages.IdMapTitle, Messages.IdMapWhy);
        WriteFile(Path.Combine(dir, "uid_map"), Format(uids), trace);
        try
        {
            WriteFile(Path.Combine(dir, "gid_map"), Format(gids), trace);
        }
        catch (UnauthorizedAccessException)   // EPERM: not privileged in the parent namespace
        {
            trace?.Call($"write({TraceFormat.Q(Path.Combine(dir, "gid_map"))})", Messages.ResultDenySetgroups.Text);
            WriteFile(Path.Combine(dir, "setgroups"), "deny", trace);
            WriteFile(Path.Combine(dir, "gid_map"), Format(gids), trace);
        }
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
        catch (UnauthorizedAccessException e)
        {
            throw new UnauthorizedAccessException($"write {path}: Operation not permitted (EPERM)", e);
        }
        trace?.Call($"write({TraceFormat.Q(path)}, {TraceFormat.Q(content.TrimEnd('\n').Replace("\n", "\\n"))})", "ok");
    }
}
