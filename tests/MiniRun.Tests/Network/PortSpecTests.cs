// PortSpecTests: `-p` values parsed to port requests with Docker's meaning and Docker's error
// words, `-P` over an image's ExposedPorts, and the PORTS column and `port` lines formatted as
// Docker's CLI formats them (Network/PortSpec.cs). Pure functions: no kernel, no files.
using MiniRun.Containers;
using MiniRun.Network;
using MiniRun.Spec;

namespace MiniRun.Tests.Network;

public sealed class PortSpecTests
{
    private static PortRequest One(string spec) => Assert.Single(PortSpec.Parse(spec));

    [Theory]
    [InlineData("80", "", 0, 0, 80, "tcp")]
    [InlineData("8080:80", "", 8080, 8080, 80, "tcp")]
    [InlineData("8080:80/udp", "", 8080, 8080, 80, "udp")]
    [InlineData("8080:80/TCP", "", 8080, 8080, 80, "tcp")]
    [InlineData("127.0.0.1:8080:80", "127.0.0.1", 8080, 8080, 80, "tcp")]
    [InlineData("127.0.0.1::80", "127.0.0.1", 0, 0, 80, "tcp")]
    [InlineData("0.0.0.0:53:53/udp", "0.0.0.0", 53, 53, 53, "udp")]
    [InlineData("8080-8090:80", "", 8080, 8090, 80, "tcp")]
    [InlineData("0:80", "", 0, 0, 80, "tcp")]
    [InlineData("080:0080", "", 80, 80, 80, "tcp")]
    [InlineData("65535:1", "", 65535, 65535, 1, "tcp")]
    [InlineData("53/udp", "", 0, 0, 53, "udp")]
    public void A_single_port_parses_like_docker(string spec, string ip, int first, int last, int container, string proto)
    {
        Assert.Equal(new PortRequest(ip, first, last, container, proto), One(spec));
    }

    [Fact]
    public void Ranges_map_one_to_one()
    {
        Assert.Equal(
            [new("", 8000, 8000, 80, "tcp"), new("", 8001, 8001, 81, "tcp"), new("", 8002, 8002, 82, "tcp")],
            PortSpec.Parse("8000-8002:80-82"));
        Assert.Equal(
            [new("10.0.0.1", 0, 0, 7000, "udp"), new("10.0.0.1", 0, 0, 7001, "udp")],
            PortSpec.Parse("10.0.0.1::7000-7001/udp"));
        Assert.Equal([new("", 0, 0, 80, "tcp"), new("", 0, 0, 81, "tcp")], PortSpec.Parse("80-81"));
        // An empty address is "every address", as in Docker.
        Assert.Equal(new PortRequest("", 8080, 8080, 80, "tcp"), One(":8080:80"));
        Assert.Equal(4, PortSpec.ParseAll(["80-81", "9000:90/udp", "1:1"]).Count);
    }

