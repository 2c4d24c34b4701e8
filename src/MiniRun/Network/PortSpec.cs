// PortSpec: `-p/--publish [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/tcp|udp]` and `-P` turned into port
// requests, and the published ports shown back the way Docker shows them (the PORTS column of
// `ps`, the lines of `port CONTAINER [PRIVATE_PORT[/PROTO]]`).
//
// Why: the course's exercises are written for Docker, so the same spellings must parse to the same
// meaning and fail with the same words: `8080:80`, `127.0.0.1::80` (any free host port on
// 127.0.0.1), `8000-8010:80-90` (one to one), `8080-8090:80` (any one free port of the range),
// `53:53/udp`. MiniRun publishes on IPv4 only: an IPv6 host address, bracketed or not, is refused
// by name, and so is sctp (Docker accepts it; MiniRun's firewall rules are tcp and udp).
// A request is not yet a binding: the host port is chosen when it is reserved (PortReservation).
//
// Follows: docker-run(1) "--publish", "--publish-all"; docker-port(1); Docker's documented `-p`
// syntax and its error texts ("invalid containerPort: x", "invalid hostPort: x", "invalid proto:
// x", "invalid ranges specified for container and host Ports: a and b", "invalid IP address: x",
// "no port specified: x<empty>"), and its PORTS formatting (consecutive ports collapsed into a
// range when each maps to the same number on the host, sorted by container port, address, host
// port, protocol; `port` lines in natural order).
using System.Globalization;
using MiniRun.Containers;
using MiniRun.Spec;

namespace MiniRun.Network;

/// <summary>One `-p` request before the host port is chosen.</summary>
/// <param name="HostIp">IPv4 host address, "" for every address (0.0.0.0).</param>
/// <param name="HostPortFirst">First acceptable host port; 0 means any free (ephemeral) port.</param>
/// <param name="HostPortLast">Last acceptable host port (== first for a single port; 0 when ephemeral).</param>
/// <param name="ContainerPort">The port inside the container.</param>
/// <param name="Protocol">"tcp" or "udp".</param>
public sealed record PortRequest(string HostIp, int HostPortFirst, int HostPortLast, int ContainerPort, string Protocol)
{
    /// <summary>The host side as Docker writes it in messages: "0.0.0.0:8080", "0.0.0.0:8000-8010", "0.0.0.0:0".</summary>
    public string HostText => $"{PortSpec.DisplayAddress(HostIp)}:{HostPortFirst}" + (HostPortLast != HostPortFirst ? $"-{HostPortLast}" : "");
}

public static class PortSpec
{
    /// <summary>Parses one `-p` value into one request per container port. Errors are Docker's words (RunConfigException).</summary>
    public static IReadOnlyList<PortRequest> Parse(string raw)
    {
        var (ip, hostPort, containerPart) = SplitParts(raw);
        int slash = containerPart.IndexOf('/');
        string containerPort = slash < 0 ? containerPart : containerPart[..slash];
        string proto = slash < 0 ? "" : containerPart[(slash + 1)..];
        if (containerPort == "") throw new RunConfigException($"no port specified: {raw}<empty>");
        proto = proto == "" ? "tcp" : proto.ToLowerInvariant();
        if (proto == "sctp")
            throw new RunConfigException("invalid proto: sctp (MiniRun publishes tcp and udp ports only)");
        if (proto is not ("tcp" or "udp")) throw new RunConfigException("invalid proto: " + proto);

        if (ip.StartsWith('[') || ip.Contains(':'))
            throw new RunConfigException($"invalid IP address {ip}: MiniRun publishes ports on IPv4 addresses only");
        if (ip != "" && !IsIPv4(ip)) throw new RunConfigException("invalid IP address: " + ip);

        if (!TryRange(containerPort, out int cFirst, out int cLast) || cFirst == 0)
            throw new RunConfigException("invalid containerPort: " + containerPort);
        int hFirst = 0, hLast = 0;
        if (hostPort != "")
        {
            if (!TryRange(hostPort, out hFirst, out hLast)) throw new RunConfigException("invalid hostPort: " + hostPort);
            // A host range of another size is allowed only for a single container port: any one port of it.
            if (cLast - cFirst != hLast - hFirst && cLast != cFirst)
                throw new RunConfigException($"invalid ranges specified for container and host Ports: {containerPort} and {hostPort}");
        }

        int count = cLast - cFirst + 1;
        var requests = new List<PortRequest>(count);
        for (int i = 0; i < count; i++)
        {
            int first = hostPort == "" ? 0 : hFirst + i, last = first;
            if (hostPort != "" && count == 1) last = hLast;   // `8080-8090:80`: any one of them
            if (first == 0) last = 0;                          // `0:80` is an ephemeral port, as in Docker
            requests.Add(new PortRequest(ip, first, last, cFirst + i, proto));
        }
        return requests;
    }

    /// <summary>Parses every `-p` value in order.</summary>
    public static IReadOnlyList<PortRequest> ParseAll(IEnumerable<string> raws) => raws.SelectMany(Parse).ToList();

