// Namespaces: the seven Linux namespace types, their clone(2) flags, and how to show them.
//
// Why: a container is a process that sees its own instance of each of these. The table below is
// the one from namespaces(7); `--trace` and `inspect` print each namespace's inode next to the
// host's so a student can check with `ls -l /proc/PID/ns` that they really differ. (Inode numbers
// are reused quickly, so they are shown, never used as identities.)
//
//   Namespace  Flag             Isolates                              runtime-spec name
//   Cgroup     CLONE_NEWCGROUP  Cgroup root directory                 cgroup
//   IPC        CLONE_NEWIPC     System V IPC, POSIX message queues    ipc
//   Network    CLONE_NEWNET     Network devices, stacks, ports, etc.  network
//   Mount      CLONE_NEWNS      Mount points                          mount
//   PID        CLONE_NEWPID     Process IDs                           pid
//   User       CLONE_NEWUSER    User and group IDs                    user
//   UTS        CLONE_NEWUTS     Hostname and NIS domain name          uts
//
// Follows: namespaces(7), clone(2), runtime-spec config-linux.md "Namespaces".
namespace MiniRun.Runtime;

public static class Namespaces
{
    public const int CLONE_NEWNS = 0x00020000, CLONE_NEWCGROUP = 0x02000000, CLONE_NEWUTS = 0x04000000,
        CLONE_NEWIPC = 0x08000000, CLONE_NEWUSER = 0x10000000, CLONE_NEWPID = 0x20000000, CLONE_NEWNET = 0x40000000;

    /// <summary>(runtime-spec type, clone flag, /proc/PID/ns entry), in the order they are shown.</summary>
    public static readonly (string Type, int Flag, string ProcName)[] All =
    [
        ("pid", CLONE_NEWPID, "pid"),
        ("mount", CLONE_NEWNS, "mnt"),
        ("uts", CLONE_NEWUTS, "uts"),
        ("ipc", CLONE_NEWIPC, "ipc"),
        ("network", CLONE_NEWNET, "net"),
        ("cgroup", CLONE_NEWCGROUP, "cgroup"),
        ("user", CLONE_NEWUSER, "user"),
    ];

    public static int FlagFor(string type) =>
        All.FirstOrDefault(n => n.Type == type).Flag is int f && f != 0
            ? f : throw new ArgumentException($"unknown namespace type {GoQuote.Quote(type)} (runtime-spec: pid, network, mount, ipc, uts, user, cgroup)");

    public static string FlagNames(int flags)
    {
        var names = new List<string>();
        foreach (var (_, flag, _) in All)
            if ((flags & flag) != 0)
                names.Add(flag switch
                {
                    CLONE_NEWPID => "CLONE_NEWPID", CLONE_NEWNS => "CLONE_NEWNS", CLONE_NEWUTS => "CLONE_NEWUTS",
                    CLONE_NEWIPC => "CLONE_NEWIPC", CLONE_NEWNET => "CLONE_NEWNET", CLONE_NEWCGROUP => "CLONE_NEWCGROUP",
                    _ => "CLONE_NEWUSER",
                });
        return names.Count == 0 ? "0" : string.Join('|', names);
    }

    /// <summary>The "net:[4026531840]" link of /proc/PID/ns/NAME under a proc root (a temp dir in tests).</summary>
    public static string? Inode(int pid, string procName, string procRoot = "/proc")
    {
        try
        {
            var target = new FileInfo(Path.Combine(procRoot, pid == 0 ? "self" : pid.ToString(), "ns", procName)).LinkTarget;
            if (target is null) return null;
            int open = target.IndexOf('['), close = target.IndexOf(']');
            return open >= 0 && close > open ? target[(open + 1)..close] : target;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
