// ExecRootFs: a running container's root filesystem, read from the host through /proc/PID/root
// with every path resolved by openat2(RESOLVE_IN_ROOT).
//
// Why: `exec` resolves the user (/etc/passwd, /etc/group), looks the command up in PATH and opens
// a pseudo-terminal before it joins the container, and all of that must mean what it means
// INSIDE the container. The container's files are untrusted: a symlink /etc/passwd -> /../../etc/shadow
// must not reach the host. RESOLVE_IN_ROOT makes the kernel treat the /proc/PID/root fd as "/"
// for absolute symlinks and "..", and RESOLVE_NO_MAGICLINKS refuses /proc/self/... tricks.
//
// Follows: openat2(2), proc(5) /proc/PID/root, pty(7) and ioctl_tty(2) (TIOCSPTLCK, TIOCGPTPEER).
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using MiniRun.Kernel;

namespace MiniRun.Runtime;

public sealed unsafe class ExecRootFs : IDisposable
{
    private const ulong Resolve = ExecNative.RESOLVE_IN_ROOT | ExecNative.RESOLVE_NO_MAGICLINKS;
    private int _root;
    private readonly int _pid;

    private ExecRootFs(int root, int pid) { _root = root; _pid = pid; }

    /// <summary>Opens /proc/PID/root (the process's root directory, in its own mount namespace).</summary>
    public static ExecRootFs Open(int pid)
    {
        int fd = Libc.open($"/proc/{pid}/root", ExecNative.O_PATH | ExecNative.O_DIRECTORY | ExecNative.O_CLOEXEC, 0);
        if (fd < 0) throw new KernelException($"open /proc/{pid}/root", Marshal.GetLastPInvokeError());
        return new ExecRootFs(fd, pid);
    }

    /// <summary>The text of a file inside the container, or null when it does not exist.</summary>
    public string? ReadText(string path)
    {
        int fd = ExecNative.OpenAt2(_root, path, ExecNative.O_RDONLY | ExecNative.O_CLOEXEC, Resolve);
        if (fd == -Errno.ENOENT || fd == -Errno.ENOTDIR) return null;
        if (fd < 0) throw new KernelException($"open {path} in the root of process {_pid}", -fd);
        using var stream = new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Read, 1);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Mode, owner and group of a path inside the container (symlinks followed inside it), or null if missing.</summary>
    public (uint Mode, uint Uid, uint Gid)? Stat(string path)
    {
        int fd = ExecNative.OpenAt2(_root, path, ExecNative.O_PATH | ExecNative.O_CLOEXEC, Resolve);
        if (fd == -Errno.ENOENT || fd == -Errno.ENOTDIR || fd == -Errno.ELOOP) return null;
        if (fd < 0) throw new KernelException($"open {path} in the root of process {_pid}", -fd);
        try { return ExecNative.Fstat(fd); } finally { Libc.close(fd); }
    }

    /// <summary>
    /// A new pseudo-terminal from the container's own devpts (its /dev/ptmx): the master for the
    /// caller to relay, the slave (opened with TIOCGPTPEER, no path lookup) for the process.
    /// </summary>
    public (int Master, int Slave) OpenPseudoTerminal(ushort rows, ushort columns)
    {
        int master = ExecNative.OpenAt2(_root, "/dev/ptmx", ExecNative.O_RDWR | ExecNative.O_NOCTTY | ExecNative.O_CLOEXEC, Resolve);
        if (master < 0) throw new KernelException("open /dev/ptmx in the container", -master);
        try
        {
            int unlock = 0;
            if (Libc.ioctl(master, Libc.TIOCSPTLCK, &unlock) < 0)
                throw new KernelException("ioctl(TIOCSPTLCK) on the container's /dev/ptmx", Marshal.GetLastPInvokeError());
            int slave = Libc.ioctl(master, ExecNative.TIOCGPTPEER, (void*)(nint)(ExecNative.O_RDWR | ExecNative.O_NOCTTY | ExecNative.O_CLOEXEC));
            if (slave < 0) throw new KernelException("ioctl(TIOCGPTPEER) on the container's /dev/ptmx", Marshal.GetLastPInvokeError());
            if (rows > 0 && columns > 0)
            {
                var ws = new Libc.winsize { ws_row = rows, ws_col = columns };
                Libc.ioctl(slave, Libc.TIOCSWINSZ, &ws);
            }
            return (master, slave);
        }
        catch
        {
            Libc.close(master);
            throw;
        }
    }

    public void Dispose()
    {
        if (_root >= 0) Libc.close(_root);
        _root = -1;
    }
}
