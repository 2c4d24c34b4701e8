// ContainerNetwork: gives a container its network and takes it away again - the engine's half of
// the NET namespace. Plan (at create: which mode, which namespace file), Attach (at each start:
// the namespace, a veth pair per network, an address from IPAM, the default route, published
// ports, /etc/hosts and resolv.conf) and Detach (at each end, and after a crash: the same in
// reverse, each step idempotent).
//
// Why here and not in the runtime core: the core stays network-agnostic. For a bridge network the
// engine makes the network namespace itself, held by a bind mount of its nsfs file at
// ROOT/netns/SANDBOX (Docker's SandboxKey), and config.json says {"type": "network", "path": ...}:
// init joins it like any other namespace path (as with podman). Then, before the container's
// command runs, the engine creates a veth pair whose peer is born inside that namespace as eth0
// (RTM_NEWLINK with IFLA_NET_NS_FD), enslaves the host end to the bridge, gives eth0 its address
// and the default route through the gateway, and asks the firewall for the port DNAT rules.
// Every kernel object is named after the container (the host end is "veth" + 11 hex digits of a
// hash of the container and network ids), so cleanup needs nothing but the ids: `rm` after a
// killed supervisor and `boot` after a crash find exactly what to remove.
//
// Modes: none (a new namespace with only lo, made by the core), host (no network namespace),
// container:NAME (the other container's namespace path), bridge / NAME (the above).
//
// Follows: docker-run(1) "Network settings"; veth(4), rtnetlink(7), ip-netns(8) (the bind-mount
// convention), runtime-spec config-linux.md "Namespaces" (path).
using System.Net;
using System.Text;
using MiniRun.Containers;
using MiniRun.Trace;

namespace MiniRun.Network;

/// <summary>The kernel operations the engine's networking uses; tests give fakes.</summary>
public sealed class NetworkKernel
{
    public required Func<ITrace, INetlink> OpenHost { get; init; }
    public required Func<int, ITrace, INetlink> OpenIn { get; init; }
    /// <summary>MiniRun's firewall; its lock file lives in the networks directory given.</summary>
    public required Func<string, ITrace, IFirewall> Firewall { get; init; }
    /// <summary>Makes a network namespace held at the path (lo up).</summary>
    public required Action<string, ITrace> CreateNamespace { get; init; }
    /// <summary>An O_RDONLY|O_CLOEXEC descriptor of the namespace file, or -1 when it is not a mounted namespace.</summary>
    public required Func<string, int> OpenNamespace { get; init; }
    public required Action<string, ITrace> RemoveNamespace { get; init; }
    /// <summary>Binds the host ports (kept for the container's life); the other containers' ports name a conflict.</summary>
    public required Func<IReadOnlyList<PortRequest>, IPAddress, Func<IReadOnlyList<PortBinding>>, ITrace, PortReservation> ReservePorts { get; init; }
    /// <summary>The name resolver of a user network (root, network id, gateway): started when not running.</summary>
    public required Action<string, string, IPAddress, ITrace> EnsureResolver { get; init; }
    /// <summary>Ends a user network's resolver (root, network id), for `network rm`.</summary>
    public required Action<string, string> StopResolver { get; init; }
}

/// <summary>What `run`/`create` decided before the container existed.</summary>
public sealed record NetworkPlan(NetworkRequest Request, string SandboxKey, string? JoinPath, bool NewNamespace);

