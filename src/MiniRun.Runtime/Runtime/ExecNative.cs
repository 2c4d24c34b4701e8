// ExecNative: the C# side of Native/exec_stage.c (minirun_exec, and the security attributes of
// Native/exec_security.h), and the few system calls the exec path needs that the rest of MiniRun
// does not declare (openat2, fstat, TIOCGPTPEER).
//
// Why: joining a running container (setns into its user and mount namespaces, a clone into its
// PID namespace) must happen in a single-threaded process that runs no managed code
// (shared/notes/platform-facts.md). This file copies the prepared arguments into unmanaged
// memory, calls the C stage, and turns its "C <errno> <step>" report into an exception.
//
// Follows: clone(2), setns(2), openat2(2) (RESOLVE_IN_ROOT), fstat(2), pipe(2), ioctl_tty(2).
using System.Runtime.InteropServices;
using System.Text;
using MiniRun.Kernel;

namespace MiniRun.Runtime;

/// <summary>What the native stage is asked to do; every value already resolved by the caller.</summary>
internal sealed record ExecNativeRequest(
    IReadOnlyList<int> NamespaceFds, int CgroupProcsFd, (int In, int Out, int Err) Stdio, bool Tty,
    (uint Uid, uint Gid, IReadOnlyList<uint>? Groups)? User, string? Cwd,
    string Executable, IReadOnlyList<string> Argv, IReadOnlyList<string> Envp, bool Detach,
    ExecSecurity? Security = null);

/// <summary>The native stage failed at <see cref="Step"/>; the process it started exited with <see cref="ExitCode"/>.</summary>
internal sealed class ExecStageException : Exception
{
    public string Step { get; }
    public int Errno { get; }
    public int ExitCode { get; }
    public ExecStageException(string step, int errno, int exitCode)
        : base($"{step}: {MiniRun.Kernel.Errno.Describe(errno)}") { Step = step; Errno = errno; ExitCode = exitCode; }
}

internal static unsafe partial class ExecNative
{
    /// <summary>Same field order and types as struct minirun_exec_args in exec_stage.c.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Args
    {
        public int* NsFds;
        public int NsCount, CgroupFd, SyncFd, Stdin, Stdout, Stderr, Tty, SetUser;
        public uint Uid, Gid;
        public int NGroups;
        public uint* Groups;
        public byte* Cwd, Exe;
        public byte** Argv, Envp;
        public int Detach, Pid;
        public byte* Stacks;
        public Security* Sec;
    }

    /// <summary>Same field order and types as struct minirun_exec_security in exec_security.h.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Security
    {
        public Rlimit* Rlimits;
        public byte* SeccompFilter;
        public ulong Bounding, Effective, Permitted, Inheritable, Ambient;
        public int NRlimits, SetOomScoreAdj, OomScoreAdj, SetCaps, LastCap, Umask, NoNewPrivs, SeccompLen;
        public uint SeccompFlags;
        public int ProcFd;
        public byte* AppArmorExec;
    }

    /// <summary>struct minirun_exec_rlimit.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Rlimit
    {
        public ulong Resource, Soft, Hard;
    }

    [LibraryImport("minirun_native", EntryPoint = "minirun_exec")]
    private static partial int minirun_exec(Args* args);

    [LibraryImport("minirun_native", EntryPoint = "minirun_exec_stack_size")]
    private static partial int minirun_exec_stack_size();

