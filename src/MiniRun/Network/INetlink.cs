// INetlink: the seam between the engine's networking and the kernel's rtnetlink interface: the
// link, address and route operations MiniRun needs to give a container its eth0 on a bridge.
//
// Why: interfaces, addresses, routes and namespace moves are made with rtnetlink messages from
// C# (no `ip` binary), and tests must be able to drive the engine's network code without a kernel
// (a fake records the calls) as well as against a real kernel inside a test network namespace.
// One INetlink is one NETLINK_ROUTE socket, bound for its whole life to the network namespace it
// was opened in; every call is one request answered by an ACK (or an errno, thrown as a
// RuntimeException naming the message, the operands and the errno), narrated on the trace.
//
// Follows: rtnetlink(7), netlink(7), veth(4); linux/if_link.h, linux/veth.h, linux/rtnetlink.h.
using System.Net;

namespace MiniRun.Network;

/// <summary>A network interface as RTM_GETLINK reports it.</summary>
public sealed record LinkInfo(int Index, string Name, string? Kind, int Mtu, bool Up, int MasterIndex);

public interface INetlink : IDisposable
{
    /// <summary>The link named <paramref name="name"/>, or null when there is none (RTM_GETLINK).</summary>
    LinkInfo? GetLink(string name);
    /// <summary>Every link in this socket's namespace (RTM_GETLINK dump).</summary>
    IReadOnlyList<LinkInfo> Links();
    /// <summary>RTM_NEWLINK kind "bridge" (NLM_F_CREATE|NLM_F_EXCL), with its MTU; left down.</summary>
    void CreateBridge(string name, int mtu);
    /// <summary>RTM_NEWLINK kind "veth": <paramref name="name"/> here, its peer <paramref name="peerName"/>
    /// created directly in the namespace <paramref name="peerNetnsFd"/> (IFLA_NET_NS_FD in VETH_INFO_PEER); both down.</summary>
    void CreateVeth(string name, string peerName, int mtu, int peerNetnsFd);
    /// <summary>RTM_NEWLINK IFLA_MASTER: enslaves <paramref name="name"/> to the bridge <paramref name="master"/>.</summary>
    void SetMaster(string name, string master);
    /// <summary>RTM_SETLINK (AF_BRIDGE) IFLA_PROTINFO/IFLA_BRPORT_MODE: hairpin on a bridge port (a container reaching its own published port).</summary>
    void SetHairpin(string name, bool on);
    /// <summary>RTM_NEWLINK with IFF_UP set.</summary>
    void SetUp(string name);
    /// <summary>RTM_NEWLINK IFLA_IFNAME: renames a (down) link.</summary>
    void Rename(string name, string newName);
    /// <summary>RTM_NEWLINK IFLA_NET_NS_FD: moves a link into another network namespace.</summary>
    void MoveToNamespace(string name, int netnsFd);
    /// <summary>RTM_NEWADDR: an IPv4 address with its prefix (IFA_LOCAL, IFA_ADDRESS, IFA_BROADCAST).</summary>
    void AddAddress(string name, IPAddress address, int prefixLength);
    /// <summary>The IPv4 addresses of a link (RTM_GETADDR dump, filtered by index).</summary>
    IReadOnlyList<(IPAddress Address, int PrefixLength)> Addresses(string name);
    /// <summary>RTM_NEWROUTE: the default route via <paramref name="gateway"/> (main table).</summary>
    void AddDefaultRoute(IPAddress gateway);
    /// <summary>The IPv4 routes of the main table (RTM_GETROUTE dump): destination/prefix and output link index.</summary>
    IReadOnlyList<(IPAddress Destination, int PrefixLength, int OutputIndex)> Routes();
    /// <summary>RTM_DELLINK; false when the link was already gone (ENODEV), which is not an error for cleanup.</summary>
    bool DeleteLink(string name);
}