public static class ContainerNetwork
{
    /// <summary>Decides the mode and checks the flags before anything exists. For a bridge network it
    /// names the namespace file (MakeNamespace makes it: `run` before its early clone, else the first start).</summary>
    public static NetworkPlan Plan(string root, MiniRun.Spec.RunOptions o, ITrace trace)
    {
        string mode = string.IsNullOrEmpty(o.Network) ? DefaultMode() : o.Network!;
        if (mode == "default") mode = DefaultMode();
        var publish = PortSpec.ParseAll(o.Publish);
        var request = new NetworkRequest
        {
            Mode = mode, Publish = publish, PublishAll = o.PublishAll, Aliases = o.NetworkAliases.ToList(),
            Ipv4Address = string.IsNullOrEmpty(o.Ip) ? null : o.Ip, Dns = o.Dns.ToList(), DnsSearch = o.DnsSearch.ToList(),
            DnsOptions = o.DnsOptions.ToList(), ExtraHosts = o.AddHosts.ToList(),
        };
        foreach (var h in request.ExtraHosts) ParseExtraHost(h);
        foreach (var d in request.Dns)
            if (!IPAddress.TryParse(d, out _)) throw new NetworkException($"{d} is not an ip address", 125);
        if (request.Ipv4Address is string ip && !IPAddress.TryParse(ip, out _))
            throw new NetworkException($"invalid IPv4 address: {ip}", 125);

        if (request.IsHost || request.IsContainer)
        {
            if (publish.Count > 0 || o.PublishAll)
                trace.Note(Messages.PortsDiscarded.With(request.IsHost ? "host" : "container"));
            request = request with { Publish = [], PublishAll = false };
        }
        if (request.IsContainer)
        {
            string other = mode["container:".Length..];
            var found = FindRunning(root, other)
                ?? throw new NetworkException($"cannot join network namespace of a non running container: {other}", 125);
            string join = !string.IsNullOrEmpty(found.SandboxKey) ? found.SandboxKey! : $"/proc/{found.Pid}/ns/net";
            return new NetworkPlan(request with { Mode = "container:" + found.Id }, "", join, false);
        }
        if (request.IsHost) return new NetworkPlan(request, "", null, false);
        if (request.IsNone)
        {
            if (publish.Count > 0 || o.PublishAll)   // Docker accepts them and publishes nothing
                request = request with { Publish = [], PublishAll = false };
            return new NetworkPlan(request, "", null, true);
        }
        var store = new NetworkStore(root);
        var network = store.Find(mode) ?? throw new NetworkException($"network {mode} not found", 125);
        if (!network.IsBridge)
            throw new NetworkException($"network {mode} is not a bridge network", 125);
        request = request with { Mode = network.Name };
        if (!network.IsUserDefined && (request.Ipv4Address is not null || request.Aliases.Count > 0))
            throw new NetworkException("user specified IP address is supported on user defined networks only", 125);
        if (o.Userns == "remap" || (o.Userns is null && MiniRun.Security.UsernsRemap.ModeOf(null, LoadDaemonConfig()) == "remap"))
            throw new NetworkException("bridge networks with --userns=remap are not implemented yet; use --network none or --network host", 125);
        string sandbox = Path.Combine(store.NetnsDir, Convert.ToHexStringLower(MiniRun.Containers.KernelRandom.Bytes(6)));
        return new NetworkPlan(request, sandbox, sandbox, false);
    }

    /// <summary>Makes the plan's network namespace now (held at its SandboxKey), for `run`'s early clone to join.</summary>
    public static void MakeNamespace(NetworkPlan plan, ITrace trace, NetworkKernel? k = null)
    {
        if (string.IsNullOrEmpty(plan.SandboxKey)) return;
        Directory.CreateDirectory(Path.GetDirectoryName(plan.SandboxKey)!, MiniRun.Security.StoreAccess.OwnerOnly);
        trace.Step(Messages.NetnsTitle, Messages.NetnsWhy);
        (k ?? Kernel()).CreateNamespace(plan.SandboxKey, trace);
    }

    /// <summary>Removes a plan's namespace when the container was never made.</summary>
    public static void Abandon(NetworkPlan plan, NetworkKernel? k = null)
    {
        if (!string.IsNullOrEmpty(plan.SandboxKey)) (k ?? Kernel()).RemoveNamespace(plan.SandboxKey, NullTrace.Instance);
    }

