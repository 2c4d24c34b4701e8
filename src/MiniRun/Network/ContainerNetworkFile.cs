// ContainerNetworkFile: network.json in a container's directory: how the container asked to be
// networked (--network, -p, -P, --ip, --network-alias, --dns*, --add-host) and what it holds
// while it runs (its network namespace, its endpoints: interface, address, gateway; its
// published ports with the host ports chosen).
//
// Why a file of its own: the request is needed at every start (restart policies, `start`), and the
// held part is what cleanup after a crash reads: `rm` and `boot` remove exactly the veth, lease,
// rules and namespace it names, even when the supervisor that made them was killed. Only
// ContainerNetwork writes it; `inspect`, `port` and `ps` read it. Small and read often, so it is
// written with Utf8JsonWriter and read with JsonDocument (no serializer metadata; see
// Containers/ContainerRecordWriter.cs for why).
//
// Follows: docker-run(1) "Network settings"; Docker's inspect HostConfig.NetworkMode,
// HostConfig.PortBindings and NetworkSettings.
using System.Net;
using System.Text.Json;

namespace MiniRun.Network;

/// <summary>What the user asked for; fixed at create.</summary>
public sealed record NetworkRequest
{
    /// <summary>"bridge" (the default bridge), "none", "host", "container:ID", or a user network's name.</summary>
    public string Mode { get; init; } = NetworkStore.DefaultName;
    public IReadOnlyList<PortRequest> Publish { get; init; } = [];
    public bool PublishAll { get; init; }
    public IReadOnlyList<string> Aliases { get; init; } = [];
    public string? Ipv4Address { get; init; }
    public IReadOnlyList<string> Dns { get; init; } = [];
    public IReadOnlyList<string> DnsSearch { get; init; } = [];
    public IReadOnlyList<string> DnsOptions { get; init; } = [];
    /// <summary>--add-host "NAME:IP" as typed.</summary>
    public IReadOnlyList<string> ExtraHosts { get; init; } = [];
    /// <summary>Ports the image EXPOSEs ("80/tcp"), for -P and for the PORTS column of unpublished ports.</summary>
    public IReadOnlyList<string> Exposed { get; init; } = [];

    public bool IsNone => Mode == NetworkStore.NoneName;
    public bool IsHost => Mode == NetworkStore.HostName;
    public bool IsContainer => Mode.StartsWith("container:", StringComparison.Ordinal);
    /// <summary>A bridge network (default or user): the engine makes a namespace and a veth.</summary>
    public bool IsBridged => !IsNone && !IsHost && !IsContainer;
}

/// <summary>One interface of the container on one network while it runs.</summary>
public sealed record Endpoint(string NetworkId, string NetworkName, string Interface, string HostInterface,
    IPAddress Address, int PrefixLength, IPAddress Gateway, string MacAddress, IReadOnlyList<string> Aliases);

public sealed record ContainerNetworkState
{
    public NetworkRequest Request { get; init; } = new();
    /// <summary>The network namespace file (a bind mount of nsfs) while it exists; "" for none/host/container modes.</summary>
    public string SandboxKey { get; init; } = "";
    /// <summary>Networks connected besides the first (`network connect`), by name; re-attached at each start.</summary>
    public IReadOnlyList<string> Connected { get; init; } = [];
    public IReadOnlyList<Endpoint> Endpoints { get; init; } = [];
    /// <summary>Published ports as bound on the host (HostPort chosen) while it runs.</summary>
    public IReadOnlyList<PortBinding> Ports { get; init; } = [];
}

public static class ContainerNetworkFile
{
    public const string FileName = "network.json";

    public static string PathIn(string containerDir) => System.IO.Path.Combine(containerDir, FileName);

    /// <summary>
    /// Whether the container has a network of its own to take down (a bridge: veth, lease, ports,
    /// namespace), as ContainerNetwork.Detach decides; false for none, host and an unreadable file.
    /// </summary>
    public static bool IsBridged(string containerDir)
    {
        try { return Read(containerDir) is { Request.IsBridged: true }; }
        catch (NetworkException) { return false; }
    }

