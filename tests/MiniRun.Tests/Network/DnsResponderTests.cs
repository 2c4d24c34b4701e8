// DnsResponderTests: which queries the network's resolver answers itself, how, and which it
// forwards - the rules of DnsResponder.cs, on captured busybox queries and built ones.
using System.Net;
using MiniRun.Network.Dns;

namespace MiniRun.Tests.Network;

public class DnsResponderTests
{
    private static readonly NetworkNames Names = new([
        new NetworkEndpoint("aaa", "web", ["web", "3f2a1c9d0b12", "myalias", "shared"], IPAddress.Parse("172.18.0.2")),
        new NetworkEndpoint("bbb", "db", ["db", "shared"], IPAddress.Parse("172.18.0.3")),
    ]);

    private static DnsMessage Reply(byte[] query, NetworkNames? names = null)
    {
        var decision = DnsResponder.Decide(query, names ?? Names, DnsMessage.UdpLimit);
        Assert.Equal(DnsAction.Reply, decision.Action);
        return DnsMessage.Parse(decision.Reply!);
    }

    private static byte[] Query(string name, ushort type, ushort id = 99)
    {
        var m = new DnsMessage { Id = id, RecursionDesired = true };
        m.Questions.Add(new DnsQuestion(name, type));
        return m.ToBytes();
    }

    [Fact]
    public void A_container_name_is_answered_with_its_address_and_Dockers_TTL()
    {
        var reply = Reply(DnsMessageTests.BusyboxA);
        Assert.Equal(0x15da, reply.Id);
        Assert.True(reply.IsResponse);
        Assert.True(reply.Authoritative);
        Assert.True(reply.RecursionDesired);
        Assert.True(reply.RecursionAvailable);
        Assert.Equal(DnsRcode.NoError, reply.Rcode);
        Assert.Equal("web", Assert.Single(reply.Questions).Name);
        var answer = Assert.Single(reply.Answers);
        Assert.Equal(DnsType.A, answer.Type);
        Assert.Equal(600u, answer.Ttl);
        Assert.Equal(IPAddress.Parse("172.18.0.2"), new IPAddress(answer.Data));
    }

    [Theory]
    [InlineData("WEB")]
    [InlineData("web.")]
    [InlineData("MyAlias")]
    [InlineData("3f2a1c9d0b12")]
    public void Names_and_aliases_match_in_any_case_with_or_without_the_trailing_dot(string name)
    {
        var reply = Reply(Query(name, DnsType.A));
        Assert.Equal(["172.18.0.2"], reply.Answers.Select(a => new IPAddress(a.Data).ToString()));
    }

    [Fact]
    public void An_alias_shared_by_two_containers_gives_both_addresses()
    {
        var reply = Reply(Query("shared", DnsType.A));
        Assert.Equal(["172.18.0.2", "172.18.0.3"], reply.Answers.Select(a => new IPAddress(a.Data).ToString()).Order());
    }

    [Fact]
    public void AAAA_of_a_known_name_is_NOERROR_without_answers()
    {
        var reply = Reply(DnsMessageTests.BusyboxAaaa);
        Assert.Equal(DnsRcode.NoError, reply.Rcode);
        Assert.Empty(reply.Answers);
        Assert.Equal(DnsType.AAAA, Assert.Single(reply.Questions).Type);
    }

    [Fact]
    public void PTR_of_a_container_address_names_the_container()
    {
        var names = new NetworkNames([new NetworkEndpoint("c", "web", [], IPAddress.Parse("172.18.0.2"))]);
        var reply = Reply(DnsMessageTests.BusyboxPtr, names);
        var answer = Assert.Single(reply.Answers);
        Assert.Equal(DnsType.PTR, answer.Type);
        Assert.Equal("web", answer.DataName);
        Assert.Equal("2.0.18.172.in-addr.arpa", answer.Name);
    }

    [Theory]
    [InlineData("unknown", DnsType.A)]
    [InlineData("web.example.com", DnsType.A)]      // the name with a domain is not a container name
    [InlineData("9.0.18.172.in-addr.arpa", DnsType.PTR)]
    [InlineData("example.com", DnsType.MX)]
    public void Everything_else_is_forwarded(string name, ushort type)
    {
        Assert.Equal(DnsAction.Forward, DnsResponder.Decide(Query(name, type), Names, DnsMessage.UdpLimit).Action);
    }

