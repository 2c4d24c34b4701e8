// TarEntryReader: a small tar reader that yields one TarEntry per file, merging ustar headers
// (with the prefix field), PAX 'x' and 'g' records (values as raw bytes), GNU 'L'/'K' long names
// and base-256 numeric fields. The caller consumes or skips each entry's data.
//
// Why: no .NET tar library keeps PAX values as bytes (System.Formats.Tar decodes them as UTF-8,
// which corrupts binary xattrs; see docs/dependencies-tar.md), and an unpacker needs only reading.
// Unknown or unsupported entry types are refused, as Docker does, rather than guessed at.
// Follows: POSIX.1-2017 pax(1) "ustar Interchange Format" and "pax Interchange Format"; GNU tar
// manual "Basic Tar Format" (typeflags L, K, S, V; "ustar  " magic; base-256 numbers).
using System.Text;

namespace MiniImage.Layers;

internal sealed class TarEntryReader
{
    const int Block = 512;
    const int MaxMetaSize = 16 << 20; // PAX/long-name data larger than this is refused

    readonly HashingTarInput _in;
    readonly byte[] _header = new byte[Block];
    readonly List<KeyValuePair<string, byte[]>> _global = [];
    List<KeyValuePair<string, byte[]>>? _local;
    byte[]? _longName, _longLink;
    long _pendingData; // data + padding of the current entry not yet consumed

    public TarEntryReader(HashingTarInput input) => _in = input;

    /// Offset in the uncompressed stream of the current header (for messages).
    public long HeaderOffset { get; private set; }

    /// Reads the next entry into `e`; false at the end of the archive. The caller then either
    /// reads exactly e.Size bytes through ReadData or calls SkipData (Next skips what is left).
    public bool Next(TarEntry e)
    {
        SkipData();
        while (true)
        {
            HeaderOffset = _in.Offset;
            if (!_in.TryReadExactly(_header)) return false;      // end of stream without marker
            if (_header.AsSpan().IndexOfAnyExcept((byte)0) < 0) return false; // end-of-archive block
            VerifyChecksum();

            byte type = _header[156];
            long size = Numeric(124, 12, "size");
            switch (type)
            {
                case (byte)'x':
                    (_local ??= []).AddRange(PaxRecords.Parse(ReadMeta(size)));
                    continue;
                case (byte)'g':
                    foreach (var kv in PaxRecords.Parse(ReadMeta(size)))
                    {
                        _global.RemoveAll(g => g.Key == kv.Key);
                        if (kv.Value.Length > 0) _global.Add(kv);
                    }
                    continue;
                case (byte)'L': _longName = TrimNul(ReadMeta(size)); continue;
                case (byte)'K': _longLink = TrimNul(ReadMeta(size)); continue;
                case (byte)'V': _in.Skip(Padded(size)); continue; // volume label
            }

            e.Reset();
            e.Type = type switch
            {
                (byte)'0' or 0 or (byte)'7' => TarEntryType.File,
                (byte)'1' => TarEntryType.HardLink,
                (byte)'2' => TarEntryType.Symlink,
                (byte)'3' => TarEntryType.CharDevice,
                (byte)'4' => TarEntryType.BlockDevice,
                (byte)'5' => TarEntryType.Directory,
                (byte)'6' => TarEntryType.Fifo,
                _ => throw new FormatException($"unsupported tar entry type '{(char)type}' (0x{type:x2}) at offset {HeaderOffset}"),
            };
            e.Name = HeaderName();
            e.LinkName = CString(157, 100);
            e.Mode = (int)(Numeric(100, 8, "mode") & 0xfff);
            e.Uid = checked((uint)Numeric(108, 8, "uid"));
            e.Gid = checked((uint)Numeric(116, 8, "gid"));
            e.MtimeSec = Numeric(136, 12, "mtime");
            e.Size = size;
            if (e.Type is TarEntryType.CharDevice or TarEntryType.BlockDevice)
            {
                e.DevMajor = checked((uint)Numeric(329, 8, "devmajor"));
                e.DevMinor = checked((uint)Numeric(337, 8, "devminor"));
            }
            if (_longName != null) e.Name = _longName;
            if (_longLink != null) e.LinkName = _longLink;
            foreach (var kv in _global) PaxRecords.Apply(e, kv.Key, kv.Value, global: true);
            if (_local != null) foreach (var kv in _local) PaxRecords.Apply(e, kv.Key, kv.Value, global: false);
            _local = null; _longName = _longLink = null;

            // Old (v7) archives mark directories by a trailing slash on a regular file.
            if (e.Type == TarEntryType.File && type != '7' && e.Name.Length > 0 && e.Name[^1] == '/')
                e.Type = TarEntryType.Directory;
            // Only regular files carry data: the others are header-only whatever their size field
            // says (as GNU tar and Go's archive/tar read them).
            if (e.Type != TarEntryType.File) e.Size = 0;
            _pendingData = Padded(e.Size);
            return true;
        }
    }