    /// <summary>
    /// `-P`: an ephemeral host port on every address for each port the image EXPOSEs (its config's
    /// ExposedPorts keys, "80/tcp", "53/udp"; a key without protocol is tcp) that no `-p` already
    /// publishes. Returns only the added requests, in the keys' port order.
    /// </summary>
    public static IReadOnlyList<PortRequest> PublishAllExposed(IEnumerable<string> exposedKeys, IEnumerable<PortRequest> published)
    {
        var taken = published.Select(p => (p.ContainerPort, p.Protocol)).ToHashSet();
        var added = new List<PortRequest>();
        foreach (var (port, proto) in exposedKeys.SelectMany(ExposedKey).Distinct().OrderBy(k => k.Port).ThenBy(k => k.Proto, StringComparer.Ordinal))
            if (taken.Add((port, proto))) added.Add(new PortRequest("", 0, 0, port, proto));
        return added;
    }

    /// <summary>"80/tcp" (or "80", "8000-8001/udp") as (port, protocol) pairs; Docker's words when the key is bad.</summary>
    public static IEnumerable<(int Port, string Proto)> ExposedKey(string key)
    {
        int slash = key.IndexOf('/');
        string port = slash < 0 ? key : key[..slash], proto = slash < 0 ? "tcp" : key[(slash + 1)..].ToLowerInvariant();
        if (proto == "sctp")
            throw new RunConfigException($"-P: the image exposes {key}: MiniRun publishes tcp and udp ports only");
        if (proto is not ("tcp" or "udp")) throw new RunConfigException("invalid proto: " + proto);
        if (!TryRange(port, out int first, out int last) || first == 0) throw new RunConfigException("invalid containerPort: " + port);
        return Enumerable.Range(first, last - first + 1).Select(p => (p, proto)).ToList();
    }

    /// <summary>The host address as Docker shows it: "0.0.0.0" for every address.</summary>
    public static string DisplayAddress(string hostIp) => hostIp == "" ? "0.0.0.0" : hostIp;

    /// <summary>
    /// The PORTS column of `ps`: "0.0.0.0:8080->80/tcp, 443/tcp". <paramref name="exposedKeys"/> are
    /// the container's exposed ports; those without a binding show alone ("443/tcp"). Ports that
    /// map to the same number on the host and follow each other collapse into a range
    /// ("0.0.0.0:8000-8001->8000-8001/tcp"), as Docker's formatter does; others stay one per entry.
    /// </summary>
    public static string PortsColumn(IEnumerable<PortBinding> bindings, IEnumerable<string>? exposedKeys = null)
    {
        var entries = bindings.Select(b => new Entry(DisplayAddress(b.HostIp), b.ContainerPort, b.HostPort, b.Protocol)).ToList();
        var bound = entries.Select(e => (e.Private, e.Proto)).ToHashSet();
        foreach (var (port, proto) in (exposedKeys ?? []).SelectMany(ExposedKey).Distinct())
            if (!bound.Contains((port, proto))) entries.Add(new Entry("", port, 0, proto));
        entries.Sort(CompareEntries);

        var groups = new Dictionary<string, (int First, int Last)>();
        var order = new List<string>();
        var result = new List<string>();
        var hostMappings = new List<string>();
        foreach (var e in entries)
        {
            string key = e.Proto;
            if (e.Ip != "")
            {
                if (e.Public != e.Private)
                {
                    hostMappings.Add($"{e.Ip}:{e.Public}->{e.Private}/{e.Proto}");
                    continue;
                }
                key = e.Ip + "/" + e.Proto;
            }
            if (!groups.TryGetValue(key, out var g))
            {
                groups[key] = (e.Private, e.Private);
                order.Add(key);
                continue;
            }
            if (e.Private == g.Last + 1) { groups[key] = (g.First, e.Private); continue; }
            result.Add(FormGroup(key, g.First, g.Last));
            groups[key] = (e.Private, e.Private);
        }
        foreach (var key in order) result.Add(FormGroup(key, groups[key].First, groups[key].Last));
        result.AddRange(hostMappings);
        return string.Join(", ", result);
    }

    /// <summary>`port CONTAINER`: "80/tcp -> 0.0.0.0:8080" lines, in Docker's natural order.</summary>
    public static IReadOnlyList<string> PortLines(IEnumerable<PortBinding> bindings) =>
        bindings.Select(b => $"{b.ContainerPort}/{b.Protocol} -> {DisplayAddress(b.HostIp)}:{b.HostPort}")
            .Order(NaturalComparer.Instance).ToList();

