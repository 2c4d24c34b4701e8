// NftFirewallNetnsTests: the real NftFirewall (nft, the kernel's nf_tables, route_localnet) and
// PortReservation inside a NetnsLab, never in the machine's own namespace: busybox httpd in the
// "containers" answers curl with the client address it sees (a CGI printing REMOTE_ADDR), so each test
// checks where a connection arrives and from which address:
//   - a published port from the host's 127.0.0.1, from its own address, from another machine;
//   - masquerade of a container's outbound connection; isolation of two bridge networks;
//     an internal network that cannot leave;
//   - removals: one owner's ports without the other's, then the networks, until `nft list
//     ruleset` has no table minirun, while a table the test made itself survives.
using System.Net;
using MiniRun.Network;
using MiniRun.Trace;

namespace MiniRun.Tests.Network;

public sealed class NftFirewallNetnsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("minirun-nft-").FullName;
    private readonly NetnsLab _lab = new();
    private readonly RecordingTrace _trace = new();
    private readonly NftFirewall _fw;

    private static readonly IPAddress Ctr1 = IPAddress.Parse("10.99.0.2"), Ctr2 = IPAddress.Parse("10.98.0.2");
    private static readonly IPNetwork Net0 = IPNetwork.Parse("10.99.0.0/24"), Net1 = IPNetwork.Parse("10.98.0.0/24");

    public NftFirewallNetnsTests()
    {
        _fw = new NftFirewall(_trace, Path.Combine(_dir, "firewall.lock"));
        // A web root whose CGI prints the client's address as the server sees it.
        Directory.CreateDirectory(Path.Combine(_dir, "www/cgi-bin"));
        File.WriteAllText(Path.Combine(_dir, "www/index.html"), "hello\n");
        string cgi = Path.Combine(_dir, "www/cgi-bin/addr");
        File.WriteAllText(cgi, "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n%s\\n' \"$REMOTE_ADDR\"\n");
        File.SetUnixFileMode(cgi, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        foreach (var ns in new[] { _lab.Ctr1, _lab.Ctr2, _lab.Outside })
        {
            _lab.Start(ns, "busybox", "httpd", "-f", "-p", "0.0.0.0:80", "-h", Path.Combine(_dir, "www"));
            _lab.WaitForListener(ns, 80);
        }
    }

    public void Dispose()
    {
        _lab.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>The client address the server at <paramref name="url"/> saw, or null when the connection failed.</summary>
    private string? Fetch(string ns, string url)
    {
        var (code, output) = _lab.TryExec(ns, "curl", "-s", "-m", "3", url);
        return code == 0 ? output.Trim() : null;
    }

    private string Ruleset() => _lab.Exec(_lab.Host, "nft", "list", "ruleset");

    private PortReservation Publish(string owner, IPAddress address, string bridge, params string[] specs) => _lab.In(_lab.Host, () =>
    {
        var reservation = PortReservation.Reserve(PortSpec.ParseAll(specs), address);
        _fw.AddPorts(owner, bridge, address, reservation.Bindings);
        return reservation;
    });

    [Fact]
    public void A_published_port_answers_on_the_hosts_loopback_its_own_address_and_from_another_machine()
    {
        _lab.In(_lab.Host, () =>
        {
            _fw.AddNetwork("mrbr0", Net0, isInternal: false);
            _fw.AddNetwork("mrbr1", Net1, isInternal: false);
        });
        using var ports = Publish("ctr1", Ctr1, "mrbr0", "8080:80", "127.0.0.1:9090:80");

        // From the host itself: output chain DNAT; 127.0.0.1 needs route_localnet and is masqueraded to the gateway.
        Assert.Equal("10.99.0.1", Fetch(_lab.Host, "http://127.0.0.1:8080/cgi-bin/addr"));
        Assert.Equal("10.99.0.1", Fetch(_lab.Host, "http://127.0.0.1:9090/cgi-bin/addr"));
        Assert.Equal("198.51.100.1", Fetch(_lab.Host, "http://198.51.100.1:8080/cgi-bin/addr"));
        // From another machine: prerouting DNAT, the client's own address arrives.
        Assert.Equal("198.51.100.2", Fetch(_lab.Outside, "http://198.51.100.1:8080/cgi-bin/addr"));
        // 127.0.0.1:9090 was published on 127.0.0.1 only: not on the host's other addresses.
        Assert.Null(Fetch(_lab.Outside, "http://198.51.100.1:9090/cgi-bin/addr"));
        Assert.Equal("hello", Fetch(_lab.Outside, "http://198.51.100.1:8080/index.html"));
        // A container reaching a published port through the host's address: to itself (hairpin,
        // masqueraded so the answer comes back the same way; the bridge port is in hairpin mode,
        // see NetnsLab), and from another network (the isolation lets published ports through,
        // as Docker does; masqueraded since it leaves mrbr1 by another interface).
        Assert.Equal("10.99.0.1", Fetch(_lab.Ctr1, "http://198.51.100.1:8080/cgi-bin/addr"));
        Assert.Equal("10.99.0.1", Fetch(_lab.Ctr2, "http://198.51.100.1:8080/cgi-bin/addr"));

        Assert.Equal("1", _lab.Exec(_lab.Host, "cat", "/proc/sys/net/ipv4/ip_forward").Trim());
        Assert.Equal("1", _lab.Exec(_lab.Host, "cat", "/proc/sys/net/ipv4/conf/mrbr0/route_localnet").Trim());
        Assert.Contains(_trace.Lines, l => l.StartsWith("call nft -f - (add network \"mrbr0\" 10.99.0.0/24: ", StringComparison.Ordinal));
        // A new namespace takes the machine's ip_forward (net.core.devconf_inherit_init_net=0 copies
        // IPv4's settings): on a machine that forwards already, there is nothing to switch on.
        Assert.Contains(_trace.Lines, l => l.StartsWith("note IPv4 forwarding is now on", StringComparison.Ordinal)
            || l.StartsWith("note net.ipv4.ip_forward is already 1", StringComparison.Ordinal));
        Assert.Contains("note add rule port-ctr1 ip daddr 127.0.0.1 tcp dport 9090 dnat to 10.99.0.2:80", _trace.Lines);
        Assert.All(_trace.Lines, l => Assert.True(l.Length <= 120, l));
    }

    [Fact]
    public void A_published_udp_port_answers_from_the_host()
    {
        // The server reads the datagram before answering (a reply that ignores its input races socat's write).
        _lab.Start(_lab.Ctr1, "socat", "UDP4-RECVFROM:53,fork", "SYSTEM:read line; echo pong-$line");
        _lab.WaitForListener(_lab.Ctr1, 53, udp: true);
        _lab.In(_lab.Host, () => _fw.AddNetwork("mrbr0", Net0, isInternal: false));
        using var ports = Publish("ctr1", Ctr1, "mrbr0", "5353:53/udp");
        foreach (var address in new[] { "127.0.0.1", "198.51.100.1" })
        {
            string reply = _lab.In(_lab.Host, () =>
            {
                using var client = new System.Net.Sockets.UdpClient(System.Net.Sockets.AddressFamily.InterNetwork);
                client.Client.ReceiveTimeout = 10_000;   // a lost answer fails the test instead of hanging it
                client.Send("ping\n"u8.ToArray(), new IPEndPoint(IPAddress.Parse(address), 5353));
                var from = new IPEndPoint(IPAddress.Any, 0);
                return System.Text.Encoding.ASCII.GetString(client.Receive(ref from));
            });
            Assert.Equal("pong-ping", reply.Trim());
        }
    }

    [Fact]
    public void Containers_leave_masqueraded_and_two_networks_cannot_reach_each_other()
    {
        _lab.In(_lab.Host, () =>
        {
            _fw.AddNetwork("mrbr0", Net0, isInternal: false);
            _fw.AddNetwork("mrbr1", Net1, isInternal: false);
        });
        Assert.Equal("198.51.100.1", Fetch(_lab.Ctr1, "http://198.51.100.2/cgi-bin/addr"));
        Assert.Equal("198.51.100.1", Fetch(_lab.Ctr2, "http://198.51.100.2/cgi-bin/addr"));
        Assert.Null(Fetch(_lab.Ctr1, "http://10.98.0.2/cgi-bin/addr"));
        Assert.Null(Fetch(_lab.Ctr2, "http://10.99.0.2/cgi-bin/addr"));
        // Another machine cannot open a connection to a container's unpublished port either.
        _lab.Ip(_lab.Outside, "route", "add", "10.99.0.0/24", "via", "198.51.100.1");
        Assert.Null(Fetch(_lab.Outside, "http://10.99.0.2/cgi-bin/addr"));

        // The isolation was the only obstacle: with mrbr1's rules gone, the two talk (masqueraded,
        // since the connection leaves mrbr0 by another interface).
        _lab.In(_lab.Host, () => _fw.RemoveNetwork("mrbr1"));
        Assert.Equal("10.98.0.1", Fetch(_lab.Ctr1, "http://10.98.0.2/cgi-bin/addr"));
    }

    [Fact]
    public void An_internal_network_cannot_leave_but_its_members_talk()
    {
        _lab.In(_lab.Host, () => _fw.AddNetwork("mrbr1", Net1, isInternal: true));
        Assert.Null(Fetch(_lab.Ctr2, "http://198.51.100.2/cgi-bin/addr"));
        Assert.Equal("10.98.0.2", Fetch(_lab.Ctr2, "http://10.98.0.2/cgi-bin/addr"));
        Assert.DoesNotContain("masquerade", Ruleset().Split("chain postrouting-out-mrbr1")[1].Split('}')[0]);
    }

    [Fact]
    public void Removals_take_one_owners_ports_then_the_table_and_leave_other_tables_alone()
    {
        _lab.Exec(_lab.Host, "nft", "add table inet testkeep; add chain inet testkeep c { type filter hook input priority 0; }; add rule inet testkeep c counter");
        _lab.In(_lab.Host, () =>
        {
            _fw.AddNetwork("mrbr0", Net0, isInternal: false);
            _fw.AddNetwork("mrbr1", Net1, isInternal: false);
        });
        using var one = Publish("ctr1", Ctr1, "mrbr0", "8080:80");
        using var two = Publish("ctr2", Ctr2, "mrbr1", "8081:80");
        // Publishing again replaces the owner's rules instead of doubling them.
        _lab.In(_lab.Host, () => _fw.AddPorts("ctr1", "mrbr0", Ctr1, one.Bindings));
        Assert.Single(Ruleset().Split('\n'), l => l.Contains("jump port-ctr1"));
        Assert.Equal("10.99.0.1", Fetch(_lab.Host, "http://127.0.0.1:8080/cgi-bin/addr"));
        Assert.Equal("10.98.0.1", Fetch(_lab.Host, "http://127.0.0.1:8081/cgi-bin/addr"));

        _lab.In(_lab.Host, () => _fw.RemovePorts("ctr1"));
        Assert.Null(Fetch(_lab.Host, "http://127.0.0.1:8080/cgi-bin/addr"));
        Assert.Equal("10.98.0.1", Fetch(_lab.Host, "http://127.0.0.1:8081/cgi-bin/addr"));
        Assert.DoesNotContain("port-ctr1", Ruleset());
        _lab.In(_lab.Host, () => _fw.RemovePorts("ctr1"));   // idempotent

        _lab.In(_lab.Host, () => _fw.RemoveNetwork("mrbr0"));
        Assert.Contains("table ip minirun", Ruleset());
        Assert.Equal(["mrbr1"], _lab.In(_lab.Host, () => _fw.Bridges()));
        _lab.In(_lab.Host, () => _fw.RemoveNetwork("mrbr1"));
        string left = Ruleset();
        Assert.DoesNotContain("minirun", left);
        Assert.Contains("table inet testkeep", left);
        Assert.Contains("counter", left);

        // Everything again on an empty ruleset: nothing fails, nothing is left.
        _lab.In(_lab.Host, () =>
        {
            _fw.RemovePorts("ctr2");
            _fw.RemoveNetwork("mrbr0");
            Assert.Null(_fw.Bridges());
        });
        Assert.DoesNotContain("minirun", Ruleset());
    }

    [Fact]
    public void A_first_publish_is_one_nft_run_and_makes_the_table_again_when_it_is_gone()
    {
        _lab.In(_lab.Host, () => _fw.AddNetwork("mrbr0", Net0, isInternal: false));
        int before = _trace.Lines.Count;
        using var one = _lab.In(_lab.Host, () =>
        {
            var reservation = PortReservation.Reserve(PortSpec.ParseAll(["8080:80"]), Ctr1);
            _fw.AddPorts("ctr1", "mrbr0", Ctr1, reservation.Bindings, ownerHasNone: true);
            return reservation;
        });
        var calls = _trace.Lines.Skip(before).Where(l => l.StartsWith("call nft", StringComparison.Ordinal)).ToList();
        Assert.Single(calls);   // no listing of the owner's jumps, no skeleton
        Assert.StartsWith("call nft -f - (add ports of ctr1 -> 10.99.0.2 on \"mrbr0\": 4 commands, one transaction)", calls[0]);
        Assert.Equal("10.99.0.1", Fetch(_lab.Host, "http://127.0.0.1:8080/cgi-bin/addr"));

        // Someone deleted MiniRun's table: the skeleton-less script fails as a whole, the full one follows.
        _lab.Exec(_lab.Host, "nft", "delete table ip minirun");
        _lab.In(_lab.Host, () => _fw.AddPorts("ctr1", "mrbr0", Ctr1, one.Bindings, ownerHasNone: true));
        Assert.Contains(_trace.Lines, l => l.StartsWith("call nft -f - (add ports of ctr1 -> 10.99.0.2 on \"mrbr0\", table assumed) = absent", StringComparison.Ordinal));
        string rules = Ruleset();
        Assert.Single(rules.Split('\n'), l => l.Contains("jump port-ctr1"));
        Assert.Contains("tcp dport 8080 dnat to 10.99.0.2:80", rules);
        Assert.Contains("fib daddr type local jump ports", rules);
        _lab.In(_lab.Host, () => _fw.RemovePorts("ctr1"));
        Assert.DoesNotContain("port-ctr1", Ruleset());
    }

    [Fact]
    public void An_nft_failure_names_the_change_and_leaves_nothing_half_done()
    {
        _lab.In(_lab.Host, () => _fw.AddNetwork("mrbr0", Net0, isInternal: false));
        // A chain port-x that something else in the table still jumps to (only a test makes such a
        // thing): RemovePorts("x") cannot delete it, and the whole script is rolled back.
        _lab.Exec(_lab.Host, "nft", "add chain ip minirun port-x; add rule ip minirun port-x tcp dport 1 drop; "
            + "add chain ip minirun holder; add rule ip minirun holder jump port-x");
        string before = Ruleset();
        var e = Assert.Throws<MiniRun.Runtime.RuntimeException>(() => _lab.In(_lab.Host, () => _fw.RemovePorts("x")));
        Assert.StartsWith("nft -f - (remove ports of x): line ", e.Message);
        Assert.Contains("Device or resource busy", e.Message);
        Assert.Contains("; rule set: add chain ip minirun port-x; flush chain ip minirun port-x; delete chain ip minirun port-x", e.Message);
        Assert.Equal(before, Ruleset());
    }

    [Fact]
    public void Reserved_ports_refuse_host_programs_and_other_containers_with_dockers_messages()
    {
        _lab.In(_lab.Host, () =>
        {
            using var held = PortReservation.Reserve(PortSpec.ParseAll(["9000:80", "9001:53/udp", "0:81"]), Ctr1);
            Assert.Equal(3, held.Fds.Count);
            Assert.Equal([9000, 9001], held.Bindings.Take(2).Select(b => b.HostPort));
            Assert.InRange(held.Bindings[2].HostPort, 32768, 60999);   // this namespace's ip_local_port_range

            // A host program cannot take them, even with SO_REUSEADDR.
            Assert.Equal(System.Net.Sockets.SocketError.AddressAlreadyInUse, TryBind(9000, udp: false, reuse: true));
            Assert.Equal(System.Net.Sockets.SocketError.AddressAlreadyInUse, TryBind(9001, udp: true, reuse: false));
            Assert.Equal(System.Net.Sockets.SocketError.AddressAlreadyInUse, TryBind(held.Bindings[2].HostPort, udp: false, reuse: false));

            // Another reservation of the same port: a host socket has it.
            var e = Assert.Throws<MiniRun.Containers.ContainerException>(() => PortReservation.Reserve(PortSpec.Parse("9000:80"), Ctr2));
            Assert.Equal("failed to bind host port for 0.0.0.0:9000:10.98.0.2:80/tcp: address already in use", e.Message);
            // Another container's record names it: Docker's "already allocated".
            var others = () => (IReadOnlyList<PortBinding>)held.Bindings;
            e = Assert.Throws<MiniRun.Containers.ContainerException>(() => PortReservation.Reserve(PortSpec.Parse("127.0.0.1:9000:80"), Ctr2, others));
            Assert.Equal("Bind for 127.0.0.1:9000 failed: port is already allocated", e.Message);
            // The same port twice in one request.
            e = Assert.Throws<MiniRun.Containers.ContainerException>(() => PortReservation.Reserve(PortSpec.ParseAll(["9100:80", "9100:81"]), Ctr2));
            Assert.Equal("Bind for 0.0.0.0:9100 failed: port is already allocated", e.Message);
            // An address this host does not have.
            e = Assert.Throws<MiniRun.Containers.ContainerException>(() => PortReservation.Reserve(PortSpec.Parse("192.0.2.9:9200:80"), Ctr2));
            Assert.Equal("failed to bind host port for 192.0.2.9:9200:10.98.0.2:80/tcp: cannot assign requested address", e.Message);
        });
    }

    [Fact]
    public void A_range_takes_the_first_free_port_and_a_failure_releases_everything()
    {
        _lab.In(_lab.Host, () =>
        {
            using var hostProgram = new System.Net.Sockets.TcpListener(IPAddress.Any, 9300);
            hostProgram.Start();
            var others = () => (IReadOnlyList<PortBinding>)[new PortBinding("", 9301, 80, "tcp")];
            using (var r = PortReservation.Reserve(PortSpec.Parse("9300-9305:80"), Ctr1, others))
                Assert.Equal(new PortBinding("", 9302, 80, "tcp"), Assert.Single(r.Bindings));
            var e = Assert.Throws<MiniRun.Containers.ContainerException>(() => PortReservation.Reserve(PortSpec.Parse("9300-9301:80"), Ctr1, others));
            Assert.Equal("failed to bind host port for 0.0.0.0:9300-9301:10.99.0.2:80/tcp: address already in use", e.Message);
            e = Assert.Throws<MiniRun.Containers.ContainerException>(() => PortReservation.Reserve(PortSpec.Parse("9301:80"), Ctr1, others));
            Assert.Equal("Bind for 0.0.0.0:9301 failed: port is already allocated", e.Message);

            // All or nothing: 9400 was bound, 9300 failed, so 9400 is free again.
            Assert.Throws<MiniRun.Containers.ContainerException>(() => PortReservation.Reserve(PortSpec.ParseAll(["9400:80", "9300:81"]), Ctr1));
            Assert.Equal(System.Net.Sockets.SocketError.Success, TryBind(9400, udp: false, reuse: false));
            // Dispose frees them.
            var r2 = PortReservation.Reserve(PortSpec.Parse("9500:80"), Ctr1);
            Assert.Equal(System.Net.Sockets.SocketError.AddressAlreadyInUse, TryBind(9500, udp: false, reuse: false));
            r2.Dispose();
            Assert.Equal(System.Net.Sockets.SocketError.Success, TryBind(9500, udp: false, reuse: false));
        });
    }

    private static System.Net.Sockets.SocketError TryBind(int port, bool udp, bool reuse)
    {
        using var s = udp
            ? new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp)
            : new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        s.SetSocketOption(System.Net.Sockets.SocketOptionLevel.Socket, System.Net.Sockets.SocketOptionName.ReuseAddress, reuse);
        try
        {
            s.Bind(new IPEndPoint(IPAddress.Any, port));
            if (!udp) s.Listen();
            return System.Net.Sockets.SocketError.Success;
        }
        catch (System.Net.Sockets.SocketException e)
        {
            return e.SocketErrorCode;
        }
    }

    private sealed class RecordingTrace : ITrace
    {
        private readonly object _gate = new();
        private readonly List<string> _lines = [];
        public bool Enabled => true;
        public IReadOnlyList<string> Lines { get { lock (_gate) return _lines.ToList(); } }
        public void Step(MiniRun.Trace.Narration title, MiniRun.Trace.Narration why) { lock (_gate) _lines.Add($"step {title.En}"); }
        public void Call(string call, string result) { lock (_gate) _lines.Add($"call {call} = {result}"); }
        public void Note(MiniRun.Trace.Narration narration) { string text = narration.En; lock (_gate) _lines.Add($"note {text}"); }
        public void Listing(string text) { lock (_gate) _lines.Add($"note {text}"); }
        public void Fact(MiniRun.Trace.TraceFact fact, string value) { }
    }
}
