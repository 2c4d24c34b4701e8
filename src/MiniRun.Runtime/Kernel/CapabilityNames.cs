// CapabilityNames: the capabilities of Linux by name and number, and a set (a 64-bit mask) as
// the names a student can look up.
//
// Why: config.json and `man 7 capabilities` use names (CAP_NET_BIND_SERVICE); the kernel uses
// bit numbers. The table stops at the newest capability MiniRun knows (CAP_CHECKPOINT_RESTORE,
// Linux 5.9); the running kernel may know fewer - /proc/sys/kernel/cap_last_cap says how many.
//
// Follows: capabilities(7), <linux/capability.h>.
namespace MiniRun.Kernel;

public static class CapabilityNames
{
    private static readonly string[] Names =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
        "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
        "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
        "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ];

    /// <summary>The highest capability number MiniRun has a name for.</summary>
    public static int Last => Names.Length - 1;

    /// <summary>The number of a "CAP_XXX" name, or null when Linux has no such capability.</summary>
    public static int? Number(string name)
    {
        int i = Array.IndexOf(Names, name);
        return i < 0 ? null : i;
    }

    public static string Name(int cap) => cap >= 0 && cap < Names.Length ? Names[cap] : $"capability {cap}";

    /// <summary>"CAP_CHOWN|CAP_KILL", or "0" for the empty set.</summary>
    public static string Format(ulong set)
    {
        if (set == 0) return "0";
        var names = new List<string>();
        for (int cap = 0; cap < 64; cap++)
            if ((set & (1UL << cap)) != 0) names.Add(Name(cap));
        return string.Join('|', names);
    }
}