    /// <summary>
    /// `port CONTAINER PRIVATE_PORT[/PROTO]`: "0.0.0.0:8080" lines (tcp when no protocol is given).
    /// None published: Docker's "Error: No public port '80/tcp' published for web" (exit 1).
    /// </summary>
    public static IReadOnlyList<string> PortLines(IEnumerable<PortBinding> bindings, string privatePort, string container)
    {
        int slash = privatePort.IndexOf('/');
        string port = slash < 0 ? privatePort : privatePort[..slash], proto = slash < 0 ? "tcp" : privatePort[(slash + 1)..];
        if (proto == "") proto = "tcp";
        if (!TryNumber(port, out int number))
            throw new ContainerException($"Error: invalid port ({port}): strconv.ParseUint: parsing {GoQuote.Quote(port)}: invalid syntax", 1);
        var lines = bindings.Where(b => b.ContainerPort == number && b.Protocol == proto)
            .Select(b => $"{DisplayAddress(b.HostIp)}:{b.HostPort}").Order(NaturalComparer.Instance).ToList();
        if (lines.Count == 0) throw new ContainerException($"Error: No public port '{privatePort}' published for {container}", 1);
        return lines;
    }

    private readonly record struct Entry(string Ip, int Private, int Public, string Proto);

    // Docker's order: container port, then address ("" first), then host port, then protocol.
    private static int CompareEntries(Entry a, Entry b)
    {
        int c = a.Private.CompareTo(b.Private);
        if (c == 0) c = CompareAddresses(a.Ip, b.Ip);
        if (c == 0) c = a.Public.CompareTo(b.Public);
        if (c == 0) c = string.CompareOrdinal(a.Proto, b.Proto);
        return c;
    }

    private static int CompareAddresses(string a, string b)
    {
        if (a == b) return 0;
        if (a == "") return -1;
        if (b == "") return 1;
        var x = System.Net.IPAddress.Parse(a).GetAddressBytes();
        var y = System.Net.IPAddress.Parse(b).GetAddressBytes();
        for (int i = 0; i < Math.Min(x.Length, y.Length); i++)
            if (x[i] != y[i]) return x[i].CompareTo(y[i]);
        return x.Length.CompareTo(y.Length);
    }

    private static string FormGroup(string key, int first, int last)
    {
        int slash = key.IndexOf('/');
        string ip = slash < 0 ? "" : key[..slash], type = slash < 0 ? key : key[(slash + 1)..];
        string group = first == last ? first.ToString(CultureInfo.InvariantCulture) : $"{first}-{last}";
        if (ip != "") group = $"{ip}:{group}->{group}";
        return group + "/" + type;
    }

    // "a:b:c" -> (a, b, c); more than three parts: everything before the last two is the address.
    private static (string Ip, string HostPort, string ContainerPort) SplitParts(string raw)
    {
        var parts = raw.Split(':');
        return parts.Length switch
        {
            1 => ("", "", parts[0]),
            2 => ("", parts[0], parts[1]),
            3 => (parts[0], parts[1], parts[2]),
            _ => (string.Join(':', parts[..^2]), parts[^2], parts[^1]),
        };
    }

    // "80" or "8000-8010": decimal digits only (as Go's ParseUint), at most 65535, first <= last.
    private static bool TryRange(string text, out int first, out int last)
    {
        first = last = 0;
        int dash = text.IndexOf('-');
        if (dash < 0) { bool ok = TryNumber(text, out first); last = first; return ok; }
        var parts = text.Split('-');
        return parts.Length == 2 && TryNumber(parts[0], out first) && TryNumber(parts[1], out last) && first <= last;
    }

    private static bool TryNumber(string text, out int value)
    {
        value = 0;
        if (text.Length == 0 || text.Length > 5 || !text.All(char.IsAsciiDigit)) return false;
        value = int.Parse(text, CultureInfo.InvariantCulture);
        return value <= 65535;
    }

    /// <summary>A dotted-quad IPv4 address, as Go's net.ParseIP accepts it (no leading zeros, four parts).</summary>
    public static bool IsIPv4(string text)
    {
        var parts = text.Split('.');
        return parts.Length == 4 && parts.All(p => p.Length is >= 1 and <= 3 && p.All(char.IsAsciiDigit)
            && (p.Length == 1 || p[0] != '0') && int.Parse(p, CultureInfo.InvariantCulture) <= 255);
    }

    /// <summary>Natural order: runs of digits compare as numbers, the rest byte by byte ("80/tcp" before "443/tcp").</summary>
    private sealed class NaturalComparer : IComparer<string>
    {
        public static readonly NaturalComparer Instance = new();

        public int Compare(string? a, string? b)
        {
            a ??= ""; b ??= "";
            int i = 0, j = 0;
            while (i < a.Length && j < b.Length)
            {
                if (char.IsAsciiDigit(a[i]) && char.IsAsciiDigit(b[j]))
                {
                    int si = i, sj = j;
                    while (i < a.Length && char.IsAsciiDigit(a[i])) i++;
                    while (j < b.Length && char.IsAsciiDigit(b[j])) j++;
                    string x = a[si..i].TrimStart('0'), y = b[sj..j].TrimStart('0');
                    int c = x.Length != y.Length ? x.Length.CompareTo(y.Length) : string.CompareOrdinal(x, y);
                    if (c != 0) return c;
                    c = (i - si).CompareTo(j - sj);   // same number: fewer leading zeros first
                    if (c != 0) return c;
                    continue;
                }
                if (a[i] != b[j]) return a[i].CompareTo(b[j]);
                i++; j++;
            }
            return (a.Length - i).CompareTo(b.Length - j);
        }
    }
}
