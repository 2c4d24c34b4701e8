// DnsServer: the network's name resolver on the wire: UDP and TCP port 53 on the network's
// gateway address, in the host's network namespace; each query goes to DnsResponder, and what it
// cannot answer to DnsForwarder.
//
// Why on the gateway, in the host's namespace (docs/networking.md, "Name resolution"): one
// process per network serves every container on it, reachable at an address each container
// already routes to, and it outlives any container. The sockets are bound to that one address
// (not 0.0.0.0), so the resolver is not reachable from other networks' bridges or from outside,
// and a second network's resolver binds its own gateway on the same port.
//
// The sockets are made with socket(2)/bind(2) directly so a failure is reported with its errno
// ("bind UDP 172.18.0.1:53: Address already in use (EADDRINUSE)"), then handed to .NET's Socket.
// Local answers are made on the receiving loop (microseconds); forwarded queries run
// concurrently, at most 100 at a time as in Docker (more get SERVFAIL at once), so a slow
// upstream never delays a container's name. TCP connections (at most 64) are closed after 10 s
// without a query.
//
// Follows: socket(2), bind(2), listen(2), ip(7), udp(7), tcp(7) (SO_REUSEADDR); RFC 1035 4.2
// (UDP and TCP transport); RFC 7766 (TCP: several queries per connection, idle timeout).
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using MiniRun.Kernel;

namespace MiniRun.Network.Dns;

public sealed partial class DnsServer : IDisposable
{
    private const int MaxForwards = 100, MaxConnections = 64;
    private static readonly TimeSpan TcpIdle = TimeSpan.FromSeconds(10);

    private readonly Socket _udp, _tcp;
    private readonly NetworkNamesSource _names;
    private readonly DnsForwarder _forwarder;
    private readonly SemaphoreSlim _forwards = new(MaxForwards), _connections = new(MaxConnections);

    public IPEndPoint Endpoint { get; }

    private DnsServer(Socket udp, Socket tcp, IPEndPoint endpoint, NetworkNamesSource names, DnsForwarder forwarder)
    {
        _udp = udp;
        _tcp = tcp;
        Endpoint = endpoint;
        _names = names;
        _forwarder = forwarder;
    }

    /// <summary>Binds UDP and TCP <paramref name="address"/>:<paramref name="port"/>; throws KernelException naming the socket, address and errno.</summary>
    public static DnsServer Bind(IPAddress address, int port, NetworkNamesSource names, DnsForwarder forwarder)
    {
        if (address.AddressFamily != AddressFamily.InterNetwork)
            throw new ArgumentException($"the resolver listens on an IPv4 gateway, not {address}");
        var endpoint = new IPEndPoint(address, port);
        var udp = Open(SOCK_DGRAM, endpoint, "UDP");
        try
        {
            var tcp = Open(SOCK_STREAM, endpoint, "TCP");
            return new DnsServer(udp, tcp, endpoint, names, forwarder);
        }
        catch
        {
            udp.Dispose();
            throw;
        }
    }