    /// <summary>The file, or null when the container has none (made before networking existed: it is `none`).</summary>
    public static ContainerNetworkState? Read(string containerDir)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(PathIn(containerDir)); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return null; }
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            var r = doc.RootElement;
            var q = r.GetProperty("Request");
            var request = new NetworkRequest
            {
                Mode = q.GetProperty("Mode").GetString()!,
                Publish = Requests(q.GetProperty("Publish")),
                PublishAll = q.GetProperty("PublishAll").GetBoolean(),
                Aliases = Strings(q, "Aliases"),
                Ipv4Address = q.TryGetProperty("IPv4Address", out var ip) && ip.ValueKind == JsonValueKind.String ? ip.GetString() : null,
                Dns = Strings(q, "Dns"),
                DnsSearch = Strings(q, "DnsSearch"),
                DnsOptions = Strings(q, "DnsOptions"),
                ExtraHosts = Strings(q, "ExtraHosts"),
                Exposed = Strings(q, "Exposed"),
            };
            return new ContainerNetworkState
            {
                Request = request,
                SandboxKey = r.GetProperty("SandboxKey").GetString() ?? "",
                Connected = Strings(r, "Connected"),
                Endpoints = r.GetProperty("Endpoints").EnumerateArray().Select(e => new Endpoint(
                    e.GetProperty("NetworkID").GetString()!, e.GetProperty("NetworkName").GetString()!,
                    e.GetProperty("Interface").GetString()!, e.GetProperty("HostInterface").GetString()!,
                    IPAddress.Parse(e.GetProperty("IPAddress").GetString()!), e.GetProperty("IPPrefixLen").GetInt32(),
                    IPAddress.Parse(e.GetProperty("Gateway").GetString()!), e.GetProperty("MacAddress").GetString() ?? "",
                    Strings(e, "Aliases"))).ToList(),
                Ports = Bindings(r.GetProperty("Ports")),
            };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or FormatException or InvalidOperationException)
        {
            throw new NetworkException($"read {PathIn(containerDir)}: {e.Message}");
        }
    }

    public static void Write(string containerDir, ContainerNetworkState s)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteStartObject("Request");
            w.WriteString("Mode", s.Request.Mode);
            WriteRequests(w, "Publish", s.Request.Publish);
            w.WriteBoolean("PublishAll", s.Request.PublishAll);
            WriteStrings(w, "Aliases", s.Request.Aliases);
            w.WriteString("IPv4Address", s.Request.Ipv4Address);
            WriteStrings(w, "Dns", s.Request.Dns);
            WriteStrings(w, "DnsSearch", s.Request.DnsSearch);
            WriteStrings(w, "DnsOptions", s.Request.DnsOptions);
            WriteStrings(w, "ExtraHosts", s.Request.ExtraHosts);
            WriteStrings(w, "Exposed", s.Request.Exposed);
            w.WriteEndObject();
            w.WriteString("SandboxKey", s.SandboxKey);
            WriteStrings(w, "Connected", s.Connected);
            w.WriteStartArray("Endpoints");
            foreach (var e in s.Endpoints)
            {
                w.WriteStartObject();
                w.WriteString("NetworkID", e.NetworkId);
                w.WriteString("NetworkName", e.NetworkName);
                w.WriteString("Interface", e.Interface);
                w.WriteString("HostInterface", e.HostInterface);
                w.WriteString("IPAddress", e.Address.ToString());
                w.WriteNumber("IPPrefixLen", e.PrefixLength);
                w.WriteString("Gateway", e.Gateway.ToString());
                w.WriteString("MacAddress", e.MacAddress);
                WriteStrings(w, "Aliases", e.Aliases);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            WriteBindings(w, "Ports", s.Ports);
            w.WriteEndObject();
        }
        NetworkStore.AtomicWrite(PathIn(containerDir), buffer.WrittenSpan.ToArray());
    }

    private static IReadOnlyList<string> Strings(JsonElement e, string key) =>
        e.TryGetProperty(key, out var a) && a.ValueKind == JsonValueKind.Array ? a.EnumerateArray().Select(x => x.GetString() ?? "").ToList() : [];

    private static IReadOnlyList<PortBinding> Bindings(JsonElement a) =>
        a.EnumerateArray().Select(b => new PortBinding(b.GetProperty("HostIp").GetString() ?? "", b.GetProperty("HostPort").GetInt32(),
            b.GetProperty("ContainerPort").GetInt32(), b.GetProperty("Protocol").GetString()!)).ToList();

    private static IReadOnlyList<PortRequest> Requests(JsonElement a) =>
        a.EnumerateArray().Select(b => new PortRequest(b.GetProperty("HostIp").GetString() ?? "", b.GetProperty("HostPortFirst").GetInt32(),
            b.GetProperty("HostPortLast").GetInt32(), b.GetProperty("ContainerPort").GetInt32(), b.GetProperty("Protocol").GetString()!)).ToList();

    private static void WriteRequests(Utf8JsonWriter w, string key, IReadOnlyList<PortRequest> items)
    {
        w.WriteStartArray(key);
        foreach (var b in items)
        {
            w.WriteStartObject();
            w.WriteString("HostIp", b.HostIp);
            w.WriteNumber("HostPortFirst", b.HostPortFirst);
            w.WriteNumber("HostPortLast", b.HostPortLast);
            w.WriteNumber("ContainerPort", b.ContainerPort);
            w.WriteString("Protocol", b.Protocol);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void WriteStrings(Utf8JsonWriter w, string key, IReadOnlyList<string> items)
    {
        w.WriteStartArray(key);
        foreach (var i in items) w.WriteStringValue(i);
        w.WriteEndArray();
    }

    private static void WriteBindings(Utf8JsonWriter w, string key, IReadOnlyList<PortBinding> items)
    {
        w.WriteStartArray(key);
        foreach (var b in items)
        {
            w.WriteStartObject();
            w.WriteString("HostIp", b.HostIp);
            w.WriteNumber("HostPort", b.HostPort);
            w.WriteNumber("ContainerPort", b.ContainerPort);
            w.WriteString("Protocol", b.Protocol);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
