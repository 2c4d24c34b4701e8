// BridgeNetwork: makes sure a bridge network's kernel objects exist before a container joins it:
// the bridge interface with the gateway address, up, and MiniRun's firewall rules for its subnet.
//
// Why on first use and not at `network create`: the bridge and the nftables table live in the
// kernel and are gone after a reboot, while the network's record stays; checking at each attach
// (one RTM_GETLINK, plus an RTM_GETADDR of the bridge) makes them again whenever they are missing,
// so `boot` needs no network step; the host's links and routes are dumped only to make the bridge.
// The firewall is asked only when the bridge is made here (one `nft` run costs milliseconds; a
// start must not pay it each time). The MTU comes from the host's uplink (the interface of the
// default route), as Docker does, else 1500. A subnet that a host route already covers (another
// interface) is refused in one line rather than breaking the host's routing.
//
// Follows: rtnetlink(7); bridge(8); Docker's bridge driver (default MTU, gateway on the bridge).
using System.Net;
using MiniRun.Trace;

namespace MiniRun.Network;

public static class BridgeNetwork
{
    public sealed record Made(int Mtu, bool Created);

    /// <param name="firewall">Opened only when the rules must be written.</param>
    public static Made Ensure(NetworkStore store, NetworkRecord n, INetlink host, ITrace trace, Func<IFirewall> firewall)
    {
        if (!n.IsBridge || n.Bridge is null || n.Subnet is null || n.Gateway is null)
            throw new NetworkException($"network {n.Name} is not a bridge network");
        using var held = MiniRun.Containers.FileLock.Exclusive(Path.Combine(store.DirOf(n), ".lock"));
        var bridge = host.GetLink(n.Bridge);
        if (bridge is not null)
        {
            if (!host.Addresses(n.Bridge).Any(a => a.Address.Equals(n.Gateway)))
            {
                host.AddAddress(n.Bridge, n.Gateway, n.Subnet.Value.PrefixLength);
                host.SetUp(n.Bridge);
            }
            return new Made(bridge.Mtu, Created: false);
        }
        // Only a bridge to make needs the host's links and routes (dumps that grow with every veth).
        var links = host.Links();
        var routes = host.Routes();
        int mtu = UplinkMtu(routes, links);
        var clash = routes.FirstOrDefault(r => r.PrefixLength > 0 &&
            NetworkStore.Overlaps(new IPNetwork(r.Destination, r.PrefixLength), n.Subnet.Value));
        if (clash != default)
        {
            string dev = links.FirstOrDefault(l => l.Index == clash.OutputIndex)?.Name ?? $"#{clash.OutputIndex}";
            throw new NetworkException($"network {n.Name}: subnet {n.Subnet} overlaps the host's route {clash.Destination}/{clash.PrefixLength} on {dev}; " +
                "choose another with \"bip\" in daemon.json or --subnet", 125);
        }
        trace.Step(Messages.BridgeTitle.With(n.Bridge), Messages.BridgeWhy);
        host.CreateBridge(n.Bridge, mtu);
        host.AddAddress(n.Bridge, n.Gateway, n.Subnet.Value.PrefixLength);
        host.SetUp(n.Bridge);
        firewall().AddNetwork(n.Bridge, n.Subnet.Value, n.Internal);
        return new Made(mtu, Created: true);
    }

    /// <summary>The MTU of the interface the default route leaves by; 1500 when there is none.</summary>
    private static int UplinkMtu(IReadOnlyList<(IPAddress Destination, int PrefixLength, int OutputIndex)> routes, IReadOnlyList<LinkInfo> links)
    {
        var uplink = routes.FirstOrDefault(r => r.PrefixLength == 0);
        return links.FirstOrDefault(l => l.Index == uplink.OutputIndex && uplink != default)?.Mtu ?? 1500;
    }

    /// <summary>`network rm`: the bridge and its rules (a default route's MTU is not needed here).</summary>
    public static void Remove(NetworkRecord n, INetlink host, IFirewall firewall)
    {
        if (n.Bridge is null) return;
        firewall.RemoveNetwork(n.Bridge);
        host.DeleteLink(n.Bridge);
    }
}
