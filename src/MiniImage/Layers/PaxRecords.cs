// PaxRecords: parses the data of a PAX extended header ('x') or global header ('g') into
// keyword/value pairs with the values kept as raw bytes, and applies them to a TarEntry.
//
// Why: values such as SCHILY.xattr.security.capability are binary; the keyword set we honour is
// the one image tools write (path, linkpath, size, uid, gid, mtime, atime, SCHILY.devmajor/minor,
// SCHILY.xattr.*, LIBARCHIVE.xattr.* (percent-encoded name, base64 value)). GNU sparse files are
// refused: image layers never contain them and writing them as plain files would be wrong.
// Follows: POSIX.1-2017 pax(1) "pax Extended Header" (record = "%d %s=%s\n"); libarchive
// archive_write_set_format_pax.c documentation of LIBARCHIVE.xattr.
using System.Text;

namespace MiniImage.Layers;

internal static class PaxRecords
{
    const string SchilyXattr = "SCHILY.xattr.";
    const string LibarchiveXattr = "LIBARCHIVE.xattr.";

    /// Splits records; throws FormatException on a malformed record.
    public static List<KeyValuePair<string, byte[]>> Parse(ReadOnlySpan<byte> data)
    {
        var list = new List<KeyValuePair<string, byte[]>>();
        while (data.Length > 0)
        {
            if (data[0] == 0) break; // some writers pad with NULs
            int sp = data.IndexOf((byte)' ');
            if (sp <= 0) throw new FormatException("PAX record without a length");
            long len = 0;
            foreach (byte b in data[..sp])
            {
                if (b < '0' || b > '9' || len > int.MaxValue / 10) throw new FormatException("PAX record with a bad length");
                len = len * 10 + (b - '0');
            }
            if (len <= sp + 1 || len > data.Length || data[(int)len - 1] != '\n')
                throw new FormatException("PAX record with a bad length");
            ReadOnlySpan<byte> kv = data[(sp + 1)..((int)len - 1)];
            int eq = kv.IndexOf((byte)'=');
            if (eq <= 0) throw new FormatException("PAX record without a keyword");
            list.Add(new(Encoding.UTF8.GetString(kv[..eq]), kv[(eq + 1)..].ToArray()));
            data = data[(int)len..];
        }
        return list;
    }

    /// Applies one record. `global` records never set path, linkpath or size (per-file by nature).
    public static void Apply(TarEntry e, string key, byte[] value, bool global)
    {
        switch (key)
        {
            case "path": if (!global) e.Name = value; return;
            case "linkpath": if (!global) e.LinkName = value; return;
            case "size": if (!global) e.Size = ParseDecimal(value, key); return;
            case "uid": e.Uid = checked((uint)ParseDecimal(value, key)); return;
            case "gid": e.Gid = checked((uint)ParseDecimal(value, key)); return;
            case "mtime": ParseTime(value, out e.MtimeSec, out e.MtimeNsec); return;
            case "atime": ParseTime(value, out e.AtimeSec, out e.AtimeNsec); e.HasAtime = true; return;
            case "SCHILY.devmajor": e.DevMajor = checked((uint)ParseDecimal(value, key)); return;
            case "SCHILY.devminor": e.DevMinor = checked((uint)ParseDecimal(value, key)); return;
        }
        if (key.StartsWith(SchilyXattr, StringComparison.Ordinal))
            e.SetXattr(Encoding.UTF8.GetBytes(key[SchilyXattr.Length..]), value);
        else if (key.StartsWith(LibarchiveXattr, StringComparison.Ordinal))
            e.SetXattr(PercentDecode(key[LibarchiveXattr.Length..]), Base64Decode(value));
        else if (key.StartsWith("GNU.sparse.", StringComparison.Ordinal))
            throw new FormatException("GNU sparse files are not supported");
        // Other keywords (uname, gname, ctime, comment, charset, SCHILY.fflags, ...) do not matter here.
    }

    static long ParseDecimal(ReadOnlySpan<byte> s, string key)
    {
        if (s.Length == 0 || s.Length > 19) throw new FormatException($"PAX {key} value is not a number");
        long v = 0;
        foreach (byte b in s)
        {
            if (b < '0' || b > '9') throw new FormatException($"PAX {key} value is not a number");
            v = v * 10 + (b - '0');
        }
        return v;
    }

    /// "1700000000.123456789" or "-12.5" -> seconds and nanoseconds (floor semantics for negatives).
    static void ParseTime(ReadOnlySpan<byte> s, out long sec, out int nsec)
    {
        bool neg = s.Length > 0 && s[0] == '-';
        if (neg) s = s[1..];
        int dot = s.IndexOf((byte)'.');
        ReadOnlySpan<byte> whole = dot < 0 ? s : s[..dot];
        sec = whole.Length == 0 ? 0 : ParseDecimal(whole, "time");
        nsec = 0;
        if (dot >= 0)
        {
            int scale = 100_000_000;
            foreach (byte b in s[(dot + 1)..])
            {
                if (b < '0' || b > '9') throw new FormatException("PAX time value is not a number");
                nsec += (b - '0') * scale;
                scale /= 10;
            }
        }
        if (neg)
        {
            sec = -sec;
            if (nsec > 0) { sec -= 1; nsec = 1_000_000_000 - nsec; }
        }
    }

    static byte[] PercentDecode(string s)
    {
        byte[] raw = Encoding.UTF8.GetBytes(s);
        var outBytes = new List<byte>(raw.Length);
        for (int i = 0; i < raw.Length; i++)
        {
            if (raw[i] == '%' && i + 2 < raw.Length && IsHex(raw[i + 1]) && IsHex(raw[i + 2]))
            {
                outBytes.Add((byte)(HexVal(raw[i + 1]) << 4 | HexVal(raw[i + 2])));
                i += 2;
            }
            else outBytes.Add(raw[i]);
        }
        return outBytes.ToArray();
    }

    static bool IsHex(byte b) => b is >= (byte)'0' and <= (byte)'9' or >= (byte)'a' and <= (byte)'f' or >= (byte)'A' and <= (byte)'F';
    static int HexVal(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;

    static byte[] Base64Decode(byte[] value)
    {
        string s = Encoding.ASCII.GetString(value).Trim();
        if (s.Length % 4 != 0) s = s.PadRight(s.Length + 4 - s.Length % 4, '=');
        return Convert.FromBase64String(s);
    }
}
