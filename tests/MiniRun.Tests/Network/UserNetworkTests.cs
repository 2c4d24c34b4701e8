// UserNetworkTests: `network create|ls|inspect|rm|prune|connect|disconnect` and name resolution on
// user networks, end to end inside a network namespace the test creates (NetnsHost).
//
// What the course does: two containers on one network reach each other by name (web -> redis),
// a container started later resolves too, names and traffic of another network do not pass.
using MiniRun.Tests.Integration;

namespace MiniRun.Tests.Network;

[Collection("network")]
public sealed class UserNetworkTests : IDisposable
{
    private readonly NetnsHost _h = new();

    public void Dispose() => _h.Dispose();

    private void Ok(RunResult r) => Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stderr}");

    private void Web(string name, string network, params string[] flags) =>
        Ok(_h.Run(["run", "-d", "--name", name, "--network", network, .. flags, "busybox", "sh", "-c",
            $"mkdir -p /www && echo hello {name} > /www/index.html && exec httpd -f -p 80 -h /www"]));

    /// <summary>wget from a new container on <paramref name="network"/>, retrying while the server starts.</summary>
    private RunResult FetchFrom(string network, string url)
    {
        RunResult r = new(1, "", "");
        for (int i = 0; i < 20; i++)
        {
            r = _h.Run("run", "--rm", "--network", network, "--init", "busybox", "timeout", "3", "wget", "-q", "-O", "-", url);   // --init: timeout's SIGTERM reaches wget, which is not PID 1
            if (r.ExitCode == 0) return r;
            Thread.Sleep(200);
        }
        return r;
    }

    [Fact]
    public void Create_ls_inspect_rm_as_docker_prints_them()
    {
        var created = _h.Run("network", "create", "--subnet", "10.123.0.0/24", "app");
        Ok(created);
        Assert.Matches("^[0-9a-f]{64}\n$", created.Stdout);
        var ls = _h.Run("network", "ls");
        Assert.StartsWith("NETWORK ID", ls.Stdout);
        Assert.Contains(created.Stdout[..12], ls.Stdout);
        foreach (var builtIn in new[] { "bridge", "host", "none" }) Assert.Contains(builtIn, ls.Stdout);
        var inspect = _h.Run("network", "inspect", "app");
        Assert.Contains("\"Subnet\": \"10.123.0.0/24\"", inspect.Stdout);
        Assert.Contains("\"Gateway\": \"10.123.0.1\"", inspect.Stdout);
        Assert.Equal("bridge local", _h.Run("network", "inspect", "-f", "{{.Driver}} {{.Scope}}", "app").Stdout.Trim());
        var again = _h.Run("network", "create", "app");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("network with name app already exists", again.Stderr);
        var builtin = _h.Run("network", "rm", "bridge");
        Assert.Contains("bridge is a pre-defined network and cannot be removed", builtin.Stderr);
        Ok(_h.Run("network", "rm", "app"));
        Assert.Contains("network app not found", _h.Run("network", "inspect", "app").Stderr);
    }

    [Fact]
    public void Containers_on_a_user_network_find_each_other_by_name_and_alias_and_other_networks_do_not()
    {
        Ok(_h.Run("network", "create", "app"));
        Ok(_h.Run("network", "create", "other"));
        Web("web", "app", "--network-alias", "www");
        Assert.Equal("hello web\n", FetchFrom("app", "http://web/").Stdout);
        Assert.Equal("hello web\n", FetchFrom("app", "http://www/").Stdout);
        // started later: resolved too
        Web("late", "app");
        Assert.Equal("hello late\n", FetchFrom("app", "http://late/").Stdout);
        // another network: the name does not resolve, and the address is not reachable
        var name = _h.Run("run", "--rm", "--network", "other", "busybox", "nslookup", "web");
        Assert.NotEqual(0, name.ExitCode);
        string ip = _h.Run("inspect", "-f", "{{.NetworkSettings.Networks.app.IPAddress}}", "web").Stdout.Trim();
        Assert.Matches(@"^\d+\.\d+\.\d+\.\d+$", ip);
        var blocked = _h.Run("run", "--rm", "--network", "other", "--init", "busybox", "timeout", "3", "wget", "-q", "-O", "-", $"http://{ip}/");
        Assert.NotEqual(0, blocked.ExitCode);
        // in use: rm refused
        var rm = _h.Run("network", "rm", "app");
        Assert.Equal(1, rm.ExitCode);
        Assert.Contains("has active endpoints", rm.Stderr);
    }

    [Fact]
    public void Connect_gives_a_running_container_eth1_and_disconnect_takes_it_away()
    {
        Ok(_h.Run("network", "create", "front"));
        Ok(_h.Run("network", "create", "back"));
        Web("api", "front");
        Ok(_h.Run("network", "connect", "back", "api"));
        var addr = _h.Run("exec", "api", "ip", "-4", "-o", "addr", "show", "eth1");
        Ok(addr);
        Assert.Contains("inet ", addr.Stdout);
        Assert.Equal("hello api\n", FetchFrom("back", "http://api/").Stdout);
        Ok(_h.Run("network", "disconnect", "back", "api"));
        Assert.NotEqual(0, _h.Run("exec", "api", "ip", "link", "show", "eth1").ExitCode);
    }

    [Fact]
    public void A_requested_ip_is_given_and_a_full_network_is_a_clear_error()
    {
        Ok(_h.Run("network", "create", "--subnet", "10.124.0.0/30", "tiny"));   // one address besides the gateway
        var first = _h.Run("run", "-d", "--name", "one", "--network", "tiny", "--ip", "10.124.0.2", "busybox", "sleep", "60");
        Ok(first);
        Assert.Equal("10.124.0.2", _h.Run("inspect", "-f", "{{.NetworkSettings.Networks.tiny.IPAddress}}", "one").Stdout.Trim());
        var full = _h.Run("run", "-d", "--name", "two", "--network", "tiny", "busybox", "sleep", "60");
        Assert.Equal(125, full.ExitCode);
        Assert.Contains("no available IPv4 addresses", full.Stderr);
        Assert.Single(_h.In("ip -o link show type veth").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