    /// <summary>
    /// Runs the native stage. Returns the pid the caller must waitpid (its own child: the process
    /// itself, or with Detach the short-lived worker that started it). Throws
    /// <see cref="ExecStageException"/> when a step failed (the failed process is reaped here).
    /// </summary>
    public static int Start(ExecNativeRequest r)
    {
        var (readEnd, writeEnd) = Libc.Pipe();
        int pid;
        try
        {
            pid = Run(r, writeEnd);
        }
        finally
        {
            Libc.close(writeEnd);   // now only a process that has not exec'd yet could hold it: none
        }
        string report;
        try { report = ReadAll(readEnd); } finally { Libc.close(readEnd); }
        if (report.Length == 0) return pid;   // EOF without a word: execve succeeded

        if (pid > 0) Reap(pid);   // the failed process (or, with Detach, the worker that started it)
        var parts = report.Split(' ', 3);   // "C <errno> <step>"
        int errno = parts.Length > 1 && int.TryParse(parts[1], out int e) ? e : 0;
        string step = parts.Length > 2 ? parts[2] : report;
        // Docker's codes: 127 the program does not exist, 126 it cannot be run (or its cwd entered).
        int exitCode = step switch
        {
            "execve" => errno == MiniRun.Kernel.Errno.ENOENT ? 127 : 126,
            "chdir" => 126,
            _ => 125,
        };
        throw new ExecStageException(step, errno, exitCode);
    }

    private static int Run(ExecNativeRequest r, int syncFd)
    {
        using var strings = new NativeStrings(r.Executable, r.Argv, r.Envp);
        byte[]? cwd = r.Cwd is null ? null : NulTerminated(r.Cwd);
        int[] ns = r.NamespaceFds.ToArray();
        uint[] groups = r.User?.Groups?.ToArray() ?? [];
        var sec = r.Security;
        var rlimits = sec?.Rlimits.Select(l => new Rlimit { Resource = (ulong)l.Resource, Soft = l.Soft, Hard = l.Hard }).ToArray() ?? [];
        byte[] filter = sec?.SeccompFilter ?? [];
        byte[]? apparmor = sec?.AppArmorProfile is { } profile ? NulTerminated($"exec {profile}") : null;
        int procErrno = 0;
        int procFd = apparmor is null ? -1 : PrivateProc.Mount(out procErrno);
        if (apparmor is not null && procFd < 0) throw new KernelException("mount a private procfs (fsopen proc) for the AppArmor label", procErrno);
        int stackSize = minirun_exec_stack_size();
        byte* stacks = (byte*)NativeMemory.AlignedAlloc((nuint)stackSize, 64);
        try
        {
            fixed (int* nsp = ns)
            fixed (uint* gp = groups)
            fixed (byte* cwdp = cwd)
            fixed (Rlimit* rlp = rlimits)
            fixed (byte* filterp = filter)
            fixed (byte* apparmorp = apparmor)
            {
                var security = sec is null ? default : new Security
                {
                    Rlimits = rlp, NRlimits = rlimits.Length,
                    SetOomScoreAdj = sec.OomScoreAdj is null ? 0 : 1, OomScoreAdj = sec.OomScoreAdj ?? 0,
                    SetCaps = sec.Capabilities is null ? 0 : 1, LastCap = sec.Capabilities?.LastCap ?? 0,
                    Bounding = sec.Capabilities?.Bounding ?? 0, Effective = sec.Capabilities?.Effective ?? 0,
                    Permitted = sec.Capabilities?.Permitted ?? 0, Inheritable = sec.Capabilities?.Inheritable ?? 0,
                    Ambient = sec.Capabilities?.Ambient ?? 0,
                    Umask = sec.Umask is uint mask ? (int)mask : -1, NoNewPrivs = sec.NoNewPrivileges ? 1 : 0,
                    SeccompFilter = sec.SeccompFilter is null ? null : filterp, SeccompLen = filter.Length / 8,
                    SeccompFlags = sec.SeccompFlags,
                    ProcFd = procFd, AppArmorExec = apparmorp,
                };
                var a = new Args
                {
                    NsFds = nsp, NsCount = ns.Length, CgroupFd = r.CgroupProcsFd, SyncFd = syncFd,
                    Stdin = r.Stdio.In, Stdout = r.Stdio.Out, Stderr = r.Stdio.Err, Tty = r.Tty ? 1 : 0,
                    SetUser = r.User is null ? 0 : 1, Uid = r.User?.Uid ?? 0, Gid = r.User?.Gid ?? 0,
                    NGroups = r.User?.Groups is null ? -1 : groups.Length, Groups = gp,
                    Cwd = cwdp, Exe = strings.Path, Argv = strings.Argv, Envp = strings.Envp,
                    Detach = r.Detach ? 1 : 0, Stacks = stacks, Sec = sec is null ? null : &security,
                };
                int rc = minirun_exec(&a);
                if (rc < 0) throw new KernelException("clone (exec stage)", -rc);
                return a.Pid;
            }
        }
        finally
        {
            if (procFd >= 0) Libc.close(procFd);
            NativeMemory.AlignedFree(stacks);
        }
    }

