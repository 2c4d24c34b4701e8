// NetworkStore: the networks/ directory under the MiniRun root: one record per network (Docker's
// `bridge`, `host` and `none`, and each `network create`), its address leases and its endpoints.
//
// Why: a network outlives every container on it, and MiniRun has no daemon to remember it, so it
// is files, like the containers: the record (its subnet, gateway, bridge interface, whether it is
// internal), the IPAM leases (Ipam, one file + lock), and one endpoint file per attached
// container (name, aliases, address), which `network inspect` lists and the name resolver of a
// user network answers from. The kernel objects (the bridge, MiniRun's nftables table) are made
// on first use by BridgeNetwork, so after a reboot they come back with the next container.
//
// The default network `bridge` uses the interface `minirun0` and Docker's default subnet
// 172.17.0.0/16, unless /etc/minirun/daemon.json says otherwise ("bip": "GATEWAY/PREFIX",
// "bridge": "none" for no default bridge: containers then get `--network none`, which is what
// the test suite uses outside its own network namespaces). A subnet that overlaps a route of the
// host or another MiniRun network is skipped for the next of Docker's default pools
// (172.17-31.0.0/16, then 192.168.0-240.0/20).
//
// Layout: ROOT/networks/.lock; ROOT/networks/ID/network.json, ipam.json, endpoints/CONTAINER-ID.json
//
// Follows: docker-network-create(1), docker-network-inspect(1); dockerd(8) "--bip", "--bridge".
using System.Net;
using System.Text.Json;

namespace MiniRun.Network;

public sealed record NetworkRecord(string Id, string Name, string Driver, IPNetwork? Subnet, IPAddress? Gateway,
    string? Bridge, bool Internal, DateTimeOffset Created, IReadOnlyDictionary<string, string> Labels)
{
    /// <summary>A bridge network (the default `bridge` or a user network): containers get a veth on it.</summary>
    public bool IsBridge => Driver == "bridge";
    /// <summary>Docker's rule: containers find each other by name on user networks, not on the default bridge.</summary>
    public bool IsUserDefined => IsBridge && Name != NetworkStore.DefaultName;
}

/// <summary>One container attached to one network (networks/ID/endpoints/CONTAINER.json).</summary>
public sealed record EndpointRecord(string ContainerId, string ContainerName, IReadOnlyList<string> Aliases,
    IPAddress Address, int PrefixLength, string Interface, string HostInterface);

public sealed class NetworkException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

public sealed class NetworkStore
{
    public const string DefaultName = "bridge", HostName = "host", NoneName = "none";
    public const string DefaultBridgeInterface = "minirun0";

    public string Dir { get; }
    private readonly string _root;

    public NetworkStore(string minirunRoot)
    {
        _root = Path.GetFullPath(minirunRoot);
        MiniRun.Security.StoreAccess.Secure(_root);
        Dir = Path.Combine(_root, "networks");
        Directory.CreateDirectory(Dir, MiniRun.Security.StoreAccess.OwnerOnly);
    }

    /// <summary>Where container network namespaces are held (bind mounts of nsfs files): ROOT/netns.</summary>
    public string NetnsDir => Path.Combine(_root, "netns");

    public T Locked<T>(Func<T> action)
    {
        using var held = MiniRun.Containers.FileLock.Exclusive(Path.Combine(Dir, ".lock"));
        return action();
    }

    public string DirOf(NetworkRecord n) => Path.Combine(Dir, n.Id);
    public string IpamPath(NetworkRecord n) => Path.Combine(DirOf(n), "ipam.json");
    public string EndpointsDir(NetworkRecord n) => Path.Combine(DirOf(n), "endpoints");

    /// <summary>Every network, the built-in ones first made when absent (bridge only if the daemon config has it).</summary>
    public IReadOnlyList<NetworkRecord> List()
    {
        var all = ReadAll();
        if (HasBuiltIn(all)) return all;   // the usual case: one read of the records, daemon.json not needed
        Locked(() => { EnsureBuiltInLocked(); return 0; });
        return ReadAll();
    }

