// NetworkFlagsCli: the network flags of `run` and `create`, put on RunOptions: --network (--net),
// -p/--publish, -P/--publish-all, --network-alias, --ip, --dns, --dns-search, --dns-option,
// --add-host. Checked when the container is planned (Network/ContainerNetwork.cs Plan, with
// Docker's messages and exit 125); a -p that does not parse fails here, before anything exists.
//
// Follows: docker-run(1) "--network", "--publish", "--publish-all", "--network-alias", "--ip",
// "--dns", "--dns-search", "--dns-option", "--add-host".
using System.CommandLine;
using MiniRun.Spec;

namespace MiniRun.Cli;

public sealed class NetworkFlagsCli
{
    public required Option<string?> Network, Ip;
    public required Option<string[]> Publish, Alias, Dns, DnsSearch, DnsOption, AddHost;
    public required Option<bool> PublishAll;

    public IEnumerable<Option> All => [Network, Publish, PublishAll, Alias, Ip, Dns, DnsSearch, DnsOption, AddHost];

    public static NetworkFlagsCli Options()
    {
        static Option<string[]> M(string name, string description, params string[] aliases) => new(name, aliases) { Description = description };
        return new NetworkFlagsCli
        {
            Network = new Option<string?>("--network", "--net") { Description = "Connect a container to a network (bridge, none, host, container:NAME, or a network's name)" },
            Publish = M("--publish", "Publish a container's port(s) to the host, [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/tcp|udp]", "-p"),
            PublishAll = new Option<bool>("--publish-all", "-P") { Description = "Publish all exposed ports to random ports" },
            Alias = M("--network-alias", "Add network-scoped alias for the container"),
            Ip = new Option<string?>("--ip") { Description = "IPv4 address (e.g., 172.30.100.104) on a user-defined network" },
            Dns = M("--dns", "Set custom DNS servers"),
            DnsSearch = M("--dns-search", "Set custom DNS search domains"),
            DnsOption = M("--dns-option", "Set DNS options"),
            AddHost = M("--add-host", "Add a custom host-to-IP mapping (host:ip)"),
        };
    }

    public void Read(ParseResult p, RunOptions o)
    {
        o.Network = p.GetValue(Network);
        o.Publish = (p.GetValue(Publish) ?? []).ToList();
        o.PublishAll = p.GetValue(PublishAll);
        o.NetworkAliases = (p.GetValue(Alias) ?? []).ToList();
        o.Ip = p.GetValue(Ip);
        o.Dns = (p.GetValue(Dns) ?? []).ToList();
        o.DnsSearch = (p.GetValue(DnsSearch) ?? []).ToList();
        o.DnsOptions = (p.GetValue(DnsOption) ?? []).ToList();
        o.AddHosts = (p.GetValue(AddHost) ?? []).ToList();
        MiniRun.Network.PortSpec.ParseAll(o.Publish);   // a bad -p is one line and 125 before anything exists
    }
}