    [Fact]
    public void A_name_of_another_network_is_not_answered_here()
    {
        var other = new NetworkNames([new NetworkEndpoint("x", "cache", ["cache"], IPAddress.Parse("172.19.0.2"))]);
        Assert.Equal(DnsAction.Reply, DnsResponder.Decide(Query("cache", DnsType.A), other, 512).Action);
        Assert.Equal(DnsAction.Forward, DnsResponder.Decide(Query("cache", DnsType.A), Names, 512).Action);
    }

    [Fact]
    public void Responses_and_packets_shorter_than_a_header_are_dropped()
    {
        var response = (byte[])DnsMessageTests.BusyboxA.Clone();
        response[2] |= 0x80;
        Assert.Equal(DnsAction.Drop, DnsResponder.Decide(response, Names, 512).Action);
        Assert.Equal(DnsAction.Drop, DnsResponder.Decide(DnsMessageTests.BusyboxA.AsSpan(0, 11), Names, 512).Action);
        Assert.Equal(DnsAction.Drop, DnsResponder.Decide([], Names, 512).Action);
    }

    [Fact]
    public void A_malformed_query_gets_FORMERR_with_its_id()
    {
        var loop = Convert.FromHexString("abcd01000001000000000000" + "c00c" + "00010001");
        var reply = Reply(loop);
        Assert.Equal(0xabcd, reply.Id);
        Assert.Equal(DnsRcode.FormErr, reply.Rcode);
        Assert.Empty(reply.Questions);
        var two = (byte[])DnsMessageTests.BusyboxA.Clone();
        two[5] = 2;   // QDCOUNT 2
        two = [.. two, .. DnsMessageTests.BusyboxA[12..]];
        Assert.Equal(DnsRcode.FormErr, Reply(two).Rcode);
    }

    [Fact]
    public void Another_opcode_gets_NOTIMP()
    {
        var status = (byte[])DnsMessageTests.BusyboxA.Clone();
        status[2] = 0x10;   // opcode 2 (STATUS)
        var reply = Reply(status);
        Assert.Equal(DnsRcode.NotImp, reply.Rcode);
        Assert.Equal(2, reply.Opcode);
    }

    [Fact]
    public void A_query_with_EDNS_is_answered()
    {
        var packet = (byte[])DnsMessageTests.BusyboxA.Clone();
        packet[11] = 1;
        packet = [.. packet, .. Convert.FromHexString("0000291000000000000000")];
        Assert.Single(Reply(packet).Answers);
    }

    [Fact]
    public void An_answer_too_big_for_UDP_is_truncated_so_the_client_retries_over_TCP()
    {
        var many = new NetworkNames(Enumerable.Range(1, 40)
            .Select(i => new NetworkEndpoint($"{i}", $"c{i}", ["pool"], new IPAddress([10, 0, 0, (byte)i]))).ToList());
        var udp = Reply(Query("pool", DnsType.A), many);
        Assert.True(udp.Truncated);
        Assert.Empty(udp.Answers);
        var tcp = DnsMessage.Parse(DnsResponder.Decide(Query("pool", DnsType.A), many, ushort.MaxValue).Reply!);
        Assert.False(tcp.Truncated);
        Assert.Equal(40, tcp.Answers.Count);
    }

    [Fact]
    public void Failure_is_SERVFAIL_with_the_question()
    {
        var reply = DnsMessage.Parse(DnsResponder.Failure(Query("example.com", DnsType.A, id: 4242)));
        Assert.Equal(4242, reply.Id);
        Assert.Equal(DnsRcode.ServFail, reply.Rcode);
        Assert.True(reply.IsResponse);
        Assert.Equal("example.com", Assert.Single(reply.Questions).Name);
    }

    [Fact]
    public void A_container_name_too_long_for_DNS_gets_no_PTR()
    {
        var names = new NetworkNames([new NetworkEndpoint("c", new string('a', 70), [], IPAddress.Parse("172.18.0.2"))]);
        Assert.Equal(DnsAction.Forward, DnsResponder.Decide(DnsMessageTests.BusyboxPtr, names, 512).Action);
    }

    [Theory]
    [InlineData("2.0.18.172.in-addr.arpa", "172.18.0.2")]
    [InlineData("2.0.18.172.IN-ADDR.ARPA.", "172.18.0.2")]
    [InlineData("0.18.172.in-addr.arpa", null)]
    [InlineData("256.0.18.172.in-addr.arpa", null)]
    [InlineData("02.0.18.172.in-addr.arpa", null)]
    [InlineData("x.0.18.172.in-addr.arpa", null)]
    [InlineData("2.0.18.172.ip6.arpa", null)]
    public void Reverse_names_are_read_strictly(string name, string? address)
    {
        Assert.Equal(address, DnsResponder.ReverseAddress(name)?.ToString());
    }
}
