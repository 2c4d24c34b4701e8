// Interop.Spawn: posix_spawn(3) with its attributes and file actions, and pidfd_open(2) - what
// HookProcess needs to start a hook and wait for it with a timeout.
//
// Why posix_spawn: a hook is started by a .NET process (the runtime, or `minirun init`), whose
// forked child must not run managed code (platform-facts.md). glibc's posix_spawn clones with
// CLONE_VM|CLONE_VFORK and runs only its own C code until execve, and it reports a failed execve
// as its return value. The opaque structures are given generous room (glibc's are 336 and 80 bytes).
//
// Follows: posix_spawn(3), posix_spawnattr_init(3), posix_spawn_file_actions_adddup2(3),
// sigsetops(3), pidfd_open(2).
using System.Runtime.InteropServices;

namespace MiniRun.Kernel;

internal static unsafe partial class Libc
{
    public const short POSIX_SPAWN_SETPGROUP = 0x02, POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08;
    /// <summary>Bytes reserved for posix_spawnattr_t, posix_spawn_file_actions_t and sigset_t.</summary>
    public const int SpawnAttrSize = 512, SpawnActionsSize = 256, SigsetSize = 128;
    private const long SYS_pidfd_open = 434;

    [LibraryImport("libc")]
    public static partial int posix_spawn(int* pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);

    [LibraryImport("libc")]
    public static partial int posix_spawnattr_init(void* attr);

    [LibraryImport("libc")]
    public static partial int posix_spawnattr_destroy(void* attr);

    [LibraryImport("libc")]
    public static partial int posix_spawnattr_setflags(void* attr, short flags);

    [LibraryImport("libc")]
    public static partial int posix_spawnattr_setpgroup(void* attr, int pgroup);

    [LibraryImport("libc")]
    public static partial int posix_spawnattr_setsigdefault(void* attr, void* sigset);

    [LibraryImport("libc")]
    public static partial int posix_spawnattr_setsigmask(void* attr, void* sigset);

    [LibraryImport("libc")]
    public static partial int posix_spawn_file_actions_init(void* actions);

    [LibraryImport("libc")]
    public static partial int posix_spawn_file_actions_destroy(void* actions);

    [LibraryImport("libc")]
    public static partial int posix_spawn_file_actions_adddup2(void* actions, int fd, int newfd);

    [LibraryImport("libc")]
    public static partial int sigfillset(void* set);

    [LibraryImport("libc")]
    public static partial int sigemptyset(void* set);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long syscall_pidfd_open(long number, long pid, long flags);

    /// <summary>pidfd_open(2): a descriptor that polls readable once the process has ended; -1 and errno on failure.</summary>
    public static int PidfdOpen(int pid) => (int)syscall_pidfd_open(SYS_pidfd_open, pid, 0);
}
