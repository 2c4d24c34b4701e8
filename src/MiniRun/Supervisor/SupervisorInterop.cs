// SupervisorInterop: the libc calls the supervisor and its clients need that Kernel/Interop.*
// does not declare: pipes, listening unix sockets, pidfd_open.
//
// Why: the supervisor is a single-threaded poll(2) loop over raw descriptors (the container's
// pipes or terminal, its attach socket, a pidfd for PID 1), which keeps it small; .NET's streams
// and sockets would each bring threads and buffers.
//
// Follows: socket(2), bind(2), listen(2), accept4(2), connect(2), unix(7),
// pidfd_open(2), fcntl(2).
using System.Runtime.InteropServices;
using System.Text;
using MiniRun.Kernel;

namespace MiniRun.Supervisor;

internal static unsafe partial class SupervisorInterop
{
    public const int O_CLOEXEC = 0x80000, O_NONBLOCK = 0x800;
    public const int SOCK_SEQPACKET = 5, SOCK_CLOEXEC = 0x80000, AF_UNIX = 1;
    public const int F_GETFL = 3, F_SETFL = 4;
    public const int MSG_NOSIGNAL = 0x4000, MSG_DONTWAIT = 0x40;
    private const long SYS_pidfd_open = 434;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int bind(int fd, byte* addr, uint len);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int listen(int fd, int backlog);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int accept4(int fd, void* addr, void* len, int flags);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long syscall2(long number, long a, long b);

    public static int PidfdOpen(int pid) => (int)syscall2(SYS_pidfd_open, pid, 0);

    /// <summary>True when the process behind <paramref name="pidfd"/> has ended (the pidfd polls readable).</summary>
    public static bool HasEnded(int pidfd)
    {
        if (pidfd < 0) return false;
        var p = new Libc.pollfd { fd = pidfd, events = Libc.POLLIN };
        return Libc.poll(&p, 1, 0) > 0;
    }


    public static void SetNonBlocking(int fd)
    {
        int flags = Libc.fcntl(fd, F_GETFL, 0);
        if (flags >= 0) Libc.fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    }

    /// <summary>A sockaddr_un for <paramref name="path"/> (Libc.UnixAddress: callers pass
    /// /proc/self/fd/DIRFD/supervisor.sock, since a container's directory may be longer than sun_path).</summary>
    private static int Address(string path, byte* addr) => Libc.UnixAddress(path, addr);

    /// <summary>A SOCK_SEQPACKET socket listening on <paramref name="path"/> (removed first if stale).</summary>
    public static int Listen(string path)
    {
        byte* addr = stackalloc byte[110];
        int len = Address(path, addr);
        int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0) throw new KernelException("socket(AF_UNIX, SOCK_SEQPACKET)", Marshal.GetLastPInvokeError());
        if (bind(fd, addr, (uint)len) < 0 || listen(fd, 16) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            Libc.close(fd);
            throw new KernelException($"bind/listen {path}", errno);
        }
        return fd;
    }

    /// <summary>Connects to a supervisor's socket; -errno when nobody listens there.</summary>
    public static int Connect(string path)
    {
        byte* addr = stackalloc byte[110];
        int len = Address(path, addr);
        int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0) return -Marshal.GetLastPInvokeError();
        if (Libc.connect(fd, addr, (uint)len) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            Libc.close(fd);
            return -errno;
        }
        return fd;
    }
}

internal static partial class SupervisorInterop
{
    public const int SHUT_RDWR = 2;
    public const nint SIG_IGN = 1;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int shutdown(int fd, int how);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint signal(int sig, nint handler);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int getsid(int pid);
}
