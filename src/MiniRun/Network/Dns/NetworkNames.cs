// NetworkNames: the names a network's resolver answers for - each attached container's name and
// aliases with its IPv4 address - read from the network's endpoint files.
//
// Why files: the engine writes ROOT/networks/NID/endpoints/CONTAINERID.json when it attaches a
// container and removes it when the container leaves (each written to a temporary name and
// renamed, so a reader sees a whole file or none). The resolver is a separate, long-lived
// process; reading the same files the engine writes needs no protocol between them, and a
// container started later is answered as soon as its file exists. Only this network's directory
// is read, so names on other networks never resolve here.
//
// Re-reading on every query would cost a directory scan and a JSON parse per container; the
// table is kept while the directory's modification time is unchanged (every rename into or out
// of it changes that time). Timestamps are coarse (a clock tick), so two changes within one
// tick could share a time: a directory changed in the last two seconds is read again every time.
//
// Follows: Docker's embedded DNS (container name and --network-alias, per network); rename(2)
// (atomic replacement); inode(7) (st_mtim).
using System.Net;
using System.Text.Json;

namespace MiniRun.Network.Dns;

/// <summary>One attached container as its endpoint file describes it.</summary>
public sealed record NetworkEndpoint(string ContainerId, string Name, IReadOnlyList<string> Aliases, IPAddress Address);

public sealed class NetworkNames
{
    public static readonly NetworkNames Empty = new([]);

    public IReadOnlyList<NetworkEndpoint> Endpoints { get; }

    public NetworkNames(IReadOnlyList<NetworkEndpoint> endpoints) => Endpoints = endpoints;

    /// <summary>Whether <paramref name="name"/> (any case, with or without a trailing dot) is a name or alias here.</summary>
    public bool Knows(string name) => Lookup(name).Count > 0;

    /// <summary>The addresses of every container whose name or alias is <paramref name="name"/> (an alias may be shared).</summary>
    public IReadOnlyList<IPAddress> Lookup(string name)
    {
        string wanted = Normalize(name);
        var found = new List<IPAddress>();
        foreach (var e in Endpoints)
            if ((Normalize(e.Name) == wanted || e.Aliases.Any(a => Normalize(a) == wanted)) && !found.Contains(e.Address))
                found.Add(e.Address);
        return found;
    }

    /// <summary>The container name at <paramref name="address"/>, for PTR; null when no container has it.</summary>
    public string? NameOf(IPAddress address) =>
        Endpoints.FirstOrDefault(e => e.Address.Equals(address))?.Name;

    private static string Normalize(string name) => name.TrimEnd('.').TrimStart('/').ToLowerInvariant();

    /// <summary>Reads every CONTAINERID.json in <paramref name="endpointsDir"/>; a missing directory is an empty network.
    /// Temporary files (*.tmp) and files that do not parse are skipped: they are being written or are not ours.</summary>
    public static NetworkNames Load(string endpointsDir)
    {
        var list = new List<NetworkEndpoint>();
        IEnumerable<string> files;
        try { files = Directory.EnumerateFiles(endpointsDir, "*.json").ToList(); }
        catch (DirectoryNotFoundException) { return Empty; }
        foreach (var file in files.Order(StringComparer.Ordinal))
        {
            string fileName = Path.GetFileName(file);
            if (fileName.StartsWith('.') || fileName.Contains(".tmp", StringComparison.Ordinal)) continue;
            try
            {
                if (Parse(File.ReadAllBytes(file)) is { } e) list.Add(e);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }   // removed between listing and reading
        }
        return new NetworkNames(list);
    }

    /// <summary>One endpoint file; null when it is not valid JSON or lacks a name or an IPv4 address.</summary>
    public static NetworkEndpoint? Parse(byte[] json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return null;
            string? id = String(root, "ContainerId");
            string? name = String(root, "Name");
            string? address = String(root, "IPv4Address");
            if (string.IsNullOrEmpty(name) || address is null) return null;
            int slash = address.IndexOf('/');
            if (!IPAddress.TryParse(slash >= 0 ? address[..slash] : address, out var ip)
                || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork) return null;
            var aliases = new List<string>();
            if (root.TryGetProperty("Aliases", out var a) && a.ValueKind == JsonValueKind.Array)
                foreach (var item in a.EnumerateArray())
                    if (item.ValueKind == JsonValueKind.String && item.GetString() is { Length: > 0 } s) aliases.Add(s);
            return new NetworkEndpoint(id ?? "", name.TrimStart('/'), aliases, ip);
        }
        catch (JsonException) { return null; }
    }

    private static string? String(JsonElement e, string property) =>
        e.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}

/// <summary>The current names of one network's endpoint directory, re-read only when it changed (see the header).</summary>
public sealed class NetworkNamesSource
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(2);
    private readonly string _endpointsDir;
    private readonly object _lock = new();
    private DateTime _readAt = DateTime.MinValue;
    private NetworkNames _names = NetworkNames.Empty;

    public NetworkNamesSource(string endpointsDir) => _endpointsDir = endpointsDir;

    public NetworkNames Current
    {
        get
        {
            lock (_lock)
            {
                DateTime changed = Directory.Exists(_endpointsDir) ? Directory.GetLastWriteTimeUtc(_endpointsDir) : DateTime.MinValue;
                if (changed != _readAt || DateTime.UtcNow - changed < Settle)
                {
                    _names = NetworkNames.Load(_endpointsDir);
                    _readAt = changed;
                }
                return _names;
            }
        }
    }
}
