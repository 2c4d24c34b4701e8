// AttachProtocol: the messages between a supervisor and its clients (foreground `run`,
// `attach`, `start -a`, `wait`, `stop`), one SOCK_SEQPACKET datagram each.
//
// Why datagrams: one message is one recvmsg, so neither side needs framing, and binary output
// travels as it is. The first byte is the type, the rest is the payload:
//
//   client -> supervisor
//     'a' + flags       attach: 'i' sends stdin, 'o' wants stdout, 'e' wants stderr (control socket: implicit)
//     'i' + bytes       stdin data (only from the client that attached with 'i')
//     'c'               stdin closed: the container's stdin sees EOF
//     'w' + "ROWS COLS" the client's window changed (TIOCSWINSZ on the terminal's master)
//     'k'               re-read container.json now (stop/kill set ManuallyStopped)
//   control socket only (the `run` that cloned this supervisor)
//     'n' + "PID\nROOT\nID"  init's pid and the container; sent before init gets its bundle
//     'm' + SCM_RIGHTS       the master side of the container's terminal (-t)
//     'r'                    init exec'd the command: the record says running
//     'f' + "CODE MESSAGE"   init failed before exec (125/126/127)
//   supervisor -> client
//     'o' / 'e' + bytes the container's stdout / stderr (with -t everything is 'o')
//     'x' + "CODE"      the container's PID 1 ended with CODE (Docker's: 128+N for signal N)
//
// Follows: unix(7) SOCK_SEQPACKET and SCM_RIGHTS, sendmsg(2), recvmsg(2).
using System.Runtime.InteropServices;
using System.Text;
using MiniRun.Kernel;

namespace MiniRun.Supervisor;

internal static unsafe class AttachProtocol
{
    public const int MaxPayload = 32 * 1024;
    public const string SocketName = "supervisor.sock";

    /// <summary>Sends one message; false when the peer is gone (EPIPE, ECONNRESET, ...).</summary>
    public static bool Send(int fd, byte type, ReadOnlySpan<byte> payload, int passFd = -1, bool dontWait = false)
    {
        int length = payload.Length + 1;
        byte* buffer = stackalloc byte[Math.Min(length, MaxPayload + 1)];
        if (length > MaxPayload + 1) return Send(fd, type, payload[..MaxPayload], passFd, dontWait) && Send(fd, type, payload[MaxPayload..], -1, dontWait);
        buffer[0] = type;
        payload.CopyTo(new Span<byte>(buffer + 1, payload.Length));
        byte* control = stackalloc byte[32];
        var iov = new Libc.iovec { iov_base = buffer, iov_len = (nuint)length };
        var msg = new Libc.msghdr { msg_iov = &iov, msg_iovlen = 1 };
        if (passFd >= 0)
        {
            var cmsg = (Libc.cmsghdr*)control;
            cmsg->cmsg_len = (nuint)(sizeof(Libc.cmsghdr) + sizeof(int));
            cmsg->cmsg_level = Libc.SOL_SOCKET;
            cmsg->cmsg_type = Libc.SCM_RIGHTS;
            *(int*)(control + sizeof(Libc.cmsghdr)) = passFd;
            msg.msg_control = control;
            msg.msg_controllen = (nuint)(sizeof(Libc.cmsghdr) + 8);
        }
        while (true)
        {
            if (Libc.sendmsg(fd, &msg, SupervisorInterop.MSG_NOSIGNAL | (dontWait ? SupervisorInterop.MSG_DONTWAIT : 0)) >= 0) return true;
            if (Marshal.GetLastPInvokeError() != Errno.EINTR) return false;
        }
    }

    public static bool Send(int fd, byte type, string text = "") => Send(fd, type, Encoding.UTF8.GetBytes(text));

    /// <summary>
    /// Receives one message into <paramref name="buffer"/> (at least MaxPayload + 1 bytes):
    /// its length (0 = the peer closed), or -errno. A passed descriptor lands in <paramref name="fd"/>.
    /// </summary>
    public static int Receive(int socket, byte[] buffer, out int fd)
    {
        fd = -1;
        byte* control = stackalloc byte[64];
        fixed (byte* data = buffer)
        {
            var iov = new Libc.iovec { iov_base = data, iov_len = (nuint)buffer.Length };
            var msg = new Libc.msghdr { msg_iov = &iov, msg_iovlen = 1, msg_control = control, msg_controllen = 64 };
            nint n;
            while ((n = Libc.recvmsg(socket, &msg, 0x40000000 /*MSG_CMSG_CLOEXEC*/)) < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                // ECONNRESET: the peer closed with our messages unread in its queue. The kernel
                // reports that once (and clears it); messages it sent before closing still wait.
                if (errno != Errno.EINTR && errno != 104 /*ECONNRESET*/) return -errno;
            }
            if (msg.msg_controllen >= (nuint)(sizeof(Libc.cmsghdr) + sizeof(int)))
            {
                var cmsg = (Libc.cmsghdr*)control;
                if (cmsg->cmsg_level == Libc.SOL_SOCKET && cmsg->cmsg_type == Libc.SCM_RIGHTS)
                    fd = *(int*)(control + sizeof(Libc.cmsghdr));
            }
            return (int)n;
        }
    }

    /// <summary>The path clients and the supervisor use for a container directory opened as <paramref name="dirFd"/>.</summary>
    public static string SocketPath(int dirFd) => $"/proc/self/fd/{dirFd}/{SocketName}";

    /// <summary>Connects to the supervisor of the container in <paramref name="containerDir"/>; -errno if none listens.</summary>
    public static int ConnectTo(string containerDir)
    {
        int dir = Libc.open(containerDir, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        if (dir < 0) return -Marshal.GetLastPInvokeError();
        try { return SupervisorInterop.Connect(SocketPath(dir)); }
        finally { Libc.close(dir); }
    }
}
