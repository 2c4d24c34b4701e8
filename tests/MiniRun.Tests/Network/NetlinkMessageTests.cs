// NetlinkMessageTests: MiniRun's rtnetlink encoding (Network/NetlinkMessage.cs, RtMessages.cs)
// against the bytes iproute2's `ip` sent for the same requests, and the parsing of replies the
// kernel really sent (CapturedNetlink.cs, captured by capture-netlink.sh). Each request is built
// with the sequence number read from the captured one, so the whole message must match.
using System.Buffers.Binary;
using System.Net;
using MiniRun.Network;

namespace MiniRun.Tests.Network;

public sealed class NetlinkMessageTests
{
    private static byte[] Bytes(string hex) => Convert.FromHexString(hex);
    private static uint Seq(string hex) => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(hex).AsSpan(8));
    private static NetlinkMessage Single(string hex) => Assert.Single(NetlinkMessage.Split(Bytes(hex)));

    /// <summary>Compared as hex so a mismatch shows where.</summary>
    private static void Same(string captured, byte[] built) => Assert.Equal(captured, Convert.ToHexString(built).ToLowerInvariant());

    [Fact]
    public void A_bridge_is_the_same_RTM_NEWLINK_as_ip_link_add_type_bridge()
    {
        var c = CapturedNetlink.BridgeRequest;
        Same(c, RtMessages.CreateBridge(Seq(c), "br0", 1500));
    }

    [Fact]
    public void A_veth_with_its_peer_created_in_another_namespace_nests_the_peer_ifinfomsg_in_VETH_INFO_PEER()
    {
        var c = CapturedNetlink.VethRequest;
        Same(c, RtMessages.CreateVeth(Seq(c), "veth0", "eth0", 1500, peerNetnsFd: 4));
    }

    [Fact]
    public void Link_changes_address_the_link_by_index()
    {
        Same(CapturedNetlink.GetLinkRequest, RtMessages.GetLink(Seq(CapturedNetlink.GetLinkRequest), "veth0"));
        Same(CapturedNetlink.SetMasterRequest, RtMessages.SetMaster(Seq(CapturedNetlink.SetMasterRequest), 3, 2));
        Same(CapturedNetlink.HairpinRequest, RtMessages.SetHairpin(Seq(CapturedNetlink.HairpinRequest), 3, true));
        Same(CapturedNetlink.SetUpRequest, RtMessages.SetUp(Seq(CapturedNetlink.SetUpRequest), 3));
        Same(CapturedNetlink.RenameRequest, RtMessages.Rename(Seq(CapturedNetlink.RenameRequest), 4, "vx"));
        Same(CapturedNetlink.MoveRequest, RtMessages.MoveToNamespace(Seq(CapturedNetlink.MoveRequest), 4, 4));
        Same(CapturedNetlink.DeleteRequest, RtMessages.DeleteLink(Seq(CapturedNetlink.DeleteRequest), 3));
    }

    [Fact]
    public void An_address_carries_IFA_LOCAL_IFA_BROADCAST_and_IFA_ADDRESS_like_ip_addr_add()
    {
        var c = CapturedNetlink.AddAddressRequest;
        Same(c, RtMessages.AddAddress(Seq(c), 2, IPAddress.Parse("172.17.0.1"), 16));
    }

    [Fact]
    public void The_default_route_is_RTM_NEWROUTE_in_the_main_table_with_only_RTA_GATEWAY()
    {
        var c = CapturedNetlink.DefaultRouteRequest;
        Same(c, RtMessages.AddDefaultRoute(Seq(c), IPAddress.Parse("172.17.0.1")));
    }

    [Fact]
    public void Dump_requests_are_ips_own_except_that_links_are_asked_without_statistics()
    {
        var c = CapturedNetlink.AddressDumpRequest[..(24 * 2)];
        Same(c, RtMessages.DumpAddresses(Seq(c), 2));
        var r = CapturedNetlink.RouteDumpRequest[..(36 * 2)];
        Same(r, RtMessages.DumpRoutes(Seq(r)));
        // `ip link show` asks IFLA_EXT_MASK RTEXT_FILTER_VF (1); MiniRun adds RTEXT_FILTER_SKIP_STATS (9),
        // the mask `ip link show dev NAME` uses: the last attribute's value is the only difference.
        var l = CapturedNetlink.LinkDumpRequest;
        Same(l[..^8] + "09000000", RtMessages.DumpLinks(Seq(l)));
    }

    [Fact]
    public void A_link_reply_gives_index_name_kind_mtu_state_and_master()
    {
        var veth = RtMessages.ParseLink(Single(CapturedNetlink.Veth0Reply));
        Assert.Equal(new LinkInfo(3, "veth0", "veth", 1500, Up: false, MasterIndex: 2), veth);
        var bridge = RtMessages.ParseLink(Single(CapturedNetlink.Br0Reply));
        Assert.Equal(new LinkInfo(2, "br0", "bridge", 1500, Up: true, MasterIndex: 0), bridge);
    }

    [Fact]
    public void An_address_dump_is_parts_flagged_NLM_F_MULTI_then_NLMSG_DONE()
    {
        var part = Single(CapturedNetlink.AddressDumpReply);
        Assert.Equal(Rt.RTM_NEWADDR, part.Type);
        Assert.NotEqual(0, part.Flags & Rt.NLM_F_MULTI);
        Assert.Equal(new AddressInfo(2, IPAddress.Parse("172.17.0.1"), 16), RtMessages.ParseAddress(part));
        var done = Single(CapturedNetlink.AddressDumpDone);
        Assert.Equal(Rt.NLMSG_DONE, done.Type);
        Assert.Equal(part.Seq, done.Seq);
    }

    [Fact]
    public void A_route_dump_datagram_holds_several_messages()
    {
        var routes = NetlinkMessage.Split(Bytes(CapturedNetlink.RouteDumpReply)).Select(RtMessages.ParseRoute).ToList();
        Assert.Equal(new RouteInfo?[]
        {
            new(254, IPAddress.Any, 0, IPAddress.Parse("172.17.0.1"), 2),
            new(254, IPAddress.Parse("172.17.0.0"), 16, null, 2),
        }, routes);
    }

    [Fact]
    public void Acks_and_errors_are_NLMSG_ERROR_with_0_or_a_negative_errno()
    {
        var ack = Single(CapturedNetlink.BridgeAck);
        Assert.Equal(Rt.NLMSG_ERROR, ack.Type);
        Assert.Equal((0, (string?)null), ack.ReadError());
        Assert.Equal((-17, (string?)null), Single(CapturedNetlink.ExistsReply).ReadError());   // EEXIST
        Assert.Equal((-19, (string?)null), Single(CapturedNetlink.NoDeviceReply).ReadError()); // ENODEV
    }

    [Fact]
    public void An_extended_ack_carries_the_kernels_sentence_after_the_echoed_request()
    {
        Assert.Equal((-22, "mtu less than device minimum"), Single(CapturedNetlink.MtuErrorReply).ReadError());
    }

    [Fact]
    public void The_error_line_names_the_message_its_operands_the_errno_and_the_kernels_words()
    {
        var e = new NetlinkException("RTM_NEWLINK veth \"mr-3f2a1c\" peer \"eth0\"", 17);
        Assert.Equal("RTM_NEWLINK veth \"mr-3f2a1c\" peer \"eth0\": File exists (EEXIST)", e.Message);
        var x = new NetlinkException("RTM_NEWLINK \"veth0\" (3) IFLA_MTU 10", 22, "mtu less than device minimum");
        Assert.Equal("RTM_NEWLINK \"veth0\" (3) IFLA_MTU 10: Invalid argument (EINVAL): mtu less than device minimum", x.Message);
        Assert.IsAssignableFrom<MiniRun.Runtime.RuntimeException>(x);
    }

    [Fact]
    public void Attributes_are_padded_to_4_bytes_but_their_length_excludes_the_padding()
    {
        var m = new NetlinkRequest(Rt.RTM_NEWLINK, Rt.NLM_F_REQUEST).String(Rt.IFLA_IFNAME, "vx").U32(Rt.IFLA_MTU, 1).ToArray(7);
        Assert.Equal("20000000100001000700000000000000" + "0700030076780000" + "0800040001000000", Convert.ToHexString(m).ToLowerInvariant());
    }

    [Fact]
    public void Truncated_or_overlong_input_is_refused_not_read_past_its_end()
    {
        var good = Bytes(CapturedNetlink.AddressDumpReply);
        Assert.Throws<FormatException>(() => NetlinkMessage.Split(good[..^4]));
        var bad = (byte[])good.Clone();
        bad[16 + 8] = 0xff;   // the first attribute claims 255 bytes
        Assert.Throws<FormatException>(() => RtMessages.ParseAddress(Single(Convert.ToHexString(bad))));
    }

    [Fact]
    public void Only_IPv4_is_encoded_and_the_broadcast_address_sets_every_host_bit()
    {
        Assert.Throws<ArgumentException>(() => RtMessages.AddAddress(1, 2, IPAddress.IPv6Loopback, 64));
        Assert.Equal(IPAddress.Parse("10.88.255.255"), RtMessages.Broadcast(IPAddress.Parse("10.88.0.7"), 16));
        Assert.Equal(IPAddress.Parse("255.255.255.255"), RtMessages.Broadcast(IPAddress.Parse("10.0.0.1"), 0));
        Assert.Equal(IPAddress.Parse("10.0.0.1"), RtMessages.Broadcast(IPAddress.Parse("10.0.0.1"), 32));
        // /31 and /32 have no broadcast address: no IFA_BROADCAST (8 bytes shorter).
        Assert.Equal(RtMessages.AddAddress(1, 2, IPAddress.Parse("10.0.0.1"), 30).Length - 8,
            RtMessages.AddAddress(1, 2, IPAddress.Parse("10.0.0.1"), 31).Length);
    }
}
