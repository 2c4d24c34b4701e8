// NetworkCommands: the engine's `network create|ls|inspect|rm|prune|connect|disconnect`.
//
// Why: a user-defined network is a record (Network/NetworkStore.cs) plus, once a container uses
// it, a bridge and firewall rules (Network/BridgeNetwork.cs). Creating one only writes the
// record; removing one removes the bridge and its rules too, and is refused while a container is
// attached (Docker's "has active endpoints"). The built-in networks (bridge, host, none) cannot be
// removed. Connect and disconnect change what a container gets at its next start and, when it is
// running, its interfaces now (Network/ContainerNetwork.cs).
//
// Follows: docker-network-create(1), docker-network-rm(1), docker-network-prune(1),
// docker-network-connect(1), docker-network-disconnect(1).
using System.Net;
using MiniRun.Containers;
using MiniRun.Network;
using MiniRun.Trace;

namespace MiniRun.Engine;

public static class NetworkCommands
{
    public static NetworkRecord Create(string root, string name, string driver, string? subnet, string? gateway, bool isInternal,
        IReadOnlyDictionary<string, string> labels, NetworkKernel? k = null)
    {
        if (driver != "bridge")
            throw new NetworkException($"plugin {GoQuote.Quote(driver)} not found" +
                (driver is "overlay" or "macvlan" or "ipvlan" ? $" (MiniRun has only the bridge driver; {driver} is not implemented)" : ""));
        IPNetwork? net = null;
        if (subnet is not null)
        {
            if (!IPNetwork.TryParse(subnet, out var parsed) || parsed.BaseAddress.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
                throw new NetworkException($"invalid subnet {subnet}: invalid CIDR address: {subnet}");
            if (parsed.PrefixLength > 30)
                throw new NetworkException($"invalid pool request: subnet {subnet} is too small (at most /30)");
            net = parsed;
        }
        IPAddress? gw = null;
        if (gateway is not null)
        {
            if (net is null) throw new NetworkException("no matching subnet for gateway " + gateway);
            if (!IPAddress.TryParse(gateway, out gw)) throw new NetworkException($"invalid gateway {gateway}: not an IP address");
        }
        var store = new NetworkStore(root);
        return store.Create(name, net, gw, isInternal, labels, () => HostRoutes(k));
    }

    /// <summary>The host's routes (besides the default route), so a new network's pool does not shadow them.</summary>
    private static IReadOnlyList<IPNetwork> HostRoutes(NetworkKernel? k)
    {
        using var host = (k ?? ContainerNetwork.Kernel()).OpenHost(NullTrace.Instance);
        return host.Routes().Where(r => r.PrefixLength > 0).Select(r => new IPNetwork(NetworkStore.Mask(r.Destination, r.PrefixLength), r.PrefixLength)).ToList();
    }

    /// <summary>Removes each network; returns the errors for the caller to print, as Docker goes on after one.</summary>
    public static List<NetworkException> Remove(string root, IReadOnlyList<string> names, Action<string> removed, NetworkKernel? k = null)
    {
        var errors = new List<NetworkException>();
        var store = new NetworkStore(root);
        foreach (var name in names)
        {
            try
            {
                var n = store.Get(name);
                RemoveOne(store, n, k);
                removed(name);
            }
            catch (NetworkException e) { errors.Add(e); }
        }
        return errors;
    }

    private static void RemoveOne(NetworkStore store, NetworkRecord n, NetworkKernel? k)
    {
        if (n.Name is NetworkStore.DefaultName or NetworkStore.HostName or NetworkStore.NoneName)
            throw new NetworkException($"{n.Name} is a pre-defined network and cannot be removed");
        store.Locked(() =>
        {
            if (store.Endpoints(n).Count > 0)
                throw new NetworkException($"error while removing network: network {n.Name} id {n.Id} has active endpoints");
            k ??= ContainerNetwork.Kernel();
            k.StopResolver(Path.GetDirectoryName(store.Dir)!, n.Id);
            using (var host = k.OpenHost(NullTrace.Instance))
                BridgeNetwork.Remove(n, host, k.Firewall(store.Dir, NullTrace.Instance));
            store.Delete(n);
            return 0;
        });
    }

    /// <summary>`network prune`: every user network without endpoints; returns their names.</summary>
    public static List<string> Prune(string root, NetworkKernel? k = null)
    {
        var store = new NetworkStore(root);
        var removed = new List<string>();
        foreach (var n in store.List().Where(n => n.IsUserDefined))
        {
            try { RemoveOne(store, n, k); removed.Add(n.Name); }
            catch (NetworkException) { }   // in use: kept, as Docker does
        }
        return removed;
    }

    public static void Connect(string root, string network, string container, IReadOnlyList<string> aliases, string? ip, NetworkKernel? k = null)
    {
        var n = new NetworkStore(root).Get(network);
        var containers = new ContainerStore(root);
        var c = containers.Find(container);
        using var held = containers.LockContainer(c.Id);
        ContainerNetwork.Connect(root, c, containers.DirOf(c.Id), n, aliases, ip, ContainerLiveness.IsRunning(c), NullTrace.Instance, k);
    }

    public static void Disconnect(string root, string network, string container, NetworkKernel? k = null)
    {
        var n = new NetworkStore(root).Get(network);
        var containers = new ContainerStore(root);
        var c = containers.Find(container);
        using var held = containers.LockContainer(c.Id);
        ContainerNetwork.Disconnect(root, c, containers.DirOf(c.Id), n, NullTrace.Instance, k);
    }
}
