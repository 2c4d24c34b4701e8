// PortReservation: the host ports of a container's published ports, held by sockets bound to them
// (TCP: socket + bind, never listen; UDP: bind) for as long as the container lives.
//
// Why sockets: the DNAT rules send a published port's packets to the container before any host
// socket could see them, so nothing else stops a host program from binding the same port later
// and silently never receiving anything. A bound socket makes the kernel refuse that bind, and
// since the caller (the container's supervisor) holds the descriptors, a supervisor that dies
// frees its ports with it: no stale reservation survives a crash. The sockets never set
// SO_REUSEADDR or SO_REUSEPORT, so even a program that sets them cannot share the port; a TCP
// socket that never listens accepts no connection, and DNATed packets never reach it anyway.
// Docker 28 reserves ports the same way (before it, docker-proxy listened on them).
//
// Host port 0 asks the kernel for a free ephemeral port (bind to port 0, read getsockname); a
// range ("8080-8090:80") takes the first port of the range that is free. All or nothing: when one
// request fails, every socket bound so far is closed before the error is thrown.
// Messages are Docker's: "Bind for 0.0.0.0:8080 failed: port is already allocated" when another
// MiniRun container holds the port (the caller lists their bindings), and "failed to bind host
// port for 0.0.0.0:8080:172.17.0.2:80/tcp: address already in use" when a host process has it.
//
// Follows: socket(2), bind(2), getsockname(2), ip(7) (sockaddr_in, ip_local_port_range),
// socket(7) (SO_REUSEADDR), fcntl(2) (FD_CLOEXEC); Docker's port allocation messages.
using System.Net;
using System.Runtime.InteropServices;
using MiniRun.Containers;
using MiniRun.Kernel;
using MiniRun.Trace;

namespace MiniRun.Network;

public sealed unsafe partial class PortReservation : IDisposable
{
    private const int SOCK_STREAM = 1, EADDRINUSE = 98;
    private readonly List<int> _fds;

    /// <summary>The bindings with their host ports chosen, in the order of the requests.</summary>
    public IReadOnlyList<PortBinding> Bindings { get; }

    /// <summary>The bound sockets, one per binding (same order); close-on-exec unless <see cref="KeepAcrossExec"/>.</summary>
    public IReadOnlyList<int> Fds => _fds;

    private PortReservation(List<PortBinding> bindings, List<int> fds)
    {
        Bindings = bindings;
        _fds = fds;
    }

    /// <summary>
    /// Binds one socket per request in this thread's network namespace.
    /// <paramref name="otherContainers"/> lists the bindings of every other MiniRun container
    /// (a port in there is "already allocated", even if its socket is gone);
    /// <paramref name="containerAddress"/> is only used in messages.
    /// </summary>
    public static PortReservation Reserve(IReadOnlyList<PortRequest> requests, IPAddress containerAddress,
        Func<IReadOnlyList<PortBinding>>? otherContainers = null, ITrace? trace = null)
    {
        trace ??= NullTrace.Instance;
        var others = otherContainers?.Invoke() ?? [];
        var bindings = new List<PortBinding>();
        var fds = new List<int>();
        try
        {
            foreach (var r in requests)
            {
                var taken = others.Concat(bindings).ToList();
                var (binding, fd) = r.HostPortFirst == 0 ? Ephemeral(r, taken, trace) : FromRange(r, taken, containerAddress, trace);
                bindings.Add(binding);
                fds.Add(fd);
            }
        }
        catch
        {
            foreach (var fd in fds) Libc.close(fd);
            throw;
        }
        return new PortReservation(bindings, fds);
    }

    /// <summary>Clears close-on-exec on every socket, for a caller that passes them to a program it execs.</summary>
    public void KeepAcrossExec()
    {
        foreach (var fd in _fds)
            if (Libc.fcntl(fd, Libc.F_SETFD, 0) < 0)
                throw new KernelException($"fcntl({fd}, F_SETFD, 0)", Marshal.GetLastPInvokeError());
    }

    /// <summary>Closes the sockets: the host ports are free again.</summary>
    public void Dispose()
    {
        foreach (var fd in _fds) Libc.close(fd);
        _fds.Clear();
    }

