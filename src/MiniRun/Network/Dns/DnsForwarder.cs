// DnsForwarder: sends a query the network's resolver cannot answer to the host's own resolvers
// (the nameserver lines of /etc/resolv.conf) and returns their answer, or null after ~2 s.
//
// Why the host's resolvers, loopback ones included: the resolver runs in the host's network
// namespace (it listens on the bridge's gateway address), so 127.0.0.53 (systemd-resolved) or a
// local dnsmasq is reachable from it, unlike from a container. The file is read for each query,
// so a change of the host's DNS (DHCP, VPN) applies at once.
//
// Each forwarded query goes out from a fresh socket (a new random source port) with a fresh
// random id, and only a reply from the server it was sent to, with that id and the same question,
// is accepted (RFC 5452's defences against forged answers); the client's own id is put back before
// the reply is relayed. Servers are tried in order, each with an equal share of what is left of
// the 2 s budget, so one that refuses at once (ICMP port unreachable: ECONNREFUSED) hands its time
// to the next. A query over TCP is forwarded over TCP. The resolver's own address is never an
// upstream (a host whose resolv.conf names the gateway would otherwise loop).
//
// Follows: resolv.conf(5) (nameserver, at most 3 used, none means the local machine); RFC 1035
// 4.2.1 (UDP) and 4.2.2 (TCP: a two-byte length before each message); RFC 5452.
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace MiniRun.Network.Dns;

public sealed class DnsForwarder
{
    /// <summary>How long a forwarded query may take in all before the client gets SERVFAIL.</summary>
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(2);
    private const int MaxServers = 3;   // glibc's MAXNS

    private readonly string _resolvConf;
    private readonly IPAddress _self;
    private readonly int _port;

    public DnsForwarder(string resolvConf, IPAddress self, int port = 53)
    {
        _resolvConf = resolvConf;
        _self = self;
        _port = port;
    }

    /// <summary>The upstream servers, in resolv.conf's order, at most three, the resolver's own address left out.</summary>
    public IReadOnlyList<IPAddress> Upstreams()
    {
        string text;
        try { text = File.ReadAllText(_resolvConf); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { text = ""; }
        return ParseNameservers(text, _self);
    }

    public static IReadOnlyList<IPAddress> ParseNameservers(string resolvConf, IPAddress self)
    {
        var servers = new List<IPAddress>();
        bool any = false;
        foreach (var raw in resolvConf.Split('\n'))
        {
            var fields = raw.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2 || fields[0] != "nameserver") continue;
            if (!IPAddress.TryParse(fields[1], out var address)) continue;
            any = true;
            if (address.Equals(self) || servers.Contains(address) || servers.Count == MaxServers) continue;
            servers.Add(address);
        }
        if (!any) servers.Add(IPAddress.Loopback);   // resolv.conf(5): no nameserver line means this machine
        return servers;
    }

    /// <summary>The upstream's reply with the client's id restored, or null when no server answered within the budget.</summary>
    public async Task<byte[]?> ForwardAsync(byte[] query, bool tcp, CancellationToken cancel)
    {
        if (query.Length < DnsMessage.HeaderSize) return null;
        DnsQuestion? question;
        try { question = DnsMessage.FirstQuestion(query); }
        catch (DnsFormatException) { return null; }
        var servers = Upstreams();
        var deadline = DateTime.UtcNow + Budget;
        for (int i = 0; i < servers.Count; i++)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) break;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            timeout.CancelAfter(left / (servers.Count - i));
            ushort id = (ushort)MiniRun.Containers.KernelRandom.Below(65536);
            var sent = (byte[])query.Clone();
            BinaryPrimitives.WriteUInt16BigEndian(sent, id);
            try
            {
                var endpoint = new IPEndPoint(servers[i], _port);
                byte[]? reply = tcp ? await AskTcp(endpoint, sent, id, question, timeout.Token)
                                    : await AskUdp(endpoint, sent, id, question, timeout.Token);
                if (reply is null) continue;
                BinaryPrimitives.WriteUInt16BigEndian(reply, BinaryPrimitives.ReadUInt16BigEndian(query));
                return reply;
            }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested) { }   // this server's share is used up
            catch (SocketException) { }                                                        // refused, unreachable: the next one
        }
        return null;
    }

    private static async Task<byte[]?> AskUdp(IPEndPoint server, byte[] query, ushort id, DnsQuestion? question, CancellationToken cancel)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(server, cancel);   // connected: only the server's packets arrive, and ICMP errors are reported
        await socket.SendAsync(query, SocketFlags.None, cancel);
        var buffer = new byte[65535];
        while (true)
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancel);
            var reply = buffer.AsSpan(0, n).ToArray();
            if (Matches(reply, id, question)) return reply;   // else a stray or forged packet: keep waiting
        }
    }

    private static async Task<byte[]?> AskTcp(IPEndPoint server, byte[] query, ushort id, DnsQuestion? question, CancellationToken cancel)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server, cancel);
        await DnsTcp.WriteAsync(socket, query, cancel);
        var reply = await DnsTcp.ReadAsync(socket, cancel);
        return reply is not null && Matches(reply, id, question) ? reply : null;
    }

    /// <summary>A reply to our query: a response, our id, the same first question (names compared without case).</summary>
    public static bool Matches(byte[] reply, ushort id, DnsQuestion? question)
    {
        if (!DnsMessage.TryReadHeader(reply, out ushort replyId, out ushort flags) || replyId != id || (flags & 0x8000) == 0) return false;
        try
        {
            var got = DnsMessage.FirstQuestion(reply);
            if (question is null || got is null) return question is null || (flags & 0xF) != 0;   // an error reply may omit the question
            return got.Type == question.Type && got.Class == question.Class && string.Equals(got.Name, question.Name, StringComparison.OrdinalIgnoreCase);
        }
        catch (DnsFormatException) { return false; }
    }
}

/// <summary>DNS over TCP (RFC 1035 4.2.2): each message preceded by its length in two bytes.</summary>
public static class DnsTcp
{
    public static async Task WriteAsync(Socket socket, byte[] message, CancellationToken cancel)
    {
        var framed = new byte[message.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)message.Length);
        message.CopyTo(framed, 2);
        int sent = 0;
        while (sent < framed.Length) sent += await socket.SendAsync(framed.AsMemory(sent), SocketFlags.None, cancel);
    }

    /// <summary>The next message; null at end of stream (before or inside a message) or for a zero length.</summary>
    public static async Task<byte[]?> ReadAsync(Socket socket, CancellationToken cancel)
    {
        var length = new byte[2];
        if (!await ReadExactly(socket, length, cancel)) return null;
        int n = BinaryPrimitives.ReadUInt16BigEndian(length);
        if (n == 0) return null;
        var message = new byte[n];
        return await ReadExactly(socket, message, cancel) ? message : null;
    }

    private static async Task<bool> ReadExactly(Socket socket, byte[] buffer, CancellationToken cancel)
    {
        int got = 0;
        while (got < buffer.Length)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None, cancel);
            if (n == 0) return false;
            got += n;
        }
        return true;
    }
}
