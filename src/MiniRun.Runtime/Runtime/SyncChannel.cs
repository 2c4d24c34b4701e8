// SyncChannel: the message protocol between the parent (`minirun run`) and the container's
// first process, over one end of a SOCK_SEQPACKET socketpair.
//
// Why: the parent and the child must take turns at a few points, and the child has things to
// report that only the parent can show. One datagram is one message; both ends are
// close-on-exec, so when init execs the container's command the parent reads EOF, which is how
// it learns that the exec happened. The messages, in the order they can occur:
//
//   child -> parent   "C <errno> <step>"  the native clone stage failed (before init ran)
//   parent -> child   "G"                 sync 1: uid_map/gid_map written, go on (user namespaces only)
//   parent -> child   "B <bundle dir>"    sync 0: the bundle is complete; init reads its config.json
//   child -> parent   "T <line>"          a trace line from init
//   child -> parent   "P <line>"          init is about to run a step: pause until the parent acks
//   parent -> child   "A"                 sync 2: the instructor pressed Enter, run the step
//   child -> parent   "F" + SCM_RIGHTS    the master side of the container's terminal (-t)
//   child -> parent   "E <code> <text>"   init failed; exit with <code> (125, 126 or 127)
//   child -> parent   "H"                 sync 4 (hooks only): mounts made, before pivot_root; the parent
//                                         runs the prestart and createRuntime hooks (Init/HookSteps.cs)
//   parent -> child   "S <state>\n<state>" the hooks succeeded: the state documents for createContainer
//                                         and startContainer (a failed hook: the parent kills init instead)
//   child -> parent   "W"                 sync 3 (OCI create only): set up, waiting on exec.fifo for `start`
//   (EOF)                                 init exec'd the command: the container is running
//
// Follows: unix(7) (SOCK_SEQPACKET, SCM_RIGHTS), socketpair(2), cmsg(3).
using System.Runtime.InteropServices;
using System.Text;
using MiniRun.Kernel;

namespace MiniRun.Runtime;

public sealed unsafe class SyncChannel : IDisposable
{
    public int Fd { get; private set; }

    public SyncChannel(int fd) => Fd = fd;

    /// <summary>Creates the pair: [0] for the parent, [1] for the child (both close-on-exec).</summary>
    public static (SyncChannel Parent, SyncChannel Child) CreatePair()
    {
        int* sv = stackalloc int[2];
        if (Libc.socketpair(Libc.AF_UNIX, Libc.SOCK_SEQPACKET | Libc.SOCK_CLOEXEC, 0, sv) < 0)
            throw new KernelException("socketpair(AF_UNIX, SOCK_SEQPACKET)", Marshal.GetLastPInvokeError());
        return (new SyncChannel(sv[0]), new SyncChannel(sv[1]));
    }

    public void Send(string message) => SendWithFd(message, -1);

    public void SendWithFd(string message, int fdToPass) => SendMessage(Fd, Encoding.UTF8.GetBytes(message), fdToPass, "sync socket");

    /// <summary>One sendmsg(2) of <paramref name="data"/> on <paramref name="socket"/>, with <paramref name="fdToPass"/> as SCM_RIGHTS when >= 0.</summary>
    public static void SendMessage(int socket, ReadOnlySpan<byte> data, int fdToPass, string what)
    {
        byte* control = stackalloc byte[32];
        fixed (byte* bytes = data)
        {
            var iov = new Libc.iovec { iov_base = bytes, iov_len = (nuint)data.Length };
            var msg = new Libc.msghdr { msg_iov = &iov, msg_iovlen = 1 };
            if (fdToPass >= 0)
            {
                var cmsg = (Libc.cmsghdr*)control;
                cmsg->cmsg_len = (nuint)(sizeof(Libc.cmsghdr) + sizeof(int));
                cmsg->cmsg_level = Libc.SOL_SOCKET;
                cmsg->cmsg_type = Libc.SCM_RIGHTS;
                *(int*)(control + sizeof(Libc.cmsghdr)) = fdToPass;
                msg.msg_control = control;
                msg.msg_controllen = (nuint)(sizeof(Libc.cmsghdr) + 8);   // CMSG_SPACE(sizeof(int))
            }
            while (true)
            {
                if (Libc.sendmsg(socket, &msg, 0x4000 /*MSG_NOSIGNAL*/) >= 0) return;
                int errno = Marshal.GetLastPInvokeError();
                if (errno != Errno.EINTR) throw new KernelException($"send on {what}", errno);
            }
        }
    }

    /// <summary>The longest message: the state documents of "S" carry the spec's annotations.</summary>
    public const int MaxMessage = 65536;

    /// <summary>Next message, or null at EOF. A passed file descriptor is returned in <paramref name="fd"/>.</summary>
    public string? Receive(out int fd)
    {
        fd = -1;
        byte[] bytes = new byte[MaxMessage];
        fixed (byte* buffer = bytes) return Receive(buffer, out fd);
    }

    private string? Receive(byte* buffer, out int fd)
    {
        fd = -1;
        byte* control = stackalloc byte[64];
        var iov = new Libc.iovec { iov_base = buffer, iov_len = MaxMessage };
        var msg = new Libc.msghdr { msg_iov = &iov, msg_iovlen = 1, msg_control = control, msg_controllen = 64 };
        nint n;
        while ((n = Libc.recvmsg(Fd, &msg, 0x40000000 /*MSG_CMSG_CLOEXEC*/)) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.EINTR) continue;
            if (errno == 104 /*ECONNRESET*/) return null;
            throw new KernelException("receive on sync socket", errno);
        }
        if (n == 0 && msg.msg_controllen == 0) return null;
        if ((msg.msg_flags & 0x20 /*MSG_TRUNC*/) != 0)
            throw new KernelException($"receive on sync socket: a message longer than {MaxMessage} bytes", 90 /*EMSGSIZE*/);
        if (msg.msg_controllen >= (nuint)(sizeof(Libc.cmsghdr) + sizeof(int)))
        {
            var cmsg = (Libc.cmsghdr*)control;
            if (cmsg->cmsg_level == Libc.SOL_SOCKET && cmsg->cmsg_type == Libc.SCM_RIGHTS)
                fd = *(int*)(control + sizeof(Libc.cmsghdr));
        }
        return Encoding.UTF8.GetString(buffer, (int)n);
    }

    public string? Receive() => Receive(out _);

    public void Dispose()
    {
        if (Fd >= 0) Libc.close(Fd);
        Fd = -1;
    }
}
