// TarEntryWriter: writes TarEntry values (the reader's model) as a tar stream: ustar headers, a
// PAX 'x' header before any entry whose name, link target, owner, size or xattrs do not fit in
// ustar, then the entry's data padded to 512 bytes, and the two zero blocks at the end.
//
// Why: TarEntryReader's counterpart, for `export`, `commit` and `cp`. System.Formats.Tar (which
// `save` uses for its metadata-only archive) takes PAX values as strings, so binary xattr values
// such as security.capability cannot round-trip through it; here names, link targets and xattr
// values stay bytes, exactly as TarEntryReader reads them back.
// Follows: POSIX.1-2017 pax(1) "ustar Interchange Format" and "pax Extended Header" (record =
// "%d %s=%s\n", the length counting itself); SCHILY.xattr.* and SCHILY.devmajor/minor keywords.
using System.Text;

namespace MiniImage.Layers;

internal sealed class TarEntryWriter(Stream output)
{
    const int Block = 512;
    const long MaxOctal7 = 0x1FFFFF;          // 7 octal digits (uid, gid, mode, dev)
    const long MaxOctal11 = 0x1FFFFFFFF;      // 11 octal digits (size, mtime)
    readonly byte[] _header = new byte[Block];
    long _paxCount;

    /// Writes the header of `e` (and a PAX header before it when needed). For a regular file the
    /// caller then writes exactly e.Size bytes through WriteData and calls EndData.
    public void WriteHeader(TarEntry e)
    {
        var pax = new List<(byte[] Key, byte[] Value)>();
        if (e.Name.Length > 100) pax.Add(("path"u8.ToArray(), e.Name));
        if (e.LinkName.Length > 100) pax.Add(("linkpath"u8.ToArray(), e.LinkName));
        if (e.Uid > MaxOctal7) pax.Add(("uid"u8.ToArray(), Ascii(e.Uid.ToString())));
        if (e.Gid > MaxOctal7) pax.Add(("gid"u8.ToArray(), Ascii(e.Gid.ToString())));
        if (e.Size > MaxOctal11) pax.Add(("size"u8.ToArray(), Ascii(e.Size.ToString())));
        if (e.MtimeSec < 0 || e.MtimeSec > MaxOctal11) pax.Add(("mtime"u8.ToArray(), Ascii(e.MtimeSec.ToString())));
        if (e.DevMajor > MaxOctal7) pax.Add(("SCHILY.devmajor"u8.ToArray(), Ascii(e.DevMajor.ToString())));
        if (e.DevMinor > MaxOctal7) pax.Add(("SCHILY.devminor"u8.ToArray(), Ascii(e.DevMinor.ToString())));
        foreach (var x in e.Xattrs)
            pax.Add(([.. "SCHILY.xattr."u8, .. x.Key], x.Value));
        if (pax.Count > 0) WritePax(pax, e.Name);

        byte type = e.Type switch
        {
            TarEntryType.File => (byte)'0',
            TarEntryType.HardLink => (byte)'1',
            TarEntryType.Symlink => (byte)'2',
            TarEntryType.CharDevice => (byte)'3',
            TarEntryType.BlockDevice => (byte)'4',
            TarEntryType.Directory => (byte)'5',
            _ => (byte)'6',
        };
        long size = e.Type == TarEntryType.File ? e.Size : 0;
        FillHeader(Truncate(e.Name, 100), e.Mode & 0xfff, e.Uid, e.Gid, size, e.MtimeSec, type, Truncate(e.LinkName, 100), e.DevMajor, e.DevMinor);
        output.Write(_header);
    }

    public void WriteData(ReadOnlySpan<byte> data) => output.Write(data);

    /// Pads the data of a regular file of `size` bytes to the next block.
    public void EndData(long size)
    {
        int pad = (int)((Block - size % Block) % Block);
        if (pad > 0) output.Write(new byte[pad]);
    }

    /// The end-of-archive marker: two zero blocks.
    public void Finish()
    {
        output.Write(new byte[2 * Block]);
        output.Flush();
    }

    void WritePax(List<(byte[] Key, byte[] Value)> records, byte[] name)
    {
        using var data = new MemoryStream();
        foreach (var (key, value) in records)
        {
            int body = 1 + key.Length + 1 + value.Length + 1; // " key=value\n"
            int len = body + 1;
            while (len.ToString().Length + body != len) len = len.ToString().Length + body;
            data.Write(Ascii(len.ToString()));
            data.WriteByte((byte)' ');
            data.Write(key);
            data.WriteByte((byte)'=');
            data.Write(value);
            data.WriteByte((byte)'\n');
        }
        int slash = name.AsSpan().TrimEnd((byte)'/').LastIndexOf((byte)'/');
        byte[] baseName = name.AsSpan(slash + 1).TrimEnd((byte)'/').ToArray();
        byte[] paxName = Truncate([.. Ascii($"PaxHeaders.{_paxCount++}/"), .. baseName], 100);
        FillHeader(paxName, 0x1a4, 0, 0, data.Length, 0, (byte)'x', [], 0, 0);
        output.Write(_header);
        output.Write(data.GetBuffer(), 0, (int)data.Length);
        EndData(data.Length);
    }

    void FillHeader(byte[] name, int mode, uint uid, uint gid, long size, long mtime, byte type, byte[] link, uint major, uint minor)
    {
        Array.Clear(_header);
        name.CopyTo(_header, 0);
        Octal(100, 8, mode);
        Octal(108, 8, Math.Min(uid, MaxOctal7));
        Octal(116, 8, Math.Min(gid, MaxOctal7));
        Octal(124, 12, Math.Min(size, MaxOctal11));
        Octal(136, 12, Math.Clamp(mtime, 0, MaxOctal11));
        _header[156] = type;
        link.CopyTo(_header, 157);
        "ustar\0"u8.CopyTo(_header.AsSpan(257));
        "00"u8.CopyTo(_header.AsSpan(263));
        if (type is (byte)'3' or (byte)'4')
        {
            Octal(329, 8, Math.Min(major, MaxOctal7));
            Octal(337, 8, Math.Min(minor, MaxOctal7));
        }
        "        "u8.CopyTo(_header.AsSpan(148));
        long sum = 0;
        foreach (byte b in _header) sum += b;
        Octal(148, 7, sum); // six digits and a NUL, then the space already there
    }

    /// Zero-padded octal digits filling length-1 bytes, then a NUL.
    void Octal(int offset, int length, long value)
    {
        for (int i = offset + length - 2; i >= offset; i--)
        {
            _header[i] = (byte)('0' + (value & 7));
            value >>= 3;
        }
        _header[offset + length - 1] = 0;
    }

    static byte[] Truncate(byte[] s, int max) => s.Length <= max ? s : s[..max];

    static byte[] Ascii(string s) => Encoding.ASCII.GetBytes(s);
}