    private static byte[] NulTerminated(string s) => Encoding.UTF8.GetBytes(s + "\0");

    /// <summary>Reaps a process that failed before execve (it exits right after reporting).</summary>
    private static void Reap(int pid)
    {
        while (Libc.waitpid(pid, out _, 0) != pid && Marshal.GetLastPInvokeError() == MiniRun.Kernel.Errno.EINTR) { }
    }

    private static string ReadAll(int fd)
    {
        MiniRun.Kernel.FdIo.ReadToEnd(fd, out byte[] bytes);
        return Encoding.UTF8.GetString(bytes);
    }

    // ---- system calls the exec path needs ----

    public const int O_PATH = 0x200000, O_DIRECTORY = 0x10000, O_CLOEXEC = 0x80000, O_RDONLY = 0,
        O_WRONLY = 1, O_RDWR = 2, O_NOCTTY = 0x100;
    /// <summary>openat2(2) resolve flags: treat dirfd as "/", refuse /proc magic links.</summary>
    public const ulong RESOLVE_NO_MAGICLINKS = 0x02, RESOLVE_IN_ROOT = 0x10;
    public const ulong TIOCGPTPEER = 0x5441;
    private const long SYS_openat2 = 437;

    [StructLayout(LayoutKind.Sequential)]
    private struct OpenHow { public ulong Flags, Mode, Resolve; }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long syscall_openat2(long number, long dirfd, byte* path, OpenHow* how, long size);

    [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
    private static partial int fstat(int fd, byte* statbuf);

    /// <summary>
    /// openat2(dirfd, path, flags, resolve); returns the fd or -errno. With RESOLVE_IN_ROOT the
    /// kernel answers EAGAIN when a rename or mount anywhere on the system raced with the lookup
    /// (openat2(2): "the caller should retry"); retried a bounded number of times.
    /// </summary>
    public static int OpenAt2(int dirfd, string path, int flags, ulong resolve)
    {
        byte[] p = NulTerminated(path);
        var how = new OpenHow { Flags = (ulong)(uint)flags, Mode = 0, Resolve = resolve };
        fixed (byte* pp = p)
        {
            for (int attempt = 0; ; attempt++)
            {
                long fd = syscall_openat2(SYS_openat2, dirfd, pp, &how, sizeof(OpenHow));
                if (fd >= 0) return (int)fd;
                int errno = Marshal.GetLastPInvokeError();
                if (errno != Errno.EAGAIN || attempt == 100) return -errno;
            }
        }
    }

    /// <summary>fstat(2): st_mode, st_uid, st_gid (x86_64/aarch64 generic layouts differ: see below).</summary>
    public static (uint Mode, uint Uid, uint Gid) Fstat(int fd)
    {
        byte* buf = stackalloc byte[256];
        if (fstat(fd, buf) < 0) throw new KernelException($"fstat({fd})", Marshal.GetLastPInvokeError());
        // x86_64 struct stat: st_dev(8) st_ino(8) st_nlink(8) st_mode(4) st_uid(4) st_gid(4);
        // the generic layout (aarch64): st_dev(8) st_ino(8) st_mode(4) st_nlink(4) st_uid(4) st_gid(4).
        return RuntimeInformation.ProcessArchitecture == Architecture.X64
            ? (*(uint*)(buf + 24), *(uint*)(buf + 28), *(uint*)(buf + 32))
            : (*(uint*)(buf + 16), *(uint*)(buf + 24), *(uint*)(buf + 28));
    }

}