    /// <summary>--network container:NAME: the running container's id, namespace file and PID 1.</summary>
    private static (string Id, string? SandboxKey, int Pid)? FindRunning(string root, string nameOrId)
    {
        var containers = new ContainerStore(root);
        ContainerRecord c;
        try { c = containers.Find(nameOrId); }
        catch (ContainerNotFoundException) { throw new NetworkException($"No such container: {nameOrId}", 125); }
        if (!ContainerLiveness.IsRunning(c)) return null;
        var state = ContainerNetworkFile.Read(containers.DirOf(c.Id));
        if (state is { Request.IsContainer: true })   // a chain: join what that one joined
            return FindRunning(root, state.Request.Mode["container:".Length..]);
        if (state is { Request.IsHost: true })
            throw new NetworkException($"cannot join the network of {nameOrId}: it uses the host's", 125);
        return (c.Id, state?.SandboxKey, c.State.Pid);
    }

    /// <summary>"bridge", or "none" when daemon.json has "bridge": "none".</summary>
    public static string DefaultMode() =>
        NetworkStore.DefaultBridge(LoadDaemonConfig()) is null ? NetworkStore.NoneName : NetworkStore.DefaultName;

    private static MiniRun.Security.DaemonConfig LoadDaemonConfig()
    {
        try { return MiniRun.Security.DaemonConfig.Load(); }
        catch (FormatException e) { throw new NetworkException(e.Message, 125); }
    }

    /// <summary>config.json's network namespace: a new one (none), none at all (host), or a path to join.</summary>
    public static void ApplyToSpec(MiniRun.Spec.RuntimeSpec spec, NetworkPlan plan)
    {
        var namespaces = spec.Linux.Namespaces.Where(n => n.Type != "network").ToList();
        if (plan.NewNamespace) namespaces.Add(new MiniRun.Spec.SpecNamespace { Type = "network" });
        else if (plan.JoinPath is string path) namespaces.Add(new MiniRun.Spec.SpecNamespace { Type = "network", Path = path });
        spec.Linux.Namespaces = namespaces;
    }

    /// <summary>The clone flags for `run`'s early clone: without CLONE_NEWNET when the namespace is joined or the host's.</summary>
    public static int CloneFlags(int flags, NetworkPlan plan) =>
        plan.NewNamespace ? flags : flags & ~MiniRun.Runtime.Namespaces.CLONE_NEWNET;

    /// <summary>Written once at create (the request and the namespace's path).</summary>
    public static void Record(string containerDir, NetworkPlan plan) =>
        ContainerNetworkFile.Write(containerDir, new ContainerNetworkState { Request = plan.Request, SandboxKey = plan.SandboxKey });

    /// <summary>The host end of a container's veth on a network: "veth" + 11 hex digits (IFNAMSIZ allows 15).</summary>
    public static string HostInterfaceName(string containerId, string networkId) =>
        "veth" + Convert.ToHexStringLower(MiniRun.Kernel.Sha256.Hash(Encoding.ASCII.GetBytes(containerId + "/" + networkId)))[..11];

    /// <summary>The endpoint's id in inspect: 64 hex digits of the same hash that names the host end.</summary>
    public static string EndpointId(string containerId, string networkId) =>
        Convert.ToHexStringLower(MiniRun.Kernel.Sha256.Hash(Encoding.ASCII.GetBytes(containerId + "/" + networkId)));

    public static NetworkKernel Kernel() => RealKernel.Instance;

