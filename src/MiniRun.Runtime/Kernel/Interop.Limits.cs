// Interop.Limits: setrlimit(2) and the names of the RLIMIT_* resources.
//
// Why: config.json names limits as strings ("RLIMIT_NOFILE"); the kernel wants the number.
// A soft limit may move freely up to the hard one; raising a hard limit needs CAP_SYS_RESOURCE.
// RLIM_INFINITY is all ones, which is also how runtime-spec writes "unlimited".
//
// Follows: getrlimit(2) / setrlimit(2), <asm-generic/resource.h>.
using System.Runtime.InteropServices;

namespace MiniRun.Kernel;

internal static unsafe partial class Libc
{
    public const ulong RLIM_INFINITY = ulong.MaxValue;

    [StructLayout(LayoutKind.Sequential)]
    public struct rlimit
    {
        public ulong rlim_cur;
        public ulong rlim_max;
    }

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setrlimit(int resource, rlimit* limit);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int getrlimit(int resource, rlimit* limit);
}

/// <summary>The RLIMIT_* resources of Linux, numbered as the kernel numbers them.</summary>
public static class RlimitNames
{
    private static readonly string[] Names =
    [
        "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE", "RLIMIT_RSS",
        "RLIMIT_NPROC", "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS",
        "RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
    ];

    /// <summary>The resource number, or null for a name Linux does not have.</summary>
    public static int? Number(string name)
    {
        int i = Array.IndexOf(Names, name);
        return i < 0 ? null : i;
    }

    public static string Name(int resource) => resource >= 0 && resource < Names.Length ? Names[resource] : $"resource {resource}";

    /// <summary>A limit value as a person reads it: a number or "unlimited".</summary>
    public static string Value(ulong v) => v == Libc.RLIM_INFINITY ? "unlimited" : v.ToString();
}
