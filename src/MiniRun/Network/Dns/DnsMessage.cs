// DnsMessage: the DNS wire format, parsed and built by hand: the header, questions and resource
// records of RFC 1035, with name compression understood when parsing.
//
// Why by hand: the name resolver (DnsServer.cs) needs only a small part of DNS - read one question,
// write A and PTR answers, relay everything else as bytes - and the libraries are clients, or
// whole servers that do not trim well under NativeAOT (docs/dependencies.md). The parser reads
// packets from any container on the network, so it trusts nothing: every length is checked
// against the packet, a compression pointer must point strictly backwards (so a pointer loop
// cannot exist: each jump lands earlier than the last), and a name is at most 255 bytes. Bad
// input is a DnsFormatException, never an endless loop or an out-of-range read.
//
// Names are kept in presentation form (RFC 1035 5.1): labels joined by '.', with a '.' or '\'
// inside a label and unprintable bytes escaped (\. \\ \DDD), so parsing and building round-trip.
//
// Follows: RFC 1035 sections 3.1 (names), 4.1 (message format), 4.1.4 (compression);
// RFC 6891 (the OPT pseudo-record, type 41, tolerated in the additional section);
// RFC 3596 (AAAA, type 28).
using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace MiniRun.Network.Dns;

/// <summary>Record types MiniRun names; any other value is carried as a number.</summary>
public static class DnsType
{
    public const ushort A = 1, NS = 2, CNAME = 5, SOA = 6, PTR = 12, MX = 15, TXT = 16, AAAA = 28, OPT = 41, ANY = 255;
}

/// <summary>Response codes (RFC 1035 4.1.1 RCODE).</summary>
public static class DnsRcode
{
    public const int NoError = 0, FormErr = 1, ServFail = 2, NXDomain = 3, NotImp = 4, Refused = 5;
}

/// <summary>A packet that is not a well-formed DNS message; the message says where.</summary>
public sealed class DnsFormatException(string message) : Exception(message);

/// <param name="Name">Presentation form without the trailing dot ("" is the root).</param>
public sealed record DnsQuestion(string Name, ushort Type, ushort Class = 1);

/// <param name="Data">The RDATA bytes as they were on the wire (compressed names inside stay compressed).</param>
/// <param name="DataName">For PTR, CNAME and NS records: the name in RDATA, decompressed; otherwise null.</param>
public sealed record DnsRecord(string Name, ushort Type, ushort Class, uint Ttl, byte[] Data, string? DataName = null)
{
    /// <summary>An A record.</summary>
    public static DnsRecord A(string name, IPAddress address, uint ttl) => new(name, DnsType.A, 1, ttl, address.GetAddressBytes());

    /// <summary>A PTR record pointing to <paramref name="target"/>.</summary>
    public static DnsRecord Ptr(string name, string target, uint ttl) => new(name, DnsType.PTR, 1, ttl, [], target);
}

public sealed class DnsMessage
{
    public const int HeaderSize = 12;
    /// <summary>The most a UDP reply may carry without EDNS (RFC 1035 4.2.1).</summary>
    public const int UdpLimit = 512;
    /// <summary>A name's longest wire form, length bytes and the root's zero included (RFC 1035 3.1).</summary>
    public const int MaxNameLength = 255;

    public ushort Id { get; set; }
    /// <summary>The 16 flag bits of the header: QR, OPCODE, AA, TC, RD, RA, Z, RCODE.</summary>
    public ushort Flags { get; set; }
    public List<DnsQuestion> Questions { get; } = [];
    public List<DnsRecord> Answers { get; } = [];
    public List<DnsRecord> Authorities { get; } = [];
    public List<DnsRecord> Additionals { get; } = [];

    public bool IsResponse { get => (Flags & 0x8000) != 0; set => SetBit(0x8000, value); }
    public int Opcode { get => (Flags >> 11) & 0xF; set => Flags = (ushort)((Flags & ~0x7800) | ((value & 0xF) << 11)); }
    public bool Authoritative { get => (Flags & 0x0400) != 0; set => SetBit(0x0400, value); }
    public bool Truncated { get => (Flags & 0x0200) != 0; set => SetBit(0x0200, value); }
    public bool RecursionDesired { get => (Flags & 0x0100) != 0; set => SetBit(0x0100, value); }
    public bool RecursionAvailable { get => (Flags & 0x0080) != 0; set => SetBit(0x0080, value); }
    public int Rcode { get => Flags & 0xF; set => Flags = (ushort)((Flags & ~0xF) | (value & 0xF)); }

    private void SetBit(int bit, bool on) => Flags = (ushort)(on ? Flags | bit : Flags & ~bit);

    // ---- parsing ----

