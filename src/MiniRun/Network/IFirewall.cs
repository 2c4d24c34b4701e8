// IFirewall: the seam between the engine's networking and the packet filter: MiniRun's own
// nftables table, which masquerades a bridge network's outbound traffic, isolates networks from
// each other, and DNATs published ports to a container's address.
//
// Why: the engine decides what must be forwarded; how the rules are written (and that no rule
// MiniRun did not create is ever touched) is this seam's job. Tests fake it to check the engine's
// decisions, and drive the real implementation inside a network namespace they create.
// Every method is idempotent: cleanup after a crash calls the removals again.
//
// Follows: nft(8), nftables wiki "Performing Network Address Translation"; Docker's bridge
// driver rules (masquerade, isolation, DNAT in prerouting and output).
using System.Net;

namespace MiniRun.Network;

public interface IFirewall
{
    /// <summary>Rules for one bridge network: masquerade of <paramref name="subnet"/> leaving by
    /// another interface (none when <paramref name="isInternal"/>), forwarding to and from the
    /// bridge, and no forwarding between it and any other MiniRun bridge. Creates MiniRun's table on first use.</summary>
    void AddNetwork(string bridge, IPNetwork subnet, bool isInternal);
    /// <summary>Removes that network's rules; removes MiniRun's table when no network is left.</summary>
    void RemoveNetwork(string bridge);
    /// <summary>DNAT from each binding's host address and port (prerouting, and output for the host's
    /// own connections, 127.0.0.1 included) to <paramref name="containerAddress"/>, tagged with <paramref name="owner"/>,
    /// replacing the owner's rules. <paramref name="ownerHasNone"/>: the caller knows the owner has no port rules
    /// now (its record lists no ports), so they need not be looked up; a leftover would only be doubled.</summary>
    void AddPorts(string owner, string bridge, IPAddress containerAddress, IReadOnlyList<PortBinding> ports, bool ownerHasNone = false);
    /// <summary>Removes every port rule tagged with <paramref name="owner"/>.</summary>
    void RemovePorts(string owner);
}
