// SubordinateIds: /etc/subuid and /etc/subgid - which host id ranges belong to which user - read,
// and the next free range chosen for a new one.
//
// Why: `--userns=remap` maps the container's ids 0..65535 onto a range of host ids no one else
// uses, so that root inside is an unprivileged nobody-in-particular outside. The system's record
// of who owns which range is these two files (also read by newuidmap, podman, lxc); MiniRun
// takes its range from there, and when it must make one, picks the lowest 65536 ids from 100000
// up that overlap no range in either file (Docker picks "dockremap"'s the same way, from the
// same start), so that uid and gid ranges start at the same number.
// Format, one range per line: "owner:start:count"; owner is a user name or a numeric uid.
//
// Follows: subuid(5), subgid(5), user_namespaces(7).
using System.Globalization;

namespace MiniRun.Security;

/// <summary>One line of /etc/subuid or /etc/subgid: host ids start .. start+count-1 belong to owner.</summary>
public sealed record IdRange(string Owner, long Start, long Count)
{
    public long End => Start + Count;   // exclusive
    public override string ToString() => $"{Owner}:{Start}:{Count}";
}

public static class SubordinateIds
{
    public const long DefaultStart = 100000, DefaultCount = 65536;
    /// <summary>Ids are 32-bit; (uid_t)-1 is never a valid id.</summary>
    private const long IdLimit = 4294967295;

    /// <summary>Every well-formed line; comments (#), blank and malformed lines are skipped, as shadow's tools skip them.</summary>
    public static List<IdRange> Parse(string text)
    {
        var ranges = new List<IdRange>();
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            var f = line.Split(':');
            if (f.Length != 3 || f[0].Length == 0) continue;
            if (!long.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out long start) ||
                !long.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out long count) || count <= 0 || start + count > IdLimit)
                continue;
            ranges.Add(new IdRange(f[0], start, count));
        }
        return ranges;
    }

    /// <summary>The first range of a user, named either by name or by its uid (subuid(5) allows both).</summary>
    public static IdRange? RangeOf(IEnumerable<IdRange> ranges, string user, long? uid) =>
        ranges.FirstOrDefault(r => r.Owner == user || (uid is long u && r.Owner == u.ToString(CultureInfo.InvariantCulture)));

    /// <summary>The lowest start at or above <paramref name="from"/> where <paramref name="count"/> ids overlap none of <paramref name="taken"/>.</summary>
    public static long NextFree(IEnumerable<IdRange> taken, long count = DefaultCount, long from = DefaultStart)
    {
        long start = from;
        foreach (var r in taken.OrderBy(r => r.Start))
        {
            if (r.End <= start) continue;           // entirely below the candidate
            if (r.Start >= start + count) break;    // the gap before it is wide enough (sorted: so are the rest)
            start = r.End;                          // overlaps: try right after it
        }
        if (start + count > IdLimit)
            throw new InvalidOperationException($"no free range of {count} ids above {from} in /etc/subuid and /etc/subgid");
        return start;
    }
}
