// NftRules: the text of the nft(8) scripts NftFirewall runs: MiniRun's own table `ip minirun`,
// with one set of chains per bridge network and one chain per container that publishes ports.
//
// Why text: `nft -f -` applies a whole script as one transaction (all of it or nothing), and the
// text is what a student reads in `nft list table ip minirun`. Every script starts with the
// table's skeleton (its sets, maps and base chains: `add` is a no-op for what exists, and the base
// chains are flushed and refilled in the same transaction), so any script works on any state.
//
// The table (every chain touches only packets to, from or about MiniRun's bridges):
//   guard       filter prerouting, priority raw: nothing from a bridge to 127.0.0.0/8. The bridge
//               needs route_localnet=1 for published ports on 127.0.0.1; this keeps containers
//               from reaching the host's loopback services through it (CVE-2020-8558's lesson).
//   forward     filter forward: `oifname vmap @forward-in` (to a bridge), then `iifname vmap
//               @forward-out` (from a bridge), each jumping to that bridge's chain:
//     forward-in-BR:  replies (ct state established,related), the same bridge, and published
//                     ports (ct status dnat) pass; everything else, other MiniRun bridges
//                     included, is dropped (only published ports are reachable from outside, as
//                     Docker 28 does). Internal network: only the same bridge.
//     forward-out-BR: the same bridge passes; another MiniRun bridge (@bridges) is dropped
//                     (isolation, both ways); the rest goes out. Internal network: nothing leaves.
//   postrouting nat: `oifname vmap @postrouting-in`, `iifname vmap @postrouting-out`:
//     postrouting-out-BR: `oifname != BR ip saddr SUBNET masquerade` (not for internal networks).
//     postrouting-in-BR:  `ip saddr 127.0.0.0/8 masquerade` (the host's connections to a published
//                         port on 127.0.0.1: the container could not answer 127.0.0.1), and the
//                         hairpin `ip saddr SUBNET ct status dnat masquerade` (a container reaching
//                         a published port on its own network through the host's address: the
//                         answer must come back through the host to be un-DNATed). Matched on the
//                         source, not on iifname: with br_netfilter active such a packet is bridged,
//                         and the bridge's postrouting hook has no input interface.
//   prerouting, output  nat, priority dstnat: `fib daddr type local jump ports`: connections to
//               one of the host's own addresses (from outside, and from the host itself,
//               127.0.0.1 included) go through the published ports.
//   ports       one `jump port-OWNER comment "OWNER"` per container with published ports;
//   port-OWNER  `[ip daddr HOSTIP] tcp dport HOSTPORT dnat to ADDRESS:PORT` per binding.
// Removing one container's ports deletes its jump (by the handle nft reports for its comment)
// and its chain; nothing else moves. The scripts of one container's ports may leave the skeleton
// out (NftFirewall does when the table is known to exist): they run at every start and end of a
// container that publishes ports, and the skeleton is most of nft's work there.
//
// Follows: nft(8) (sets, verdict maps, `fib`, `ct status dnat`, masquerade, dnat, base chain
// priorities), nftables wiki "Performing Network Address Translation" and "Verdict Maps";
// Docker's bridge driver rules and netavark's nftables driver (what is masqueraded, isolated and
// DNATed; the text here is MiniRun's own).
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace MiniRun.Network;

public static partial class NftRules
{
    /// <summary>MiniRun's table, family and name: the only table MiniRun ever lists, changes or deletes.</summary>
    public const string Table = "ip minirun";

