// NetlinkMessage: the netlink wire format, written and read by hand: a message is a 16-byte
// nlmsghdr, a fixed family header (ifinfomsg, ifaddrmsg, rtmsg), then attributes (rtattr: a
// 4-byte length and type, the value, padding to 4 bytes), which may nest (IFLA_LINKINFO holds
// IFLA_INFO_KIND; a veth's VETH_INFO_PEER holds a whole ifinfomsg and its own attributes).
//
// Why: MiniRun talks rtnetlink from C# instead of running `ip` (docs/networking.md). The format is
// small enough to write directly, and writing it makes the messages visible: the tests compare
// these bytes with the ones `ip` sends for the same request (captured with strace). Everything is
// host byte order (little-endian here) except addresses, which are network order.
//
// Follows: netlink(7), netlink(3) (NLMSG_ALIGN, NLMSG_HDRLEN), rtnetlink(3) (RTA_ALIGN, RTA_LENGTH);
// linux/netlink.h (struct nlmsghdr, struct nlattr, NLA_F_NESTED, struct nlmsgerr).
using System.Buffers.Binary;
using System.Text;

namespace MiniRun.Network;

/// <summary>Builds one netlink request: the header, a family header, then (nested) attributes.</summary>
public sealed class NetlinkRequest
{
    public const int HeaderLength = 16;

    private byte[] _buffer = new byte[256];
    private int _length;

    public ushort Type { get; }
    public ushort Flags { get; }

    /// <summary>Starts a message of <paramref name="type"/> (RTM_*) with <paramref name="flags"/> (NLM_F_*);
    /// length, sequence number and port id are filled in by <see cref="ToArray"/>.</summary>
    public NetlinkRequest(ushort type, ushort flags)
    {
        Type = type;
        Flags = flags;
        _length = HeaderLength;
    }

    public static int Align(int n) => (n + 3) & ~3;

    /// <summary>Appends raw bytes (a family header), padded to 4 bytes.</summary>
    public NetlinkRequest Raw(ReadOnlySpan<byte> bytes)
    {
        var dest = Reserve(Align(bytes.Length));
        bytes.CopyTo(dest);
        return this;
    }

    /// <summary>An attribute whose value is <paramref name="value"/>, padded to 4 bytes (the padding is not counted in rta_len).</summary>
    public NetlinkRequest Attribute(ushort type, ReadOnlySpan<byte> value)
    {
        var dest = Reserve(Align(4 + value.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(dest, (ushort)(4 + value.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(dest[2..], type);
        value.CopyTo(dest[4..]);
        return this;
    }

    public NetlinkRequest U32(ushort type, uint value)
    {
        Span<byte> v = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(v, value);
        return Attribute(type, v);
    }

    /// <summary>A string attribute (NLA_STRING), NUL-terminated unless <paramref name="nul"/> is false: the kernel
    /// takes both; iproute2 terminates names (IFLA_IFNAME) but not kinds (IFLA_INFO_KIND), and so does MiniRun.</summary>
    public NetlinkRequest String(ushort type, string value, bool nul = true)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(value) + (nul ? 1 : 0)];
        Encoding.UTF8.GetBytes(value, bytes);
        return Attribute(type, bytes);
    }

    /// <summary>Opens a nested attribute; its length is written by <see cref="EndNested"/>.</summary>
    public int BeginNested(ushort type)
    {
        int start = _length;
        var dest = Reserve(4);
        BinaryPrimitives.WriteUInt16LittleEndian(dest[2..], type);
        return start;
    }

    public NetlinkRequest EndNested(int start)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(start), (ushort)(_length - start));
        return this;
    }

    /// <summary>The finished message with its nlmsghdr: length, type, flags, <paramref name="seq"/>, port id 0 (the kernel fills it in).</summary>
    public byte[] ToArray(uint seq)
    {
        var h = _buffer.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(h, (uint)_length);
        BinaryPrimitives.WriteUInt16LittleEndian(h[4..], Type);
        BinaryPrimitives.WriteUInt16LittleEndian(h[6..], Flags);
        BinaryPrimitives.WriteUInt32LittleEndian(h[8..], seq);
        BinaryPrimitives.WriteUInt32LittleEndian(h[12..], 0);
        return _buffer.AsSpan(0, _length).ToArray();
    }

    private Span<byte> Reserve(int n)
    {
        if (_length + n > _buffer.Length) Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + n));
        var span = _buffer.AsSpan(_length, n);
        span.Clear();
        _length += n;
        return span;
    }
}

