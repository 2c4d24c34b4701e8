// Ipam: the IPv4 addresses handed out on one network, kept in one small state file per network
// and changed only under that file's lock.
//
// Why: every container start, `rm` and crash recovery changes the leases, each from its own
// process (the supervisors, the CLI, `minirun boot`), so the file is read and rewritten under an
// flock (FileLock) and replaced atomically (write a temporary file, then rename(2) over the old
// one): a reader sees the old or the new leases, never half of them, even if the writer dies.
// Addresses are handed out serially: the first free one after the address given last (at first,
// after the gateway), wrapping around at the end of the subnet, never the network address, the
// broadcast address or the gateway. So an address just released is not given again at once: the
// other containers' ARP caches (and an ended container's interface, deleted a moment after its
// end is reported) still tie it to the old MAC for a while, the reason CNI's host-local and
// swarmkit also allocate round-robin. An owner (a container ID) holds at most one address; asking
// again returns it. Leases of owners that no longer exist are released by ReleaseWhere (after a
// crash: the caller knows which containers are gone).
//
// The file, the address given last, then one lease a line, readable with cat:
//   # last 172.17.0.3
//   172.17.0.2 4f1c...e9
//   172.17.0.3 a07b...11
//
// No fsync: a lease file lost or stale after a power cut is corrected by `minirun boot`
// (BootRecovery releases the leases of containers that are gone and makes the others again),
// and rename(2) still never shows half a file.
//
// Follows: flock(2), rename(2); Docker's IPAM messages ("no available IPv4 addresses on this
// network's address pools: NAME (ID)", "invalid address A: It does not belong to any of this
// network's subnets", "Address already in use").
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using MiniRun.Containers;

namespace MiniRun.Network;

/// <summary>One address held by one owner (a container ID).</summary>
public sealed record IpLease(string Owner, IPAddress Address);

public sealed class Ipam
{
    private readonly string _path;
    private readonly string _networkName, _networkId;
    private readonly IPNetwork _subnet;
    private readonly uint _gateway, _first, _last;   // _first.._last: the addresses that may be leased (gateway excluded separately)

    /// <param name="statePath">The network's lease file; its lock is the same path with ".lock".</param>
    /// <param name="networkName">For messages, as Docker names the network.</param>
    /// <param name="networkId">For messages.</param>
    public Ipam(string statePath, string networkName, string networkId, IPNetwork subnet, IPAddress gateway)
    {
        if (subnet.BaseAddress.AddressFamily != AddressFamily.InterNetwork || gateway.AddressFamily != AddressFamily.InterNetwork)
            throw new ArgumentException($"IPAM of network {networkName}: IPv4 only ({subnet}, gateway {gateway})");
        if (!subnet.Contains(gateway))
            throw new ArgumentException($"IPAM of network {networkName}: gateway {gateway} is not in {subnet}");
        _path = statePath;
        _networkName = networkName;
        _networkId = networkId;
        _subnet = subnet;
        _gateway = ToUInt(gateway);
        uint network = ToUInt(subnet.BaseAddress);
        uint size = subnet.PrefixLength == 0 ? uint.MaxValue : (1u << (32 - subnet.PrefixLength)) - 1;   // host part mask
        uint broadcast = network | size;
        // /31 and /32 have no network or broadcast address to skip (RFC 3021); every other prefix has both.
        (_first, _last) = subnet.PrefixLength >= 31 ? (network, broadcast) : (network + 1, broadcast - 1);
    }

    public IPNetwork Subnet => _subnet;