    /// <summary>
    /// Before the container's command runs: its namespace (made again when a start follows a stop),
    /// an interface on each network, its ports. Returns the held host ports (the caller keeps them
    /// open while the container runs), or null. On failure everything made so far is removed.
    /// </summary>
    public static PortReservation? Attach(string root, ContainerRecord c, string containerDir, ITrace trace, NetworkKernel? k = null)
    {
        var state = ContainerNetworkFile.Read(containerDir);
        if (state is null || !state.Request.IsBridged) return null;
        k ??= Kernel();
        var store = new NetworkStore(root);
        var networks = new[] { state.Request.Mode }.Concat(state.Connected).Select(store.Get).ToList();
        PortReservation? hold = null;
        var endpoints = new List<Endpoint>();
        try
        {
            trace.Step(Messages.NetworkTitle, Messages.NetworkWhy.With(networks[0].Bridge));
            if (k.OpenNamespace(state.SandboxKey) is int probe && probe >= 0) MiniRun.Kernel.Libc.close(probe);   // `run` made it
            else
            {
                k.RemoveNamespace(state.SandboxKey, trace);   // an empty file a reboot left, if any
                Directory.CreateDirectory(Path.GetDirectoryName(state.SandboxKey)!, MiniRun.Security.StoreAccess.OwnerOnly);
                k.CreateNamespace(state.SandboxKey, trace);
            }
            int netns = k.OpenNamespace(state.SandboxKey);
            if (netns < 0) throw new NetworkException($"open network namespace {state.SandboxKey}: not a network namespace");
            try
            {
                using var host = k.OpenHost(trace);
                using var inside = k.OpenIn(netns, trace);
                IFirewall? firewall = null;
                for (int i = 0; i < networks.Count; i++)
                {
                    var requested = i == 0 && state.Request.Ipv4Address is string ip ? IPAddress.Parse(ip) : null;
                    endpoints.Add(AttachOne(store, c, networks[i], "eth" + i, netns, host, inside, trace,
                        () => firewall ??= k.Firewall(store.Dir, trace), requested, state.Request.Aliases, defaultRoute: i == 0, k.EnsureResolver));
                }
                var wanted = state.Request.Publish
                    .Concat(state.Request.PublishAll ? PortSpec.PublishAllExposed(state.Request.Exposed, state.Request.Publish) : []).ToList();
                var bound = new List<PortBinding>();
                if (wanted.Count > 0)
                {
                    hold = k.ReservePorts(wanted, endpoints[0].Address, () => OtherContainersPorts(root, c.Id), trace);
                    bound = hold.Bindings.ToList();
                }
                bool hadPorts = state.Ports.Count > 0;   // a Detach that failed: its rules may still be there
                state = state with { Endpoints = endpoints, Ports = bound };
                // The ports are recorded before their rules exist: a crash from here on leaves ports that Detach removes.
                ContainerNetworkFile.Write(containerDir, state);
                if (bound.Count > 0)
                    (firewall ??= k.Firewall(store.Dir, trace)).AddPorts(c.Id, networks[0].Bridge!, endpoints[0].Address, bound,
                        ownerHasNone: !hadPorts);
                WriteEtcFiles(containerDir, c, state, networks[0]);
            }
            finally
            {
                MiniRun.Kernel.Libc.close(netns);
            }
            return hold;
        }
        catch
        {
            hold?.Dispose();
            Detach(root, c.Id, containerDir, trace, k);
            throw;
        }
    }

