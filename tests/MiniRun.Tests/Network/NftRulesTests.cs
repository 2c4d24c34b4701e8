// NftRulesTests: the exact text of the nft scripts (Network/NftRules.cs) and how NftFirewall turns
// an nft failure into one line (with a stand-in nft that fails like the real one). No kernel:
// the real rules are tested in a network namespace by NftFirewallNetnsTests.
using System.Net;
using MiniRun.Network;
using MiniRun.Runtime;
using MiniRun.Trace;

namespace MiniRun.Tests.Network;

public sealed class NftRulesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("minirun-nftrules-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Skeleton = """
        add table ip minirun
        add set ip minirun bridges { type ifname; }
        add map ip minirun forward-in { type ifname : verdict; }
        add map ip minirun forward-out { type ifname : verdict; }
        add map ip minirun postrouting-in { type ifname : verdict; }
        add map ip minirun postrouting-out { type ifname : verdict; }
        add chain ip minirun ports
        add chain ip minirun guard { type filter hook prerouting priority raw; policy accept; }
        add chain ip minirun forward { type filter hook forward priority filter; policy accept; }
        add chain ip minirun prerouting { type nat hook prerouting priority dstnat; policy accept; }
        add chain ip minirun output { type nat hook output priority -100; policy accept; }
        add chain ip minirun postrouting { type nat hook postrouting priority srcnat; policy accept; }
        flush chain ip minirun guard
        add rule ip minirun guard iifname @bridges ip daddr 127.0.0.0/8 drop
        flush chain ip minirun forward
        add rule ip minirun forward oifname vmap @forward-in
        add rule ip minirun forward iifname vmap @forward-out
        flush chain ip minirun prerouting
        add rule ip minirun prerouting fib daddr type local jump ports
        flush chain ip minirun output
        add rule ip minirun output fib daddr type local jump ports
        flush chain ip minirun postrouting
        add rule ip minirun postrouting oifname vmap @postrouting-in
        add rule ip minirun postrouting iifname vmap @postrouting-out

        """;

    [Fact]
    public void A_bridge_network_masquerades_its_subnet_and_is_isolated()
    {
        Assert.Equal(Skeleton + """
            add chain ip minirun forward-in-minirun0
            flush chain ip minirun forward-in-minirun0
            add rule ip minirun forward-in-minirun0 ct state established,related accept
            add rule ip minirun forward-in-minirun0 iifname "minirun0" accept
            add rule ip minirun forward-in-minirun0 ct status dnat accept
            add rule ip minirun forward-in-minirun0 drop
            add chain ip minirun forward-out-minirun0
            flush chain ip minirun forward-out-minirun0
            add rule ip minirun forward-out-minirun0 oifname "minirun0" accept
            add rule ip minirun forward-out-minirun0 oifname @bridges drop
            add rule ip minirun forward-out-minirun0 accept
            add chain ip minirun postrouting-out-minirun0
            flush chain ip minirun postrouting-out-minirun0
            add rule ip minirun postrouting-out-minirun0 oifname != "minirun0" ip saddr 172.17.0.0/16 masquerade
            add chain ip minirun postrouting-in-minirun0
            flush chain ip minirun postrouting-in-minirun0
            add rule ip minirun postrouting-in-minirun0 ip saddr 127.0.0.0/8 masquerade
            add rule ip minirun postrouting-in-minirun0 ip saddr 172.17.0.0/16 ct status dnat masquerade
            add element ip minirun bridges { "minirun0" }
            add element ip minirun forward-in { "minirun0" : jump forward-in-minirun0 }
            add element ip minirun forward-out { "minirun0" : jump forward-out-minirun0 }
            add element ip minirun postrouting-in { "minirun0" : jump postrouting-in-minirun0 }
            add element ip minirun postrouting-out { "minirun0" : jump postrouting-out-minirun0 }

            """, NftRules.AddNetwork("minirun0", IPNetwork.Parse("172.17.0.0/16"), isInternal: false));
    }

    [Fact]
    public void An_internal_network_neither_leaves_nor_is_masqueraded()
    {
        string script = NftRules.AddNetwork("br-int", IPNetwork.Parse("10.5.0.0/24"), isInternal: true);
        Assert.StartsWith(Skeleton, script);
        Assert.Equal("""
            add chain ip minirun forward-in-br-int
            flush chain ip minirun forward-in-br-int
            add rule ip minirun forward-in-br-int iifname "br-int" accept
            add rule ip minirun forward-in-br-int drop
            add chain ip minirun forward-out-br-int
            flush chain ip minirun forward-out-br-int
            add rule ip minirun forward-out-br-int oifname "br-int" accept
            add rule ip minirun forward-out-br-int drop
            add chain ip minirun postrouting-out-br-int
            flush chain ip minirun postrouting-out-br-int
            add chain ip minirun postrouting-in-br-int
            flush chain ip minirun postrouting-in-br-int
            add rule ip minirun postrouting-in-br-int ip saddr 127.0.0.0/8 masquerade
            add rule ip minirun postrouting-in-br-int ip saddr 10.5.0.0/24 ct status dnat masquerade
            add element ip minirun bridges { "br-int" }
            add element ip minirun forward-in { "br-int" : jump forward-in-br-int }
            add element ip minirun forward-out { "br-int" : jump forward-out-br-int }
            add element ip minirun postrouting-in { "br-int" : jump postrouting-in-br-int }
            add element ip minirun postrouting-out { "br-int" : jump postrouting-out-br-int }

            """, script[Skeleton.Length..]);
    }

    [Fact]
    public void Removing_a_network_adds_then_deletes_so_it_works_whatever_is_left()
    {
        Assert.Equal(Skeleton + """
            add chain ip minirun forward-in-br0
            add chain ip minirun forward-out-br0
            add chain ip minirun postrouting-in-br0
            add chain ip minirun postrouting-out-br0
            add element ip minirun bridges { "br0" }
            add element ip minirun forward-in { "br0" : jump forward-in-br0 }
            add element ip minirun forward-out { "br0" : jump forward-out-br0 }
            add element ip minirun postrouting-in { "br0" : jump postrouting-in-br0 }
            add element ip minirun postrouting-out { "br0" : jump postrouting-out-br0 }
            delete element ip minirun bridges { "br0" }
            delete element ip minirun forward-in { "br0" }
            delete element ip minirun forward-out { "br0" }
            delete element ip minirun postrouting-in { "br0" }
            delete element ip minirun postrouting-out { "br0" }
            flush chain ip minirun forward-in-br0
            delete chain ip minirun forward-in-br0
            flush chain ip minirun forward-out-br0
            delete chain ip minirun forward-out-br0
            flush chain ip minirun postrouting-in-br0
            delete chain ip minirun postrouting-in-br0
            flush chain ip minirun postrouting-out-br0
            delete chain ip minirun postrouting-out-br0

            """, NftRules.RemoveNetwork("br0"));
        Assert.Equal("delete table ip minirun\n", NftRules.DeleteTable());
    }

    [Fact]
    public void Published_ports_go_in_the_owners_chain_jumped_to_with_its_name()
    {
        PortBinding[] ports = [new("", 8080, 80, "tcp"), new("127.0.0.1", 5353, 53, "udp"), new("0.0.0.0", 8443, 443, "tcp")];
        Assert.Equal(Skeleton + """
            delete rule ip minirun ports handle 17
            add chain ip minirun port-4f1c9e
            flush chain ip minirun port-4f1c9e
            add rule ip minirun port-4f1c9e tcp dport 8080 dnat to 172.17.0.2:80
            add rule ip minirun port-4f1c9e ip daddr 127.0.0.1 udp dport 5353 dnat to 172.17.0.2:53
            add rule ip minirun port-4f1c9e tcp dport 8443 dnat to 172.17.0.2:443
            add rule ip minirun ports jump port-4f1c9e comment "4f1c9e"

            """, NftRules.AddPorts("4f1c9e", IPAddress.Parse("172.17.0.2"), ports, [17]));
        Assert.Equal(Skeleton + """
            delete rule ip minirun ports handle 17
            delete rule ip minirun ports handle 23
            add chain ip minirun port-4f1c9e
            flush chain ip minirun port-4f1c9e
            delete chain ip minirun port-4f1c9e

            """, NftRules.RemovePorts("4f1c9e", [17, 23]));
    }

    [Fact]
    public void A_containers_port_scripts_can_leave_the_skeleton_out()
    {
        PortBinding[] ports = [new("", 8080, 80, "tcp")];
        Assert.Equal("""
            add chain ip minirun port-4f1c9e
            flush chain ip minirun port-4f1c9e
            add rule ip minirun port-4f1c9e tcp dport 8080 dnat to 172.17.0.2:80
            add rule ip minirun ports jump port-4f1c9e comment "4f1c9e"

            """, NftRules.AddPorts("4f1c9e", IPAddress.Parse("172.17.0.2"), ports, [], withSkeleton: false));
        Assert.Equal("""
            delete rule ip minirun ports handle 17
            add chain ip minirun port-4f1c9e
            flush chain ip minirun port-4f1c9e
            delete chain ip minirun port-4f1c9e

            """, NftRules.RemovePorts("4f1c9e", [17], withSkeleton: false));
    }

    [Fact]
    public void Names_and_bindings_that_cannot_be_written_safely_are_refused()
    {
        Assert.Throws<ArgumentException>(() => NftRules.AddNetwork("br0\"; flush ruleset", IPNetwork.Parse("10.0.0.0/24"), false));
        Assert.Throws<ArgumentException>(() => NftRules.AddNetwork("a-very-long-bridge-name", IPNetwork.Parse("10.0.0.0/24"), false));
        Assert.Throws<ArgumentException>(() => NftRules.AddNetwork("br0", IPNetwork.Parse("fd00::/64"), false));
        Assert.Throws<ArgumentException>(() => NftRules.RemovePorts("x y", []));
        Assert.Throws<ArgumentException>(() => NftRules.AddPorts("c1", IPAddress.Parse("10.0.0.2"), [new("", 0, 80, "tcp")], []));
        Assert.Throws<ArgumentException>(() => NftRules.AddPorts("c1", IPAddress.Parse("10.0.0.2"), [new("", 80, 80, "sctp")], []));
        Assert.Throws<ArgumentException>(() => NftRules.AddPorts("c1", IPAddress.Parse("10.0.0.2"), [new("::1", 80, 80, "tcp")], []));
    }

    [Theory]
    [InlineData("/dev/stdin:5:52-66: Error: invalid priority expression value in this context.\nadd chain ip minirun output { type nat hook output priority dstnat; }\n                                                   ^^^^^^^^^^^^^^^\n",
        "line 5: invalid priority expression value in this context. (add chain ip minirun output { type nat hook output priority dstnat; })")]
    [InlineData("Error: No such file or directory\nlist set ip minirun bridges\n            ^^^^^^^\n",
        "No such file or directory (list set ip minirun bridges)")]
    [InlineData("Error: Could not process rule: Operation not permitted\n", "Could not process rule: Operation not permitted")]
    [InlineData("netlink: Error: cache initialization failed: Operation not permitted\n", "cache initialization failed: Operation not permitted")]
    [InlineData("", "failed without a message")]
    public void Nft_errors_become_one_line(string stderr, string expected)
    {
        Assert.Equal(expected, NftFirewall.NftMessage(stderr));
    }

    [Fact]
    public void A_failing_nft_is_one_error_line_naming_the_change_the_message_and_the_rule_set()
    {
        // A stand-in nft that fails the way nft does (it never touches any ruleset).
        string fake = Path.Combine(_dir, "nft");
        File.WriteAllText(fake, "#!/bin/sh\ncat >/dev/null\necho '/dev/stdin:3:1-6: Error: Could not process rule: Operation not permitted' >&2\necho 'add map ip minirun forward-in { type ifname : verdict; }' >&2\necho '^^^^^^' >&2\nexit 1\n");
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var sys = Directory.CreateDirectory(Path.Combine(_dir, "sys/net/ipv4/conf/br0")).Parent!.Parent!.FullName;
        File.WriteAllText(Path.Combine(sys, "ip_forward"), "0");
        var fw = new NftFirewall(NullTrace.Instance, Path.Combine(_dir, "fw.lock"), fake, Path.Combine(_dir, "sys"));
        var e = Assert.Throws<RuntimeException>(() => fw.AddNetwork("br0", IPNetwork.Parse("10.9.0.0/24"), false));
        Assert.DoesNotContain("\n", e.Message);
        Assert.StartsWith("nft -f - (add network \"br0\" 10.9.0.0/24): line 3: Could not process rule: Operation not permitted " +
            "(add map ip minirun forward-in { type ifname : verdict; }); rule set: add table ip minirun; add set ip minirun bridges", e.Message);
        Assert.EndsWith("add element ip minirun postrouting-out { \"br0\" : jump postrouting-out-br0 }", e.Message);
        // The sysctls were written before the rules (in this stand-in /proc/sys).
        Assert.Equal("1", File.ReadAllText(Path.Combine(sys, "ip_forward")));
        Assert.Equal("1", File.ReadAllText(Path.Combine(sys, "conf/br0/route_localnet")));
    }

    [Fact]
    public void A_missing_bridge_fails_on_route_localnet_before_any_rule()
    {
        string fake = Path.Combine(_dir, "nft");
        File.WriteAllText(fake, "#!/bin/sh\necho ran >> '" + Path.Combine(_dir, "ran") + "'\n");
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        Directory.CreateDirectory(Path.Combine(_dir, "sys/net/ipv4"));
        File.WriteAllText(Path.Combine(_dir, "sys/net/ipv4/ip_forward"), "1");
        var fw = new NftFirewall(NullTrace.Instance, Path.Combine(_dir, "fw.lock"), fake, Path.Combine(_dir, "sys"));
        var e = Assert.Throws<RuntimeException>(() => fw.AddNetwork("nobr", IPNetwork.Parse("10.9.0.0/24"), false));
        Assert.StartsWith($"add network \"nobr\": write \"1\" to {_dir}/sys/net/ipv4/conf/nobr/route_localnet: ", e.Message);
        Assert.False(File.Exists(Path.Combine(_dir, "ran")));
    }
}
