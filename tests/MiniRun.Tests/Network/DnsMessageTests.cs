// DnsMessageTests: the DNS codec against real queries, a compressed response, and hostile packets.
//
// The captured queries were sent by BusyBox v1.35.0 (Debian 12, busybox-static) `nslookup`; they
// were captured inside a throwaway network namespace by a UDP socket bound to 127.0.0.1:53 that
// printed each datagram in hex:
//   ip netns add cap; ip netns exec cap sh -c 'ip link set lo up; <python UDP printer on 127.0.0.1:53> &
//     busybox nslookup web 127.0.0.1; busybox nslookup -type=PTR 2.0.18.172.in-addr.arpa 127.0.0.1'
// (nslookup asks A and AAAA for a name.)
using System.Net;
using MiniRun.Network.Dns;

namespace MiniRun.Tests.Network;

public class DnsMessageTests
{
    public static readonly byte[] BusyboxA = Convert.FromHexString("15da01000001000000000000037765620000010001");
    public static readonly byte[] BusyboxAaaa = Convert.FromHexString("26e1010000010000000000000377656200001c0001");
    public static readonly byte[] BusyboxPtr = Convert.FromHexString(
        "d77101000001000000000000013201300231380331373207696e2d61646472046172706100000c0001");

    /// <summary>
    /// A response built by hand after RFC 1035 4.1.4: www.example.com CNAME web.example.com, whose
    /// RDATA ends with a pointer into the question, and an A record whose owner name is a pointer to
    /// that RDATA (a chain of two pointers, both backwards).
    /// </summary>
    public static readonly byte[] CompressedResponse = Convert.FromHexString(
        "1234" + "8180" + "0001" + "0002" + "0000" + "0000" +
        "03777777076578616d706c6503636f6d00" + "0001" + "0001" +            // question at 12: www.example.com A IN
        "c00c" + "0005" + "0001" + "0000003c" + "0006" + "03776562c010" +    // at 33: CNAME, RDATA at 45: web + ptr(16)
        "c02d" + "0001" + "0001" + "0000003c" + "0004" + "c0000207");        // at 51: ptr(45) A 192.0.2.7

    [Fact]
    public void Parses_busybox_nslookup_queries()
    {
        var a = DnsMessage.Parse(BusyboxA);
        Assert.Equal(0x15da, a.Id);
        Assert.False(a.IsResponse);
        Assert.True(a.RecursionDesired);
        Assert.Equal(0, a.Opcode);
        Assert.Equal(new DnsQuestion("web", DnsType.A, 1), Assert.Single(a.Questions));
        Assert.Equal(DnsType.AAAA, Assert.Single(DnsMessage.Parse(BusyboxAaaa).Questions).Type);
        var ptr = Assert.Single(DnsMessage.Parse(BusyboxPtr).Questions);
        Assert.Equal("2.0.18.172.in-addr.arpa", ptr.Name);
        Assert.Equal(DnsType.PTR, ptr.Type);
    }

    [Fact]
    public void Building_the_parsed_query_gives_the_captured_bytes_back()
    {
        Assert.Equal(BusyboxA, DnsMessage.Parse(BusyboxA).ToBytes());
        Assert.Equal(BusyboxPtr, DnsMessage.Parse(BusyboxPtr).ToBytes());
    }

    [Fact]
    public void Follows_compression_pointers_in_names_and_in_rdata()
    {
        var m = DnsMessage.Parse(CompressedResponse);
        Assert.True(m.IsResponse);
        Assert.Equal("www.example.com", m.Questions[0].Name);
        Assert.Equal(2, m.Answers.Count);
        Assert.Equal("www.example.com", m.Answers[0].Name);
        Assert.Equal(DnsType.CNAME, m.Answers[0].Type);
        Assert.Equal("web.example.com", m.Answers[0].DataName);
        Assert.Equal("web.example.com", m.Answers[1].Name);
        Assert.Equal(60u, m.Answers[1].Ttl);
        Assert.Equal(IPAddress.Parse("192.0.2.7"), new IPAddress(m.Answers[1].Data));
    }