    /// <summary>Parses a whole message; throws DnsFormatException on anything malformed.</summary>
    public static DnsMessage Parse(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < HeaderSize) throw new DnsFormatException($"message of {packet.Length} bytes is shorter than the 12-byte header");
        var m = new DnsMessage
        {
            Id = BinaryPrimitives.ReadUInt16BigEndian(packet),
            Flags = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]),
        };
        int qd = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
        int an = BinaryPrimitives.ReadUInt16BigEndian(packet[6..]);
        int ns = BinaryPrimitives.ReadUInt16BigEndian(packet[8..]);
        int ar = BinaryPrimitives.ReadUInt16BigEndian(packet[10..]);
        int offset = HeaderSize;
        // Each entry takes at least 5 (question) or 11 (record) bytes, so these loops end with the packet.
        for (int i = 0; i < qd; i++)
        {
            string name = ReadName(packet, ref offset);
            Need(packet, offset, 4, "question type and class");
            m.Questions.Add(new DnsQuestion(name, BinaryPrimitives.ReadUInt16BigEndian(packet[offset..]),
                BinaryPrimitives.ReadUInt16BigEndian(packet[(offset + 2)..])));
            offset += 4;
        }
        for (int i = 0; i < an; i++) m.Answers.Add(ReadRecord(packet, ref offset));
        for (int i = 0; i < ns; i++) m.Authorities.Add(ReadRecord(packet, ref offset));
        for (int i = 0; i < ar; i++) m.Additionals.Add(ReadRecord(packet, ref offset));
        return m;   // bytes after the last record are ignored, as most resolvers do
    }

    /// <summary>The header's id and flags when at least a header is there (to answer FORMERR to a bad question).</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> packet, out ushort id, out ushort flags)
    {
        id = flags = 0;
        if (packet.Length < HeaderSize) return false;
        id = BinaryPrimitives.ReadUInt16BigEndian(packet);
        flags = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        return true;
    }

    /// <summary>The first question alone (null when QDCOUNT is 0): enough to match an upstream's reply to
    /// a query without parsing records the resolver only relays. Throws DnsFormatException.</summary>
    public static DnsQuestion? FirstQuestion(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < HeaderSize) throw new DnsFormatException($"message of {packet.Length} bytes is shorter than the 12-byte header");
        if (BinaryPrimitives.ReadUInt16BigEndian(packet[4..]) == 0) return null;
        int offset = HeaderSize;
        string name = ReadName(packet, ref offset);
        Need(packet, offset, 4, "question type and class");
        return new DnsQuestion(name, BinaryPrimitives.ReadUInt16BigEndian(packet[offset..]), BinaryPrimitives.ReadUInt16BigEndian(packet[(offset + 2)..]));
    }

    private static DnsRecord ReadRecord(ReadOnlySpan<byte> packet, ref int offset)
    {
        string name = ReadName(packet, ref offset);
        Need(packet, offset, 10, "record type, class, TTL and length");
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(packet[offset..]);
        ushort cls = BinaryPrimitives.ReadUInt16BigEndian(packet[(offset + 2)..]);
        uint ttl = BinaryPrimitives.ReadUInt32BigEndian(packet[(offset + 4)..]);
        int length = BinaryPrimitives.ReadUInt16BigEndian(packet[(offset + 8)..]);
        offset += 10;
        Need(packet, offset, length, $"RDATA of {length} bytes");
        string? dataName = null;
        if (type is DnsType.PTR or DnsType.CNAME or DnsType.NS)
        {
            int at = offset;
            dataName = ReadName(packet, ref at);
            if (at != offset + length) throw new DnsFormatException($"the name in a type {type} record does not fill its {length}-byte RDATA");
        }
        var data = packet.Slice(offset, length).ToArray();
        offset += length;
        return new DnsRecord(name, type, cls, ttl, data, dataName);
    }

    /// <summary>
    /// Reads a (possibly compressed) name at <paramref name="offset"/> and moves past it.
    /// A pointer must point before the start of the labels that contain it, so every jump goes
    /// strictly backwards: a loop is impossible and at most packet-length jumps can happen.
    /// </summary>
    public static string ReadName(ReadOnlySpan<byte> packet, ref int offset)
    {
        var text = new StringBuilder();
        int at = offset, segmentStart = offset, wireLength = 0;
        int? resumeAt = null;   // where parsing continues after the first pointer
        while (true)
        {
            Need(packet, at, 1, "a name's length byte");
            int length = packet[at];
            if ((length & 0xC0) == 0xC0)
            {
                Need(packet, at, 2, "a compression pointer");
                int target = ((length & 0x3F) << 8) | packet[at + 1];
                if (target >= segmentStart)
                    throw new DnsFormatException($"compression pointer at offset {at} to {target} does not point backwards");
                resumeAt ??= at + 2;
                at = segmentStart = target;
                continue;
            }
            if ((length & 0xC0) != 0)
                throw new DnsFormatException($"label type 0x{length & 0xC0:x2} at offset {at} is not supported");
            wireLength += length + 1;
            if (wireLength > MaxNameLength) throw new DnsFormatException($"name longer than {MaxNameLength} bytes at offset {offset}");
            if (length == 0) { at++; break; }
            Need(packet, at + 1, length, $"a label of {length} bytes");
            if (text.Length > 0) text.Append('.');
            AppendLabel(text, packet.Slice(at + 1, length));
            at += 1 + length;
        }
        offset = resumeAt ?? at;
        return text.ToString();
    }

    private static void AppendLabel(StringBuilder text, ReadOnlySpan<byte> label)
    {
        foreach (byte b in label)
        {
            if (b is (byte)'.' or (byte)'\\') text.Append('\\').Append((char)b);
            else if (b is < 0x21 or > 0x7E) text.Append('\\').Append(b.ToString("D3"));
            else text.Append((char)b);
        }
    }

    private static void Need(ReadOnlySpan<byte> packet, int offset, int count, string what)
    {
        if (offset < 0 || count < 0 || offset > packet.Length - count)
            throw new DnsFormatException($"message ends at {packet.Length} bytes, inside {what} at offset {offset}");
    }

    // ---- building ----

    /// <summary>
    /// The wire form. Record names equal to the first question's name are written as a pointer to it
    /// (offset 12). When the message would exceed <paramref name="maxSize"/>, every record is left
    /// out and TC is set, as RFC 1035 4.2.1 asks; the client then retries over TCP.
    /// </summary>
    public byte[] ToBytes(int maxSize = 65535)
    {
        var full = Encode(includeRecords: true);
        if (full.Length <= maxSize) return full;
        Truncated = true;
        return Encode(includeRecords: false);
    }

    private byte[] Encode(bool includeRecords)
    {
        var w = new List<byte>(128);
        WriteUInt16(w, Id);
        WriteUInt16(w, Flags);
        WriteUInt16(w, (ushort)Questions.Count);
        WriteUInt16(w, (ushort)(includeRecords ? Answers.Count : 0));
        WriteUInt16(w, (ushort)(includeRecords ? Authorities.Count : 0));
        WriteUInt16(w, (ushort)(includeRecords ? Additionals.Count : 0));
        string? firstName = Questions.Count > 0 ? Questions[0].Name : null;
        foreach (var q in Questions)
        {
            WriteName(w, q.Name);
            WriteUInt16(w, q.Type);
            WriteUInt16(w, q.Class);
        }
        if (includeRecords)
            foreach (var r in Answers.Concat(Authorities).Concat(Additionals))
            {
                if (firstName is not null && string.Equals(r.Name, firstName, StringComparison.OrdinalIgnoreCase)) { w.Add(0xC0); w.Add(HeaderSize); }
                else WriteName(w, r.Name);
                WriteUInt16(w, r.Type);
                WriteUInt16(w, r.Class);
                WriteUInt16(w, (ushort)(r.Ttl >> 16));
                WriteUInt16(w, (ushort)r.Ttl);
                byte[] data = r.DataName is not null ? EncodeName(r.DataName) : r.Data;
                WriteUInt16(w, (ushort)data.Length);
                w.AddRange(data);
            }
        return w.ToArray();
    }

    /// <summary>A name in wire form, uncompressed; throws DnsFormatException when a label or the name is too long.</summary>
    public static byte[] EncodeName(string name)
    {
        var w = new List<byte>(name.Length + 2);
        WriteName(w, name);
        return w.ToArray();
    }

    private static void WriteName(List<byte> w, string name)
    {
        int start = w.Count;
        var label = new List<byte>(63);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (c == '.')
            {
                if (label.Count == 0 && i == name.Length - 1) break;   // a trailing dot: the root
                FlushLabel(w, label, name);
                continue;
            }
            if (c == '\\' && i + 1 < name.Length)
            {
                if (i + 3 < name.Length && char.IsAsciiDigit(name[i + 1]) && char.IsAsciiDigit(name[i + 2]) && char.IsAsciiDigit(name[i + 3])
                    && int.Parse(name.AsSpan(i + 1, 3)) is var value && value <= 255)
                {
                    label.Add((byte)value);
                    i += 3;
                }
                else label.Add((byte)name[++i]);
                continue;
            }
            if (c > 0x7F) throw new DnsFormatException($"name {GoQuote.Quote(name)} has a non-ASCII character");
            label.Add((byte)c);
        }
        if (label.Count > 0) FlushLabel(w, label, name);
        w.Add(0);
        if (w.Count - start > MaxNameLength) throw new DnsFormatException($"name {GoQuote.Quote(name)} is longer than {MaxNameLength} bytes");
    }

    private static void FlushLabel(List<byte> w, List<byte> label, string name)
    {
        if (label.Count == 0) throw new DnsFormatException($"name {GoQuote.Quote(name)} has an empty label");
        if (label.Count > 63) throw new DnsFormatException($"name {GoQuote.Quote(name)} has a label longer than 63 bytes");
        w.Add((byte)label.Count);
        w.AddRange(label);
        label.Clear();
    }

    private static void WriteUInt16(List<byte> w, ushort value)
    {
        w.Add((byte)(value >> 8));
        w.Add((byte)value);
    }
}
