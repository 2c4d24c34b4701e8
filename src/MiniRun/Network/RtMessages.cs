// RtMessages: the rtnetlink requests MiniRun sends and the replies it reads, as pure functions
// from arguments to bytes and from bytes to records (no socket here).
//
// Why: keeping the encoding apart from the socket lets the tests compare each request byte for
// byte with the one `ip` sends for the same job (tests/MiniRun.Tests/Network/capture-netlink.sh),
// and parse replies the kernel really produced. The attribute order copies iproute2's (MTU, then
// the name, then IFLA_LINKINFO; IFA_LOCAL, IFA_BROADCAST, IFA_ADDRESS) so the bytes match.
//
// Requests:
//   RTM_NEWLINK  + IFLA_LINKINFO{IFLA_INFO_KIND "bridge"}                     create a bridge
//   RTM_NEWLINK  + IFLA_LINKINFO{KIND "veth", INFO_DATA{VETH_INFO_PEER{ifinfomsg, MTU, IFLA_NET_NS_FD, IFNAME}}}
//   RTM_NEWLINK  index + IFLA_MASTER | IFLA_IFNAME | IFLA_NET_NS_FD | ifi_flags IFF_UP   change a link
//   RTM_DELLINK  index                                                       delete a link
//   RTM_NEWADDR  ifaddrmsg + IFA_LOCAL, IFA_BROADCAST, IFA_ADDRESS           an IPv4 address
//   RTM_NEWROUTE rtmsg(main table, dst_len 0) + RTA_GATEWAY                   the default route
//   RTM_GETLINK / RTM_GETADDR / RTM_GETROUTE                                  one link, or dumps (filtered
//                                                  by the kernel: the socket asks for strict checking)
//
// Follows: rtnetlink(7) (ifinfomsg, ifaddrmsg, rtmsg and their attributes), veth(4);
// linux/rtnetlink.h, linux/if_link.h (IFLA_*, IFLA_INFO_*), linux/veth.h, linux/if_addr.h.
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace MiniRun.Network;

/// <summary>Constants of netlink(7) and rtnetlink(7), with the kernel's names.</summary>
public static class Rt
{
    public const int AF_NETLINK = 16, NETLINK_ROUTE = 0, SOL_NETLINK = 270;
    public const int NETLINK_CAP_ACK = 10, NETLINK_EXT_ACK = 11, NETLINK_GET_STRICT_CHK = 12;

    public const ushort NLMSG_NOOP = 1, NLMSG_ERROR = 2, NLMSG_DONE = 3;
    public const ushort RTM_NEWLINK = 16, RTM_DELLINK = 17, RTM_GETLINK = 18, RTM_SETLINK = 19,
        RTM_NEWADDR = 20, RTM_DELADDR = 21, RTM_GETADDR = 22,
        RTM_NEWROUTE = 24, RTM_DELROUTE = 25, RTM_GETROUTE = 26;

    public const ushort NLM_F_REQUEST = 0x1, NLM_F_MULTI = 0x2, NLM_F_ACK = 0x4, NLM_F_DUMP_INTR = 0x10,
        NLM_F_ROOT = 0x100, NLM_F_MATCH = 0x200, NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH,
        NLM_F_EXCL = 0x200, NLM_F_CREATE = 0x400,
        NLM_F_CAPPED = 0x100, NLM_F_ACK_TLVS = 0x200;
    public const ushort NLMSGERR_ATTR_MSG = 1;

    public const ushort IFLA_ADDRESS = 1, IFLA_IFNAME = 3, IFLA_MTU = 4, IFLA_LINK = 5, IFLA_MASTER = 10,
        IFLA_LINKINFO = 18, IFLA_NET_NS_FD = 28, IFLA_EXT_MASK = 29;
    public const ushort IFLA_INFO_KIND = 1, IFLA_INFO_DATA = 2;
    /// <summary>IFLA_PROTINFO (bridge port settings, with family AF_BRIDGE) and its IFLA_BRPORT_MODE (hairpin).</summary>
    public const ushort IFLA_PROTINFO = 12, IFLA_BRPORT_MODE = 4, NLA_F_NESTED = 0x8000;
    public const ushort VETH_INFO_PEER = 1;
    public const uint RTEXT_FILTER_VF = 1, RTEXT_FILTER_SKIP_STATS = 8;