    /// <summary>Serves until <paramref name="cancel"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancel)
    {
        var udp = UdpLoop(cancel);
        var tcp = TcpLoop(cancel);
        try { await Task.WhenAll(udp, tcp); }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested) { }
    }

    private async Task UdpLoop(CancellationToken cancel)
    {
        var buffer = new byte[65535];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!cancel.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try { received = await _udp.ReceiveFromAsync(buffer, SocketFlags.None, any, cancel); }
            catch (SocketException) { continue; }   // an error queued on the socket; the next datagram is unaffected
            var query = buffer.AsSpan(0, received.ReceivedBytes).ToArray();
            var client = received.RemoteEndPoint;
            var decision = Decide(query, DnsMessage.UdpLimit);
            if (decision.Action == DnsAction.Reply) await SendUdp(decision.Reply!, client, cancel);
            else if (decision.Action == DnsAction.Forward)
            {
                if (!_forwards.Wait(0)) { await SendUdp(DnsResponder.Failure(query), client, cancel); continue; }
                _ = Task.Run(async () =>
                {
                    try { await SendUdp(await _forwarder.ForwardAsync(query, tcp: false, cancel) ?? DnsResponder.Failure(query), client, cancel); }
                    catch (OperationCanceledException) { }
                    finally { _forwards.Release(); }
                }, CancellationToken.None);
            }
        }
    }

    /// <summary>DnsResponder's decision; SERVFAIL when it failed (the endpoint directory could not be read, say).</summary>
    private DnsDecision Decide(byte[] query, int maxReply)
    {
        // Any failure answers this one query with SERVFAIL; the resolver goes on serving the others.
        try { return DnsResponder.Decide(query, _names.Current, maxReply); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            bool isQuery = query.Length >= DnsMessage.HeaderSize && (query[2] & 0x80) == 0;
            return isQuery ? new DnsDecision(DnsAction.Reply, DnsResponder.Failure(query)) : new DnsDecision(DnsAction.Drop);
        }
    }

    private async Task SendUdp(byte[] reply, EndPoint client, CancellationToken cancel)
    {
        try { await _udp.SendToAsync(reply, SocketFlags.None, client, cancel); }
        catch (SocketException) { }   // the client is gone; nothing to do
    }

    private async Task TcpLoop(CancellationToken cancel)
    {
        while (!cancel.IsCancellationRequested)
        {
            Socket client;
            try { client = await _tcp.AcceptAsync(cancel); }
            catch (SocketException) { continue; }
            if (!_connections.Wait(0)) { client.Dispose(); continue; }
            _ = Task.Run(async () =>
            {
                try { await ServeTcp(client, cancel); }
                catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException) { }
                finally
                {
                    client.Dispose();
                    _connections.Release();
                }
            }, CancellationToken.None);
        }
    }

    private async Task ServeTcp(Socket client, CancellationToken cancel)
    {
        while (true)
        {
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            idle.CancelAfter(TcpIdle);
            var query = await DnsTcp.ReadAsync(client, idle.Token);
            if (query is null) return;
            var decision = Decide(query, ushort.MaxValue);
            byte[]? reply = decision.Action switch
            {
                DnsAction.Reply => decision.Reply,
                DnsAction.Forward => await _forwarder.ForwardAsync(query, tcp: true, cancel) ?? DnsResponder.Failure(query),
                _ => null,
            };
            if (reply is null) return;   // a response sent to us: close the connection
            await DnsTcp.WriteAsync(client, reply, cancel);
        }
    }

    public void Dispose()
    {
        _udp.Dispose();
        _tcp.Dispose();
    }

    // ---- the listening sockets, by socket(2) and bind(2), for errno in errors ----

    private const int AF_INET = 2, SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_CLOEXEC = 0x80000, SOL_SOCKET = 1, SO_REUSEADDR = 2;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int bind(int fd, byte* addr, uint length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int listen(int fd, int backlog);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int setsockopt(int fd, int level, int name, int* value, uint length);

    private static unsafe Socket Open(int type, IPEndPoint endpoint, string kind)
    {
        int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
        if (fd < 0) throw new KernelException($"socket(AF_INET, SOCK_{(type == SOCK_DGRAM ? "DGRAM" : "STREAM")})", Marshal.GetLastPInvokeError());
        try
        {
            if (type == SOCK_STREAM)
            {
                // A resolver started again right after the last one ended may find its old
                // connections in TIME_WAIT; SO_REUSEADDR lets it bind anyway (tcp(7)).
                int one = 1;
                if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(int)) < 0)
                    throw new KernelException($"setsockopt({kind} {endpoint}, SO_REUSEADDR)", Marshal.GetLastPInvokeError());
            }
            byte* sin = stackalloc byte[16];   // struct sockaddr_in: family (host order), port and address (network order), zero
            new Span<byte>(sin, 16).Clear();
            *(ushort*)sin = AF_INET;
            sin[2] = (byte)(endpoint.Port >> 8);
            sin[3] = (byte)endpoint.Port;
            endpoint.Address.GetAddressBytes().CopyTo(new Span<byte>(sin + 4, 4));
            if (bind(fd, sin, 16) < 0) throw new KernelException($"bind {kind} {endpoint}", Marshal.GetLastPInvokeError());
            if (type == SOCK_STREAM && listen(fd, 128) < 0) throw new KernelException($"listen {kind} {endpoint}", Marshal.GetLastPInvokeError());
            return new Socket(new SafeSocketHandle(fd, ownsHandle: true));
        }
        catch
        {
            Libc.close(fd);
            throw;
        }
    }
}