    /// <summary>One network: the bridge if missing, an address, the veth pair (peer born in the namespace as <paramref name="ifName"/>).</summary>
    private static Endpoint AttachOne(NetworkStore store, ContainerRecord c, NetworkRecord n, string ifName, int netns,
        INetlink host, INetlink inside, ITrace trace, Func<IFirewall> firewall, IPAddress? requested,
        IReadOnlyList<string> requestedAliases, bool defaultRoute, Action<string, string, IPAddress, ITrace> resolver)
    {
        var made = BridgeNetwork.Ensure(store, n, host, trace, firewall);
        if (n.IsUserDefined && NameResolver.Available)   // names of this network's containers, on its gateway (Dns/)
            resolver(Path.GetDirectoryName(store.Dir)!, n.Id, n.Gateway!, trace);
        var ipam = IpamOf(store, n);
        var address = ipam.Allocate(c.Id, requested);
        string hostIf = HostInterfaceName(c.Id, n.Id);
        try
        {
            host.DeleteLink(hostIf);   // left by a crash before the namespace went away
            host.CreateVeth(hostIf, ifName, made.Mtu, netns);
            host.SetMaster(hostIf, n.Bridge!);
            host.SetHairpin(hostIf, true);   // its own published port through the host's address comes back by this port
            host.SetUp(hostIf);
            inside.AddAddress(ifName, address, n.Subnet!.Value.PrefixLength);
            inside.SetUp(ifName);
            if (defaultRoute && !n.Internal) inside.AddDefaultRoute(n.Gateway!);
        }
        catch
        {
            host.DeleteLink(hostIf);
            ipam.Release(c.Id);
            throw;
        }
        var aliases = n.IsUserDefined
            ? new[] { c.Name, Naming.ShortId(c.Id) }.Concat(requestedAliases).Where(a => a.Length > 0).Distinct().ToList()
            : new List<string>();
        var ep = new Endpoint(n.Id, n.Name, ifName, hostIf, address, n.Subnet.Value.PrefixLength, n.Gateway!, "", aliases);
        store.WriteEndpoint(n, new EndpointRecord(c.Id, c.Name, aliases, address, ep.PrefixLength, ifName, hostIf));
        trace.Note(Messages.NetworkAddress.With(ifName, address, ep.PrefixLength, n.Name, n.Bridge, hostIf));
        return ep;
    }

    /// <summary>`network connect`: records the network for later starts; a running container gets the next ethN now.</summary>
    public static void Connect(string root, ContainerRecord c, string containerDir, NetworkRecord n, IReadOnlyList<string> aliases,
        string? ip, bool running, ITrace trace, NetworkKernel? k = null)
    {
        var state = ContainerNetworkFile.Read(containerDir) ?? new ContainerNetworkState { Request = new NetworkRequest { Mode = NetworkStore.NoneName } };
        if (!state.Request.IsBridged)
            throw new NetworkException($"container sharing network namespace with another container or host cannot be connected to any other network");
        if (state.Request.Mode == n.Name || state.Connected.Contains(n.Name))
            throw new NetworkException($"endpoint with name {c.Name} already exists in network {n.Name}");
        if (!n.IsBridge)
            throw new NetworkException($"container cannot be disconnected from host network or connected to host network");
        if ((ip is not null || aliases.Count > 0) && !n.IsUserDefined)
            throw new NetworkException("user specified IP address is supported on user defined networks only");
        state = state with { Connected = state.Connected.Append(n.Name).ToList() };
        if (running)
        {
            k ??= Kernel();
            var store = new NetworkStore(root);
            int netns = k.OpenNamespace(state.SandboxKey);
            if (netns < 0) throw new NetworkException($"open network namespace {state.SandboxKey}: not a network namespace");
            try
            {
                using var host = k.OpenHost(trace);
                using var inside = k.OpenIn(netns, trace);
                string ifName = "eth" + Enumerable.Range(0, 100).First(i => inside.GetLink("eth" + i) is null);
                var ep = AttachOne(store, c, n, ifName, netns, host, inside, trace, () => k.Firewall(store.Dir, trace),
                    ip is null ? null : IPAddress.Parse(ip), aliases, defaultRoute: false, k.EnsureResolver);
                state = state with { Endpoints = state.Endpoints.Append(ep).ToList() };
            }
            finally { MiniRun.Kernel.Libc.close(netns); }
        }
        ContainerNetworkFile.Write(containerDir, state);
    }

    /// <summary>`network disconnect`: forgets the network; a running container loses that interface now.</summary>
    public static void Disconnect(string root, ContainerRecord c, string containerDir, NetworkRecord n, ITrace trace, NetworkKernel? k = null)
    {
        var state = ContainerNetworkFile.Read(containerDir);
        if (state is null || !(state.Request.Mode == n.Name || state.Connected.Contains(n.Name)))
            throw new NetworkException($"container {c.Id} is not connected to network {n.Name}");
        if (state.Request.Mode == n.Name)   // its namespace, ports and config.json are built around the first network
            throw new NetworkException($"disconnecting a container from the network it was created with ({n.Name}) is not implemented; remove the container instead");
        k ??= Kernel();
        var store = new NetworkStore(root);
        using (var host = k.OpenHost(trace)) host.DeleteLink(HostInterfaceName(c.Id, n.Id));
        IpamOf(store, n).Release(c.Id);
        store.DeleteEndpoint(n, c.Id);
        state = state with { Connected = state.Connected.Where(x => x != n.Name).ToList() };
        ContainerNetworkFile.Write(containerDir, state with { Endpoints = state.Endpoints.Where(e => e.NetworkId != n.Id).ToList() });
    }