    public const ushort IFA_ADDRESS = 1, IFA_LOCAL = 2, IFA_LABEL = 3, IFA_BROADCAST = 4;

    public const ushort RTA_DST = 1, RTA_OIF = 4, RTA_GATEWAY = 5, RTA_PREFSRC = 7, RTA_TABLE = 15;
    public const byte RT_TABLE_MAIN = 254, RTPROT_BOOT = 3, RT_SCOPE_UNIVERSE = 0, RTN_UNICAST = 1;

    public const uint IFF_UP = 0x1;
    public const byte AF_UNSPEC = 0, AF_INET = 2, AF_BRIDGE = 7, AF_PACKET = 17;

    /// <summary>"RTM_NEWLINK" for 16, and so on (trace lines and errors).</summary>
    public static string Name(ushort type) => type switch
    {
        RTM_NEWLINK => "RTM_NEWLINK", RTM_DELLINK => "RTM_DELLINK", RTM_GETLINK => "RTM_GETLINK", RTM_SETLINK => "RTM_SETLINK",
        RTM_NEWADDR => "RTM_NEWADDR", RTM_DELADDR => "RTM_DELADDR", RTM_GETADDR => "RTM_GETADDR",
        RTM_NEWROUTE => "RTM_NEWROUTE", RTM_DELROUTE => "RTM_DELROUTE", RTM_GETROUTE => "RTM_GETROUTE",
        NLMSG_ERROR => "NLMSG_ERROR", NLMSG_DONE => "NLMSG_DONE", _ => $"message type {type}",
    };
}

/// <summary>One IPv4 address of a link, as RTM_GETADDR reports it.</summary>
public sealed record AddressInfo(int Index, IPAddress Address, int PrefixLength);

/// <summary>One IPv4 route, as RTM_GETROUTE reports it; Destination 0.0.0.0/0 is the default route.</summary>
public sealed record RouteInfo(int Table, IPAddress Destination, int PrefixLength, IPAddress? Gateway, int OutputIndex);

public static class RtMessages
{
    private const ushort Create = Rt.NLM_F_REQUEST | Rt.NLM_F_ACK | Rt.NLM_F_EXCL | Rt.NLM_F_CREATE;
    private const ushort Change = Rt.NLM_F_REQUEST | Rt.NLM_F_ACK;

