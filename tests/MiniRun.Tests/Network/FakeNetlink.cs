// FakeNetlink: an INetlink without a kernel, for the engine's tests: it records every call in
// words and keeps a tiny model of one network namespace's links, IPv4 addresses and routes.
// Namespaces that know each other (a FakeNetworks) let a veth peer or a moved link land in the
// namespace a descriptor names, as IFLA_NET_NS_FD does.
//
// What it models, each checked against the real kernel by RtNetlinkConformanceTests (the same
// scenario runs on both): a namespace starts with lo (index 1, up, 127.0.0.1/8); indexes count up per namespace
// and a moved link keeps its index when it is free there; names are unique (EEXIST) and at most
// 15 bytes (ERANGE); only a bridge can be a master (EOPNOTSUPP); a veth and its peer are deleted together;
// a link moved to another namespace arrives down, detached, without addresses; an address on an
// up link adds its subnet's route; a default route needs its gateway in such a subnet
// (ENETUNREACH); a duplicate address is EEXIST; a missing link is ENODEV.
// What it does not: carrier, MTU limits, renaming an up link (6.1 refuses, 6.18 allows), IPv6.
using System.Net;
using MiniRun.Kernel;
using MiniRun.Network;

namespace MiniRun.Tests.Network;

/// <summary>Namespaces of fakes by descriptor number, so IFLA_NET_NS_FD has somewhere to go.</summary>
public sealed class FakeNetworks
{
    private readonly Dictionary<int, FakeNetlink> _byFd = new();
    private int _nextFd = 100;

    /// <summary>A new namespace (with lo up, as NetworkNamespace.Create leaves it) and the descriptor that names it.</summary>
    public (FakeNetlink Netlink, int Fd) NewNamespace(string label)
    {
        int fd = _nextFd++;
        var ns = new FakeNetlink(this, label);
        _byFd[fd] = ns;
        return (ns, fd);
    }

    /// <summary>Lets another descriptor number name <paramref name="ns"/> too (a test that hands out real descriptors).</summary>
    public void Register(int fd, FakeNetlink ns) => _byFd[fd] = ns;

    internal FakeNetlink Resolve(int fd, string operation) =>
        _byFd.TryGetValue(fd, out var ns) ? ns : throw new NetlinkException(operation, Errno.EBADF);

    /// <summary>Every call made on any namespace, prefixed with its label.</summary>
    public List<string> Calls { get; } = new();
}

public sealed class FakeNetlink : INetlink
{
    private const int ENETUNREACH = 101;

    private sealed class Link
    {
        public int Index;
        public string Name = "";
        public string? Kind;
        public int Mtu;
        public bool Up;
        public int MasterIndex;
        public Link? Peer;
        public FakeNetlink Home = null!;
        public LinkInfo Info => new(Index, Name, Kind, Mtu, Up, MasterIndex);
    }

    private readonly FakeNetworks _networks;
    private readonly string _label;
    private readonly List<Link> _links = new();
    private readonly List<(int Index, IPAddress Address, int Prefix)> _addresses = new();
    private readonly List<(IPAddress Gateway, int Index)> _defaultRoutes = new();
    private int _nextIndex = 2;

    /// <summary>A single namespace of its own (no peers elsewhere).</summary>
    public FakeNetlink() : this(new FakeNetworks(), "ns") { }

    internal FakeNetlink(FakeNetworks networks, string label)
    {
        _networks = networks;
        _label = label;
        _links.Add(new Link { Index = 1, Name = "lo", Mtu = 65536, Up = true, Home = this });
        _addresses.Add((1, IPAddress.Loopback, 8));   // the kernel gives lo 127.0.0.1/8 when it comes up
    }

    /// <summary>The calls made on this namespace, e.g. "CreateVeth mr-1 eth0 1500 fd 101".</summary>
    public List<string> Calls { get; } = new();
    public bool Disposed { get; private set; }

    /// <summary>Makes the next call whose record starts with the key fail with that errno (once).</summary>
    public Dictionary<string, int> FailNext { get; } = new();

    public LinkInfo? GetLink(string name)
    {
        Record($"GetLink {name}");
        return Find(name)?.Info;
    }

    public IReadOnlyList<LinkInfo> Links()
    {
        Record("Links");
        return _links.OrderBy(l => l.Index).Select(l => l.Info).ToList();
    }

    public void CreateBridge(string name, int mtu)
    {
        string op = Record($"CreateBridge {name} {mtu}");
        CheckNewName(name, op);
        Add(new Link { Name = name, Kind = "bridge", Mtu = mtu });
    }

    public void CreateVeth(string name, string peerName, int mtu, int peerNetnsFd)
    {
        string op = Record($"CreateVeth {name} {peerName} {mtu} fd {peerNetnsFd}");
        var there = _networks.Resolve(peerNetnsFd, op);
        CheckNewName(name, op);
        there.CheckNewName(peerName, op);
        if (there == this && name == peerName) throw new NetlinkException(op, Errno.EEXIST);
        var a = new Link { Name = name, Kind = "veth", Mtu = mtu };
        var b = new Link { Name = peerName, Kind = "veth", Mtu = mtu };
        a.Peer = b;
        b.Peer = a;
        Add(a);
        there.Add(b);
    }

    public void SetMaster(string name, string master)
    {
        string op = Record($"SetMaster {name} {master}");
        var link = Need(name, op);
        var m = Need(master, op);
        if (m.Kind != "bridge") throw new NetlinkException(op, Errno.EOPNOTSUPP);
        link.MasterIndex = m.Index;
    }

