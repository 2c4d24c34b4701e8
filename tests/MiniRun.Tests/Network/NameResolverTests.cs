// NameResolverTests: the real resolver (the NativeAOT `minirun network-dns`) answering over the
// wire, only ever inside a network namespace the test creates (DnsTestNamespace): two "networks"
// are two empty bridges with gateway addresses, their endpoint files live in a temporary MiniRun
// root. Nothing can leave that namespace; upstream servers are fakes inside it (or absent).
//
// Covers: names and aliases of one network resolve and the other network's do not; a container
// added later resolves, a removed one stops resolving; TCP; busybox nslookup as a real client
// (A and PTR); forwarding with the answer relayed, and SERVFAIL when the upstream is silent or
// refuses; the resolver ends when its network directory goes; EnsureRunning starts exactly one
// detached resolver (own session, not the caller's child) even when asked twice at once, reports
// a bind failure with the address and errno, and Stop ends it.
//
// Needs: root, `ip`, busybox, artifacts/bin/minirun (./minirun --version).
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MiniRun.Network;
using MiniRun.Network.Dns;
using MiniRun.Runtime;
using MiniRun.Tests.Integration;
using MiniRun.Trace;

namespace MiniRun.Tests.Network;

public sealed class NameResolverTests : IDisposable
{
    private static readonly IPAddress Gateway1 = IPAddress.Parse("172.29.0.1"), Gateway2 = IPAddress.Parse("172.30.0.1");
    private readonly DnsTestNamespace _ns = new(("mrt-br1", "172.29.0.1/16"), ("mrt-br2", "172.30.0.1/16"));
    private readonly string _root = Directory.CreateTempSubdirectory("minirun-dns-test-").FullName;
    private readonly string _resolvConf;

    public NameResolverTests()
    {
        try
        {
            if (!File.Exists(MiniRunHost.Binary))
                throw new InvalidOperationException($"{MiniRunHost.Binary} is missing: build it with ./minirun --version");
            _resolvConf = Path.Combine(_root, "resolv.conf");
            File.WriteAllText(_resolvConf, "nameserver 127.0.0.1\n");   // inside the namespace: a fake, or nothing (ECONNREFUSED)
            EndpointFiles.Write(Endpoints("net1"), "aaa", EndpointFiles.Endpoint("aaa", "web", "172.29.0.2/16", "web", "3f2a1c9d0b12", "myalias"));
            EndpointFiles.Write(Endpoints("net2"), "bbb", EndpointFiles.Endpoint("bbb", "db", "172.30.0.2/16", "db", "cache"));
        }
        catch
        {
            Dispose();   // xunit does not dispose a test class whose constructor failed: the namespace must not stay
            throw;
        }
    }