    // A range (or one port): the first port that no other container holds and that binds.
    private static (PortBinding, int) FromRange(PortRequest r, List<PortBinding> taken, IPAddress container, ITrace trace)
    {
        bool allAllocated = true;
        int lastErrno = 0;
        for (int port = r.HostPortFirst; port <= r.HostPortLast; port++)
        {
            if (Allocated(taken, r.HostIp, port, r.Protocol)) continue;
            allAllocated = false;
            int fd = TryBind(r.HostIp, port, r.Protocol, out int errno, out _, trace);
            if (fd >= 0) return (new PortBinding(r.HostIp, port, r.ContainerPort, r.Protocol), fd);
            lastErrno = errno;
            if (errno != EADDRINUSE) break;   // not an address/port clash: the next port would fail the same way
        }
        if (allAllocated)
            throw new ContainerException($"Bind for {r.HostText} failed: port is already allocated");
        throw new ContainerException($"failed to bind host port for {r.HostText}:{container}:{r.ContainerPort}/{r.Protocol}: {GoError(lastErrno)}");
    }

    // Port 0: the kernel chooses; a port another container's record still names is skipped
    // (held open meanwhile so the kernel chooses another, then closed).
    private static (PortBinding, int) Ephemeral(PortRequest r, List<PortBinding> taken, ITrace trace)
    {
        var skipped = new List<int>();
        try
        {
            for (int attempt = 0; attempt < 64; attempt++)
            {
                int fd = TryBind(r.HostIp, 0, r.Protocol, out int errno, out int port, trace);
                if (fd < 0)
                    throw new ContainerException($"failed to bind host port for {r.HostText}/{r.Protocol}: {GoError(errno)}");
                if (!Allocated(taken, r.HostIp, port, r.Protocol)) return (new PortBinding(r.HostIp, port, r.ContainerPort, r.Protocol), fd);
                skipped.Add(fd);
            }
            throw new ContainerException($"Bind for {r.HostText} failed: port is already allocated");
        }
        finally
        {
            foreach (var fd in skipped) Libc.close(fd);
        }
    }

    // Two bindings clash on the same protocol and port when their addresses are equal or either is "every address".
    private static bool Allocated(IEnumerable<PortBinding> taken, string hostIp, int port, string proto) =>
        taken.Any(b => b.HostPort == port && b.Protocol == proto
            && (IsAny(b.HostIp) || IsAny(hostIp) || b.HostIp == hostIp));

    private static bool IsAny(string ip) => ip is "" or "0.0.0.0";

    /// <summary>socket + bind; the fd, or -1 with errno. <paramref name="bound"/> is the port getsockname reports.</summary>
    private static int TryBind(string hostIp, int port, string proto, out int errno, out int bound, ITrace trace)
    {
        bound = 0;
        int type = (proto == "udp" ? Libc.SOCK_DGRAM : SOCK_STREAM) | Libc.SOCK_CLOEXEC;
        int fd = Libc.socket(Libc.AF_INET, type, 0);
        if (fd < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return -1;
        }
        var addr = SockaddrIn(hostIp, port);
        string what = $"bind({(proto == "udp" ? "SOCK_DGRAM" : "SOCK_STREAM")}, {PortSpec.DisplayAddress(hostIp)}:{port})";
        if (bind(fd, &addr, (uint)sizeof(sockaddr_in)) < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            Libc.close(fd);
            trace.Call(what, $"-1: {GoError(errno)}");
            return -1;
        }
        sockaddr_in got;
        uint len = (uint)sizeof(sockaddr_in);
        if (getsockname(fd, &got, &len) < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            Libc.close(fd);
            return -1;
        }
        bound = (got.sin_port >> 8 | got.sin_port << 8) & 0xffff;
        errno = 0;
        trace.Call(what, Messages.ResultPortReserved.With(fd, bound).Text);
        return fd;
    }

    private static sockaddr_in SockaddrIn(string hostIp, int port)
    {
        var a = new sockaddr_in { sin_family = (ushort)Libc.AF_INET, sin_port = (ushort)((port >> 8 | port << 8) & 0xffff) };
        if (!IsAny(hostIp))
        {
            var b = IPAddress.Parse(hostIp).GetAddressBytes();
            a.sin_addr = (uint)(b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24);   // network byte order in memory
        }
        return a;
    }

    // Go's error strings, as Docker prints them: strerror in lower case ("address already in use").
    private static string GoError(int errno) => Marshal.GetPInvokeErrorMessage(errno).ToLowerInvariant();

    [StructLayout(LayoutKind.Sequential)]
    private struct sockaddr_in
    {
        public ushort sin_family;
        public ushort sin_port;   // network byte order
        public uint sin_addr;     // network byte order
        public ulong sin_zero;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int bind(int fd, sockaddr_in* addr, uint len);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getsockname(int fd, sockaddr_in* addr, uint* len);
}