    /// <summary>The declarations and base chains every script begins with.</summary>
    public static IReadOnlyList<string> Skeleton() =>
    [
        $"add table {Table}",
        $"add set {Table} bridges {{ type ifname; }}",
        $"add map {Table} forward-in {{ type ifname : verdict; }}",
        $"add map {Table} forward-out {{ type ifname : verdict; }}",
        $"add map {Table} postrouting-in {{ type ifname : verdict; }}",
        $"add map {Table} postrouting-out {{ type ifname : verdict; }}",
        $"add chain {Table} ports",
        $"add chain {Table} guard {{ type filter hook prerouting priority raw; policy accept; }}",
        $"add chain {Table} forward {{ type filter hook forward priority filter; policy accept; }}",
        $"add chain {Table} prerouting {{ type nat hook prerouting priority dstnat; policy accept; }}",
        $"add chain {Table} output {{ type nat hook output priority -100; policy accept; }}",
        $"add chain {Table} postrouting {{ type nat hook postrouting priority srcnat; policy accept; }}",
        $"flush chain {Table} guard",
        $"add rule {Table} guard iifname @bridges ip daddr 127.0.0.0/8 drop",
        $"flush chain {Table} forward",
        $"add rule {Table} forward oifname vmap @forward-in",
        $"add rule {Table} forward iifname vmap @forward-out",
        $"flush chain {Table} prerouting",
        $"add rule {Table} prerouting fib daddr type local jump ports",
        $"flush chain {Table} output",
        $"add rule {Table} output fib daddr type local jump ports",
        $"flush chain {Table} postrouting",
        $"add rule {Table} postrouting oifname vmap @postrouting-in",
        $"add rule {Table} postrouting iifname vmap @postrouting-out",
    ];

    /// <summary>The rules of one bridge network (replacing any it had): its four chains and map elements.</summary>
    public static string AddNetwork(string bridge, IPNetwork subnet, bool isInternal)
    {
        CheckBridge(bridge);
        if (subnet.BaseAddress.AddressFamily != AddressFamily.InterNetwork)
            throw new ArgumentException($"nft rules for {bridge}: IPv4 subnets only, not {subnet}");
        string q = Quote(bridge);
        var lines = new List<string>(Skeleton());
        void Chain(string name, params string[] rules)
        {
            lines.Add($"add chain {Table} {name}");
            lines.Add($"flush chain {Table} {name}");
            foreach (var r in rules) lines.Add($"add rule {Table} {name} {r}");
        }
        if (isInternal)
        {
            Chain($"forward-in-{bridge}", $"iifname {q} accept", "drop");
            Chain($"forward-out-{bridge}", $"oifname {q} accept", "drop");
            Chain($"postrouting-out-{bridge}");
        }
        else
        {
            Chain($"forward-in-{bridge}", "ct state established,related accept", $"iifname {q} accept", "ct status dnat accept", "drop");
            Chain($"forward-out-{bridge}", $"oifname {q} accept", "oifname @bridges drop", "accept");
            Chain($"postrouting-out-{bridge}", $"oifname != {q} ip saddr {subnet} masquerade");
        }
        Chain($"postrouting-in-{bridge}", "ip saddr 127.0.0.0/8 masquerade", $"ip saddr {subnet} ct status dnat masquerade");
        lines.AddRange(Elements("add", bridge));
        return Script(lines);
    }

    /// <summary>
    /// Removes one bridge network's elements and chains. Idempotent without looking first: each is
    /// added (a no-op when it exists) and then deleted, in the same transaction.
    /// </summary>
    public static string RemoveNetwork(string bridge)
    {
        CheckBridge(bridge);
        var lines = new List<string>(Skeleton());
        string[] chains = [$"forward-in-{bridge}", $"forward-out-{bridge}", $"postrouting-in-{bridge}", $"postrouting-out-{bridge}"];
        foreach (var c in chains) lines.Add($"add chain {Table} {c}");
        lines.AddRange(Elements("add", bridge));
        lines.AddRange(Elements("delete", bridge));
        foreach (var c in chains) { lines.Add($"flush chain {Table} {c}"); lines.Add($"delete chain {Table} {c}"); }
        return Script(lines);
    }

    /// <summary>Deletes MiniRun's table and everything in it (when its last network is gone).</summary>
    public static string DeleteTable() => Script([$"delete table {Table}"]);

