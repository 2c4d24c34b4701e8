// Interop.Socket: the parent/child sync socket (socketpair, sendmsg/recvmsg with SCM_RIGHTS)
// and the ioctl socket that brings the loopback interface up.
//
// Why: the parent and `minirun init` exchange short messages (trace lines, pause requests, the
// terminal's master fd, errors) over a SOCK_SEQPACKET pair: one message per datagram, and EOF
// when init execs the container's command (the socket is close-on-exec).
//
// Follows: socketpair(2), unix(7) (SCM_RIGHTS), cmsg(3), netdevice(7) (SIOCGIFFLAGS/SIOCSIFFLAGS).
using System.Runtime.InteropServices;

namespace MiniRun.Kernel;

internal static unsafe partial class Libc
{
    public const int AF_UNIX = 1, AF_INET = 2, SOCK_DGRAM = 2, SOCK_SEQPACKET = 5, SOCK_CLOEXEC = 0x80000;
    public const int SOL_SOCKET = 1, SCM_RIGHTS = 1;
    public const ulong SIOCGIFFLAGS = 0x8913, SIOCSIFFLAGS = 0x8914;
    public const short IFF_UP = 0x1;

    [StructLayout(LayoutKind.Sequential)]
    public struct iovec { public void* iov_base; public nuint iov_len; }

    [StructLayout(LayoutKind.Sequential)]
    public struct msghdr
    {
        public void* msg_name; public uint msg_namelen; public iovec* msg_iov; public nuint msg_iovlen;
        public void* msg_control; public nuint msg_controllen; public int msg_flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct cmsghdr { public nuint cmsg_len; public int cmsg_level; public int cmsg_type; }

    /// <summary>struct ifreq with the ifr_flags member of the union (40 bytes in all).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 40)]
    public struct ifreq { [FieldOffset(16)] public short ifr_flags; }

    [LibraryImport("libc", SetLastError = true)]
    public static partial int socketpair(int domain, int type, int protocol, int* sv);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int connect(int fd, byte* addr, uint len);

    /// <summary>
    /// Fills a sockaddr_un (110 bytes at <paramref name="addr"/>) for <paramref name="path"/>; returns its
    /// length. sun_path holds 108 bytes: a longer path is ENAMETOOLONG (callers with long paths pass
    /// /proc/self/fd/DIRFD/NAME with DIRFD open on the directory).
    /// </summary>
    public static int UnixAddress(string path, byte* addr)
    {
        int n = System.Text.Encoding.UTF8.GetByteCount(path);
        if (n >= 108) throw new KernelException($"unix socket path {path}", 36 /*ENAMETOOLONG*/);
        new Span<byte>(addr, 110).Clear();
        addr[0] = AF_UNIX;
        fixed (char* c = path) System.Text.Encoding.UTF8.GetBytes(c, path.Length, addr + 2, n);
        return 2 + n + 1;
    }

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint sendmsg(int fd, msghdr* msg, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint recvmsg(int fd, msghdr* msg, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int ioctl(int fd, ulong request, void* arg);
}