    [Fact]
    public void Answers_name_the_question_by_a_pointer_and_round_trip()
    {
        var m = new DnsMessage { Id = 7, IsResponse = true, Authoritative = true };
        m.Questions.Add(new DnsQuestion("Web", DnsType.A));
        m.Answers.Add(DnsRecord.A("web", IPAddress.Parse("172.18.0.2"), 600));
        m.Answers.Add(DnsRecord.Ptr("2.0.18.172.in-addr.arpa", "web", 600));
        var bytes = m.ToBytes();
        // header 12 + question (5 + 4) = 21: the first answer's name is the pointer c0 0c
        Assert.Equal(new byte[] { 0xC0, 0x0C }, bytes[21..23]);
        var back = DnsMessage.Parse(bytes);
        Assert.True(back.Authoritative);
        Assert.Equal("Web", back.Answers[0].Name);   // the pointer names the question as written
        Assert.Equal(600u, back.Answers[0].Ttl);
        Assert.Equal("web", back.Answers[1].DataName);
    }

    [Fact]
    public void Escapes_dots_and_unprintable_bytes_inside_labels_and_builds_them_back()
    {
        // one label "a.b" and one label with a NUL byte: 03 61 2e 62 02 00 7a 00
        var packet = Convert.FromHexString("0001" + "0000" + "0001" + "0000" + "0000" + "0000" + "03612e620200" + "7a00" + "00010001");
        var m = DnsMessage.Parse(packet);
        Assert.Equal(@"a\.b.\000z", m.Questions[0].Name);
        Assert.Equal(packet, m.ToBytes());
    }

    [Fact]
    public void A_message_too_big_for_its_transport_is_truncated_with_TC()
    {
        var m = new DnsMessage { IsResponse = true };
        m.Questions.Add(new DnsQuestion("many", DnsType.A));
        for (int i = 0; i < 40; i++) m.Answers.Add(DnsRecord.A("many", new IPAddress([10, 0, 0, (byte)i]), 600));
        var full = m.ToBytes();
        Assert.Equal(40, DnsMessage.Parse(full).Answers.Count);   // 12 + 10 + 40 * 16 = 662 bytes
        var cut = DnsMessage.Parse(m.ToBytes(DnsMessage.UdpLimit));
        Assert.True(cut.Truncated);
        Assert.Empty(cut.Answers);
        Assert.Single(cut.Questions);
    }

    [Fact]
    public void Tolerates_an_EDNS_OPT_record()
    {
        // the A query with ARCOUNT 1 and an OPT pseudo-record: root name, type 41, payload 4096, no options
        var packet = (byte[])BusyboxA.Clone();
        packet[11] = 1;
        packet = [.. packet, .. Convert.FromHexString("00" + "0029" + "1000" + "00000000" + "0000")];
        var m = DnsMessage.Parse(packet);
        var opt = Assert.Single(m.Additionals);
        Assert.Equal(DnsType.OPT, opt.Type);
        Assert.Equal("", opt.Name);
        Assert.Equal(4096, opt.Class);   // OPT's class field is the sender's UDP payload size
    }

    [Fact]
    public void A_pointer_to_itself_is_refused()
    {
        var loop = Convert.FromHexString("0001000000010000000000" + "00" + "c00c" + "00010001");
        var e = Assert.Throws<DnsFormatException>(() => DnsMessage.Parse(loop));
        Assert.Contains("does not point backwards", e.Message);
    }

    [Fact]
    public void Two_pointers_pointing_at_each_other_are_refused()
    {
        // the name at 12 is a pointer to 14, and 14 points back to 12: the forward jump is refused
        var loop = Convert.FromHexString("000100000001000000000000" + "c00e" + "c00c" + "00010001");
        Assert.Throws<DnsFormatException>(() => DnsMessage.Parse(loop));
    }

    [Fact]
    public void A_pointer_loop_through_a_label_is_refused()
    {
        // at 12: label "a", then a pointer back to 12 - "a.a.a.a..." for ever if pointers were followed blindly
        var loop = Convert.FromHexString("000100000001000000000000" + "0161" + "c00c" + "00010001");
        Assert.Throws<DnsFormatException>(() => DnsMessage.Parse(loop));
    }

