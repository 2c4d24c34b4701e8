// InspectNamespaces: what `inspect` shows an instructor about a running container's kernel
// objects: each namespace of its PID 1 next to the host's, and its cgroup with the limits the
// kernel holds right now.
//
// Why: "a container is a process in new namespaces with a cgroup" is the lesson; the inode of
// /proc/PID/ns/pid differing from the host's (/proc/1/ns/pid, or /proc/self/ns/pid when PID 1
// is not readable) makes it visible. Limits are read live from the cgroup files, not from what
// was asked, so a limit changed by hand shows too. Proc and cgroup roots are parameters so
// tests can use a fake /proc and a fake cgroupfs.
//
// Follows: namespaces(7) ("/proc/[pid]/ns/" links "type:[inode]"), cgroups(7) and the kernel's
// cgroup-v2.rst (memory.max, cpu.max, pids.max).
namespace MiniRun.Cli;

public sealed record NamespaceView(string Type, string Inode, string Host, bool Shared);

public static class InspectNamespaces
{
    /// <summary>The namespace types in /proc/PID/ns, in the order inspect prints them.</summary>
    public static readonly string[] Types = ["pid", "mnt", "uts", "ipc", "net", "cgroup", "user", "time"];

    /// <summary>The limit files shown under Cgroup.Limits.</summary>
    public static readonly string[] LimitFiles = ["memory.max", "cpu.max", "pids.max"];

    /// <summary>Each namespace of <paramref name="pid"/> next to the host's; types the kernel lacks are left out.</summary>
    public static List<NamespaceView> Read(int pid, string procRoot = "/proc")
    {
        var result = new List<NamespaceView>();
        foreach (string type in Types)
        {
            string? mine = Link(Path.Combine(procRoot, pid.ToString(), "ns", type));
            if (mine is null) continue;
            string host = Link(Path.Combine(procRoot, "1", "ns", type)) ?? Link(Path.Combine(procRoot, "self", "ns", type)) ?? "";
            result.Add(new NamespaceView(type, mine, host, mine == host));
        }
        return result;
    }

    /// <summary>The target of a /proc/PID/ns link ("pid:[4026531836]"), or null when unreadable.</summary>
    public static string? Link(string path)
    {
        try { return new FileInfo(path).LinkTarget; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>The limit files of the cgroup at <paramref name="cgroupDir"/> that exist, trimmed.</summary>
    public static List<(string File, string Value)> Limits(string cgroupDir)
    {
        var result = new List<(string, string)>();
        foreach (string file in LimitFiles)
        {
            try { result.Add((file, File.ReadAllText(Path.Combine(cgroupDir, file)).Trim())); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return result;
    }
}