    /// <summary>
    /// After the container's end (or its crash): port rules, veths, leases, endpoint files and the
    /// namespace, each removed if present. Never throws for something already gone.
    /// With <paramref name="deferredLinks"/>, the host ends of the veths are not deleted but added
    /// to it, for <see cref="DeleteLinks"/> after the end has been reported: deleting a veth waits
    /// for the kernel's RCU grace periods (10-30 ms), and the namespace, unmounted here, takes the
    /// pair with it anyway unless another container still shares it.
    /// </summary>
    public static void Detach(string root, string containerId, string containerDir, ITrace trace, NetworkKernel? k = null,
        ICollection<string>? deferredLinks = null)
    {
        ContainerNetworkState? state;
        try { state = ContainerNetworkFile.Read(containerDir); }
        catch (NetworkException) { return; }
        if (state is null || !state.Request.IsBridged) return;
        k ??= Kernel();
        var store = new NetworkStore(root);
        // Port rules exist only while the record lists ports (Attach writes them first, the end
        // below clears them): a second Detach (`--rm` after the end's) runs no nft.
        if (state.Ports.Count > 0)
            k.Firewall(store.Dir, trace).RemovePorts(containerId);
        using (var host = k.OpenHost(trace))
        {
            foreach (var name in new[] { state.Request.Mode }.Concat(state.Connected).Distinct())
            {
                if (store.Find(name) is not { } n) continue;
                string link = HostInterfaceName(containerId, n.Id);
                if (deferredLinks is not null) deferredLinks.Add(link);
                else host.DeleteLink(link);   // its peer in the namespace goes with it
                IpamOf(store, n).Release(containerId);
                store.DeleteEndpoint(n, containerId);
            }
        }
        if (!string.IsNullOrEmpty(state.SandboxKey)) k.RemoveNamespace(state.SandboxKey, trace);
        if (state.Endpoints.Count > 0 || state.Ports.Count > 0)
            ContainerNetworkFile.Write(containerDir, state with { Endpoints = [], Ports = [] });
    }

    /// <summary>The host ends a deferred <see cref="Detach"/> left; one already gone (with its namespace) is skipped.</summary>
    public static void DeleteLinks(IReadOnlyCollection<string> links, ITrace trace, NetworkKernel? k = null)
    {
        if (links.Count == 0) return;
        k ??= Kernel();
        using var host = k.OpenHost(trace);
        foreach (var link in links) host.DeleteLink(link);
    }

    private static Ipam IpamOf(NetworkStore store, NetworkRecord n) => new(store.IpamPath(n), n.Name, n.Id, n.Subnet!.Value, n.Gateway!);

    /// <summary>Ports other MiniRun containers hold now: tells "already allocated" from a host process's port.</summary>
    private static IReadOnlyList<PortBinding> OtherContainersPorts(string root, string self)
    {
        var list = new List<PortBinding>();
        string dir = Path.Combine(root, "containers");
        foreach (var d in Directory.EnumerateDirectories(dir))
        {
            if (Path.GetFileName(d) == self) continue;
            try { if (ContainerNetworkFile.Read(d) is { } s) list.AddRange(s.Ports); }
            catch (NetworkException) { }
        }
        return list;
    }