    [Theory]
    [InlineData("x", "invalid containerPort: x")]
    [InlineData("8080:x", "invalid containerPort: x")]
    [InlineData("8080:0", "invalid containerPort: 0")]
    [InlineData("8080:65536", "invalid containerPort: 65536")]
    [InlineData("8080:-80", "invalid containerPort: -80")]
    [InlineData("8080:+80", "invalid containerPort: +80")]
    [InlineData("8080:90-80", "invalid containerPort: 90-80")]
    [InlineData("8080:80-81-82", "invalid containerPort: 80-81-82")]
    [InlineData("x:80", "invalid hostPort: x")]
    [InlineData("70000:80", "invalid hostPort: 70000")]
    [InlineData("8090-8080:80", "invalid hostPort: 8090-8080")]
    [InlineData("8080:80/sctpx", "invalid proto: sctpx")]
    [InlineData("8080:80/icmp", "invalid proto: icmp")]
    [InlineData("8080:80/sctp", "invalid proto: sctp (MiniRun publishes tcp and udp ports only)")]
    [InlineData("8000-8001:80-82", "invalid ranges specified for container and host Ports: 80-82 and 8000-8001")]
    [InlineData("localhost:8080:80", "invalid IP address: localhost")]
    [InlineData("1.2.3:8080:80", "invalid IP address: 1.2.3")]
    [InlineData("1.2.3.256:8080:80", "invalid IP address: 1.2.3.256")]
    [InlineData("01.2.3.4:8080:80", "invalid IP address: 01.2.3.4")]
    [InlineData("[::1]:8080:80", "invalid IP address [::1]: MiniRun publishes ports on IPv4 addresses only")]
    [InlineData("::1:8080:80", "invalid IP address ::1: MiniRun publishes ports on IPv4 addresses only")]
    [InlineData("8080:", "no port specified: 8080:<empty>")]
    [InlineData("8080:/tcp", "no port specified: 8080:/tcp<empty>")]
    [InlineData("", "no port specified: <empty>")]
    public void Bad_specs_fail_with_dockers_words(string spec, string message)
    {
        var e = Assert.Throws<RunConfigException>(() => PortSpec.Parse(spec));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Publish_all_adds_an_ephemeral_port_for_each_exposed_port_not_already_published()
    {
        var published = PortSpec.Parse("8080:80");
        var added = PortSpec.PublishAllExposed(["443/tcp", "80/tcp", "53/udp", "53/tcp", "9000"], published);
        Assert.Equal(
            [new("", 0, 0, 53, "tcp"), new("", 0, 0, 53, "udp"), new("", 0, 0, 443, "tcp"), new("", 0, 0, 9000, "tcp")],
            added);
        Assert.Empty(PortSpec.PublishAllExposed([], []));
        var e = Assert.Throws<RunConfigException>(() => PortSpec.PublishAllExposed(["9/sctp"], []));
        Assert.Contains("9/sctp", e.Message);
    }

    [Fact]
    public void Host_text_names_the_address_and_the_range()
    {
        Assert.Equal("0.0.0.0:8080", One("8080:80").HostText);
        Assert.Equal("127.0.0.1:8080-8090", One("127.0.0.1:8080-8090:80").HostText);
    }

    private static PortBinding B(string ip, int host, int container, string proto = "tcp") => new(ip, host, container, proto);

    [Fact]
    public void Ports_column_shows_one_mapping()
    {
        Assert.Equal("0.0.0.0:8080->80/tcp", PortSpec.PortsColumn([B("", 8080, 80)]));
        Assert.Equal("127.0.0.1:8080->80/tcp", PortSpec.PortsColumn([B("127.0.0.1", 8080, 80)]));
        Assert.Equal("", PortSpec.PortsColumn([]));
    }

    [Fact]
    public void Ports_column_collapses_ranges_that_map_to_the_same_numbers_like_docker()
    {
        // Same number on both sides and consecutive: one range entry.
        Assert.Equal("0.0.0.0:8000-8001->8000-8001/tcp",
            PortSpec.PortsColumn([B("", 8001, 8001), B("", 8000, 8000)]));
        // Different numbers (8000-8001:80-81): Docker's formatter lists each mapping on its own.
        Assert.Equal("0.0.0.0:8000->80/tcp, 0.0.0.0:8001->81/tcp",
            PortSpec.PortsColumn([B("", 8001, 81), B("", 8000, 80)]));
        // Exposed but not published ports collapse too, and come before the host mappings.
        Assert.Equal("80-81/tcp, 53/udp, 443/tcp, 0.0.0.0:8080->8443/tcp",
            PortSpec.PortsColumn([B("", 8080, 8443)], ["443/tcp", "81/tcp", "80/tcp", "53/udp", "8443/tcp"]));
        // A gap splits a range: the finished group first, the open ones at the end in creation order.
        Assert.Equal("80/tcp, 82/tcp", PortSpec.PortsColumn([], ["82/tcp", "80/tcp"]));
        Assert.Equal("80-81/tcp, 53/udp, 90/tcp", PortSpec.PortsColumn([], ["90/tcp", "81/tcp", "80/tcp", "53/udp"]));
    }

    [Fact]
    public void Ports_column_sorts_by_container_port_then_address_then_host_port_then_protocol()
    {
        Assert.Equal("0.0.0.0:9000->80/tcp, 0.0.0.0:9001->80/udp, 10.0.0.1:9000->80/tcp, 0.0.0.0:7000->443/tcp",
            PortSpec.PortsColumn([B("", 7000, 443), B("", 9001, 80, "udp"), B("10.0.0.1", 9000, 80), B("", 9000, 80)]));
        Assert.Equal("0.0.0.0:53->53/tcp, 0.0.0.0:53->53/udp",
            PortSpec.PortsColumn([B("", 53, 53, "udp"), B("", 53, 53, "tcp")]));
    }

    [Fact]
    public void Port_lines_are_in_natural_order()
    {
        Assert.Equal(["80/tcp -> 0.0.0.0:8080", "443/tcp -> 0.0.0.0:8443", "443/tcp -> 127.0.0.1:9443", "1000/udp -> 0.0.0.0:1000"],
            PortSpec.PortLines([B("", 1000, 1000, "udp"), B("127.0.0.1", 9443, 443), B("", 8443, 443), B("", 8080, 80)]));
        Assert.Empty(PortSpec.PortLines([]));
    }

    [Fact]
    public void Port_lines_for_one_private_port()
    {
        PortBinding[] ports = [B("", 8080, 80), B("127.0.0.1", 9080, 80), B("", 5353, 53, "udp")];
        Assert.Equal(["0.0.0.0:8080", "127.0.0.1:9080"], PortSpec.PortLines(ports, "80", "web"));
        Assert.Equal(["0.0.0.0:8080", "127.0.0.1:9080"], PortSpec.PortLines(ports, "80/tcp", "web"));
        Assert.Equal(["0.0.0.0:5353"], PortSpec.PortLines(ports, "53/udp", "web"));
        var none = Assert.Throws<ContainerException>(() => PortSpec.PortLines(ports, "53", "web"));
        Assert.Equal("Error: No public port '53' published for web", none.Message);
        Assert.Equal(1, none.ExitCode);
        var bad = Assert.Throws<ContainerException>(() => PortSpec.PortLines(ports, "http", "web"));
        Assert.StartsWith("Error: invalid port (http)", bad.Message);
    }
}