    private List<NetworkRecord> ReadAll()
    {
        var list = new List<NetworkRecord>();
        foreach (var dir in Directory.EnumerateDirectories(Dir))
        {
            var n = TryRead(Path.Combine(dir, "network.json"));
            if (n is not null) list.Add(n);
        }
        return list.OrderBy(n => n.Created).ThenBy(n => n.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>A network by full name, full id, or unique id prefix (Docker's lookup order).</summary>
    public NetworkRecord? Find(string nameOrId)
    {
        var all = List();
        return all.FirstOrDefault(n => n.Name == nameOrId) ?? all.FirstOrDefault(n => n.Id == nameOrId)
            ?? (nameOrId.Length > 0 && all.Count(n => n.Id.StartsWith(nameOrId, StringComparison.Ordinal)) == 1
                ? all.First(n => n.Id.StartsWith(nameOrId, StringComparison.Ordinal)) : null);
    }

    public NetworkRecord Get(string nameOrId) =>
        Find(nameOrId) ?? throw new NetworkException($"network {nameOrId} not found");

    /// <summary>`network create`: a user-defined bridge network; subnet chosen from the default pools when not given.</summary>
    public NetworkRecord Create(string name, IPNetwork? subnet, IPAddress? gateway, bool isInternal,
        IReadOnlyDictionary<string, string> labels, Func<IReadOnlyList<IPNetwork>> hostRoutes)
    {
        ValidateName(name);
        return Locked(() =>
        {
            EnsureBuiltInLocked();
            var all = ReadAll();
            if (all.Any(n => n.Name == name))
                throw new NetworkException($"network with name {name} already exists");
            var taken = all.Where(n => n.Subnet is not null).Select(n => n.Subnet!.Value).ToList();
            IPNetwork chosen;
            if (subnet is IPNetwork s)
            {
                if (taken.Any(t => Overlaps(t, s)))
                    throw new NetworkException($"invalid pool request: Pool overlaps with other one on this address space");
                chosen = s;
            }
            else
                chosen = ChoosePool(taken.Concat(hostRoutes()).ToList())
                    ?? throw new NetworkException("all predefined address pools have been fully subnetted");
            var gw = gateway ?? FirstHost(chosen);
            if (!chosen.Contains(gw))
                throw new NetworkException($"no matching subnet for gateway {gw}");
            string id = MiniRun.Containers.Naming.NewId();
            var n = new NetworkRecord(id, name, "bridge", chosen, gw, "mr-" + id[..12], isInternal, DateTimeOffset.UtcNow, labels);
            Write(n);
            return n;
        });
    }

    /// <summary>`network rm`: the record and its files (the caller removed the kernel objects first).</summary>
    public void Delete(NetworkRecord n) => Directory.Delete(DirOf(n), recursive: true);

    public IReadOnlyList<EndpointRecord> Endpoints(NetworkRecord n)
    {
        var list = new List<EndpointRecord>();
        string dir = EndpointsDir(n);
        if (!Directory.Exists(dir)) return list;
        foreach (var file in Directory.EnumerateFiles(dir, "*.json"))
            if (ReadEndpoint(file) is { } e) list.Add(e);
        return list;
    }

    public void WriteEndpoint(NetworkRecord n, EndpointRecord e)
    {
        Directory.CreateDirectory(EndpointsDir(n));
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("ContainerId", e.ContainerId);
            w.WriteString("Name", e.ContainerName);
            w.WriteStartArray("Aliases");
            foreach (var a in e.Aliases) w.WriteStringValue(a);
            w.WriteEndArray();
            w.WriteString("IPv4Address", $"{e.Address}/{e.PrefixLength}");
            w.WriteString("Interface", e.Interface);
            w.WriteString("HostInterface", e.HostInterface);
            w.WriteEndObject();
        }
        AtomicWrite(Path.Combine(EndpointsDir(n), e.ContainerId + ".json"), buffer.WrittenSpan.ToArray());
    }

    public void DeleteEndpoint(NetworkRecord n, string containerId)
    {
        try { File.Delete(Path.Combine(EndpointsDir(n), containerId + ".json")); }
        catch (DirectoryNotFoundException) { }
    }

    private static EndpointRecord? ReadEndpoint(string file)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
            var r = doc.RootElement;
            var (address, prefix) = SplitCidr(r.GetProperty("IPv4Address").GetString()!);
            return new EndpointRecord(r.GetProperty("ContainerId").GetString()!, r.GetProperty("Name").GetString()!,
                r.GetProperty("Aliases").EnumerateArray().Select(a => a.GetString()!).ToList(), address, prefix,
                r.GetProperty("Interface").GetString()!, r.GetProperty("HostInterface").GetString()!);
        }
        catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException or FormatException or InvalidOperationException)
        {
            return null;   // half-written or removed meanwhile: not an endpoint
        }
    }

    internal static (IPAddress Address, int Prefix) SplitCidr(string cidr)
    {
        int slash = cidr.IndexOf('/');
        return (IPAddress.Parse(cidr[..slash]), int.Parse(cidr[(slash + 1)..]));
    }

    // --- built-in networks -------------------------------------------------------------------

    /// <summary>The default bridge's interface from daemon.json ("bridge"), or null when it says "none".</summary>
    public static string? DefaultBridge(MiniRun.Security.DaemonConfig config) =>
        config.Bridge switch { null or "" => DefaultBridgeInterface, "none" => null, var b => b };

    // host and none exist, and bridge too unless daemon.json says "bridge": "none".
    private static bool HasBuiltIn(List<NetworkRecord> all) =>
        all.Count(n => n.Name is HostName or NoneName) == 2 &&
        (all.Any(n => n.Name == DefaultName) || DefaultBridge(MiniRun.Security.DaemonConfig.Load()) is null);

    private void EnsureBuiltInLocked()
    {
        var all = ReadAll();
        var config = MiniRun.Security.DaemonConfig.Load();
        var t0 = DateTimeOffset.UtcNow;
        if (!all.Any(n => n.Name == NoneName))
            Write(new NetworkRecord(MiniRun.Containers.Naming.NewId(), NoneName, "null", null, null, null, false, t0, new Dictionary<string, string>()));
        if (!all.Any(n => n.Name == HostName))
            Write(new NetworkRecord(MiniRun.Containers.Naming.NewId(), HostName, "host", null, null, null, false, t0, new Dictionary<string, string>()));
        if (DefaultBridge(config) is string bridge && !all.Any(n => n.Name == DefaultName))
        {
            IPNetwork subnet;
            IPAddress gateway;
            if (!string.IsNullOrEmpty(config.Bip))
            {
                var (gw, prefix) = SplitCidr(config.Bip);
                gateway = gw;
                subnet = new IPNetwork(Mask(gw, prefix), prefix);
            }
            else
            {
                subnet = IPNetwork.Parse("172.17.0.0/16");   // Docker's default; a clash is found when the bridge is made
                gateway = FirstHost(subnet);
            }
            Write(new NetworkRecord(MiniRun.Containers.Naming.NewId(), DefaultName, "bridge", subnet, gateway, bridge, false,
                t0.AddTicks(-1), new Dictionary<string, string>()));
        }
    }

    // --- pools ---------------------------------------------------------------------------------

    /// <summary>Docker's default address pools in order: 172.17.0.0/16 .. 172.31.0.0/16, then 192.168.0.0/20 .. 192.168.240.0/20.</summary>
    public static IEnumerable<IPNetwork> DefaultPools()
    {
        for (int b = 17; b <= 31; b++) yield return new IPNetwork(new IPAddress(new byte[] { 172, (byte)b, 0, 0 }), 16);
        for (int c = 0; c < 256; c += 16) yield return new IPNetwork(new IPAddress(new byte[] { 192, 168, (byte)c, 0 }), 20);
    }

    public static IPNetwork? ChoosePool(IReadOnlyList<IPNetwork> taken)
    {
        foreach (var pool in DefaultPools())
            if (!taken.Any(t => Overlaps(t, pool))) return pool;
        return null;
    }

    public static bool Overlaps(IPNetwork a, IPNetwork b) => a.Contains(b.BaseAddress) || b.Contains(a.BaseAddress);

    public static IPAddress FirstHost(IPNetwork n)
    {
        var bytes = n.BaseAddress.GetAddressBytes();
        bytes[3] |= 1;
        return new IPAddress(bytes);
    }

    public static IPAddress Mask(IPAddress a, int prefix)
    {
        uint v = ToUInt(a);
        uint mask = prefix == 0 ? 0 : uint.MaxValue << (32 - prefix);
        return FromUInt(v & mask);
    }

    public static uint ToUInt(IPAddress a)
    {
        var b = a.GetAddressBytes();
        return (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
    }

    public static IPAddress FromUInt(uint v) => new(new[] { (byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v });

    // --- files ----------------------------------------------------------------------------------

    /// <summary>Docker's rule for network names: [a-zA-Z0-9][a-zA-Z0-9_.-]*.</summary>
    public static void ValidateName(string name)
    {
        bool ok = name.Length > 0 && char.IsAsciiLetterOrDigit(name[0]) &&
                  name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');
        if (!ok)
            throw new NetworkException($"invalid network name {GoQuote.Quote(name)}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
        if (name is DefaultName or HostName or NoneName)
            throw new NetworkException($"network with name {name} already exists");
    }

    private void Write(NetworkRecord n)
    {
        Directory.CreateDirectory(DirOf(n), MiniRun.Security.StoreAccess.OwnerOnly);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("Id", n.Id);
            w.WriteString("Name", n.Name);
            w.WriteString("Driver", n.Driver);
            w.WriteString("Subnet", n.Subnet?.ToString());
            w.WriteString("Gateway", n.Gateway?.ToString());
            w.WriteString("Bridge", n.Bridge);
            w.WriteBoolean("Internal", n.Internal);
            w.WriteString("Created", n.Created);
            w.WriteStartObject("Labels");
            foreach (var (k, v) in n.Labels) w.WriteString(k, v);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        AtomicWrite(Path.Combine(DirOf(n), "network.json"), buffer.WrittenSpan.ToArray());
    }

    private static NetworkRecord? TryRead(string file)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
            var r = doc.RootElement;
            string? Str(string k) => r.TryGetProperty(k, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            var labels = new Dictionary<string, string>();
            if (r.TryGetProperty("Labels", out var l) && l.ValueKind == JsonValueKind.Object)
                foreach (var p in l.EnumerateObject()) labels[p.Name] = p.Value.GetString() ?? "";
            return new NetworkRecord(Str("Id")!, Str("Name")!, Str("Driver")!,
                Str("Subnet") is string s ? IPNetwork.Parse(s) : null, Str("Gateway") is string g ? IPAddress.Parse(g) : null,
                Str("Bridge"), r.GetProperty("Internal").GetBoolean(), r.GetProperty("Created").GetDateTimeOffset(), labels);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return null; }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or FormatException or InvalidOperationException)
        {
            throw new NetworkException($"read {file}: {e.Message}");
        }
    }

    internal static void AtomicWrite(string path, byte[] bytes)
    {
        string tmp = path + ".tmp";
        File.WriteAllBytes(tmp, bytes);
        File.Move(tmp, path, overwrite: true);
    }
}