    public void Dispose()
    {
        _ns.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    private string Endpoints(string network) => Directory.CreateDirectory(Path.Combine(_root, "networks", network, "endpoints")).FullName;

    /// <summary>`minirun network-dns` in the foreground inside the namespace; returns once it printed "ready".</summary>
    private Process StartResolver(string network, IPAddress gateway)
    {
        var p = _ns.Start(MiniRunHost.Binary, "--root", _root, "network-dns", "--ready-fd", "1", "--resolv-conf", _resolvConf, network, gateway.ToString());
        string? line = p.StandardOutput.ReadLine();
        Assert.True(line == "ready", $"resolver for {network}: {line} {(line is null ? p.StandardError.ReadToEnd() : "")}");
        return p;
    }

    private DnsMessage Ask(IPAddress server, string name, ushort type = DnsType.A, bool tcp = false) =>
        _ns.Inside(() => DnsTestClient.Query(server, name, type, tcp));

    [Fact]
    public void Names_and_aliases_resolve_on_their_own_network_only()
    {
        StartResolver("net1", Gateway1);
        StartResolver("net2", Gateway2);

        Assert.Equal(["172.29.0.2"], DnsTestClient.Addresses(Ask(Gateway1, "web")));
        Assert.Equal(["172.29.0.2"], DnsTestClient.Addresses(Ask(Gateway1, "MyAlias.")));
        Assert.Equal(["172.29.0.2"], DnsTestClient.Addresses(Ask(Gateway1, "3f2a1c9d0b12")));
        Assert.Equal(["172.30.0.2"], DnsTestClient.Addresses(Ask(Gateway2, "cache")));

        // db is on net2: net1's resolver does not know it and forwards; nothing listens upstream -> SERVFAIL
        var other = Ask(Gateway1, "db");
        Assert.Empty(other.Answers);
        Assert.Equal(DnsRcode.ServFail, other.Rcode);
        Assert.Empty(Ask(Gateway2, "web").Answers);

        var aaaa = Ask(Gateway1, "web", DnsType.AAAA);
        Assert.Equal(DnsRcode.NoError, aaaa.Rcode);
        Assert.Empty(aaaa.Answers);
    }

    [Fact]
    public void A_container_added_later_resolves_and_a_removed_one_does_not()
    {
        StartResolver("net1", Gateway1);
        Assert.Empty(Ask(Gateway1, "api").Answers);

        EndpointFiles.Write(Endpoints("net1"), "ccc", EndpointFiles.Endpoint("ccc", "api", "172.29.0.3/16", "api", "backend"));
        Assert.Equal(["172.29.0.3"], DnsTestClient.Addresses(Ask(Gateway1, "api")));
        Assert.Equal(["172.29.0.3"], DnsTestClient.Addresses(Ask(Gateway1, "backend")));

        File.Delete(Path.Combine(Endpoints("net1"), "aaa.json"));
        var gone = Ask(Gateway1, "web");
        Assert.Empty(gone.Answers);
        Assert.NotEqual(DnsRcode.NoError, gone.Rcode);
        Assert.Equal(["172.29.0.3"], DnsTestClient.Addresses(Ask(Gateway1, "api")));
    }

    [Fact]
    public void Answers_over_TCP_and_to_busybox_nslookup()
    {
        StartResolver("net1", Gateway1);
        Assert.Equal(["172.29.0.2"], DnsTestClient.Addresses(Ask(Gateway1, "web", tcp: true)));

        var lookup = _ns.Exec("busybox", "nslookup", "web", Gateway1.ToString());
        Assert.True(lookup.ExitCode == 0, lookup.Stdout + lookup.Stderr);
        Assert.Contains("Address: 172.29.0.2", lookup.Stdout);

        var reverse = _ns.Exec("busybox", "nslookup", "172.29.0.2", Gateway1.ToString());
        Assert.True(reverse.ExitCode == 0, reverse.Stdout + reverse.Stderr);
        Assert.Contains("name = web", reverse.Stdout);
    }

    [Fact]
    public void Unknown_names_are_forwarded_upstream_and_the_answer_relayed()
    {
        // A fake upstream on 127.0.0.1:53 inside the namespace: answers example.test with 192.0.2.7,
        // echoing the id it was sent (the resolver's own random one).
        var upstreamIds = new List<ushort>();
        using var upstream = _ns.Inside(() =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(IPAddress.Loopback, 53));
            return s;
        });
        _ns.Background(() =>
        {
            var buffer = new byte[512];
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            while (true)
            {
                int n = upstream.ReceiveFrom(buffer, ref from);
                var query = DnsMessage.Parse(buffer.AsSpan(0, n));
                lock (upstreamIds) upstreamIds.Add(query.Id);
                var reply = new DnsMessage { Id = query.Id, IsResponse = true, RecursionAvailable = true };
                reply.Questions.Add(query.Questions[0]);
                reply.Answers.Add(DnsRecord.A(query.Questions[0].Name, IPAddress.Parse("192.0.2.7"), 42));
                upstream.SendTo(reply.ToBytes(), from);
            }
        });
        StartResolver("net1", Gateway1);