    /// Up to `max` bytes of the current entry's data (never past it).
    public ReadOnlySpan<byte> ReadData(long remaining)
    {
        var span = _in.Take(remaining);
        _pendingData -= span.Length;
        return span;
    }

    public void SkipData()
    {
        if (_pendingData > 0) _in.Skip(_pendingData);
        _pendingData = 0;
    }

    static long Padded(long size) => (size + Block - 1) & ~(long)(Block - 1);

    byte[] ReadMeta(long size)
    {
        if (size < 0 || size > MaxMetaSize) throw new FormatException($"extended header of {size} bytes at offset {HeaderOffset}");
        var data = new byte[size];
        _in.ReadExactly(data);
        _in.Skip(Padded(size) - size);
        return data;
    }

    static byte[] TrimNul(byte[] b)
    {
        int n = b.AsSpan().IndexOf((byte)0);
        return n < 0 ? b : b[..n];
    }

    byte[] CString(int offset, int length)
    {
        var f = _header.AsSpan(offset, length);
        int n = f.IndexOf((byte)0);
        return (n < 0 ? f : f[..n]).ToArray();
    }

    byte[] HeaderName()
    {
        byte[] name = CString(0, 100);
        // POSIX ustar ("ustar\0" "00") has a prefix field; GNU ("ustar  \0") uses those bytes otherwise.
        bool posix = _header.AsSpan(257, 6).SequenceEqual("ustar\0"u8);
        if (!posix) return name;
        byte[] prefix = CString(345, 155);
        if (prefix.Length == 0) return name;
        var full = new byte[prefix.Length + 1 + name.Length];
        prefix.CopyTo(full, 0);
        full[prefix.Length] = (byte)'/';
        name.CopyTo(full, prefix.Length + 1);
        return full;
    }

    void VerifyChecksum()
    {
        long stored = Numeric(148, 8, "checksum");
        long unsignedSum = 0, signedSum = 0;
        for (int i = 0; i < Block; i++)
        {
            byte b = i is >= 148 and < 156 ? (byte)' ' : _header[i];
            unsignedSum += b;
            signedSum += (sbyte)b;
        }
        if (stored != unsignedSum && stored != signedSum)
            throw new FormatException($"bad tar header checksum at offset {HeaderOffset}");
    }

    /// Octal ASCII (leading spaces/NULs, ending at space or NUL) or GNU base-256 (high bit set).
    long Numeric(int offset, int length, string field)
    {
        ReadOnlySpan<byte> f = _header.AsSpan(offset, length);
        if ((f[0] & 0x80) != 0)
        {
            if ((f[0] & 0x40) != 0) throw new FormatException($"negative {field} at offset {HeaderOffset}");
            long v = f[0] & 0x3f;
            for (int i = 1; i < f.Length; i++)
            {
                if (v > (long.MaxValue >> 8)) throw new FormatException($"{field} too large at offset {HeaderOffset}");
                v = (v << 8) | f[i];
            }
            return v;
        }
        int p = 0;
        while (p < f.Length && (f[p] == ' ' || f[p] == 0)) p++;
        long r = 0;
        for (; p < f.Length && f[p] != ' ' && f[p] != 0; p++)
        {
            if (f[p] < '0' || f[p] > '7' || r > (long.MaxValue >> 3))
                throw new FormatException($"bad {field} field {GoQuote.Quote(Encoding.ASCII.GetString(f).TrimEnd('\0'))} at offset {HeaderOffset}");
            r = (r << 3) | (uint)(f[p] - '0');
        }
        return r;
    }
}
