// BridgeNetworkTests: the default bridge network, published ports and network modes, end to end
// with the real minirun binary - all inside a network namespace the test creates (NetnsHost), so
// the bridge, veths and nftables rules live there and no packet can leave the machine.
//
// What a student does: `run -d -p 8080:80 busybox httpd`, fetch the page from the host on
// 127.0.0.1 and on the host's own address, see eth0 inside, the PORTS column, `port`, and after
// `rm -f` (or a killed supervisor) nothing left: no veth, lease, rule or namespace mount.
using MiniRun.Tests.Integration;

namespace MiniRun.Tests.Network;

[Collection("network")]
public sealed class BridgeNetworkTests : IDisposable
{
    private readonly NetnsHost _h = new();

    public void Dispose() => _h.Dispose();

    /// <summary>A busybox httpd serving "hello NAME" on port 80, detached.</summary>
    private string Web(string name, params string[] flags)
    {
        var r = _h.Run(["run", "-d", "--name", name, .. flags, "busybox", "sh", "-c",
            $"mkdir -p /www && echo hello {name} > /www/index.html && exec httpd -f -p 80 -h /www"]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return r.Stdout.Trim();
    }

    /// <summary>Fetches a URL from the test's "host" (its namespace), retrying while the server starts.</summary>
    private string Fetch(string url)
    {
        RunResult r = new(1, "", "");
        for (int i = 0; i < 50; i++)
        {
            r = _h.In($"curl -s -m 2 {url}");
            if (r.ExitCode == 0) return r.Stdout;
            Thread.Sleep(100);
        }
        Assert.Fail($"wget {url}: {r.Stderr}");
        return "";
    }

    [Fact]
    public void A_container_on_the_default_bridge_has_eth0_an_address_and_the_default_route()
    {
        var r = _h.Run("run", "--rm", "busybox", "sh", "-c", "ip -4 -o addr show eth0; ip route; cat /etc/hosts");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Matches(@"eth0\s+inet 172\.17\.0\.\d+/16", r.Stdout);
        Assert.Contains("default via 172.17.0.1 dev eth0", r.Stdout);
        Assert.Matches(@"172\.17\.0\.\d+\t[0-9a-f]{12}", r.Stdout);   // its own address and hostname in /etc/hosts
        var bridge = _h.In("ip -4 -o addr show minirun0");
        Assert.Contains("172.17.0.1/16", bridge.Stdout);
        // --rm: its lease is free when run returns; its veth follows a moment later (the supervisor
        // deletes it after reporting the end, or the kernel with the namespace).
        foreach (var ipam in Directory.EnumerateFiles(Path.Combine(_h.M.Root, "networks"), "ipam.json", SearchOption.AllDirectories))
            Assert.DoesNotMatch(@"[0-9a-f]{64}", File.ReadAllText(ipam));
        var limit = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (_h.In("ip -o link").Stdout.Contains("veth") && DateTime.UtcNow < limit) Thread.Sleep(20);
        Assert.DoesNotContain("veth", _h.In("ip -o link").Stdout);
    }

    [Fact]
    public void A_build_RUN_step_is_on_the_default_bridge_as_run_is()
    {
        // Issue 13: each RUN runs with run's default network, so `apt-get` works where the host has a network.
        string ctx = Directory.CreateTempSubdirectory("minirun-build-net-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(ctx, "Dockerfile"), "FROM busybox\nRUN ip -4 -o addr show eth0 && ip route\n");
            var r = _h.Run("build", "--no-cache", "-t", "netbuild", ctx);
            Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
            Assert.Matches(@"eth0\s+inet 172\.17\.0\.\d+/16", r.Stdout);
            Assert.Contains("default via 172.17.0.1 dev eth0", r.Stdout);
            Assert.Empty(_h.M.ContainerIds());   // the step's container is gone

            var none = _h.Run("build", "--no-cache", "--network", "none", "-t", "netbuild", ctx);
            Assert.NotEqual(0, none.ExitCode);   // no eth0 with --network none: the step fails
            Assert.Contains("returned a non-zero code", none.Stderr);
        }
        finally { Directory.Delete(ctx, recursive: true); }
    }

    [Fact]
    public void A_published_port_answers_on_loopback_and_on_the_hosts_own_address()
    {
        // the test host's own address (a veth pair: this kernel may have no dummy driver)
        _h.In("ip link add mrt0 type veth peer name mrt0p && ip addr add 10.99.0.1/24 dev mrt0 && ip link set mrt0 up && ip link set mrt0p up");
        Web("web1", "-p", "8080:80");
        Assert.Equal("hello web1\n", Fetch("http://127.0.0.1:8080/"));
        Assert.Equal("hello web1\n", Fetch("http://10.99.0.1:8080/"));
        var ps = _h.Run("ps");
        Assert.Contains("0.0.0.0:8080->80/tcp", ps.Stdout);
        Assert.Equal("80/tcp -> 0.0.0.0:8080", _h.Run("port", "web1").Stdout.Trim());
        Assert.Equal("0.0.0.0:8080", _h.Run("port", "web1", "80").Stdout.Trim());
        var inspect = _h.Run("inspect", "-f", "{{.NetworkSettings.IPAddress}} {{.HostConfig.NetworkMode}}", "web1");
        Assert.Matches(@"^172\.17\.0\.\d+ bridge", inspect.Stdout);
    }

    [Fact]
    public void A_port_held_by_another_container_or_a_host_process_is_refused_and_nothing_is_left()
    {
        Web("first", "-p", "8081:80");
        var second = _h.Run("run", "-d", "--name", "second", "-p", "8081:80", "busybox", "sleep", "60");
        Assert.Equal(125, second.ExitCode);
        Assert.Contains("Bind for 0.0.0.0:8081 failed: port is already allocated", second.Stderr);
        AssertOnlyVethsOf(1);

        using var listener = System.Diagnostics.Process.Start("nsenter", $"--net={_h.NetnsPath} -- busybox nc -l -p 8082")!;
        try
        {
            Thread.Sleep(300);
            var third = _h.Run("run", "-d", "--name", "third", "-p", "8082:80", "busybox", "sleep", "60");
            Assert.Equal(125, third.ExitCode);
            Assert.Contains("8082", third.Stderr);
            AssertOnlyVethsOf(1);
        }
        finally { listener.Kill(); }
    }

    private void AssertOnlyVethsOf(int expected)
    {
        var links = _h.In("ip -o link show type veth | grep -v mrt").Stdout;
        Assert.Equal(expected, links.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void Publish_all_maps_each_exposed_port_to_a_high_port()
    {
        var commit = _h.Run("create", "--name", "base", "busybox", "true");
        Assert.True(commit.ExitCode == 0, commit.Stderr);
        var image = _h.Run("commit", "--change", "EXPOSE 80", "base", "exposer:1");
        Assert.True(image.ExitCode == 0, image.Stderr);
        var r = _h.Run("run", "-d", "--name", "pub", "-P", "exposer:1", "sh", "-c",
            "mkdir -p /www && echo hi > /www/index.html && exec httpd -f -p 80 -h /www");
        Assert.True(r.ExitCode == 0, r.Stderr);
        string mapped = _h.Run("port", "pub", "80").Stdout.Trim();
        Assert.Matches(@"^0\.0\.0\.0:\d+$", mapped);
        int port = int.Parse(mapped.Split(':')[1]);
        Assert.InRange(port, 1024, 65535);
        Assert.Equal("hi\n", Fetch($"http://127.0.0.1:{port}/"));
    }

    [Fact]
    public void Fifty_containers_get_distinct_addresses_and_rm_f_leaves_no_veth_lease_rule_or_mount()
    {
        var ids = new List<string>();
        for (int i = 0; i < 50; i++)
        {
            var r = _h.Run("run", "-d", "-p", $"{9000 + i}:80", "busybox", "sleep", "300");
            Assert.True(r.ExitCode == 0, r.Stderr);
            ids.Add(r.Stdout.Trim());
        }
        var addresses = ids.Select(id => _h.Run("inspect", "-f", "{{.NetworkSettings.IPAddress}}", id).Stdout.Trim()).ToList();
        Assert.Equal(50, addresses.Distinct().Count());
        Assert.All(addresses, a => Assert.StartsWith("172.17.", a));
        AssertOnlyVethsOf(50);
        Assert.True(_h.Run(["rm", "-f", .. ids]).ExitCode == 0);
        AssertNothingLeft();
    }

    /// <summary>The course's exercise: 100 web servers, each on its own published port, fetched from the host.</summary>
    [Fact]
    public void The_course_loop_of_a_hundred_web_servers_each_on_its_own_port()
    {
        var ids = new List<string>();
        for (int port = 8000; port < 8100; port++)
            ids.Add(Web($"web-{port}", "-p", $"{port}:80"));
        foreach (int port in new[] { 8000, 8042, 8099 })
            Assert.Equal($"hello web-{port}\n", Fetch($"http://127.0.0.1:{port}/"));
        Assert.Equal(100, _h.Run("ps", "-q").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.True(_h.Run(["rm", "-f", .. ids]).ExitCode == 0);
        AssertNothingLeft();
    }

    [Fact]
    public void A_killed_supervisor_leaves_nothing_after_rm_f()
    {
        string id = Web("crashed", "-p", "8090:80");
        int supervisor = _h.M.Record("crashed").GetProperty("State").GetProperty("SupervisorPid").GetInt32();
        NetnsHost.Sh($"kill -9 {supervisor}");
        Assert.True(_h.Run("rm", "-f", id).ExitCode == 0);
        AssertNothingLeft();
    }

    /// <summary>
    /// The machine dies (every process killed, the bridge, the nftables table and the namespace
    /// mounts gone, as after a reboot) while two containers run; `boot` releases their leases and
    /// endpoints, brings back the one whose policy says always, with its network made again, and
    /// leaves nothing of the other.
    /// </summary>
    [Fact]
    public void Boot_after_the_machines_death_releases_the_network_and_brings_back_a_restart_always_container()
    {
        Web("back", "-p", "8095:80", "--restart", "always");
        Web("gone", "-p", "8096:80");
        foreach (var name in new[] { "back", "gone" })
        {
            var state = _h.M.Record(name).GetProperty("State");
            NetnsHost.Sh($"kill -9 {state.GetProperty("SupervisorPid").GetInt32()} {state.GetProperty("Pid").GetInt32()}");
        }
        Thread.Sleep(300);
        _h.In("ip link del minirun0; nft delete table ip minirun; ip -o link show type veth | cut -d: -f2 | cut -d@ -f1 | xargs -r -n1 ip link del");
        foreach (var mount in MiniRunHost.HostMountsWithNamespaces().Where(m => m.StartsWith(_h.M.Root + "/", StringComparison.Ordinal)))
            NetnsHost.Sh($"umount -l {NetnsHost.Quote(mount)}");

        var boot = _h.Run("boot");
        Assert.True(boot.ExitCode == 0, boot.Stdout + boot.Stderr);
        Assert.Equal("hello back\n", Fetch("http://127.0.0.1:8095/"));
        Assert.Equal("", _h.Run("port", "gone").Stdout);
        AssertOnlyVethsOf(1);
        // the running one's lease only (a file's "# last ADDR" line is where the next search starts, not a lease)
        var leases = Directory.EnumerateFiles(Path.Combine(_h.M.Root, "networks"), "ipam.json", SearchOption.AllDirectories)
            .SelectMany(File.ReadAllLines).Where(l => l.Trim().Length > 0 && !l.StartsWith('#'));
        Assert.Single(leases);
    }

    private void AssertNothingLeft()
    {
        AssertOnlyVethsOf(0);
        Assert.DoesNotContain("dnat to", _h.In("nft list table ip minirun").Stdout);
        Assert.DoesNotContain(MiniRunHost.HostMountsWithNamespaces(), m => m.StartsWith(_h.M.Root + "/", StringComparison.Ordinal));
        foreach (var ipam in Directory.EnumerateFiles(Path.Combine(_h.M.Root, "networks"), "ipam.json", SearchOption.AllDirectories))
            Assert.DoesNotMatch(@"[0-9a-f]{64}", File.ReadAllText(ipam));   // no lease has an owner left
    }

    [Fact]
    public void Network_none_has_only_lo_host_shares_the_hosts_and_container_mode_shares_anothers()
    {
        var none = _h.Run("run", "--rm", "--network", "none", "busybox", "ip", "-o", "link");
        Assert.True(none.ExitCode == 0, none.Stderr);
        Assert.Single(none.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        _h.In("ip link add mrt1 type veth peer name mrt1p");
        var host = _h.Run("run", "--rm", "--network", "host", "busybox", "ip", "-o", "link");
        Assert.Contains("mrt1", host.Stdout);
        Web("shared");
        var ip = _h.Run("inspect", "-f", "{{.NetworkSettings.IPAddress}}", "shared").Stdout.Trim();
        var joined = _h.Run("run", "--rm", "--network", "container:shared", "busybox", "ip", "-4", "-o", "addr", "show", "eth0");
        Assert.True(joined.ExitCode == 0, joined.Stderr);
        Assert.Contains(ip + "/16", joined.Stdout);
    }
}
