// RtNetlinkIntegrationTests: RtNetlink and NetworkNamespace against the real kernel, only inside
// network namespaces the test creates ("host" stands for the machine, "ctr" for a container),
// checked by an independent view (`nsenter --net=PATH ip ...`) and by a ping from the container's
// namespace to the bridge's address, which no packet can leave. Every namespace is removed in
// Dispose, also when an assertion failed.
using System.Net;
using MiniRun.Kernel;
using MiniRun.Network;
using MiniRun.Trace;

namespace MiniRun.Tests.Network;

public sealed class RtNetlinkIntegrationTests : IDisposable
{
    private readonly TestNetworkNamespaces _ns = new();
    public void Dispose() => _ns.Dispose();

    private sealed class RecordingTrace : ITrace
    {
        public List<string> Lines { get; } = new();
        public bool Enabled => true;
        public void Step(MiniRun.Trace.Narration title, MiniRun.Trace.Narration why) => Lines.Add("step " + title.En);
        public void Call(string call, string result) => Lines.Add($"[1] {call} = {result}");
        public void Note(MiniRun.Trace.Narration narration) { string text = narration.En; Lines.Add(text); }
        public void Listing(string text) => Lines.Add(text);
        public void Fact(MiniRun.Trace.TraceFact fact, string value) { }
    }

    private static IPAddress Ip(string s) => IPAddress.Parse(s);

    /// <summary>The engine's sequence for one container, as docs/networking.md describes it.</summary>
    private static void Wire(INetlink host, INetlink ctr, int ctrFd)
    {
        host.CreateBridge("mrt-br0", 1500);
        host.AddAddress("mrt-br0", Ip("10.99.0.1"), 24);
        host.SetUp("mrt-br0");
        host.CreateVeth("mrt-v0", "mrt-p0", 1500, ctrFd);
        host.SetMaster("mrt-v0", "mrt-br0");
        host.SetHairpin("mrt-v0", true);
        host.SetUp("mrt-v0");
        ctr.Rename("mrt-p0", "eth0");
        ctr.AddAddress("eth0", Ip("10.99.0.2"), 24);
        ctr.SetUp("eth0");
        ctr.AddDefaultRoute(Ip("10.99.0.1"));
    }

    [Fact]
    public void A_namespace_without_any_route_has_an_empty_route_dump()
    {
        // `ip netns add` gives only lo, down: no main table exists yet, and the kernel's filtered
        // dump answers ENOENT; the default bridge must still be made on such a machine (the
        // benchmark's namespace). NetworkNamespace.Create sets lo up, which makes the table, so
        // this namespace is made by ip(8).
        string name = "mrt-bare-" + Guid.NewGuid().ToString("N")[..8];
        var (made, output) = TestNetworkNamespaces.Run("ip", "netns", "add", name);
        Assert.True(made == 0, output);
        try
        {
            int fd = NetworkNamespace.OpenFd("/run/netns/" + name);
            try
            {
                using var bare = RtNetlink.OpenIn(fd, new RecordingTrace());
                Assert.Empty(bare.Routes());
            }
            finally { MiniRun.Kernel.Libc.close(fd); }
        }
        finally { TestNetworkNamespaces.Run("ip", "netns", "delete", name); }
    }