    /// <summary>/etc/hosts with the container's own address and name, --add-host lines; resolv.conf per --dns*.</summary>
    private static void WriteEtcFiles(string containerDir, ContainerRecord c, ContainerNetworkState s, NetworkRecord first)
    {
        var hosts = new StringBuilder(MiniRun.Spec.EtcFiles.Hosts());
        foreach (var h in s.Request.ExtraHosts)
        {
            var (name, ip) = ParseExtraHost(h);
            hosts.Append(ip).Append('\t').Append(name).Append('\n');
        }
        if (s.Endpoints.Count > 0)
        {
            string hostname = string.IsNullOrEmpty(c.Config.Hostname) ? Naming.ShortId(c.Id) : c.Config.Hostname;
            hosts.Append(s.Endpoints[0].Address).Append('\t').Append(hostname);
            if (!string.IsNullOrEmpty(c.Name) && c.Name != hostname) hosts.Append(' ').Append(c.Name);
            hosts.Append('\n');
        }
        RewriteInPlace(Path.Combine(containerDir, MiniRun.Spec.EtcFiles.HostsFile), hosts.ToString());
        RewriteInPlace(Path.Combine(containerDir, MiniRun.Spec.EtcFiles.ResolvConfFile), ResolvConf(s.Request, first));
    }

    /// <summary>The host's resolvers (loopback ones dropped), or the resolver of a user network on its gateway; --dns* replace lines.</summary>
    public static string ResolvConf(NetworkRequest r, NetworkRecord? network)
    {
        string baseText = MiniRun.Spec.EtcFiles.ResolvConf(MiniRun.Spec.EtcFiles.ReadHostResolvConf());
        var lines = baseText.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
        bool ownResolver = network is { IsUserDefined: true } && NameResolver.Available;
        if (r.Dns.Count > 0 || ownResolver)
            lines.RemoveAll(l => l.TrimStart().StartsWith("nameserver", StringComparison.Ordinal));
        if (r.DnsSearch.Count > 0) lines.RemoveAll(l => l.TrimStart().StartsWith("search", StringComparison.Ordinal));
        if (r.DnsOptions.Count > 0) lines.RemoveAll(l => l.TrimStart().StartsWith("options", StringComparison.Ordinal));
        var sb = new StringBuilder();
        foreach (var l in lines) sb.Append(l).Append('\n');
        if (ownResolver && r.Dns.Count == 0) sb.Append("nameserver ").Append(network!.Gateway).Append('\n');
        foreach (var d in r.Dns) sb.Append("nameserver ").Append(d).Append('\n');
        if (r.DnsSearch.Count > 0) sb.Append("search ").Append(string.Join(' ', r.DnsSearch)).Append('\n');
        if (r.DnsOptions.Count > 0) sb.Append("options ").Append(string.Join(' ', r.DnsOptions)).Append('\n');
        return sb.ToString();
    }

    /// <summary>--add-host NAME:IP (Docker also takes NAME=IP); "host-gateway" is not supported yet.</summary>
    public static (string Name, string Ip) ParseExtraHost(string h)
    {
        int sep = h.IndexOfAny([':', '=']);
        if (sep <= 0) throw new NetworkException($"invalid argument {GoQuote.Quote(h)} for \"--add-host\" flag: bad format for add-host: {GoQuote.Quote(h)}", 125);
        string name = h[..sep], ip = h[(sep + 1)..].Trim('[', ']');
        if (ip == "host-gateway") throw new NetworkException("--add-host NAME:host-gateway is not implemented yet", 125);
        if (!IPAddress.TryParse(ip, out _))
            throw new NetworkException($"invalid argument {GoQuote.Quote(h)} for \"--add-host\" flag: invalid IP address in add-host: {GoQuote.Quote(ip)}", 125);
        return (name, ip);
    }

    /// <summary>Truncate and write: the file is bind-mounted into a running container, so it must stay the same inode.</summary>
    private static void RewriteInPlace(string path, string text)
    {
        using var f = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write);
        f.SetLength(0);
        var bytes = Encoding.UTF8.GetBytes(text);
        f.Write(bytes);
    }
}
