// PrivateProc: writes into /proc through a procfs instance nobody but this process can see.
//
// Why (CVE-2025-52881, and CVE-2019-19921 before it): the container's /proc is a path, and by the
// time MiniRun writes a sysctl or oom_score_adj (or an AppArmor label) the container's bundle or
// a racing container sharing a mount may have laid a bind mount over the file, or replaced /proc
// by something else: the write would land in the file they chose - /proc/sys/kernel/core_pattern
// of the host, or nowhere, leaving the container unconfined. A procfs made with fsopen + fsmount
// is attached to no mount namespace: nothing can be mounted over its files. The file is opened
// with openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_XDEV|RESOLVE_NO_MAGICLINKS (no
// symlink, not even /proc/self, so "self" is spelled as this process's pid) and checked to be on
// procfs (fstatfs) before one write(2). The instance belongs to this process's PID namespace
// (the container's, for init) and lives only for the one write: no descriptor of it is held while
// the container's working directory is entered (CVE-2024-21626).
//
// Follows: fsopen(2), fsconfig(2), fsmount(2), openat2(2), fstatfs(2), proc(5).
using System.Runtime.InteropServices;
using MiniRun.Runtime;

namespace MiniRun.Kernel;

internal static unsafe class PrivateProc
{
    private const ulong Resolve = 0x08 /*RESOLVE_BENEATH*/ | 0x04 /*RESOLVE_NO_SYMLINKS*/ | 0x01 /*RESOLVE_NO_XDEV*/ | ExecNative.RESOLVE_NO_MAGICLINKS;

    /// <summary>The path below procfs's root: "/proc/sys/x" is "sys/x"; self and thread-self become this process's pid and thread.</summary>
    public static string Relative(string procPath)
    {
        if (!procPath.StartsWith("/proc/", StringComparison.Ordinal))
            throw new ArgumentException($"{procPath} is not a /proc path");
        string rel = procPath[6..];
        if (rel.StartsWith("self/", StringComparison.Ordinal)) return $"{Libc.getpid()}/{rel[5..]}";
        if (rel.StartsWith("thread-self/", StringComparison.Ordinal)) return $"{Libc.getpid()}/task/{Libc.gettid()}/{rel[12..]}";
        return rel;
    }

    /// <summary>One write(2) of bytes to procfs's <paramref name="rel"/>; 0 or the errno of the step that failed.</summary>
    public static int Write(string rel, byte[] bytes)
    {
        int mnt = Mount(out int errno);
        if (mnt < 0) return errno;
        try
        {
            int fd = ExecNative.OpenAt2(mnt, rel, Libc.O_WRONLY | Libc.O_CLOEXEC, Resolve);
            if (fd < 0) return -fd;
            try
            {
                if (Libc.FstatfsType(fd) != Libc.PROC_SUPER_MAGIC) return Errno.EXDEV;
                nint n;
                fixed (byte* p = bytes)
                    n = Libc.write(fd, p, (nuint)bytes.Length);
                return n < 0 ? Marshal.GetLastPInvokeError() : 0;
            }
            finally { Libc.close(fd); }
        }
        finally { Libc.close(mnt); }
    }

    /// <summary>fsopen("proc") + fsconfig(CREATE) + fsmount: a detached procfs; its root's descriptor, or -1 with errno.</summary>
    public static int Mount(out int errno)
    {
        errno = 0;
        int fs = (int)Libc.syscall_fsopen(Libc.SYS_fsopen, "proc", Libc.FSOPEN_CLOEXEC);
        if (fs < 0) { errno = Marshal.GetLastPInvokeError(); return -1; }
        try
        {
            if (Libc.syscall_fsconfig(Libc.SYS_fsconfig, fs, Libc.FSCONFIG_CMD_CREATE, null, null, 0) < 0)
            { errno = Marshal.GetLastPInvokeError(); return -1; }
            int mnt = (int)Libc.syscall_fsmount(Libc.SYS_fsmount, fs, Libc.FSMOUNT_CLOEXEC, 0x2 | 0x4 | 0x8 /*MOUNT_ATTR_NOSUID|NODEV|NOEXEC*/);
            if (mnt < 0) { errno = Marshal.GetLastPInvokeError(); return -1; }
            return mnt;
        }
        finally { Libc.close(fs); }
    }
}
