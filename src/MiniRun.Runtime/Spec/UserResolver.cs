// UserResolver: turns a `-u` / image User value (name, uid, name:group, uid:gid, name:gid,
// uid:group, or empty for root) into numeric ids, supplementary groups and a home directory,
// using the image's own /etc/passwd and /etc/group text.
//
// Why: names mean what the IMAGE says they mean, not the host: "nobody" may be 65534 in one image
// and 99 in another, so resolution happens against the container's rootfs (the init stage reads
// the two files and calls this). The rules are runc's, which Docker uses:
//   - A numeric user is always a uid, even when a user with that name exists; a uid missing from
//     passwd is fine (gid 0, home "/"). A name must exist in passwd.
//   - An empty user means uid 0 (its passwd entry, if any, gives home and name).
//   - First matching passwd/group line wins.
//   - Group given explicitly (":group"/":gid"): that is the primary gid and there are NO
//     supplementary groups. Otherwise the primary gid comes from passwd and the supplementary
//     groups are every group in /etc/group that lists the matched user name as a member.
//   - Ids must be within 0..2147483647.
// Files are parsed leniently: blank lines, comments and malformed lines are skipped.
//
// Follows: passwd(5), group(5), runc libcontainer user lookup (GetExecUser) behaviour.
using System.Globalization;

namespace MiniRun.Spec;

public sealed record ResolvedUser(uint Uid, uint Gid, IReadOnlyList<uint> AdditionalGids, string Home, string? Name);

public static class UserResolver
{
    private const long MaxId = int.MaxValue;

    public static ResolvedUser Resolve(string? spec, string? passwdText, string? groupText)
    {
        spec ??= "";
        string userArg, groupArg;
        int colon = spec.IndexOf(':');
        if (colon < 0)
        {
            userArg = spec;
            groupArg = "";
        }
        else
        {
            userArg = spec[..colon];
            string rest = spec[(colon + 1)..];
            int extra = rest.IndexOf(':'); // runc ignores fields after the group
            groupArg = extra < 0 ? rest : rest[..extra];
        }

        long? uidArg = ParseNumber(userArg);
        long? gidArg = ParseNumber(groupArg);

        uint uid = 0, gid = 0;
        string home = "/";
        string? matchedName = null;

        var passwd = ParsePasswd(passwdText);
        PasswdEntry? user = userArg.Length == 0
            ? passwd.FirstOrDefault(p => p.Uid == 0)
            : uidArg is long u ? passwd.FirstOrDefault(p => p.Uid == u) : passwd.FirstOrDefault(p => p.Name == userArg);

        if (user != null)
        {
            matchedName = user.Name;
            uid = user.Uid;
            gid = user.Gid;
            home = user.Home.Length > 0 ? user.Home : "/";
        }
        else if (userArg.Length > 0)
        {
            if (uidArg is not long n)
                throw new RunConfigException($"unable to find user {userArg}: no matching entries in passwd file");
            uid = CheckRange(n, userArg);
        }

        var additional = new List<uint>();
        if (groupArg.Length > 0)
        {
            var groups = ParseGroup(groupText);
            GroupEntry? g = gidArg is long gn ? groups.FirstOrDefault(x => x.Gid == gn) : groups.FirstOrDefault(x => x.Name == groupArg);
            if (g != null)
                gid = g.Gid;
            else if (gidArg is long n)
                gid = CheckRange(n, groupArg);
            else
                throw new RunConfigException($"unable to find group {groupArg}: no matching entries in group file");
        }
        else if (matchedName != null)
        {
            foreach (var g in ParseGroup(groupText))
            {
                if (g.Members.Contains(matchedName) && !additional.Contains(g.Gid))
                    additional.Add(g.Gid);
            }
        }

        return new ResolvedUser(uid, gid, additional, home, matchedName);
    }

    /// <summary>The primary gid as a supplementary group when the spec asks for it (io.minirun.primaryGidSupplementary, Docker's rule).</summary>
    public static IEnumerable<uint> Primary(ResolvedUser resolved, SpecUser user) =>
        user.PrimaryGidSupplementary == true ? [resolved.Gid] : [];

    /// <summary>
    /// `--group-add` values: a group name from the container's /etc/group, or a number (used as is
    /// when no group has it, as Docker does). An unknown name throws RunConfigException.
    /// </summary>
    public static List<uint> ResolveGroups(IReadOnlyList<string>? names, string? groupText)
    {
        var gids = new List<uint>();
        if (names is null || names.Count == 0) return gids;
        var groups = ParseGroup(groupText);
        foreach (var name in names)
        {
            long? number = ParseNumber(name);
            GroupEntry? g = number is long n ? groups.FirstOrDefault(x => x.Gid == n) : groups.FirstOrDefault(x => x.Name == name);
            uint gid = g is not null ? g.Gid
                : number is long m ? CheckRange(m, name)
                : throw new RunConfigException($"unable to find group {name}: no matching entries in group file");
            if (!gids.Contains(gid)) gids.Add(gid);
        }
        return gids;
    }

    /// <summary>A decimal number as Go's Atoi accepts it (optional sign), or null if it is not one.</summary>
    private static long? ParseNumber(string s)
    {
        if (s.Length == 0 || s.Any(char.IsWhiteSpace))
            return null;
        return long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v) ? v : null;
    }

    private static uint CheckRange(long id, string text)
    {
        if (id < 0 || id > MaxId)
            throw new RunConfigException($"user spec id {text}: uids and gids must be in range 0-{MaxId}");
        return (uint)id;
    }

    internal sealed record PasswdEntry(string Name, uint Uid, uint Gid, string Home);

    internal sealed record GroupEntry(string Name, uint Gid, IReadOnlyList<string> Members);

    /// <summary>passwd(5): name:password:uid:gid:gecos:home:shell.</summary>
    internal static List<PasswdEntry> ParsePasswd(string? text)
    {
        var list = new List<PasswdEntry>();
        foreach (string[] f in Records(text))
        {
            if (f.Length < 4 || f[0].Length == 0 || !TryId(f[2], out uint uid) || !TryId(f[3], out uint gid))
                continue;
            list.Add(new PasswdEntry(f[0], uid, gid, f.Length > 5 ? f[5] : ""));
        }
        return list;
    }

    /// <summary>group(5): name:password:gid:member1,member2.</summary>
    internal static List<GroupEntry> ParseGroup(string? text)
    {
        var list = new List<GroupEntry>();
        foreach (string[] f in Records(text))
        {
            if (f.Length < 3 || f[0].Length == 0 || !TryId(f[2], out uint gid))
                continue;
            string[] members = f.Length > 3
                ? f[3].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                : Array.Empty<string>();
            list.Add(new GroupEntry(f[0], gid, members));
        }
        return list;
    }

    private static IEnumerable<string[]> Records(string? text)
    {
        if (text == null)
            yield break;
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
                continue;
            yield return line.Split(':');
        }
    }

    private static bool TryId(string s, out uint id) =>
        uint.TryParse(s.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out id) && id <= MaxId;
}