    [Fact]
    public void The_container_side_gets_eth0_with_its_address_and_route_and_reaches_the_bridge()
    {
        var trace = new RecordingTrace();
        var host = _ns.Create("host", trace);
        var ctr = _ns.Create("ctr", trace);
        Wire(host.Netlink, ctr.Netlink, ctr.Fd);

        // ip's view, from inside each namespace.
        Assert.Contains("inet 10.99.0.2/24 brd 10.99.0.255 scope global eth0", TestNetworkNamespaces.Ip(ctr.Path, "-4", "-o", "addr", "show", "dev", "eth0"));
        Assert.Contains("default via 10.99.0.1 dev eth0", TestNetworkNamespaces.Ip(ctr.Path, "route", "show"));
        Assert.Contains("mrt-v0@", TestNetworkNamespaces.Ip(host.Path, "-o", "link", "show", "master", "mrt-br0"));
        // Hairpin on the bridge port (a kernel that ignored the request would still acknowledge it).
        var (_, port) = TestNetworkNamespaces.Run("nsenter", "--net=" + host.Path, "bridge", "-d", "link", "show", "dev", "mrt-v0");
        Assert.Contains("hairpin on", port);
        Assert.DoesNotContain("eth0", TestNetworkNamespaces.Ip(host.Path, "-o", "link", "show"));
        // The veth's two ends name each other's index: eth0@ifN on one side, mrt-v0@ifM on the other.
        int v0 = host.Netlink.GetLink("mrt-v0")!.Index, eth0 = ctr.Netlink.GetLink("eth0")!.Index;
        Assert.Contains($"eth0@if{v0}:", TestNetworkNamespaces.Ip(ctr.Path, "-o", "link", "show", "dev", "eth0"));
        Assert.Contains($"mrt-v0@if{eth0}:", TestNetworkNamespaces.Ip(host.Path, "-o", "link", "show", "dev", "mrt-v0"));

        // One ICMP echo from the container's namespace to the gateway, across veth and bridge.
        var (exit, output) = TestNetworkNamespaces.Run("nsenter", "--net=" + ctr.Path, "busybox", "ping", "-c", "1", "-W", "5", "10.99.0.1");
        Assert.True(exit == 0, output);
        Assert.Contains("1 packets received", output);

        // --trace shows each message, in lines that fit 120 columns.
        Assert.Contains(trace.Lines, l => l.Contains("RTM_NEWLINK veth \"mrt-v0\" peer \"mrt-p0\" mtu 1500 IFLA_NET_NS_FD " + ctr.Fd) && l.EndsWith("= ok"));
        Assert.Contains(trace.Lines, l => l.Contains("RTM_NEWADDR 10.99.0.2/24 brd 10.99.0.255 on \"eth0\""));
        Assert.Contains(trace.Lines, l => l.Contains("RTM_NEWROUTE default via 10.99.0.1"));
        Assert.Contains(trace.Lines, l => l.Contains("RTM_SETLINK AF_BRIDGE \"mrt-v0\"") && l.Contains("IFLA_BRPORT_MODE hairpin on"));
        Assert.Contains(trace.Lines, l => l.Contains($"setns({ctr.Fd}, CLONE_NEWNET)"));
        Assert.All(trace.Lines, l => Assert.True(l.Length < 120, l));

        // Deleting the host's end takes eth0 with it.
        Assert.True(host.Netlink.DeleteLink("mrt-v0"));
        Assert.True(host.Netlink.DeleteLink("mrt-br0"));
        Assert.Equal("lo", Assert.Single(ctr.Netlink.Links()).Name);
        Assert.DoesNotContain("eth0", TestNetworkNamespaces.Ip(ctr.Path, "-o", "link", "show"));
        Assert.Equal("", TestNetworkNamespaces.Ip(ctr.Path, "-4", "route", "show"));
    }

    [Fact]
    public void A_failed_request_is_one_line_with_the_message_operands_errno_and_the_kernels_words()
    {
        var trace = new RecordingTrace();
        var host = _ns.Create("host", trace);
        var ctr = _ns.Create("ctr");
        host.Netlink.CreateVeth("mrt-v0", "mrt-p0", 1500, ctr.Fd);
        var e = Assert.Throws<NetlinkException>(() => host.Netlink.CreateVeth("mrt-v0", "mrt-p1", 1500, ctr.Fd));
        Assert.Equal("RTM_NEWLINK veth \"mrt-v0\" peer \"mrt-p1\" mtu 1500 IFLA_NET_NS_FD " + ctr.Fd + ": File exists (EEXIST)", e.Message);
        Assert.Contains(trace.Lines, l => l.EndsWith("= error EEXIST"));

        var small = Assert.Throws<NetlinkException>(() => host.Netlink.CreateBridge("mrt-br0", 10));
        Assert.StartsWith("RTM_NEWLINK bridge \"mrt-br0\" mtu 10: Invalid argument (EINVAL)", small.Message);
        Assert.NotNull(small.KernelMessage);   // the extended ACK's sentence (its wording is the kernel's)

        var none = Assert.Throws<NetlinkException>(() => host.Netlink.AddAddress("mrt-none", Ip("10.99.0.1"), 24));
        Assert.Equal("RTM_NEWADDR 10.99.0.1/24 brd 10.99.0.255 on \"mrt-none\": No such device (ENODEV)", none.Message);
        Assert.DoesNotContain('\n', e.Message + small.Message + none.Message);
    }