/// <summary>One received netlink message: its header fields and its payload (family header + attributes).</summary>
public sealed record NetlinkMessage(ushort Type, ushort Flags, uint Seq, uint PortId, ReadOnlyMemory<byte> Payload)
{
    /// <summary>Splits a datagram into its messages (a dump packs several into one read).</summary>
    public static List<NetlinkMessage> Split(ReadOnlyMemory<byte> datagram)
    {
        var list = new List<NetlinkMessage>();
        int offset = 0;
        var span = datagram.Span;
        while (span.Length - offset >= NetlinkRequest.HeaderLength)
        {
            uint len = BinaryPrimitives.ReadUInt32LittleEndian(span[offset..]);
            if (len < NetlinkRequest.HeaderLength || len > span.Length - offset)
                throw new FormatException($"netlink message at offset {offset} claims {len} bytes; {span.Length - offset} left");
            list.Add(new NetlinkMessage(
                BinaryPrimitives.ReadUInt16LittleEndian(span[(offset + 4)..]),
                BinaryPrimitives.ReadUInt16LittleEndian(span[(offset + 6)..]),
                BinaryPrimitives.ReadUInt32LittleEndian(span[(offset + 8)..]),
                BinaryPrimitives.ReadUInt32LittleEndian(span[(offset + 12)..]),
                datagram.Slice(offset + NetlinkRequest.HeaderLength, (int)len - NetlinkRequest.HeaderLength)));
            offset += NetlinkRequest.Align((int)len);
        }
        return list;
    }

    /// <summary>For NLMSG_ERROR: the (negative) errno, 0 for an ACK; and the kernel's extended-ACK text (NLMSGERR_ATTR_MSG), if any.</summary>
    public (int Error, string? KernelMessage) ReadError()
    {
        var p = Payload.Span;
        if (p.Length < 4) throw new FormatException($"NLMSG_ERROR of {p.Length} bytes");
        int error = BinaryPrimitives.ReadInt32LittleEndian(p);
        string? text = null;
        // struct nlmsgerr { int error; struct nlmsghdr msg; } then, with NLM_F_ACK_TLVS, attributes.
        // With NLM_F_CAPPED only the request's header is echoed, else the whole request.
        if ((Flags & Rt.NLM_F_ACK_TLVS) != 0 && p.Length >= 4 + NetlinkRequest.HeaderLength)
        {
            int echoed = (Flags & Rt.NLM_F_CAPPED) != 0
                ? NetlinkRequest.HeaderLength
                : (int)BinaryPrimitives.ReadUInt32LittleEndian(p[4..]);
            int tlvs = 4 + NetlinkRequest.Align(echoed);
            if (tlvs <= p.Length && NetlinkAttributes.Parse(Payload[tlvs..]).TryGetValue(Rt.NLMSGERR_ATTR_MSG, out var msg))
                text = NetlinkAttributes.String(msg);
        }
        return (error, text);
    }
}

/// <summary>Reads a run of attributes into a table by type (the last one of a type wins; none repeat in what MiniRun reads).</summary>
public static class NetlinkAttributes
{
    /// <summary>NLA_F_NESTED and NLA_F_NET_BYTEORDER are flags in the type's top bits, not part of the type.</summary>
    private const ushort TypeMask = 0x3fff;

    public static Dictionary<ushort, ReadOnlyMemory<byte>> Parse(ReadOnlyMemory<byte> attributes)
    {
        var table = new Dictionary<ushort, ReadOnlyMemory<byte>>();
        var span = attributes.Span;
        int offset = 0;
        while (span.Length - offset >= 4)
        {
            int len = BinaryPrimitives.ReadUInt16LittleEndian(span[offset..]);
            ushort type = (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(span[(offset + 2)..]) & TypeMask);
            if (len < 4 || len > span.Length - offset)
                throw new FormatException($"netlink attribute {type} at offset {offset} claims {len} bytes; {span.Length - offset} left");
            table[type] = attributes.Slice(offset + 4, len - 4);
            offset += NetlinkRequest.Align(len);
        }
        return table;
    }

    public static uint U32(ReadOnlyMemory<byte> value) => BinaryPrimitives.ReadUInt32LittleEndian(value.Span);

    /// <summary>A NUL-terminated string value, without its NUL.</summary>
    public static string String(ReadOnlyMemory<byte> value)
    {
        var s = value.Span;
        int nul = s.IndexOf((byte)0);
        return Encoding.UTF8.GetString(nul < 0 ? s : s[..nul]);
    }
}