    /// <summary>
    /// The published ports of <paramref name="owner"/>: its chain refilled with one DNAT rule per
    /// binding, and one jump to it from `ports` (after deleting its old jumps, by handle).
    /// <paramref name="withSkeleton"/> false: the script assumes the table exists (a network's rules
    /// were added) and fails as a whole, changing nothing, when it does not; it is ~5 ms cheaper for
    /// nft, which otherwise re-declares the base chains and refills their rules.
    /// </summary>
    public static string AddPorts(string owner, IPAddress containerAddress, IReadOnlyList<PortBinding> ports, IEnumerable<long> oldJumpHandles,
        bool withSkeleton = true)
    {
        CheckOwner(owner);
        if (containerAddress.AddressFamily != AddressFamily.InterNetwork)
            throw new ArgumentException($"published ports of {owner}: IPv4 container address only, not {containerAddress}");
        var lines = withSkeleton ? new List<string>(Skeleton()) : [];
        foreach (var h in oldJumpHandles) lines.Add($"delete rule {Table} ports handle {h}");
        string chain = OwnerChain(owner);
        lines.Add($"add chain {Table} {chain}");
        lines.Add($"flush chain {Table} {chain}");
        foreach (var p in ports) lines.Add($"add rule {Table} {chain} {DnatRule(p, containerAddress)}");
        lines.Add($"add rule {Table} ports jump {chain} comment {Quote(owner)}");
        return Script(lines);
    }

    /// <summary>Removes the published ports of <paramref name="owner"/>: its jumps (by handle) and its chain
    /// (<paramref name="withSkeleton"/>: as in AddPorts).</summary>
    public static string RemovePorts(string owner, IEnumerable<long> jumpHandles, bool withSkeleton = true)
    {
        CheckOwner(owner);
        var lines = withSkeleton ? new List<string>(Skeleton()) : [];
        foreach (var h in jumpHandles) lines.Add($"delete rule {Table} ports handle {h}");
        string chain = OwnerChain(owner);
        lines.Add($"add chain {Table} {chain}");
        lines.Add($"flush chain {Table} {chain}");
        lines.Add($"delete chain {Table} {chain}");
        return Script(lines);
    }

    /// <summary>"ip daddr 127.0.0.1 tcp dport 8080 dnat to 172.17.0.2:80" (no address match when HostIp is "").</summary>
    public static string DnatRule(PortBinding p, IPAddress containerAddress)
    {
        if (p.Protocol is not ("tcp" or "udp")) throw new ArgumentException($"published port {p}: protocol must be tcp or udp");
        if (p.HostPort is < 1 or > 65535 || p.ContainerPort is < 1 or > 65535)
            throw new ArgumentException($"published port {p}: host and container ports must be 1-65535 (allocate the host port first)");
        if (p.HostIp != "" && !PortSpec.IsIPv4(p.HostIp)) throw new ArgumentException($"published port {p}: host address must be IPv4");
        string match = p.HostIp == "" || p.HostIp == "0.0.0.0" ? "" : $"ip daddr {p.HostIp} ";
        return $"{match}{p.Protocol} dport {p.HostPort} dnat to {containerAddress}:{p.ContainerPort}";
    }

    /// <summary>The chain holding one owner's DNAT rules.</summary>
    public static string OwnerChain(string owner) => "port-" + owner;

    private static IEnumerable<string> Elements(string verb, string bridge)
    {
        string q = Quote(bridge);
        yield return $"{verb} element {Table} bridges {{ {q} }}";
        foreach (var map in new[] { "forward-in", "forward-out", "postrouting-in", "postrouting-out" })
            yield return verb == "add"
                ? $"add element {Table} {map} {{ {q} : jump {map}-{bridge} }}"
                : $"delete element {Table} {map} {{ {q} }}";
    }

    private static string Script(IEnumerable<string> lines)
    {
        var sb = new StringBuilder();
        foreach (var l in lines) sb.Append(l).Append('\n');
        return sb.ToString();
    }

    private static string Quote(string s) => "\"" + s + "\"";

    /// <summary>An interface name as the kernel allows it (1-15 bytes) and nft can quote: letters, digits, _ . -</summary>
    public static void CheckBridge(string bridge)
    {
        if (!BridgeName().IsMatch(bridge)) throw new ArgumentException($"bridge name {GoQuote.Quote(bridge)}: 1-15 letters, digits, _ . -");
    }

    /// <summary>An owner (a container ID) usable in a chain name and a comment.</summary>
    public static void CheckOwner(string owner)
    {
        if (!OwnerName().IsMatch(owner)) throw new ArgumentException($"port owner {GoQuote.Quote(owner)}: 1-100 letters, digits, _ . - (a container ID)");
    }

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,15}$")]
    private static partial Regex BridgeName();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")]
    private static partial Regex OwnerName();
}
