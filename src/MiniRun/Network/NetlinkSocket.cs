// NetlinkSocket: one NETLINK_ROUTE socket and the request/reply exchange over it: send one
// message with a fresh sequence number, then read the kernel's answers to that number until
// the ACK (NLMSG_ERROR with error 0), an error (NLMSG_ERROR with -errno), or, for a dump, the
// NLMSG_DONE that ends the multi-part reply.
//
// Why: rtnetlink is a datagram protocol with no connection: the sequence number pairs a reply
// with its request, and only the ACK says that a change was made. The socket asks for capped
// ACKs (NETLINK_CAP_ACK: the kernel echoes only the request's header, not all of it) and for
// extended ACKs (NETLINK_EXT_ACK: the kernel adds a sentence such as "MTU is less than device
// minimum" to an errno, which the error line then carries), and for strict checking of GET
// requests (NETLINK_GET_STRICT_CHK: a dump is filtered by the kernel, by link or routing table). A socket belongs for its whole life
// to the network namespace it was created in, whichever thread uses it later (RtNetlink.OpenIn).
//
// Follows: netlink(7) ("Reliability", NLM_F_ACK, NLMSG_ERROR, NLMSG_DONE, NETLINK_CAP_ACK,
// NETLINK_EXT_ACK), socket(2), bind(2), sendto(2), recvfrom(2) (MSG_TRUNC on netlink sockets).
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using MiniRun.Kernel;
using MiniRun.Runtime;

namespace MiniRun.Network;

/// <summary>A netlink request failed: the message, its operands, the errno and the kernel's own words when it gave some.</summary>
public sealed class NetlinkException : RuntimeException
{
    public int Errno { get; }
    public string Operation { get; }
    public string? KernelMessage { get; }

    public NetlinkException(string operation, int errno, string? kernelMessage = null)
        : base($"{operation}: {MiniRun.Kernel.Errno.Describe(errno)}" + (kernelMessage is null ? "" : $": {kernelMessage}"))
    {
        Operation = operation;
        Errno = errno;
        KernelMessage = kernelMessage;
    }
}

internal sealed unsafe partial class NetlinkSocket : IDisposable
{
    private const int SOCK_RAW = 3, SOCK_CLOEXEC = 0x80000, MSG_TRUNC = 0x20;
    /// <summary>Large enough for any single reply datagram: the kernel fills dump datagrams up to 32 KiB.</summary>
    private const int ReceiveSize = 64 * 1024;

    private readonly byte[] _receive = new byte[ReceiveSize];
    private readonly object _lock = new();
    private int _fd;
    private uint _seq;

    public int Fd => _fd;

    private NetlinkSocket(int fd)
    {
        _fd = fd;
        // Sequence numbers only need to differ between requests on this socket; starting from the
        // clock (as iproute2 does) keeps them from looking like another socket's in a capture.
        _seq = (uint)Environment.TickCount;
    }

    /// <summary>socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE), capped and extended ACKs, bound to a port id the kernel picks.</summary>
    public static NetlinkSocket Open()
    {
        int fd = socket(Rt.AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, Rt.NETLINK_ROUTE);
        if (fd < 0) throw new NetlinkException("socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE)", Marshal.GetLastPInvokeError());
        try
        {
            SetOption(fd, Rt.NETLINK_CAP_ACK, "NETLINK_CAP_ACK");
            SetOption(fd, Rt.NETLINK_EXT_ACK, "NETLINK_EXT_ACK");
            SetOption(fd, Rt.NETLINK_GET_STRICT_CHK, "NETLINK_GET_STRICT_CHK");
            // struct sockaddr_nl: family, pad, nl_pid (0: the kernel assigns one), nl_groups (none).
            byte* addr = stackalloc byte[12];
            new Span<byte>(addr, 12).Clear();
            addr[0] = Rt.AF_NETLINK;
            if (bind(fd, addr, 12) != 0) throw new NetlinkException("bind(AF_NETLINK)", Marshal.GetLastPInvokeError());
        }
        catch
        {
            Libc.close(fd);
            throw;
        }
        return new NetlinkSocket(fd);
    }

    private static void SetOption(int fd, int option, string name)
    {
        int one = 1;
        if (setsockopt(fd, Rt.SOL_NETLINK, option, &one, sizeof(int)) != 0)
            throw new NetlinkException($"setsockopt(SOL_NETLINK, {name})", Marshal.GetLastPInvokeError());
    }

    public uint NextSeq()
    {
        lock (_lock) return ++_seq;
    }

