// LinuxKernel.Descriptors: the IKernel calls that act on descriptors instead of paths - creating and
// opening inside the rootfs with openat2(RESOLVE_IN_ROOT), opening without following a symlink,
// bind-mounting an open file, getcwd.
//
// Why: a path the container can change (its rootfs, a shared volume, its /dev) must be looked up
// once, by the kernel, and then used through the descriptor: checking a path and then using it
// again by name lets a racing rename or symlink swap in between (CVE-2021-30465, CVE-2025-31133).
//
// Follows: openat2(2) (RESOLVE_IN_ROOT), mkdirat(2), openat(2), fstat(2), open_tree(2),
// move_mount(2), getcwd(2).
using System.Runtime.InteropServices;
using System.Text;
using MiniRun.Runtime;
using MiniRun.Trace;
using static MiniRun.Trace.TraceFormat;

namespace MiniRun.Kernel;

public sealed unsafe partial class LinuxKernel
{
    private static string Relative(string root, string hostPath)
    {
        string rel = Path.GetRelativePath(root, hostPath);
        if (rel == ".." || rel.StartsWith("../", StringComparison.Ordinal) || Path.IsPathRooted(rel))
            throw new ArgumentException($"{hostPath} is not below {root}");
        return rel;
    }

    public int OpenInRoot(string root, string hostPath)
    {
        string rel = Relative(root, hostPath);
        int rootFd = Libc.open(root, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        if (rootFd < 0) Check(rootFd, $"open({Q(root)}, O_PATH|O_DIRECTORY)", $"open {root}");
        int fd;
        try { fd = ExecNative.OpenAt2(rootFd, rel, Libc.O_PATH | Libc.O_CLOEXEC, ExecNative.RESOLVE_IN_ROOT); }
        finally { Libc.close(rootFd); }
        string call = $"openat2(<{root}>, {Q(rel)}, O_PATH, RESOLVE_IN_ROOT)";
        if (fd < 0)
        {
            if (_trace.Enabled) _trace.Call(call, $"-1 {Errno.Name(-fd)}");
            throw new KernelException($"open {hostPath} inside {root}", -fd);
        }
        if (_trace.Enabled) _trace.Call(call, Messages.ResultOpenBeneath.With(fd).Text);
        return fd;
    }

    public void MkdirInRoot(string root, string hostPath, uint mode)
    {
        int parent = OpenInRoot(root, Path.GetDirectoryName(hostPath)!);
        try
        {
            string name = Path.GetFileName(hostPath);
            int rc = Libc.mkdirat(parent, name, mode);
            if (rc < 0 && Marshal.GetLastPInvokeError() == Errno.EEXIST) return;   // a directory (or what the next open in root resolves)
            Check(rc, $"mkdirat(<{Path.GetDirectoryName(hostPath)}>, {Q(name)}, 0{Convert.ToString(mode, 8)})", $"mkdir {hostPath}");
        }
        finally { Libc.close(parent); }
    }

    public void TouchInRoot(string root, string hostPath)
    {
        int parent = OpenInRoot(root, Path.GetDirectoryName(hostPath)!);
        try
        {
            string name = Path.GetFileName(hostPath);
            int fd = Libc.openat(parent, name, Libc.O_WRONLY | Libc.O_CREAT | Libc.O_EXCL | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0x1a4 /*0644*/);
            if (fd < 0 && Marshal.GetLastPInvokeError() == Errno.EEXIST) return;   // something is there already: the mount goes on it
            Check(fd, $"openat(<{Path.GetDirectoryName(hostPath)}>, {Q(name)}, O_CREAT|O_EXCL|O_NOFOLLOW, 0644)", $"create {hostPath}");
            Libc.close(fd);
        }
        finally { Libc.close(parent); }
    }

    public (int Fd, uint Mode, uint Major, uint Minor) OpenNoFollow(string path)
    {
        int fd = Libc.open(path, Libc.O_PATH | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0);
        Check(fd, $"open({Q(path)}, O_PATH|O_NOFOLLOW)", $"open {path}");
        var (mode, major, minor) = Libc.FstatType(fd);
        if (mode < 0)
        {
            Libc.close(fd);
            throw new KernelException($"fstat {path}", (int)-mode);
        }
        if (_trace.Enabled) _trace.Call($"fstat({fd})", $"0: st_mode 0{Convert.ToString(mode, 8)}, st_rdev {major}:{minor}");
        return (fd, (uint)mode, major, minor);
    }

    public void BindMountFd(int fd, string target)
    {
        int tree = (int)Libc.syscall_open_tree(Libc.SYS_open_tree, fd, "", Libc.OPEN_TREE_CLONE | Libc.OPEN_TREE_CLOEXEC | Libc.AT_EMPTY_PATH);
        Check(tree, $"open_tree({fd}, \"\", OPEN_TREE_CLONE|AT_EMPTY_PATH)", $"bind fd {fd} (open_tree)");
        try
        {
            Check((int)Libc.syscall_move_mount(Libc.SYS_move_mount, tree, "", Libc.AT_FDCWD, target, Libc.MOVE_MOUNT_F_EMPTY_PATH | Libc.MOVE_MOUNT_T_SYMLINKS),
                $"move_mount({tree}, \"\", AT_FDCWD, {Q(target)}, MOVE_MOUNT_F_EMPTY_PATH)", $"mount fd {fd} on {target}");
        }
        finally { Libc.close(tree); }
    }

    public void WriteProcFile(string procPath, string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        string rel = PrivateProc.Relative(procPath);
        int errno = PrivateProc.Write(rel, bytes);
        if (_trace.Enabled)
            _trace.Call($"openat2(<private procfs>, {Q(rel)}, O_WRONLY, RESOLVE_BENEATH|NO_SYMLINKS|NO_XDEV) + write({Q(text)})",
                errno == 0 ? bytes.Length.ToString() : $"-1 {Errno.Name(errno)}");
        if (errno != 0) throw new KernelException($"write {GoQuote.Quote(text)} to {procPath}", errno);
    }

    public string? GetCwd()
    {
        byte* buf = stackalloc byte[4096];
        long n = Libc.syscall_getcwd(Libc.SYS_getcwd, buf, 4096);
        string? cwd = n > 0 ? Encoding.UTF8.GetString(buf, (int)n - 1) : null;   // n counts the terminating NUL
        if (_trace.Enabled) _trace.Call("getcwd()", cwd is null ? $"-1 {Errno.Name(Marshal.GetLastPInvokeError())}" : Q(cwd));
        return cwd is not null && cwd.StartsWith('/') ? cwd : null;
    }
}
