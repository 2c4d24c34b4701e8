// IpamTests: addresses handed out on one network (Network/Ipam.cs): the first free one after the
// gateway, requested addresses, release and crash recovery, Docker's messages, the state file,
// and the lock: 100 owners on 8 threads (each with its own Ipam, so its own lock descriptor) get
// 100 distinct addresses, and an allocation waits while another process (flock(1)) holds the lock
// and then sees what that process wrote.
using System.Diagnostics;
using System.Net;
using MiniRun.Containers;
using MiniRun.Network;

namespace MiniRun.Tests.Network;

public sealed class IpamTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("minirun-ipam-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string State => Path.Combine(_dir, "networks", "net1.leases");

    private Ipam New(string subnet = "10.1.0.0/24", string gateway = "10.1.0.1") =>
        new(State, "net1", "5e1f0c2a9b7d", IPNetwork.Parse(subnet), IPAddress.Parse(gateway));

    [Fact]
    public void Addresses_start_after_the_gateway_and_an_owner_keeps_its_own()
    {
        var ipam = New();
        Assert.Equal(IPAddress.Parse("10.1.0.2"), ipam.Allocate("a"));
        Assert.Equal(IPAddress.Parse("10.1.0.3"), ipam.Allocate("b"));
        Assert.Equal(IPAddress.Parse("10.1.0.2"), ipam.Allocate("a"));
        Assert.Equal("# last 10.1.0.3\n10.1.0.2 a\n10.1.0.3 b\n", File.ReadAllText(State));
        Assert.False(File.Exists(State + ".tmp"));
        Assert.Equal([new IpLease("a", IPAddress.Parse("10.1.0.2")), new IpLease("b", IPAddress.Parse("10.1.0.3"))], ipam.Leases());
    }

    [Fact]
    public void A_released_address_is_given_again_only_after_the_others_and_release_is_idempotent()
    {
        var ipam = New("10.1.0.0/29");   // 10.1.0.2 .. 10.1.0.6 after the gateway
        ipam.Allocate("a");
        ipam.Allocate("b");
        Assert.True(ipam.Release("a"));
        Assert.False(ipam.Release("a"));
        Assert.True(ipam.Release("b"));
        // Serial: the next address after the last given, not the one just released.
        Assert.Equal(IPAddress.Parse("10.1.0.4"), ipam.Allocate("c"));
        Assert.Equal(IPAddress.Parse("10.1.0.5"), ipam.Allocate("d"));
        Assert.Equal(IPAddress.Parse("10.1.0.6"), ipam.Allocate("e"));
        Assert.Equal(IPAddress.Parse("10.1.0.2"), ipam.Allocate("f"));   // wrapped around: .2 is free again
        Assert.Equal(["f", "c", "d", "e"], ipam.Leases().Select(l => l.Owner));
        // A requested address does not move the serial position.
        Assert.True(ipam.Release("d"));
        Assert.Equal(IPAddress.Parse("10.1.0.5"), ipam.Allocate("g", IPAddress.Parse("10.1.0.5")));
        Assert.Equal(IPAddress.Parse("10.1.0.3"), ipam.Allocate("h"));
    }

    [Fact]
    public void Release_where_frees_the_leases_of_owners_that_are_gone()
    {
        var ipam = New();
        foreach (var o in new[] { "live1", "dead1", "live2", "dead2" }) ipam.Allocate(o);
        var freed = ipam.ReleaseWhere(o => o.StartsWith("dead"));
        Assert.Equal(["dead1", "dead2"], freed.Select(l => l.Owner));
        Assert.Equal(["live1", "live2"], ipam.Leases().Select(l => l.Owner));
        Assert.Empty(ipam.ReleaseWhere(o => o.StartsWith("dead")));
    }

    [Fact]
    public void A_gateway_at_the_top_wraps_around_and_network_and_broadcast_are_never_given()
    {
        var ipam = New("10.3.0.0/30", "10.3.0.2");   // .0 network, .1 free, .2 gateway, .3 broadcast
        Assert.Equal(IPAddress.Parse("10.3.0.1"), ipam.Allocate("a"));
        var e = Assert.Throws<ContainerException>(() => ipam.Allocate("b"));
        Assert.Equal("no available IPv4 addresses on this network's address pools: net1 (5e1f0c2a9b7d)", e.Message);
    }

    [Fact]
    public void Exhaustion_names_the_network_and_leaves_the_leases_unchanged()
    {
        var ipam = New("10.2.0.0/29", "10.2.0.1");   // .2 - .6 usable
        var got = Enumerable.Range(0, 5).Select(i => ipam.Allocate("c" + i).ToString()).ToList();
        Assert.Equal(["10.2.0.2", "10.2.0.3", "10.2.0.4", "10.2.0.5", "10.2.0.6"], got);
        string before = File.ReadAllText(State);
        var e = Assert.Throws<ContainerException>(() => ipam.Allocate("c5"));
        Assert.Equal("no available IPv4 addresses on this network's address pools: net1 (5e1f0c2a9b7d)", e.Message);
        Assert.Equal(before, File.ReadAllText(State));
    }

    [Fact]
    public void A_requested_address_must_be_in_the_subnet_and_free()
    {
        var ipam = New();
        Assert.Equal(IPAddress.Parse("10.1.0.50"), ipam.Allocate("a", IPAddress.Parse("10.1.0.50")));
        Assert.Equal(IPAddress.Parse("10.1.0.50"), ipam.Allocate("a", IPAddress.Parse("10.1.0.50")));
        Assert.Equal(IPAddress.Parse("10.1.0.2"), ipam.Allocate("b"));
        foreach (var taken in new[] { "10.1.0.50", "10.1.0.1", "10.1.0.0", "10.1.0.255" })
            Assert.Equal("Address already in use", Assert.Throws<ContainerException>(() => ipam.Allocate("c", IPAddress.Parse(taken))).Message);
        Assert.Equal("invalid address 10.9.0.5: It does not belong to any of this network's subnets",
            Assert.Throws<ContainerException>(() => ipam.Allocate("c", IPAddress.Parse("10.9.0.5"))).Message);
        Assert.Throws<ContainerException>(() => ipam.Allocate("a", IPAddress.Parse("10.1.0.60")));
        Assert.Equal(2, ipam.Leases().Count);
    }

    [Fact]
    public void A_damaged_state_file_is_an_error_naming_the_line()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(State)!);
        File.WriteAllText(State, "10.1.0.2 a\nnot-an-address b\n");
        var e = Assert.Throws<ContainerException>(() => New().Leases());
        Assert.Equal($"read IPAM state {State}: line 2 is not \"ADDRESS OWNER\": \"not-an-address b\"", e.Message);
    }

    [Fact]
    public void A_hundred_owners_on_eight_threads_get_a_hundred_distinct_addresses()
    {
        var results = new System.Collections.Concurrent.ConcurrentDictionary<string, IPAddress>();
        var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            var ipam = New();   // its own instance: its own descriptor on the lock file, as another process would have
            for (int i = t; i < 100; i += 8) results[$"owner{i}"] = ipam.Allocate($"owner{i}");
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Equal(100, results.Count);
        Assert.Equal(100, results.Values.Distinct().Count());
        var leases = New().Leases();
        Assert.Equal(100, leases.Count);
        Assert.Equal(results.OrderBy(kv => kv.Key).Select(kv => kv.Value), leases.OrderBy(l => l.Owner).Select(l => l.Address));
        Assert.Equal(Enumerable.Range(2, 100).Select(i => $"10.1.0.{i}"), leases.Select(l => l.Address.ToString()));
    }

    [Fact]
    public void An_allocation_waits_for_another_process_holding_the_lock_and_sees_its_lease()
    {
        var ipam = New();
        ipam.Allocate("first");   // creates the directory and the lock file
        // flock(1) holds the lock, says so, waits for a line, then adds a lease the way Ipam writes them.
        var psi = new ProcessStartInfo("flock", [State + ".lock", "sh", "-c", $"echo held; read line; echo '10.1.0.3 other' >> '{State}'"])
        { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        using var holder = Process.Start(psi)!;
        try
        {
            Assert.Equal("held", holder.StandardOutput.ReadLine());
            IPAddress? got = null;
            Exception? failed = null;
            var allocation = new Thread(() =>
            {
                try { got = ipam.Allocate("second"); }
                catch (Exception e) { failed = e; }
            });
            allocation.Start();
            // Wait until this process is queued behind the holder in /proc/locks (a "->" line on the lock's inode).
            string inode = RunText("stat", "-c", "%i", State + ".lock").Trim();
            while (!File.ReadAllLines("/proc/locks").Any(l => l.Contains("->") && l.Contains($" {Environment.ProcessId} ") && l.Contains($":{inode} ")))
            {
                Assert.True(allocation.IsAlive, "the allocation finished while another process held the lock");
                Thread.Sleep(10);
            }
            holder.StandardInput.WriteLine("go");
            holder.StandardInput.Close();
            holder.WaitForExit();
            Assert.Equal(0, holder.ExitCode);
            allocation.Join();
            Assert.Null(failed);
            Assert.Equal(IPAddress.Parse("10.1.0.4"), got);
            Assert.Equal(["first", "other", "second"], ipam.Leases().Select(l => l.Owner));
        }
        finally
        {
            if (!holder.HasExited) holder.Kill(entireProcessTree: true);
        }
    }

    private static string RunText(string file, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, UseShellExecute = false })!;
        string s = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return s;
    }
}