    /// <summary>
    /// Sends <paramref name="message"/> (built with sequence number <paramref name="seq"/>) and returns the
    /// replies to it: none for a change (just its ACK), one for a GET. An NLMSG_ERROR with an errno is
    /// thrown as a <see cref="NetlinkException"/> naming <paramref name="operation"/>.
    /// </summary>
    public List<NetlinkMessage> Exchange(byte[] message, uint seq, string operation) =>
        Exchange(message, seq, operation, out _);

    /// <summary>
    /// A dump (NLM_F_DUMP): every part of the multi-part reply up to NLMSG_DONE. When the kernel flags
    /// the dump as interrupted (NLM_F_DUMP_INTR: the list changed while it was read), asks again.
    /// </summary>
    public List<NetlinkMessage> Dump(Func<uint, byte[]> build, string operation)
    {
        for (int attempt = 1; ; attempt++)
        {
            uint seq = NextSeq();
            var parts = Exchange(build(seq), seq, operation, out bool interrupted);
            if (!interrupted) return parts;
            if (attempt == 5) throw new NetlinkException($"{operation} (interrupted by changes {attempt} times)", Errno.EAGAIN);
        }
    }

    private List<NetlinkMessage> Exchange(byte[] message, uint seq, string operation, out bool interrupted)
    {
        interrupted = false;
        ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(message.AsSpan(6));
        bool dump = (flags & Rt.NLM_F_DUMP) == Rt.NLM_F_DUMP;
        bool ack = (flags & Rt.NLM_F_ACK) != 0;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_fd < 0, this);
            Send(message, operation);
            var replies = new List<NetlinkMessage>();
            while (true)
            {
                foreach (var m in Receive(operation))
                {
                    if (m.Seq != seq) continue;   // a late answer to an earlier request: not ours
                    if ((m.Flags & Rt.NLM_F_DUMP_INTR) != 0) interrupted = true;
                    if (m.Type == Rt.NLMSG_ERROR)
                    {
                        var (error, text) = m.ReadError();
                        if (error != 0) throw new NetlinkException(operation, -error, text);
                        return replies;   // the ACK
                    }
                    if (m.Type == Rt.NLMSG_DONE)
                    {
                        // A dump that failed part-way says so in NLMSG_DONE's payload (a negative errno).
                        int error = m.Payload.Length >= 4 ? BinaryPrimitives.ReadInt32LittleEndian(m.Payload.Span) : 0;
                        if (error != 0) throw new NetlinkException(operation, -error);
                        return replies;
                    }
                    if (m.Type == Rt.NLMSG_NOOP) continue;
                    replies.Add(m);
                    // A GET without NLM_F_ACK is answered by exactly one message.
                    if (!dump && !ack && (m.Flags & Rt.NLM_F_MULTI) == 0) return replies;
                }
            }
        }
    }

    private void Send(byte[] message, string operation)
    {
        // struct sockaddr_nl of the kernel: nl_pid 0.
        byte* to = stackalloc byte[12];
        new Span<byte>(to, 12).Clear();
        to[0] = Rt.AF_NETLINK;
        fixed (byte* p = message)
        {
            while (true)
            {
                nint n = sendto(_fd, p, (nuint)message.Length, 0, to, 12);
                if (n == message.Length) return;
                int errno = n < 0 ? Marshal.GetLastPInvokeError() : Errno.EIO;
                if (errno == Errno.EINTR) continue;
                throw new NetlinkException($"{operation}: sendto(netlink)", errno);
            }
        }
    }

    private List<NetlinkMessage> Receive(string operation)
    {
        byte* from = stackalloc byte[12];
        while (true)
        {
            nint n;
            uint fromLen = 12;
            fixed (byte* p = _receive) n = recvfrom(_fd, p, (nuint)_receive.Length, MSG_TRUNC, from, &fromLen);
            if (n < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR) continue;
                throw new NetlinkException($"{operation}: recvfrom(netlink)", errno);
            }
            // With MSG_TRUNC a netlink socket returns the datagram's real length even when it was cut.
            if (n > _receive.Length) throw new NetlinkException($"{operation}: a reply of {n} bytes", Errno.E2BIG);
            // Only the kernel (port id 0) answers requests; anything else is not a reply.
            if (BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(from + 4, 4)) != 0) continue;
            return NetlinkMessage.Split(_receive.AsMemory(0, (int)n).ToArray());
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_fd >= 0) Libc.close(_fd);
            _fd = -1;
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int bind(int fd, byte* addr, uint len);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setsockopt(int fd, int level, int name, void* value, uint len);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint sendto(int fd, byte* buf, nuint len, int flags, byte* to, uint toLen);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint recvfrom(int fd, byte* buf, nuint len, int flags, byte* from, uint* fromLen);
}
