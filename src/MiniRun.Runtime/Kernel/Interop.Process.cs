// Interop.Process: process and credential calls (execve, waitpid, kill, set*id, setsid, prctl).
//
// Why: init switches user and execs the container's command; the parent waits for the
// container's PID 1 and forwards signals to it. System.Diagnostics.Process cannot do either
// (it never execs in place, and it would reap children it did not start).
//
// Follows: execve(2), waitpid(2), kill(2), setresuid(2), setgroups(2), setsid(2), prctl(2).
using System.Runtime.InteropServices;

namespace MiniRun.Kernel;

internal static unsafe partial class Libc
{
    public const int WNOHANG = 1;
    public const int PR_SET_NAME = 15, PR_SET_CHILD_SUBREAPER = 36, PR_SET_NO_NEW_PRIVS = 38;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int execve(byte* path, byte** argv, byte** envp);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int waitpid(int pid, out int status, int options);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int kill(int pid, int sig);

    [LibraryImport("libc")]
    public static partial uint geteuid();

    [LibraryImport("libc")]
    public static partial int getpid();

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setresuid(uint ruid, uint euid, uint suid);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setresgid(uint rgid, uint egid, uint sgid);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setgroups(nuint size, uint* list);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setsid();

    [LibraryImport("libc", SetLastError = true)]
    public static partial int unshare(int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);
}
