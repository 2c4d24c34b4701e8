// FakeNetlinkTests: what the fake offers the engine's tests beyond the modelled kernel behaviour
// (which RtNetlinkConformanceTests checks against the real kernel): the calls in words, a chosen
// call failing once with an errno, and Dispose.
using System.Net;
using MiniRun.Kernel;
using MiniRun.Network;

namespace MiniRun.Tests.Network;

public sealed class FakeNetlinkTests
{
    [Fact]
    public void Calls_are_recorded_in_words_per_namespace_and_across_them()
    {
        var networks = new FakeNetworks();
        var (host, _) = networks.NewNamespace("host");
        var (ctr, fd) = networks.NewNamespace("ctr");
        host.CreateVeth("mr-1", "tmp-1", 1400, fd);
        ctr.Rename("tmp-1", "eth0");
        ctr.AddAddress("eth0", IPAddress.Parse("172.17.0.2"), 16);
        Assert.Equal([$"CreateVeth mr-1 tmp-1 1400 fd {fd}"], host.Calls);
        Assert.Equal(["Rename tmp-1 eth0", "AddAddress eth0 172.17.0.2/16"], ctr.Calls);
        Assert.Equal([$"host: CreateVeth mr-1 tmp-1 1400 fd {fd}", "ctr: Rename tmp-1 eth0", "ctr: AddAddress eth0 172.17.0.2/16"], networks.Calls);
        Assert.Equal(1400, ctr.GetLink("eth0")!.Mtu);
    }

    [Fact]
    public void A_chosen_call_fails_once_with_its_errno_and_changes_nothing()
    {
        var netlink = new FakeNetlink();
        netlink.FailNext["CreateBridge"] = Errno.EPERM;
        var e = Assert.Throws<NetlinkException>(() => netlink.CreateBridge("minirun0", 1500));
        Assert.Equal("CreateBridge minirun0 1500: Operation not permitted (EPERM)", e.Message);
        Assert.Null(netlink.GetLink("minirun0"));
        netlink.CreateBridge("minirun0", 1500);
        Assert.Equal("bridge", netlink.GetLink("minirun0")!.Kind);
    }

    [Fact]
    public void An_unknown_namespace_descriptor_is_EBADF_and_a_disposed_fake_refuses_calls()
    {
        var netlink = new FakeNetlink();
        Assert.Equal(Errno.EBADF, Assert.Throws<NetlinkException>(() => netlink.CreateVeth("a", "b", 1500, 7)).Errno);
        Assert.Null(netlink.GetLink("a"));
        netlink.Dispose();
        Assert.True(netlink.Disposed);
        Assert.Throws<ObjectDisposedException>(() => netlink.Links());
    }
}