    public void SetHairpin(string name, bool on)
    {
        string op = Record($"SetHairpin {name} {on}");
        Need(name, op);
    }

    public void SetUp(string name)
    {
        string op = Record($"SetUp {name}");
        Need(name, op).Up = true;
    }

    public void Rename(string name, string newName)
    {
        string op = Record($"Rename {name} {newName}");
        var link = Need(name, op);
        CheckNewName(newName, op);
        link.Name = newName;
    }

    public void MoveToNamespace(string name, int netnsFd)
    {
        string op = Record($"MoveToNamespace {name} fd {netnsFd}");
        var link = Need(name, op);
        var there = _networks.Resolve(netnsFd, op);
        if (there == this) return;
        there.CheckNewName(link.Name, op);
        Forget(link);
        link.Up = false;
        link.MasterIndex = 0;
        there.Add(link, keepIndex: true);
    }

    public void AddAddress(string name, IPAddress address, int prefixLength)
    {
        string op = Record($"AddAddress {name} {address}/{prefixLength}");
        RtMessages.V4(address);
        var link = Need(name, op);
        if (_addresses.Any(a => a.Index == link.Index && a.Address.Equals(address) && a.Prefix == prefixLength))
            throw new NetlinkException(op, Errno.EEXIST, "ipv4: Address already assigned.");
        _addresses.Add((link.Index, address, prefixLength));
    }

    public IReadOnlyList<(IPAddress Address, int PrefixLength)> Addresses(string name)
    {
        string op = Record($"Addresses {name}");
        int index = Need(name, op).Index;
        return _addresses.Where(a => a.Index == index).Select(a => (a.Address, a.Prefix)).ToList();
    }

    public void AddDefaultRoute(IPAddress gateway)
    {
        string op = Record($"AddDefaultRoute {gateway}");
        var via = SubnetRoutes().FirstOrDefault(r => Contains(r.Destination, r.PrefixLength, gateway));
        if (via == default) throw new NetlinkException(op, ENETUNREACH);
        if (_defaultRoutes.Count > 0) throw new NetlinkException(op, Errno.EEXIST);
        _defaultRoutes.Add((gateway, via.OutputIndex));
    }

    public IReadOnlyList<(IPAddress Destination, int PrefixLength, int OutputIndex)> Routes()
    {
        Record("Routes");
        return _defaultRoutes.Select(r => (IPAddress.Any, 0, r.Index)).Concat(SubnetRoutes()).ToList();
    }

    public bool DeleteLink(string name)
    {
        Record($"DeleteLink {name}");
        var link = Find(name);
        if (link is null) return false;
        Forget(link);
        if (link.Peer is { } peer) peer.Home.Forget(peer);
        if (link.Kind == "bridge")
            foreach (var port in _links.Where(l => l.MasterIndex == link.Index)) port.MasterIndex = 0;
        return true;
    }

    public void Dispose()
    {
        Calls.Add("Dispose");
        Disposed = true;
    }

    private string Record(string call)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        Calls.Add(call);
        _networks.Calls.Add($"{_label}: {call}");
        var failing = FailNext.Keys.FirstOrDefault(call.StartsWith);
        if (failing is not null)
        {
            int errno = FailNext[failing];
            FailNext.Remove(failing);
            throw new NetlinkException(call, errno);
        }
        return call;
    }

    private Link? Find(string name) => _links.FirstOrDefault(l => l.Name == name);

    private Link Need(string name, string operation) => Find(name) ?? throw new NetlinkException(operation, Errno.ENODEV);

    private void CheckNewName(string name, string operation)
    {
        // IFNAMSIZ is 16 with the NUL: the kernel's attribute policy refuses a longer IFLA_IFNAME (ERANGE).
        if (System.Text.Encoding.UTF8.GetByteCount(name) > 15) throw new NetlinkException(operation, Errno.ERANGE);
        if (Find(name) is not null) throw new NetlinkException(operation, Errno.EEXIST);
    }

    private void Add(Link link, bool keepIndex = false)
    {
        if (!keepIndex || _links.Any(l => l.Index == link.Index)) link.Index = _nextIndex++;
        else _nextIndex = Math.Max(_nextIndex, link.Index + 1);
        link.Home = this;
        _links.Add(link);
    }

    /// <summary>The link leaves this namespace with its addresses and the routes through it.</summary>
    private void Forget(Link link)
    {
        _links.Remove(link);
        _addresses.RemoveAll(a => a.Index == link.Index);
        _defaultRoutes.RemoveAll(r => r.Index == link.Index);
    }

    /// <summary>The kernel adds a route to an address's subnet while its link is up.</summary>
    private IEnumerable<(IPAddress Destination, int PrefixLength, int OutputIndex)> SubnetRoutes() =>
        _addresses.Where(a => _links.Any(l => l.Index == a.Index && l.Up && l.Name != "lo"))
            .Select(a => (Network(a.Address, a.Prefix), a.Prefix, a.Index)).Distinct();

    private static IPAddress Network(IPAddress address, int prefix)
    {
        var b = address.GetAddressBytes();
        uint v = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(b);
        uint mask = prefix == 0 ? 0 : uint.MaxValue << (32 - prefix);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(b, v & mask);
        return new IPAddress(b);
    }

    private static bool Contains(IPAddress network, int prefix, IPAddress address) =>
        Network(address, prefix).Equals(network);
}