    /// <summary>struct ifinfomsg (16 bytes): family, pad, type, index, flags, change.</summary>
    private static byte[] IfInfo(int index = 0, uint flags = 0, uint change = 0, byte family = Rt.AF_UNSPEC)
    {
        var b = new byte[16];
        b[0] = family;
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(4), index);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), flags);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(12), change);
        return b;
    }

    public static byte[] CreateBridge(uint seq, string name, int mtu)
    {
        var m = new NetlinkRequest(Rt.RTM_NEWLINK, Create).Raw(IfInfo())
            .U32(Rt.IFLA_MTU, (uint)mtu).String(Rt.IFLA_IFNAME, name);
        int info = m.BeginNested(Rt.IFLA_LINKINFO);
        m.String(Rt.IFLA_INFO_KIND, "bridge", nul: false);
        return m.EndNested(info).ToArray(seq);
    }

    /// <summary>A veth pair: <paramref name="name"/> here, <paramref name="peerName"/> created directly in the namespace of <paramref name="peerNetnsFd"/>.</summary>
    public static byte[] CreateVeth(uint seq, string name, string peerName, int mtu, int peerNetnsFd)
    {
        var m = new NetlinkRequest(Rt.RTM_NEWLINK, Create).Raw(IfInfo())
            .U32(Rt.IFLA_MTU, (uint)mtu).String(Rt.IFLA_IFNAME, name);
        int info = m.BeginNested(Rt.IFLA_LINKINFO);
        m.String(Rt.IFLA_INFO_KIND, "veth", nul: false);
        int data = m.BeginNested(Rt.IFLA_INFO_DATA);
        // The peer is described like a link of its own: an ifinfomsg, then its attributes.
        int peer = m.BeginNested(Rt.VETH_INFO_PEER);
        m.Raw(IfInfo()).U32(Rt.IFLA_MTU, (uint)mtu).U32(Rt.IFLA_NET_NS_FD, (uint)peerNetnsFd).String(Rt.IFLA_IFNAME, peerName);
        m.EndNested(peer);
        m.EndNested(data);
        return m.EndNested(info).ToArray(seq);
    }

    /// <summary>
    /// Hairpin mode on a bridge port (what `bridge link set dev NAME hairpin on` sends): the bridge
    /// may send a frame back out of the port it came in by, so a container reaches its own published
    /// port through the host's address (the DNAT turns the packet around towards it). RTM_SETLINK, not
    /// RTM_NEWLINK: the kernel reads IFLA_PROTINFO only in its AF_BRIDGE setlink handler; an
    /// RTM_NEWLINK goes to the generic one, which acknowledges the message and ignores the attribute.
    /// </summary>
    public static byte[] SetHairpin(uint seq, int index, bool on)
    {
        var m = new NetlinkRequest(Rt.RTM_SETLINK, Change).Raw(IfInfo(index, family: Rt.AF_BRIDGE));
        int prot = m.BeginNested(Rt.IFLA_PROTINFO | Rt.NLA_F_NESTED);
        m.Attribute(Rt.IFLA_BRPORT_MODE, [(byte)(on ? 1 : 0)]);
        return m.EndNested(prot).ToArray(seq);
    }

    public static byte[] SetMaster(uint seq, int index, int masterIndex) =>
        new NetlinkRequest(Rt.RTM_NEWLINK, Change).Raw(IfInfo(index)).U32(Rt.IFLA_MASTER, (uint)masterIndex).ToArray(seq);

    /// <summary>IFF_UP in both ifi_flags and ifi_change: only that flag changes.</summary>
    public static byte[] SetUp(uint seq, int index) =>
        new NetlinkRequest(Rt.RTM_NEWLINK, Change).Raw(IfInfo(index, Rt.IFF_UP, Rt.IFF_UP)).ToArray(seq);

    public static byte[] Rename(uint seq, int index, string newName) =>
        new NetlinkRequest(Rt.RTM_NEWLINK, Change).Raw(IfInfo(index)).String(Rt.IFLA_IFNAME, newName).ToArray(seq);

    public static byte[] MoveToNamespace(uint seq, int index, int netnsFd) =>
        new NetlinkRequest(Rt.RTM_NEWLINK, Change).Raw(IfInfo(index)).U32(Rt.IFLA_NET_NS_FD, (uint)netnsFd).ToArray(seq);

    public static byte[] DeleteLink(uint seq, int index) =>
        new NetlinkRequest(Rt.RTM_DELLINK, Change).Raw(IfInfo(index)).ToArray(seq);

    /// <summary>One link by name, asked without statistics (IFLA_EXT_MASK), as `ip link show dev NAME` does.</summary>
    public static byte[] GetLink(uint seq, string name) =>
        new NetlinkRequest(Rt.RTM_GETLINK, Rt.NLM_F_REQUEST).Raw(IfInfo())
            .U32(Rt.IFLA_EXT_MASK, Rt.RTEXT_FILTER_VF | Rt.RTEXT_FILTER_SKIP_STATS).String(Rt.IFLA_IFNAME, name).ToArray(seq);

    /// <summary>Every link, as `ip link show` asks (family AF_PACKET), but without statistics (IFLA_EXT_MASK as for one link).</summary>
    public static byte[] DumpLinks(uint seq)
    {
        var ifi = IfInfo();
        ifi[0] = Rt.AF_PACKET;
        return new NetlinkRequest(Rt.RTM_GETLINK, Rt.NLM_F_REQUEST | Rt.NLM_F_DUMP).Raw(ifi)
            .U32(Rt.IFLA_EXT_MASK, Rt.RTEXT_FILTER_VF | Rt.RTEXT_FILTER_SKIP_STATS).ToArray(seq);
    }

    /// <summary>IFA_LOCAL (this end) and IFA_ADDRESS (equal on a broadcast link), IFA_BROADCAST below /31.</summary>
    public static byte[] AddAddress(uint seq, int index, IPAddress address, int prefixLength)
    {
        var ifa = new byte[8];   // struct ifaddrmsg: family, prefixlen, flags, scope, index
        ifa[0] = Rt.AF_INET;
        ifa[1] = (byte)prefixLength;
        ifa[3] = Rt.RT_SCOPE_UNIVERSE;
        BinaryPrimitives.WriteInt32LittleEndian(ifa.AsSpan(4), index);
        var m = new NetlinkRequest(Rt.RTM_NEWADDR, Create).Raw(ifa).Attribute(Rt.IFA_LOCAL, V4(address));
        if (prefixLength < 31) m.Attribute(Rt.IFA_BROADCAST, V4(Broadcast(address, prefixLength)));
        return m.Attribute(Rt.IFA_ADDRESS, V4(address)).ToArray(seq);
    }

    /// <summary>The IPv4 addresses of link <paramref name="index"/> (the kernel filters by index on a socket with NETLINK_GET_STRICT_CHK).</summary>
    public static byte[] DumpAddresses(uint seq, int index)
    {
        var ifa = new byte[8];
        ifa[0] = Rt.AF_INET;
        BinaryPrimitives.WriteInt32LittleEndian(ifa.AsSpan(4), index);
        return new NetlinkRequest(Rt.RTM_GETADDR, Rt.NLM_F_REQUEST | Rt.NLM_F_DUMP).Raw(ifa).ToArray(seq);
    }

    /// <summary>The default route (dst_len 0) via <paramref name="gateway"/> in the main table; the kernel finds the link from the gateway.</summary>
    public static byte[] AddDefaultRoute(uint seq, IPAddress gateway) =>
        new NetlinkRequest(Rt.RTM_NEWROUTE, Create).Raw(RtMsg(Rt.RT_TABLE_MAIN, Rt.RTPROT_BOOT, Rt.RTN_UNICAST))
            .Attribute(Rt.RTA_GATEWAY, V4(gateway)).ToArray(seq);

    /// <summary>The IPv4 routes of the main table (RTA_TABLE: the kernel filters by table on a strict socket).</summary>
    public static byte[] DumpRoutes(uint seq)
    {
        var r = RtMsg(0, 0, 0);
        return new NetlinkRequest(Rt.RTM_GETROUTE, Rt.NLM_F_REQUEST | Rt.NLM_F_DUMP).Raw(r).U32(Rt.RTA_TABLE, Rt.RT_TABLE_MAIN).ToArray(seq);
    }

    /// <summary>struct rtmsg (12 bytes): family, dst_len, src_len, tos, table, protocol, scope, type, flags.</summary>
    private static byte[] RtMsg(byte table, byte protocol, byte type)
    {
        var r = new byte[12];
        r[0] = Rt.AF_INET;
        r[4] = table;
        r[5] = protocol;
        r[6] = Rt.RT_SCOPE_UNIVERSE;
        r[7] = type;
        return r;
    }

    /// <summary>An RTM_NEWLINK reply: index and flags from ifinfomsg, name, MTU, master and kind from its attributes.</summary>
    public static LinkInfo ParseLink(NetlinkMessage m)
    {
        var p = m.Payload;
        if (p.Length < 16) throw new FormatException($"RTM_NEWLINK of {p.Length} bytes");
        int index = BinaryPrimitives.ReadInt32LittleEndian(p.Span[4..]);
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(p.Span[8..]);
        var a = NetlinkAttributes.Parse(p[16..]);
        string name = a.TryGetValue(Rt.IFLA_IFNAME, out var n) ? NetlinkAttributes.String(n) : "";
        int mtu = a.TryGetValue(Rt.IFLA_MTU, out var mt) ? (int)NetlinkAttributes.U32(mt) : 0;
        int master = a.TryGetValue(Rt.IFLA_MASTER, out var ms) ? (int)NetlinkAttributes.U32(ms) : 0;
        string? kind = null;
        if (a.TryGetValue(Rt.IFLA_LINKINFO, out var li) && NetlinkAttributes.Parse(li).TryGetValue(Rt.IFLA_INFO_KIND, out var k))
            kind = NetlinkAttributes.String(k);
        return new LinkInfo(index, name, kind, mtu, (flags & Rt.IFF_UP) != 0, master);
    }

    /// <summary>An RTM_NEWADDR reply; null for another family than IPv4. IFA_LOCAL is the link's own address (IFA_ADDRESS is the peer's on a point-to-point link).</summary>
    public static AddressInfo? ParseAddress(NetlinkMessage m)
    {
        var p = m.Payload;
        if (p.Length < 8) throw new FormatException($"RTM_NEWADDR of {p.Length} bytes");
        if (p.Span[0] != Rt.AF_INET) return null;
        int prefix = p.Span[1];
        int index = BinaryPrimitives.ReadInt32LittleEndian(p.Span[4..]);
        var a = NetlinkAttributes.Parse(p[8..]);
        if (!a.TryGetValue(Rt.IFA_LOCAL, out var addr) && !a.TryGetValue(Rt.IFA_ADDRESS, out addr)) return null;
        return new AddressInfo(index, new IPAddress(addr.Span), prefix);
    }

    /// <summary>An RTM_NEWROUTE reply; null for another family than IPv4. The table is RTA_TABLE when present (tables above 255).</summary>
    public static RouteInfo? ParseRoute(NetlinkMessage m)
    {
        var p = m.Payload;
        if (p.Length < 12) throw new FormatException($"RTM_NEWROUTE of {p.Length} bytes");
        if (p.Span[0] != Rt.AF_INET) return null;
        int dstLen = p.Span[1];
        int table = p.Span[4];
        var a = NetlinkAttributes.Parse(p[12..]);
        if (a.TryGetValue(Rt.RTA_TABLE, out var t)) table = (int)NetlinkAttributes.U32(t);
        var dst = a.TryGetValue(Rt.RTA_DST, out var d) ? new IPAddress(d.Span) : IPAddress.Any;
        var gw = a.TryGetValue(Rt.RTA_GATEWAY, out var g) ? new IPAddress(g.Span) : null;
        int oif = a.TryGetValue(Rt.RTA_OIF, out var o) ? (int)NetlinkAttributes.U32(o) : 0;
        return new RouteInfo(table, dst, dstLen, gw, oif);
    }

    public static byte[] V4(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetwork)
            throw new ArgumentException($"{address} is not an IPv4 address: MiniRun's networks are IPv4 only", nameof(address));
        return address.GetAddressBytes();
    }

    /// <summary>The subnet's broadcast address: every host bit set.</summary>
    public static IPAddress Broadcast(IPAddress address, int prefixLength)
    {
        if (prefixLength is < 0 or > 32) throw new ArgumentOutOfRangeException(nameof(prefixLength), prefixLength, "an IPv4 prefix is 0 to 32 bits");
        uint a = BinaryPrimitives.ReadUInt32BigEndian(V4(address));
        uint hostMask = prefixLength == 0 ? uint.MaxValue : (1u << (32 - prefixLength)) - 1;
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, a | hostMask);
        return new IPAddress(b);
    }
}
