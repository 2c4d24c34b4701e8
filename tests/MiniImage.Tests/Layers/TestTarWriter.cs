// TestTarWriter: builds tar archives byte by byte for the layer unpacker tests: ustar headers with
// any type, mode, owner and times, PAX 'x' records with raw byte values (binary xattrs), GNU 'L'
// long names, base-256 numbers, and deliberately hostile names.
//
// Why: System.Formats.Tar's TarWriter encodes PAX values as UTF-8 text and refuses some hostile
// inputs, so tests that need exact bytes write them themselves.
// Follows: POSIX.1-2017 pax(1) "ustar Interchange Format" and "pax Extended Header"; GNU tar
// manual (L records, base-256 numeric fields).
using System.Text;

namespace MiniImage.Tests.Layers;

internal sealed class TestTarWriter
{
    readonly MemoryStream _out = new();

    public byte[] Finish(bool endMarker = true)
    {
        if (endMarker) _out.Write(new byte[1024]);
        return _out.ToArray();
    }

    public TestTarWriter File(string name, string content, int mode = 0x1a4 /* 0644 */, int uid = 0, int gid = 0, long mtime = 1_700_000_000) =>
        Entry((byte)'0', name, Encoding.UTF8.GetBytes(content), mode: mode, uid: uid, gid: gid, mtime: mtime);

    public TestTarWriter Dir(string name, int mode = 0x1ed /* 0755 */, int uid = 0, int gid = 0, long mtime = 1_700_000_000) =>
        Entry((byte)'5', name, [], mode: mode, uid: uid, gid: gid, mtime: mtime);

    public TestTarWriter Symlink(string name, string target, int uid = 0, int gid = 0) =>
        Entry((byte)'2', name, [], link: target, mode: 0x1ff, uid: uid, gid: gid);

    public TestTarWriter HardLink(string name, string target) => Entry((byte)'1', name, [], link: target);

    public TestTarWriter CharDevice(string name, int major, int minor, int mode = 0x1b6) =>
        Entry((byte)'3', name, [], mode: mode, devMajor: major, devMinor: minor);

    public TestTarWriter BlockDevice(string name, int major, int minor, int mode = 0x1b0) =>
        Entry((byte)'4', name, [], mode: mode, devMajor: major, devMinor: minor);

    public TestTarWriter Fifo(string name, int mode = 0x1a4) => Entry((byte)'6', name, [], mode: mode);

    /// A PAX extended header ('x' or 'g') with the given records (values are raw bytes).
    public TestTarWriter Pax(params (string Key, byte[] Value)[] records) => PaxHeader((byte)'x', records);

    public TestTarWriter PaxGlobal(params (string Key, byte[] Value)[] records) => PaxHeader((byte)'g', records);

    TestTarWriter PaxHeader(byte type, (string Key, byte[] Value)[] records)
    {
        var data = new MemoryStream();
        foreach (var (key, value) in records) data.Write(PaxRecord(key, value));
        return Entry(type, "PaxHeaders/x", data.ToArray());
    }

    public static byte[] PaxRecord(string key, byte[] value)
    {
        byte[] kv = [.. Encoding.UTF8.GetBytes(" " + key + "="), .. value, (byte)'\n'];
        int len = kv.Length + 1;
        while (len.ToString().Length + kv.Length != len) len++;
        return [.. Encoding.ASCII.GetBytes(len.ToString()), .. kv];
    }

    /// A GNU 'L' record: the next entry's full name.
    public TestTarWriter GnuLongName(string name) => Entry((byte)'L', "././@LongLink", [.. Encoding.UTF8.GetBytes(name), 0], gnu: true);

    public TestTarWriter Entry(byte type, string name, byte[] data, string link = "", int mode = 0x1a4, long uid = 0, long gid = 0,
        long mtime = 1_700_000_000, int devMajor = 0, int devMinor = 0, bool gnu = false, bool base256Ids = false) =>
        RawEntry(type, Encoding.UTF8.GetBytes(name), data, Encoding.UTF8.GetBytes(link), mode, uid, gid, mtime, devMajor, devMinor, gnu, base256Ids);

    public TestTarWriter RawEntry(byte type, byte[] name, byte[] data, byte[] link, int mode = 0x1a4, long uid = 0, long gid = 0,
        long mtime = 1_700_000_000, int devMajor = 0, int devMinor = 0, bool gnu = false, bool base256Ids = false)
    {
        if (name.Length > 100) throw new ArgumentException("name longer than 100 bytes; use GnuLongName or Pax path");
        var h = new byte[512];
        name.CopyTo(h, 0);
        Octal(h, 100, 8, mode);
        if (base256Ids) { Base256(h, 108, 8, uid); Base256(h, 116, 8, gid); }
        else { Octal(h, 108, 8, uid); Octal(h, 116, 8, gid); }
        Octal(h, 124, 12, data.Length);
        Octal(h, 136, 12, mtime);
        h[156] = type;
        link.CopyTo(h, 157);
        if (gnu) "ustar  \0"u8.CopyTo(h.AsSpan(257));
        else { "ustar\0"u8.CopyTo(h.AsSpan(257)); "00"u8.CopyTo(h.AsSpan(263)); }
        Octal(h, 329, 8, devMajor);
        Octal(h, 337, 8, devMinor);
        for (int i = 148; i < 156; i++) h[i] = (byte)' ';
        int sum = 0;
        foreach (byte b in h) sum += b;
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(h, 148);
        _out.Write(h);
        _out.Write(data);
        int pad = (512 - data.Length % 512) % 512;
        _out.Write(new byte[pad]);
        return this;
    }

    static void Octal(byte[] h, int offset, int length, long value) =>
        Encoding.ASCII.GetBytes(Convert.ToString(value, 8).PadLeft(length - 1, '0') + "\0").CopyTo(h, offset);

    static void Base256(byte[] h, int offset, int length, long value)
    {
        for (int i = length - 1; i > 0; i--) { h[offset + i] = (byte)(value & 0xff); value >>= 8; }
        h[offset] = 0x80;
    }
}