    [Fact]
    public void A_namespace_is_held_by_a_mount_of_its_nsfs_file_and_removed_without_a_trace()
    {
        string path = Path.Combine(_ns.Dir, "solo");
        var trace = new RecordingTrace();
        static string ThreadNamespace() => Path.GetFileName(File.ResolveLinkTarget("/proc/thread-self/ns/net", false)!.FullName);
        string mine = ThreadNamespace();
        NetworkNamespace.Create(path, trace);
        try
        {
            Assert.Equal(mine, ThreadNamespace());   // the calling thread made it, and is back in its own
            int fd = NetworkNamespace.OpenFd(path);
            try
            {
                Assert.NotEqual(mine, RtNetlink.InNamespace(fd, ThreadNamespace));
                Assert.Throws<InvalidOperationException>(() => RtNetlink.InNamespace<int>(fd, () => throw new InvalidOperationException()));
                Assert.Equal(mine, ThreadNamespace());   // back, also after the work threw
            }
            finally { MiniRun.Kernel.Libc.close(fd); }
            Assert.Contains(File.ReadLines("/proc/self/mountinfo"), l => l.Contains($" {path} ") && l.Contains(" - nsfs "));
            // Another namespace than this process's, with lo up.
            string own = File.ResolveLinkTarget("/proc/self/ns/net", false)!.FullName;
            var (_, inside) = TestNetworkNamespaces.Run("nsenter", "--net=" + path, "readlink", "/proc/self/ns/net");
            Assert.StartsWith("net:[", inside);
            Assert.NotEqual(Path.GetFileName(own), inside.Trim());
            Assert.Matches("lo: <LOOPBACK,UP,LOWER_UP>", TestNetworkNamespaces.Ip(path, "-o", "link", "show", "lo"));
            Assert.Contains(trace.Lines, l => l.Contains("unshare(CLONE_NEWNET) = 0: this thread alone is in a new network namespace"));
            Assert.Contains(trace.Lines, l => l.Contains("RTM_NEWLINK \"lo\" (1) IFF_UP = ok"));

            var again = Assert.Throws<NetlinkException>(() => NetworkNamespace.Create(path, NullTrace.Instance));
            Assert.Equal(Errno.EEXIST, again.Errno);
            Assert.Contains(File.ReadLines("/proc/self/mountinfo"), l => l.Contains($" {path} "));   // the refusal left it alone
        }
        finally { NetworkNamespace.Remove(path, trace); }
        Assert.DoesNotContain(File.ReadLines("/proc/self/mountinfo"), l => l.Contains($" {path} "));
        Assert.False(File.Exists(path));
        NetworkNamespace.Remove(path, NullTrace.Instance);   // absent: fine
        Assert.Throws<NetlinkException>(() => NetworkNamespace.OpenFd(path));
    }

    [Fact]
    public void A_sysctl_is_written_in_the_namespace_named_by_the_descriptor_not_in_the_caller()
    {
        var host = _ns.Create("host");
        host.Netlink.CreateBridge("mrt-br0", 1500);
        // The bridge exists only in the test's namespace: finding its sysctl proves the view is that namespace's
        // before anything is written.
        // (Its value follows the machine's own ip_forward, which a new namespace inherits: 1 in the test VM,
        // where the default bridge turned it on.)
        Assert.Matches("^[01]$", NetworkNamespace.ReadSysctl("net/ipv4/conf/mrt-br0/forwarding", host.Fd));
        Assert.False(Directory.Exists("/proc/sys/net/ipv4/conf/mrt-br0"));
        string mine = NetworkNamespace.ReadSysctl("net.ipv4.ip_forward");

        NetworkNamespace.WriteSysctl("net.ipv4.ip_forward", "1", NullTrace.Instance, host.Fd);
        Assert.Equal("1", NetworkNamespace.ReadSysctl("net.ipv4.ip_forward", host.Fd));
        Assert.Equal("1", TestNetworkNamespaces.Run("nsenter", "--net=" + host.Path, "cat", "/proc/sys/net/ipv4/ip_forward").Output.Trim());
        Assert.Equal(mine, NetworkNamespace.ReadSysctl("net.ipv4.ip_forward"));
    }

    [Fact]
    public void Open_binds_the_socket_to_the_namespace_of_the_thread_that_opens_it()
    {
        var host = _ns.Create("host");
        host.Netlink.CreateBridge("mrt-br0", 1500);
        // Open() on a thread inside the test's namespace: that socket keeps acting there from this thread.
        using var opened = RtNetlink.OnThreadInNamespace(host.Fd, () => RtNetlink.Open(NullTrace.Instance));
        Assert.Equal(["lo", "mrt-br0"], opened.Links().Select(l => l.Name));
        opened.SetUp("mrt-br0");
        Assert.True(host.Netlink.GetLink("mrt-br0")!.Up);
        var bad = Assert.Throws<NetlinkException>(() => RtNetlink.OpenIn(-1, NullTrace.Instance));
        Assert.Equal("setns(-1, CLONE_NEWNET): Bad file descriptor (EBADF)", bad.Message);
    }
}