        var answer = _ns.Inside(() => DnsTestClient.Query(Gateway1, "example.test", DnsType.A, id: 0x1111));
        Assert.Equal(0x1111, answer.Id);   // the client's id is restored
        Assert.Equal(["192.0.2.7"], DnsTestClient.Addresses(answer));
        Assert.Equal(42u, answer.Answers[0].Ttl);   // relayed as the upstream sent it
        lock (upstreamIds) Assert.Single(upstreamIds);
        // and a local name is still answered locally, without asking upstream
        Assert.Equal(["172.29.0.2"], DnsTestClient.Addresses(Ask(Gateway1, "web")));
        lock (upstreamIds) Assert.Single(upstreamIds);
    }

    [Fact]
    public void A_silent_upstream_gives_SERVFAIL()
    {
        using var upstream = _ns.Inside(() =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(IPAddress.Loopback, 53));   // bound, never answers
            return s;
        });
        StartResolver("net1", Gateway1);
        var reply = Ask(Gateway1, "example.test");
        Assert.Equal(DnsRcode.ServFail, reply.Rcode);
        Assert.Equal("example.test", Assert.Single(reply.Questions).Name);
        Assert.Equal(DnsRcode.ServFail, Ask(Gateway1, "example.test", tcp: true).Rcode);
    }

    [Fact]
    public void Hostile_packets_get_FORMERR_or_nothing_and_the_resolver_goes_on()
    {
        var p = StartResolver("net1", Gateway1);
        var loop = Convert.FromHexString("beef01000001000000000000" + "0161c00c" + "00010001");
        _ns.Inside(() =>
        {
            // UDP: a response (dropped), garbage, then a pointer loop (FORMERR, same id)
            using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 15000 };
            udp.Connect(new IPEndPoint(Gateway1, 53));
            udp.Send(Convert.FromHexString("dead81800001000000000000037765620000010001"));
            udp.Send(new byte[] { 1, 2, 3 });
            udp.Send(new byte[1400]);
            udp.Send(loop);
            var buffer = new byte[512];
            DnsMessage reply;
            do reply = DnsMessage.Parse(buffer.AsSpan(0, udp.Receive(buffer)));
            while (reply.Id == 0);   // the 1400 zero bytes are a query with id 0 and no question: FORMERR too
            Assert.Equal(0xbeef, reply.Id);
            Assert.Equal(DnsRcode.FormErr, reply.Rcode);

            // TCP: a frame announcing more than it sends, then the connection closed
            using (var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            {
                tcp.Connect(new IPEndPoint(Gateway1, 53));
                tcp.Send(new byte[] { 0xFF, 0xFF, 1, 2, 3 });
            }
            Assert.Equal(DnsRcode.FormErr, DnsMessage.Parse(DnsTestClient.Exchange(Gateway1, loop, tcp: true)).Rcode);
        });
        Assert.Equal(["172.29.0.2"], DnsTestClient.Addresses(Ask(Gateway1, "web")));
        Assert.Equal(["172.29.0.2"], DnsTestClient.Addresses(Ask(Gateway1, "web", tcp: true)));
        Assert.False(p.HasExited);
    }

    [Fact]
    public void The_resolver_ends_when_its_network_directory_is_removed()
    {
        var p = StartResolver("net1", Gateway1);
        Directory.Delete(Path.Combine(_root, "networks", "net1"), recursive: true);
        Assert.True(p.WaitForExit(60000), "the resolver still runs a minute after its network was removed");
        Assert.Equal(0, p.ExitCode);
    }

    [Fact]
    public void EnsureRunning_starts_one_detached_resolver_and_Stop_ends_it()
    {
        string[] extra = ["--resolv-conf", _resolvConf];
        // Two containers starting at once on the same new network.
        var starters = Enumerable.Range(0, 2).Select(_ => new Thread(() => _ns.Inside(() =>
            NameResolver.EnsureRunning(_root, "net1", Gateway1, NullTrace.Instance, MiniRunHost.Binary, extra)))).ToList();
        starters.ForEach(t => t.Start());
        starters.ForEach(t => t.Join());

        var running = NameResolver.Running(Path.Combine(_root, "networks", "net1"), "net1");
        Assert.NotNull(running);
        int pid = running.Value.Pid;
        _ns.Track(pid);
        Assert.Single(ResolverPids("net1"));

        // detached: its own session and process group, and not our child
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');   // state ppid pgrp session ...
        Assert.NotEqual(Environment.ProcessId, int.Parse(fields[1]));
        Assert.Equal(pid, int.Parse(fields[2]));
        Assert.Equal(pid, int.Parse(fields[3]));
        Assert.Equal("/", new DirectoryInfo($"/proc/{pid}/cwd").LinkTarget);

        Assert.Equal(["172.29.0.2"], DnsTestClient.Addresses(Ask(Gateway1, "web")));

        // asked again: the running one is kept
        _ns.Inside(() => NameResolver.EnsureRunning(_root, "net1", Gateway1, NullTrace.Instance, MiniRunHost.Binary, extra));
        Assert.Equal(pid, NameResolver.Running(Path.Combine(_root, "networks", "net1"), "net1")?.Pid);

        NameResolver.Stop(_root, "net1");
        Assert.False(ProcessIdentity.IsAlive(pid, running.Value.StartTime));
        Assert.False(File.Exists(Path.Combine(_root, "networks", "net1", "dns.pid")));
        NameResolver.Stop(_root, "net1");   // idempotent
        NameResolver.Stop(_root, "never-created");
    }

    [Fact]
    public void EnsureRunning_names_the_address_and_errno_when_it_cannot_bind()
    {
        var e = Assert.ThrowsAny<Exception>(() => _ns.Inside(() =>
            NameResolver.EnsureRunning(_root, "net2", IPAddress.Parse("172.31.0.1"), NullTrace.Instance, MiniRunHost.Binary, ["--resolv-conf", _resolvConf])));
        var error = Assert.IsType<RuntimeException>(e.InnerException);
        Assert.Contains("172.31.0.1:53", error.Message);
        Assert.Contains("EADDRNOTAVAIL", error.Message);
        Assert.Empty(ResolverPids("net2"));
        Assert.Null(NameResolver.Running(Path.Combine(_root, "networks", "net2"), "net2"));
    }

    [Fact]
    public void EnsureRunning_writes_a_trace_line_for_the_start()
    {
        var output = new StringWriter();
        var trace = new ConsoleTrace(output, pause: false);
        _ns.Inside(() => NameResolver.EnsureRunning(_root, "net2", Gateway2, trace, MiniRunHost.Binary, ["--resolv-conf", _resolvConf]));
        var running = NameResolver.Running(Path.Combine(_root, "networks", "net2"), "net2");
        Assert.NotNull(running);
        _ns.Track(running.Value.Pid);
        Assert.Contains("start the network's name resolver on 172.30.0.1:53", output.ToString());
        MiniRun.Tests.Trace.TraceText.Contains($"= {running.Value.Pid}; bound to 172.30.0.1:53 UDP and TCP", output.ToString());
        Assert.Equal(["172.30.0.2"], DnsTestClient.Addresses(Ask(Gateway2, "db")));
        NameResolver.Stop(_root, "net2");
    }

    /// <summary>Live `minirun network-dns` processes of this test's root for a network.</summary>
    private List<int> ResolverPids(string network)
    {
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            try
            {
                var argv = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
                if (argv.Contains("network-dns") && argv.Contains(_root) && argv.Contains(network) && MiniRunHost.Alive(pid)) pids.Add(pid);
            }
            catch (IOException) { }
        }
        return pids;
    }
}
