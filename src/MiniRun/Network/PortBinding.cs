// PortBinding: one published port, `-p [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/tcp|udp]` after parsing
// and host-port allocation: which host address and port forward to which container port.
//
// Why: the same value goes from the command line (PortSpec) through the port allocator and the
// firewall (DNAT rules) into the container's record, `port`, the PORTS column of `ps` and
// `inspect`'s NetworkSettings.Ports, so it is one small type.
//
// Follows: docker-run(1) "--publish"; Docker's PortBinding (HostIp, HostPort) in inspect.
namespace MiniRun.Network;

/// <param name="HostIp">The host address to listen on; "" means every IPv4 address (0.0.0.0).</param>
/// <param name="HostPort">The host port; 0 only before allocation (an ephemeral port is chosen).</param>
/// <param name="ContainerPort">The port inside the container.</param>
/// <param name="Protocol">"tcp" or "udp".</param>
public sealed record PortBinding(string HostIp, int HostPort, int ContainerPort, string Protocol);
