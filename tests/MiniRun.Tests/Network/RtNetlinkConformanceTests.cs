// RtNetlinkConformanceTests: one scenario - a bridge, a veth with its peer created in the
// container's namespace and renamed eth0 there, addresses, the default route, a link moved between
// namespaces, the errors a caller meets, and deletion - run twice: against the real kernel through
// RtNetlink (inside namespaces the test creates) and against FakeNetlink. Every observation is
// asserted on both, so the fake the engine's tests rely on cannot drift from what the kernel does.
using System.Net;
using MiniRun.Kernel;
using MiniRun.Network;

namespace MiniRun.Tests.Network;

public sealed class RtNetlinkConformanceTests
{
    [Fact]
    public void The_scenario_against_the_kernel_inside_test_namespaces()
    {
        using var ns = new TestNetworkNamespaces();
        var host = ns.Create("host");
        var ctr = ns.Create("ctr");
        Scenario(host.Netlink, host.Fd, ctr.Netlink, ctr.Fd);
    }

    [Fact]
    public void The_same_scenario_against_the_fake()
    {
        var networks = new FakeNetworks();
        var host = networks.NewNamespace("host");
        var ctr = networks.NewNamespace("ctr");
        Scenario(host.Netlink, host.Fd, ctr.Netlink, ctr.Fd);
        Assert.Contains("host: CreateVeth mrt-v0 mrt-p0 1500 fd " + ctr.Fd, networks.Calls);
    }

    private const int ENETUNREACH = 101;

    private static IPAddress Ip(string s) => IPAddress.Parse(s);

    private static void Fails(int errno, Action call) => Assert.Equal(errno, Assert.Throws<NetlinkException>(call).Errno);

    private static void Scenario(INetlink host, int hostFd, INetlink ctr, int ctrFd)
    {
        // A new namespace holds only lo, up, with 127.0.0.1/8 (its routes live in the local table, not main).
        Assert.Equal(["lo"], host.Links().Select(l => l.Name));
        Assert.Equal(new LinkInfo(1, "lo", null, 65536, true, 0), ctr.GetLink("lo"));
        Assert.Equal([(Ip("127.0.0.1"), 8)], ctr.Addresses("lo"));
        Assert.Empty(ctr.Routes());

        // The bridge with the gateway address.
        host.CreateBridge("mrt-br0", 1500);
        Fails(Errno.EEXIST, () => host.CreateBridge("mrt-br0", 1500));
        Fails(Errno.ERANGE, () => host.CreateBridge("mrt-0123456789ab", 1500));   // 16 bytes: over IFNAMSIZ
        host.AddAddress("mrt-br0", Ip("10.99.0.1"), 24);
        host.SetUp("mrt-br0");
        var bridge = host.GetLink("mrt-br0")!;
        Assert.Equal(("bridge", 1500, true, 0), (bridge.Kind, bridge.Mtu, bridge.Up, bridge.MasterIndex));

        // The veth: its peer is born in the container's namespace, both ends down.
        host.CreateVeth("mrt-v0", "mrt-p0", 1500, ctrFd);
        Assert.Null(host.GetLink("mrt-p0"));
        var peer = ctr.GetLink("mrt-p0")!;
        Assert.Equal(("veth", 1500, false), (peer.Kind, peer.Mtu, peer.Up));
        Fails(Errno.EOPNOTSUPP, () => host.SetMaster("mrt-v0", "lo"));
        Fails(Errno.ENODEV, () => host.SetUp("mrt-none"));
        host.SetMaster("mrt-v0", "mrt-br0");
        host.SetUp("mrt-v0");
        var v0 = host.GetLink("mrt-v0")!;
        Assert.Equal(("veth", true, bridge.Index), (v0.Kind, v0.Up, v0.MasterIndex));

        // The container's side: eth0, its address, the default route via the bridge.
        ctr.Rename("mrt-p0", "eth0");
        ctr.AddAddress("eth0", Ip("10.99.0.2"), 24);
        Fails(Errno.EEXIST, () => ctr.AddAddress("eth0", Ip("10.99.0.2"), 24));
        Fails(ENETUNREACH, () => ctr.AddDefaultRoute(Ip("10.99.0.1")));   // eth0 is down: no route to the gateway yet
        ctr.SetUp("eth0");
        Fails(ENETUNREACH, () => ctr.AddDefaultRoute(Ip("10.98.0.1")));   // not on any subnet
        ctr.AddDefaultRoute(Ip("10.99.0.1"));
        Fails(Errno.EEXIST, () => ctr.AddDefaultRoute(Ip("10.99.0.1")));
        var eth0 = ctr.GetLink("eth0")!;
        Assert.Equal(peer.Index, eth0.Index);
        Assert.Equal(["eth0", "lo"], ctr.Links().Select(l => l.Name).Order());
        Assert.Equal([(Ip("10.99.0.2"), 24)], ctr.Addresses("eth0"));
        Assert.Equal([(IPAddress.Any, 0, eth0.Index), (Ip("10.99.0.0"), 24, eth0.Index)],
            ctr.Routes().OrderBy(r => r.PrefixLength));
        Assert.Equal([(Ip("10.99.0.0"), 24, bridge.Index)], host.Routes());

        // A link moved to another namespace arrives down, without its addresses and its master.
        host.CreateVeth("mrt-m0", "mrt-m1", 1500, hostFd);
        host.SetMaster("mrt-m1", "mrt-br0");
        host.AddAddress("mrt-m1", Ip("10.97.0.1"), 24);
        host.SetUp("mrt-m1");
        host.MoveToNamespace("mrt-m1", ctrFd);
        Assert.Null(host.GetLink("mrt-m1"));
        var moved = ctr.GetLink("mrt-m1")!;
        Assert.Equal(("veth", false, 0), (moved.Kind, moved.Up, moved.MasterIndex));
        Assert.Empty(ctr.Addresses("mrt-m1"));

        // Deleting one end of a veth deletes the other, wherever it is, and the routes through it.
        Assert.True(host.DeleteLink("mrt-v0"));
        Assert.False(host.DeleteLink("mrt-v0"));
        Assert.Null(ctr.GetLink("eth0"));
        Assert.Empty(ctr.Routes());
        Assert.True(ctr.DeleteLink("mrt-m1"));
        Assert.Null(host.GetLink("mrt-m0"));
        Assert.True(host.DeleteLink("mrt-br0"));
        Assert.Empty(host.Routes());
        Assert.Equal(["lo"], host.Links().Select(l => l.Name));
        Assert.Equal(["lo"], ctr.Links().Select(l => l.Name));
        Fails(Errno.ENODEV, () => ctr.Addresses("eth0"));
    }
}
