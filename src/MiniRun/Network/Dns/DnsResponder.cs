// DnsResponder: what the network's resolver does with one query: answer it from the network's
// names, refuse it as malformed, or forward it upstream. Pure logic, no sockets (DnsServer.cs
// does the I/O), so every rule below has a unit test.
//
// The rules, after Docker's embedded DNS:
//   - a name that is a container's name or --network-alias on THIS network (any case, trailing dot
//     or not): A -> the address of every container holding it, TTL 600 s (Docker's respTTL);
//     AAAA and other types -> NOERROR with no answer ("the name exists, not with that type"), so
//     a client does not go on to ask the upstream servers, which know nothing of it;
//   - PTR for a container's address (d.c.b.a.in-addr.arpa) -> the container's name;
//   - anything else -> forwarded to the host's resolvers (DnsForwarder.cs), answer relayed;
//   - a packet that is a response (QR set) or shorter than a header -> dropped, so two resolvers
//     can never bounce a packet back and forth; a malformed query -> FORMERR; an opcode other than
//     QUERY -> NOTIMP; a query with other than one question -> FORMERR.
// Replies are authoritative (AA) and say recursion is available (RA): unknown names are forwarded.
//
// Follows: RFC 1035 4.1.1 (header flags, RCODE), RFC 2308 section 2.2 (NODATA: NOERROR without
// answers), RFC 1035 3.5 (IN-ADDR.ARPA); Docker's resolver behaviour for container names.
using System.Net;

namespace MiniRun.Network.Dns;

public enum DnsAction { Drop, Reply, Forward }

/// <param name="Reply">The bytes to send back when <paramref name="Action"/> is Reply.</param>
public readonly record struct DnsDecision(DnsAction Action, byte[]? Reply = null);

public static class DnsResponder
{
    /// <summary>The TTL of local answers: Docker's embedded DNS uses 600 seconds.</summary>
    public const uint Ttl = 600;
    private const ushort ClassIn = 1, ClassAny = 255;

    /// <summary>Decides what to do with <paramref name="query"/>; a reply never exceeds <paramref name="maxReply"/> bytes (TC set instead).</summary>
    public static DnsDecision Decide(ReadOnlySpan<byte> query, NetworkNames names, int maxReply)
    {
        if (!DnsMessage.TryReadHeader(query, out ushort id, out ushort flags) || (flags & 0x8000) != 0)
            return new DnsDecision(DnsAction.Drop);
        DnsMessage q;
        try { q = DnsMessage.Parse(query); }
        catch (DnsFormatException) { return Reply(Header(id, flags, DnsRcode.FormErr), maxReply); }
        if (q.Opcode != 0) return Reply(Header(id, flags, DnsRcode.NotImp), maxReply);
        if (q.Questions.Count != 1) return Reply(Header(id, flags, DnsRcode.FormErr), maxReply);

        var question = q.Questions[0];
        if (question.Class is not (ClassIn or ClassAny)) return new DnsDecision(DnsAction.Forward);
        var reply = Header(id, flags, DnsRcode.NoError);
        reply.Questions.Add(question);
        reply.Authoritative = true;

        if (question.Type == DnsType.PTR && ReverseAddress(question.Name) is { } address && names.NameOf(address) is { } owner
            && IsValidName(owner))   // a container name too long for DNS (a label over 63 bytes) has no PTR
        {
            reply.Answers.Add(DnsRecord.Ptr(question.Name, owner, Ttl));
            return Reply(reply, maxReply);
        }
        var addresses = names.Lookup(question.Name);
        if (addresses.Count == 0) return new DnsDecision(DnsAction.Forward);
        if (question.Type is DnsType.A or DnsType.ANY)
            foreach (var a in addresses) reply.Answers.Add(DnsRecord.A(question.Name, a, Ttl));
        return Reply(reply, maxReply);   // other types of a known name: NOERROR, no answer
    }

    /// <summary>The reply when forwarding failed (no upstream answered in time): SERVFAIL with the query's question.</summary>
    public static byte[] Failure(ReadOnlySpan<byte> query, int rcode = DnsRcode.ServFail)
    {
        DnsMessage.TryReadHeader(query, out ushort id, out ushort flags);
        var reply = Header(id, flags, rcode);
        try
        {
            if (DnsMessage.FirstQuestion(query) is { } question) reply.Questions.Add(question);
        }
        catch (DnsFormatException) { }
        return reply.ToBytes(DnsMessage.UdpLimit);
    }

    /// <summary>"4.3.2.1.in-addr.arpa" -> 1.2.3.4; null for anything else (fewer labels, a range, other text).</summary>
    public static IPAddress? ReverseAddress(string name)
    {
        const string suffix = ".in-addr.arpa";
        string n = name.TrimEnd('.');
        if (!n.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)) return null;
        var labels = n[..^suffix.Length].Split('.');
        if (labels.Length != 4) return null;
        var bytes = new byte[4];
        for (int i = 0; i < 4; i++)
        {
            string label = labels[3 - i];
            if (label.Length is 0 or > 3 || !label.All(char.IsAsciiDigit) || (label.Length > 1 && label[0] == '0')) return null;
            int value = int.Parse(label);
            if (value > 255) return null;
            bytes[i] = (byte)value;
        }
        return new IPAddress(bytes);
    }

    private static bool IsValidName(string name)
    {
        try { DnsMessage.EncodeName(name); return true; }
        catch (DnsFormatException) { return false; }
    }

    /// <summary>A response header to the query's id and flags: QR set, opcode and RD kept, RA set.</summary>
    private static DnsMessage Header(ushort id, ushort queryFlags, int rcode)
    {
        var m = new DnsMessage { Id = id, Flags = (ushort)(queryFlags & 0x7900) };   // opcode and RD
        m.IsResponse = true;
        m.RecursionAvailable = true;
        m.Rcode = rcode;
        return m;
    }

    private static DnsDecision Reply(DnsMessage reply, int maxReply) => new(DnsAction.Reply, reply.ToBytes(maxReply));
}