    /// <summary>
    /// The address of <paramref name="owner"/>: the one it already holds, else <paramref name="requested"/>
    /// (must be in the subnet and free), else the first free one after the address given last.
    /// </summary>
    public IPAddress Allocate(string owner, IPAddress? requested = null)
    {
        CheckOwner(owner);
        using var _ = Lock();
        var leases = Read(out uint? last);
        var mine = leases.FirstOrDefault(l => l.Owner == owner);
        if (mine is not null && (requested is null || mine.Address.Equals(requested))) return mine.Address;
        if (mine is not null)
            throw new ContainerException($"{owner} already holds {mine.Address} on network {_networkName}, not {requested}");

        var used = leases.Select(l => ToUInt(l.Address)).ToHashSet();
        uint chosen;
        if (requested is not null)
        {
            if (requested.AddressFamily != AddressFamily.InterNetwork || !_subnet.Contains(requested))
                throw new ContainerException($"invalid address {requested}: It does not belong to any of this network's subnets");
            chosen = ToUInt(requested);
            if (chosen < _first || chosen > _last || chosen == _gateway || used.Contains(chosen))
                throw new ContainerException("Address already in use");
        }
        else if (!TryFirstFree(used, last, out chosen))
        {
            throw new ContainerException($"no available IPv4 addresses on this network's address pools: {_networkName} ({_networkId})");
        }

        var address = FromUInt(chosen);
        leases.Add(new IpLease(owner, address));
        Write(leases, requested is null ? chosen : last);
        return address;
    }

    /// <summary>Releases the address of <paramref name="owner"/>; false when it held none (idempotent).</summary>
    public bool Release(string owner) => ReleaseWhere(o => o == owner).Count > 0;

    /// <summary>Releases every lease whose owner <paramref name="stale"/> says is gone (crash recovery); returns them.</summary>
    public IReadOnlyList<IpLease> ReleaseWhere(Func<string, bool> stale)
    {
        using var _ = Lock();
        var leases = Read(out uint? last);
        var gone = leases.Where(l => stale(l.Owner)).ToList();
        if (gone.Count > 0) Write(leases.Except(gone).ToList(), last);
        return gone;
    }

    /// <summary>Every lease, in address order.</summary>
    public IReadOnlyList<IpLease> Leases()
    {
        using var held = Lock();
        return Read(out _);
    }

    private bool TryFirstFree(HashSet<uint> used, uint? last, out uint chosen)
    {
        // After the address given last (at first: the gateway) up to the end, then from the start.
        uint after = last is uint l && l >= _first && l <= _last ? l : _gateway;
        uint start = after >= _first && after < _last ? after + 1 : _first;
        for (ulong i = 0, n = (ulong)_last - _first + 1; i < n; i++)
        {
            uint a = (uint)(_first + ((ulong)start - _first + i) % n);
            if (a != _gateway && !used.Contains(a)) { chosen = a; return true; }
        }
        chosen = 0;
        return false;
    }

    private FileLock Lock()
    {
        string? dir = Path.GetDirectoryName(_path);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        return FileLock.Exclusive(_path + ".lock");
    }

    private List<IpLease> Read(out uint? last)
    {
        var leases = new List<IpLease>();
        last = null;
        if (!File.Exists(_path)) return leases;
        int n = 0;
        foreach (var line in File.ReadAllLines(_path))
        {
            n++;
            if (line.Length == 0) continue;
            if (line.StartsWith("# last ", StringComparison.Ordinal) && IPAddress.TryParse(line[7..], out var given)
                && given.AddressFamily == AddressFamily.InterNetwork)
            {
                last = ToUInt(given);
                continue;
            }
            var f = line.Split(' ');
            if (f.Length != 2 || !IPAddress.TryParse(f[0], out var address) || address.AddressFamily != AddressFamily.InterNetwork)
                throw new ContainerException($"read IPAM state {_path}: line {n} is not \"ADDRESS OWNER\": {GoQuote.Quote(line)}");
            leases.Add(new IpLease(f[1], address));
        }
        return leases;
    }

    // Under the lock: write a temporary file, rename it over the old one.
    private void Write(List<IpLease> leases, uint? last)
    {
        string temp = _path + ".tmp";
        using (var f = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        using (var w = new StreamWriter(f))
        {
            if (last is uint given) w.Write($"# last {FromUInt(given)}\n");
            foreach (var l in leases.OrderBy(l => ToUInt(l.Address))) w.Write($"{l.Address} {l.Owner}\n");
        }
        File.Move(temp, _path, overwrite: true);
    }

    private static void CheckOwner(string owner)
    {
        if (owner.Length == 0 || owner.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            throw new ArgumentException($"IPAM owner {GoQuote.Quote(owner)}: must be a non-empty word");
    }

    private static uint ToUInt(IPAddress a)
    {
        var b = a.GetAddressBytes();
        return (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
    }

    private static IPAddress FromUInt(uint v) =>
        new([(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v]);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"IPAM {_networkName} {_subnet}");
}
