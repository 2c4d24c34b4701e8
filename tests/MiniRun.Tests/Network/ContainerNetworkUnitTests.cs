// ContainerNetworkUnitTests: the engine's network steps (Network/ContainerNetwork.cs) driven
// through fakes - FakeNetlink namespaces, a recording firewall, namespaces that are only names -
// so every decision is checked without a kernel: what Attach makes and in which namespace, that
// a second container reuses the bridge and its rules, that Detach removes exactly what Attach
// made (twice is fine), that a step failing half-way leaves nothing, and the plan's modes.
// The same steps against the real kernel: BridgeNetworkTests and UserNetworkTests (inside a test
// network namespace).
using System.Net;
using MiniRun.Containers;
using MiniRun.Network;
using MiniRun.Spec;
using MiniRun.Trace;

namespace MiniRun.Tests.Network;

public sealed class ContainerNetworkUnitTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("minirun-netunit-").FullName;
    private readonly FakeNetworks _nets = new();
    private readonly FakeNetlink _host;
    private readonly Dictionary<string, FakeNetlink> _namespaces = new();
    private readonly List<string> _firewall = new(), _resolvers = new(), _removed = new();
    private readonly NetworkKernel _k;

    public ContainerNetworkUnitTests()
    {
        (_host, _) = _nets.NewNamespace("host");
        _k = new NetworkKernel
        {
            OpenHost = _ => new Handle(_host),
            OpenIn = (fd, _) => new Handle(_nets.Resolve(fd, "open")),
            Firewall = (_, _) => new RecordingFirewall(_firewall),
            CreateNamespace = (path, _) => { File.WriteAllText(path, ""); _namespaces[path] = _nets.NewNamespace(Path.GetFileName(path)).Netlink; },
            OpenNamespace = OpenNamespace,
            RemoveNamespace = (path, _) => { if (_namespaces.Remove(path)) _removed.Add(path); if (File.Exists(path)) File.Delete(path); },
            ReservePorts = (_, _, _, _) => throw new InvalidOperationException("no ports in these tests"),
            EnsureResolver = (_, id, gw, _) => _resolvers.Add($"{id[..12]} {gw}"),
            StopResolver = (_, id) => _resolvers.Add($"stop {id[..12]}"),
        };
    }

    /// <summary>A real descriptor (Attach closes what it opens), registered as naming the fake namespace.</summary>
    private int OpenNamespace(string path)
    {
        if (!_namespaces.TryGetValue(path, out var ns)) return -1;
        int fd = MiniRun.Kernel.Libc.open("/dev/null", MiniRun.Kernel.Libc.O_RDONLY | MiniRun.Kernel.Libc.O_CLOEXEC, 0);
        _nets.Register(fd, ns);
        return fd;
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>An INetlink the code may dispose; the fake namespace stays for the next open.</summary>
    private sealed class Handle(FakeNetlink n) : INetlink
    {
        public LinkInfo? GetLink(string name) => n.GetLink(name);
        public IReadOnlyList<LinkInfo> Links() => n.Links();
        public void CreateBridge(string name, int mtu) => n.CreateBridge(name, mtu);
        public void CreateVeth(string name, string peerName, int mtu, int peerNetnsFd) => n.CreateVeth(name, peerName, mtu, peerNetnsFd);
        public void SetMaster(string name, string master) => n.SetMaster(name, master);
        public void SetHairpin(string name, bool on) => n.SetHairpin(name, on);
        public void SetUp(string name) => n.SetUp(name);
        public void Rename(string name, string newName) => n.Rename(name, newName);
        public void MoveToNamespace(string name, int netnsFd) => n.MoveToNamespace(name, netnsFd);
        public void AddAddress(string name, IPAddress address, int prefixLength) => n.AddAddress(name, address, prefixLength);
        public IReadOnlyList<(IPAddress Address, int PrefixLength)> Addresses(string name) => n.Addresses(name);
        public void AddDefaultRoute(IPAddress gateway) => n.AddDefaultRoute(gateway);
        public IReadOnlyList<(IPAddress Destination, int PrefixLength, int OutputIndex)> Routes() => n.Routes();
        public bool DeleteLink(string name) => n.DeleteLink(name);
        public void Dispose() { }
    }

    private sealed class RecordingFirewall(List<string> log) : IFirewall
    {
        public void AddNetwork(string bridge, IPNetwork subnet, bool isInternal) => log.Add($"AddNetwork {bridge} {subnet} {isInternal}");
        public void RemoveNetwork(string bridge) => log.Add($"RemoveNetwork {bridge}");
        public void AddPorts(string owner, string bridge, IPAddress containerAddress, IReadOnlyList<PortBinding> ports, bool ownerHasNone = false) =>
            log.Add($"AddPorts {owner}");
        public void RemovePorts(string owner) => log.Add($"RemovePorts {owner}");
    }

    private NetworkRecord UserNetwork(string name = "app", string subnet = "10.5.0.0/24") =>
        new NetworkStore(_root).Create(name, IPNetwork.Parse(subnet), null, false, new Dictionary<string, string>(), () => []);

    /// <summary>A container record and directory with network.json as `create` writes it.</summary>
    private (ContainerRecord Record, string Dir) Container(string name, string network)
    {
        string id = Naming.NewId();
        string dir = Path.Combine(_root, "containers", id);
        Directory.CreateDirectory(dir);
        foreach (var f in new[] { EtcFiles.HostsFile, EtcFiles.ResolvConfFile }) File.WriteAllText(Path.Combine(dir, f), "");
        var plan = ContainerNetwork.Plan(_root, new RunOptions { Network = network, Image = "busybox" }, NullTrace.Instance);
        ContainerNetwork.Record(dir, plan);
        return (new ContainerRecord { Id = id, Name = name, Config = new ContainerRecordConfig { Hostname = id[..12] } }, dir);
    }

    private FakeNetlink Inside(string dir) => _namespaces[ContainerNetworkFile.Read(dir)!.SandboxKey];

    [Fact]
    public void Attach_makes_the_bridge_a_veth_whose_peer_is_born_inside_the_address_and_the_route()
    {
        var n = UserNetwork();
        var (c, dir) = Container("web", "app");
        Assert.Null(ContainerNetwork.Attach(_root, c, dir, NullTrace.Instance, _k));

        string hostIf = ContainerNetwork.HostInterfaceName(c.Id, n.Id);
        var bridge = _host.GetLink(n.Bridge!)!;
        Assert.Equal("bridge", bridge.Kind);
        Assert.Contains((IPAddress.Parse("10.5.0.1"), 24), _host.Addresses(n.Bridge!));
        var veth = _host.GetLink(hostIf)!;
        Assert.Equal(bridge.Index, veth.MasterIndex);
        Assert.True(veth.Up);
        Assert.Contains($"SetHairpin {hostIf} True", _host.Calls);

        var inside = Inside(dir);
        Assert.True(inside.GetLink("eth0")!.Up);
        Assert.Contains((IPAddress.Parse("10.5.0.2"), 24), inside.Addresses("eth0"));
        Assert.Contains(inside.Routes(), r => r.PrefixLength == 0);
        Assert.Equal(["AddNetwork " + n.Bridge + " 10.5.0.0/24 False"], _firewall);
        Assert.Equal([$"{n.Id[..12]} 10.5.0.1"], _resolvers);

        var state = ContainerNetworkFile.Read(dir)!;
        var ep = Assert.Single(state.Endpoints);
        Assert.Equal(("eth0", hostIf, "10.5.0.2"), (ep.Interface, ep.HostInterface, ep.Address.ToString()));
        Assert.Contains("web", ep.Aliases);
        var file = Assert.Single(new NetworkStore(_root).Endpoints(n));
        Assert.Equal(c.Id, file.ContainerId);
        Assert.Contains("10.5.0.2\t" + c.Id[..12] + " web", File.ReadAllText(Path.Combine(dir, EtcFiles.HostsFile)));
        Assert.Equal("nameserver 10.5.0.1", File.ReadAllLines(Path.Combine(dir, EtcFiles.ResolvConfFile)).Single(l => l.StartsWith("nameserver")));
    }

    [Fact]
    public void A_second_container_reuses_the_bridge_and_its_rules_and_gets_the_next_address()
    {
        var n = UserNetwork();
        var (a, dirA) = Container("web", "app");
        var (b, dirB) = Container("db", "app");
        ContainerNetwork.Attach(_root, a, dirA, NullTrace.Instance, _k);
        ContainerNetwork.Attach(_root, b, dirB, NullTrace.Instance, _k);
        Assert.Single(_host.Calls, call => call.StartsWith("CreateBridge"));
        Assert.Single(_firewall);
        Assert.Contains((IPAddress.Parse("10.5.0.3"), 24), Inside(dirB).Addresses("eth0"));
    }

    [Fact]
    public void Detach_removes_what_attach_made_and_a_second_detach_finds_nothing_to_do()
    {
        var n = UserNetwork();
        var (c, dir) = Container("web", "app");
        ContainerNetwork.Attach(_root, c, dir, NullTrace.Instance, _k);
        string sandbox = ContainerNetworkFile.Read(dir)!.SandboxKey;
        var inside = Inside(dir);

        ContainerNetwork.Detach(_root, c.Id, dir, NullTrace.Instance, _k);
        Assert.Null(_host.GetLink(ContainerNetwork.HostInterfaceName(c.Id, n.Id)));
        Assert.Null(inside.GetLink("eth0"));   // a veth's peer goes with it
        Assert.Equal([sandbox], _removed);
        Assert.Empty(new NetworkStore(_root).Endpoints(n));
        Assert.Empty(new Ipam(new NetworkStore(_root).IpamPath(n), n.Name, n.Id, n.Subnet!.Value, n.Gateway!).Leases());
        Assert.Empty(ContainerNetworkFile.Read(dir)!.Endpoints);
        Assert.NotNull(_host.GetLink(n.Bridge!));   // the network stays

        ContainerNetwork.Detach(_root, c.Id, dir, NullTrace.Instance, _k);   // after a crash it runs again: nothing fails
    }

    [Fact]
    public void A_deferred_detach_frees_lease_endpoint_and_namespace_now_and_leaves_the_veth_for_later()
    {
        var n = UserNetwork();
        var (c, dir) = Container("web", "app");
        ContainerNetwork.Attach(_root, c, dir, NullTrace.Instance, _k);
        string hostIf = ContainerNetwork.HostInterfaceName(c.Id, n.Id);

        var later = new List<string>();
        ContainerNetwork.Detach(_root, c.Id, dir, NullTrace.Instance, _k, later);
        Assert.Equal([hostIf], later);
        Assert.NotNull(_host.GetLink(hostIf));                 // not yet: the supervisor reports the end first
        Assert.Single(_removed);                               // the namespace is unmounted now
        Assert.Empty(new NetworkStore(_root).Endpoints(n));
        Assert.Empty(new Ipam(new NetworkStore(_root).IpamPath(n), n.Name, n.Id, n.Subnet!.Value, n.Gateway!).Leases());

        ContainerNetwork.DeleteLinks(later, NullTrace.Instance, _k);
        Assert.Null(_host.GetLink(hostIf));
        ContainerNetwork.DeleteLinks(later, NullTrace.Instance, _k);   // gone already (with its namespace): nothing fails
    }

    [Fact]
    public void A_step_failing_half_way_leaves_no_veth_lease_endpoint_or_namespace()
    {
        var n = UserNetwork();
        var (c, dir) = Container("web", "app");
        _host.FailNext["SetMaster"] = 22;   // EINVAL
        var e = Assert.Throws<NetlinkException>(() => ContainerNetwork.Attach(_root, c, dir, NullTrace.Instance, _k));
        Assert.Contains("EINVAL", e.Message);
        Assert.DoesNotContain(_host.Links(), l => l.Kind == "veth");
        Assert.Empty(new Ipam(new NetworkStore(_root).IpamPath(n), n.Name, n.Id, n.Subnet!.Value, n.Gateway!).Leases());
        Assert.Empty(new NetworkStore(_root).Endpoints(n));
        Assert.Empty(_namespaces);
    }

    [Fact]
    public void A_subnet_that_a_host_route_covers_is_refused_naming_the_route()
    {
        _host.CreateBridge("eth9", 1500);
        _host.SetUp("eth9");
        _host.AddAddress("eth9", IPAddress.Parse("10.5.0.200"), 24);
        UserNetwork();
        var (c, dir) = Container("web", "app");
        var e = Assert.Throws<NetworkException>(() => ContainerNetwork.Attach(_root, c, dir, NullTrace.Instance, _k));
        Assert.Contains("overlaps the host's route 10.5.0.0/24 on eth9", e.Message);
        Assert.Empty(_namespaces);
    }

    [Fact]
    public void The_plan_puts_each_mode_into_config_json()
    {
        UserNetwork();
        RuntimeSpec Spec(string network)
        {
            var spec = new RuntimeSpec { Linux = new SpecLinux { Namespaces = [new SpecNamespace { Type = "network" }, new SpecNamespace { Type = "pid" }] } };
            ContainerNetwork.ApplyToSpec(spec, ContainerNetwork.Plan(_root, new RunOptions { Network = network, Image = "x" }, NullTrace.Instance));
            return spec;
        }
        Assert.Null(Spec("none").Linux.Namespaces.Single(n => n.Type == "network").Path);
        Assert.DoesNotContain(Spec("host").Linux.Namespaces, n => n.Type == "network");
        string path = Spec("app").Linux.Namespaces.Single(n => n.Type == "network").Path!;
        Assert.StartsWith(Path.Combine(_root, "netns") + "/", path);
        var missing = Assert.Throws<NetworkException>(() => Spec("nosuch"));
        Assert.Equal("network nosuch not found", missing.Message);
        Assert.Equal("Error response from daemon: network nosuch not found", MiniRun.Engine.DaemonError.Text(missing));
        var other = Assert.Throws<NetworkException>(() => Spec("container:ghost"));
        Assert.Contains("No such container: ghost", other.Message);
        var ip = Assert.Throws<NetworkException>(() => ContainerNetwork.Plan(_root,
            new RunOptions { Network = "none", Image = "x", Dns = ["not-an-ip"] }, NullTrace.Instance));
        Assert.Equal(125, ip.ExitCode);
    }
}
