// NetworkNamesTests: the resolver's view of a network - endpoint files read from a temporary
// directory (files being written, garbage, files added and removed while it runs) - and the
// upstream servers taken from resolv.conf.
using System.Net;
using MiniRun.Network.Dns;

namespace MiniRun.Tests.Network;

public sealed class NetworkNamesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("minirun-dns-names-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Reads_each_endpoint_file_with_its_name_aliases_and_address()
    {
        EndpointFiles.Write(_dir, "aaa", EndpointFiles.Endpoint("aaa", "web", "172.18.0.2/16", "web", "3f2a1c9d0b12", "myalias"));
        EndpointFiles.Write(_dir, "bbb", EndpointFiles.Endpoint("bbb", "/db", "172.18.0.3"));
        var names = NetworkNames.Load(_dir);
        Assert.Equal(2, names.Endpoints.Count);
        Assert.Equal(["172.18.0.2"], names.Lookup("myalias").Select(a => a.ToString()));
        Assert.Equal(["172.18.0.3"], names.Lookup("DB.").Select(a => a.ToString()));   // a leading '/' (Docker's names) is not part of it
        Assert.Equal("web", names.NameOf(IPAddress.Parse("172.18.0.2")));
        Assert.Null(names.NameOf(IPAddress.Parse("172.18.0.9")));
        Assert.Empty(names.Lookup("nobody"));
    }

    [Fact]
    public void Skips_files_being_written_garbage_and_endpoints_without_an_IPv4_address()
    {
        EndpointFiles.Write(_dir, "good", EndpointFiles.Endpoint("good", "web", "172.18.0.2/16"));
        File.WriteAllText(Path.Combine(_dir, "half.json.tmp"), EndpointFiles.Endpoint("half", "half", "172.18.0.4/16"));
        File.WriteAllText(Path.Combine(_dir, "broken.json"), "{ \"Name\": \"broken\", \"IPv4Addr");
        File.WriteAllText(Path.Combine(_dir, "array.json"), "[1, 2]");
        File.WriteAllText(Path.Combine(_dir, "v6.json"), EndpointFiles.Endpoint("v6", "six", "fd00::2/64"));
        File.WriteAllText(Path.Combine(_dir, "noname.json"), EndpointFiles.Endpoint("noname", "", "172.18.0.5/16"));
        File.WriteAllText(Path.Combine(_dir, "notes.txt"), EndpointFiles.Endpoint("txt", "txt", "172.18.0.6/16"));
        Assert.Equal(["web"], NetworkNames.Load(_dir).Endpoints.Select(e => e.Name));
    }

    [Fact]
    public void A_missing_directory_is_an_empty_network()
    {
        Assert.Empty(NetworkNames.Load(Path.Combine(_dir, "absent")).Endpoints);
        Assert.Empty(new NetworkNamesSource(Path.Combine(_dir, "absent")).Current.Endpoints);
    }

    [Fact]
    public void The_source_sees_containers_added_and_removed_while_it_runs()
    {
        var source = new NetworkNamesSource(_dir);
        Assert.False(source.Current.Knows("api"));
        EndpointFiles.Write(_dir, "api", EndpointFiles.Endpoint("api", "api", "172.18.0.7/16"));
        Assert.True(source.Current.Knows("api"));
        File.Delete(Path.Combine(_dir, "api.json"));
        Assert.False(source.Current.Knows("api"));
    }

    [Fact]
    public void Upstreams_are_the_nameserver_lines_without_the_resolver_itself()
    {
        var self = IPAddress.Parse("172.18.0.1");
        string conf = "# generated\nsearch example.com\nnameserver 127.0.0.53\nnameserver\t10.0.0.2 # second\n" +
                      "nameserver 172.18.0.1\nnameserver not-an-address\nnameserver 10.0.0.2\nnameserver ::1\nnameserver 10.0.0.9\n";
        Assert.Equal(["127.0.0.53", "10.0.0.2", "::1"], DnsForwarder.ParseNameservers(conf, self).Select(a => a.ToString()));
        Assert.Equal(["127.0.0.1"], DnsForwarder.ParseNameservers("search lan\n", self).Select(a => a.ToString()));
        Assert.Empty(DnsForwarder.ParseNameservers("nameserver 172.18.0.1\n", self));   // only ourselves: nobody to ask
    }

    [Fact]
    public void Only_a_reply_to_our_id_and_question_is_accepted_from_upstream()
    {
        var question = new DnsQuestion("example.com", DnsType.A);
        var reply = new DnsMessage { Id = 77, IsResponse = true };
        reply.Questions.Add(new DnsQuestion("EXAMPLE.com", DnsType.A));
        Assert.True(DnsForwarder.Matches(reply.ToBytes(), 77, question));
        Assert.False(DnsForwarder.Matches(reply.ToBytes(), 78, question));
        reply.Questions[0] = new DnsQuestion("example.org", DnsType.A);
        Assert.False(DnsForwarder.Matches(reply.ToBytes(), 77, question));
        reply.Questions[0] = new DnsQuestion("example.com", DnsType.A);
        reply.IsResponse = false;
        Assert.False(DnsForwarder.Matches(reply.ToBytes(), 77, question));
        Assert.False(DnsForwarder.Matches([0, 77], 77, question));
    }
}

/// <summary>Endpoint files as the engine writes them.</summary>
public static class EndpointFiles
{
    public static string Endpoint(string id, string name, string address, params string[] aliases) =>
        $$"""{ "ContainerId": "{{id}}", "Name": "{{name}}", "Aliases": [{{string.Join(", ", aliases.Select(a => $"\"{a}\""))}}], "IPv4Address": "{{address}}", "Interface": "eth0", "HostInterface": "veth0123456789a" }""";

    /// <summary>Written as the engine does: a temporary file renamed into place.</summary>
    public static void Write(string dir, string id, string json)
    {
        File.WriteAllText(Path.Combine(dir, id + ".json.tmp"), json);
        File.Move(Path.Combine(dir, id + ".json.tmp"), Path.Combine(dir, id + ".json"), overwrite: true);
    }
}
