// RealKernel: the NetworkKernel of a real run - rtnetlink sockets (RtNetlink), network namespaces
// held by bind mounts (NetworkNamespace), MiniRun's nftables table (NftFirewall) and host ports
// held by bound sockets (PortReservation), the name resolvers of user networks (NameResolver).
// Tests pass fakes instead, through the NetworkKernel parameter of ContainerNetwork's and
// NetworkCommands' methods.
//
// Follows: rtnetlink(7), ip-netns(8), nft(8), bind(2).
namespace MiniRun.Network;

internal static class RealKernel
{
    public static readonly NetworkKernel Instance = new()
    {
        OpenHost = trace => RtNetlink.Open(trace),
        OpenIn = (fd, trace) => RtNetlink.OpenIn(fd, trace),
        Firewall = (networksDir, trace) => new NftFirewall(trace, Path.Combine(networksDir, "firewall.lock")),
        CreateNamespace = (path, trace) => NetworkNamespace.Create(path, trace),
        OpenNamespace = NetworkNamespace.TryOpenMounted,
        RemoveNamespace = NetworkNamespace.Remove,
        ReservePorts = (wanted, address, others, trace) => PortReservation.Reserve(wanted, address, others, trace),
        EnsureResolver = NameResolver.EnsureRunning,
        StopResolver = NameResolver.Stop,
    };
}