    [Fact]
    public void A_backward_pointer_chain_that_would_loop_in_rdata_is_refused()
    {
        // answer's owner name points at the question (fine); its PTR RDATA points at itself
        var packet = Convert.FromHexString("1234818000010001000000000377656200000c0001" + "c00c000c000100000258" + "0002" + "c021");
        Assert.Throws<DnsFormatException>(() => DnsMessage.Parse(packet));
    }

    [Fact]
    public void Every_truncation_of_a_valid_message_is_a_format_error()
    {
        foreach (var message in new[] { BusyboxA, BusyboxPtr, CompressedResponse })
            for (int length = 0; length < message.Length; length++)
                Assert.Throws<DnsFormatException>(() => DnsMessage.Parse(message.AsSpan(0, length)));
    }

    [Fact]
    public void Labels_over_63_bytes_and_names_over_255_bytes_are_refused()
    {
        var longLabel = Convert.FromHexString("000100000001000000000000" + "40" + new string('6', 128) + "00" + "00010001");
        Assert.Contains("label type", Assert.Throws<DnsFormatException>(() => DnsMessage.Parse(longLabel)).Message);
        string label63 = "3f" + string.Concat(Enumerable.Repeat("61", 63));
        var longName = Convert.FromHexString("000100000001000000000000" + string.Concat(Enumerable.Repeat(label63, 5)) + "00" + "00010001");
        Assert.Contains("longer than 255", Assert.Throws<DnsFormatException>(() => DnsMessage.Parse(longName)).Message);
        Assert.Throws<DnsFormatException>(() => DnsMessage.EncodeName(new string('a', 64)));
        Assert.Throws<DnsFormatException>(() => DnsMessage.EncodeName(string.Join('.', Enumerable.Repeat(new string('a', 63), 5))));
        Assert.Throws<DnsFormatException>(() => DnsMessage.EncodeName("a..b"));
    }

    [Fact]
    public void Counts_larger_than_the_packet_and_rdata_past_its_end_are_refused()
    {
        var counts = (byte[])BusyboxA.Clone();
        counts[4] = counts[5] = 0xFF;   // 65535 questions announced, one present
        Assert.Throws<DnsFormatException>(() => DnsMessage.Parse(counts));
        var rdata = (byte[])CompressedResponse.Clone();
        rdata[^5] = 0x40;   // the A record's RDLENGTH: 64 bytes, 4 present
        Assert.Throws<DnsFormatException>(() => DnsMessage.Parse(rdata));
    }

    [Fact]
    public void Random_corruption_never_throws_anything_but_a_format_error()
    {
        // Deterministic "fuzzing": 30,000 mutations (flipped bytes, cut or extended packets) of the
        // messages above. Parsing either succeeds or throws DnsFormatException; the responder always
        // decides (and a reply it builds parses again).
        var random = new Random(20261212);
        var seeds = new[] { BusyboxA, BusyboxAaaa, BusyboxPtr, CompressedResponse };
        var names = new NetworkNames([new NetworkEndpoint("id", "web", ["alias"], IPAddress.Parse("172.18.0.2"))]);
        for (int i = 0; i < 30000; i++)
        {
            var packet = seeds[random.Next(seeds.Length)].ToList();
            int edits = random.Next(1, 6);
            for (int e = 0; e < edits; e++)
            {
                switch (random.Next(4))
                {
                    case 0 when packet.Count > 0: packet[random.Next(packet.Count)] = (byte)random.Next(256); break;
                    case 1 when packet.Count > 0: packet[random.Next(packet.Count)] |= 0xC0; break;
                    case 2 when packet.Count > 0: packet.RemoveRange(random.Next(packet.Count), 1); break;
                    default: packet.Insert(random.Next(packet.Count + 1), (byte)random.Next(256)); break;
                }
            }
            var bytes = packet.ToArray();
            try { DnsMessage.Parse(bytes); }
            catch (DnsFormatException) { }
            var decision = DnsResponder.Decide(bytes, names, DnsMessage.UdpLimit);
            if (decision.Action == DnsAction.Reply) DnsMessage.Parse(decision.Reply!);
        }
    }
}
