// RtNetlink: the real INetlink: each operation is one rtnetlink request on a NETLINK_ROUTE socket,
// answered by the kernel's ACK or an errno, and narrated on the trace.
//
// Why: a container's eth0 is made of a handful of rtnetlink messages (RTM_NEWLINK kind veth with
// the peer created directly in the container's namespace via IFLA_NET_NS_FD, IFLA_MASTER to put
// the host end on the bridge, RTM_NEWADDR, RTM_NEWROUTE). The kernel names links by index, so an
// operation on a name first asks RTM_GETLINK for its index, which the trace shows as well.
//
// A socket is bound for its whole life to the network namespace of the thread that created it.
// OpenIn(netnsFd) therefore creates the socket while the calling thread has joined that namespace
// with setns(2), and returns the thread to its own namespace at once (InNamespace): every later
// request on the socket still acts in that namespace. The switch is on the calling thread (a
// network namespace is per thread) rather than on a new one: starting a thread made a container
// start wait for the scheduler up to three times, tens of ms on a loaded 2-core machine. Nothing
// else runs on the thread meanwhile, and a thread that could not return would be in the wrong
// namespace, so that ends the process (FailFast) rather than going on.
//
// Follows: rtnetlink(7), netlink(7), setns(2) ("CLONE_NEWNET"), network_namespaces(7), veth(4).
using System.Net;
using System.Runtime.InteropServices;
using MiniRun.Kernel;
using MiniRun.Runtime;
using MiniRun.Trace;
using static MiniRun.Trace.TraceFormat;

namespace MiniRun.Network;

public sealed class RtNetlink : INetlink
{
    private readonly NetlinkSocket _socket;
    private readonly ITrace _trace;

    private RtNetlink(NetlinkSocket socket, ITrace trace)
    {
        _socket = socket;
        _trace = trace;
    }

    /// <summary>A NETLINK_ROUTE socket in the calling thread's network namespace.</summary>
    public static RtNetlink Open(ITrace trace)
    {
        var socket = NetlinkSocket.Open();
        trace.Call("socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE)", socket.Fd.ToString());
        return new RtNetlink(socket, trace);
    }

    /// <summary>A NETLINK_ROUTE socket in the network namespace of <paramref name="netnsFd"/>, created while
    /// the calling thread has joined that namespace (InNamespace).</summary>
    public static RtNetlink OpenIn(int netnsFd, ITrace trace)
    {
        var socket = InNamespace(netnsFd, NetlinkSocket.Open);
        trace.Call($"setns({netnsFd}, CLONE_NEWNET); socket(AF_NETLINK, NETLINK_ROUTE); setns back", Messages.ResultNetlinkBound.With(socket.Fd).Text);
        return new RtNetlink(socket, trace);
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the calling thread after it joined the network namespace
    /// <paramref name="netnsFd"/>, then returns the thread to the namespace it was in (also when the
    /// work throws). Only this thread changes namespace, for the duration of <paramref name="work"/>.
    /// </summary>
    internal static T InNamespace<T>(int netnsFd, Func<T> work) => FromNamespaceOfThisThread(() =>
    {
        if (Libc.setns(netnsFd, MiniRun.Runtime.Namespaces.CLONE_NEWNET) != 0)
            throw new NetlinkException($"setns({netnsFd}, CLONE_NEWNET)", Marshal.GetLastPInvokeError());
        return work();
    });

    /// <summary>Runs <paramref name="work"/> (which may move the calling thread to another network namespace:
    /// setns or unshare) and returns the thread to its own namespace afterwards.</summary>
    internal static T FromNamespaceOfThisThread<T>(Func<T> work)
    {
        int home = Libc.open("/proc/thread-self/ns/net", Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        if (home < 0) throw new NetlinkException("open /proc/thread-self/ns/net", Marshal.GetLastPInvokeError());
        try
        {
            return work();
        }
        finally
        {
            if (Libc.setns(home, MiniRun.Runtime.Namespaces.CLONE_NEWNET) != 0)
                Environment.FailFast($"setns(/proc/thread-self/ns/net, CLONE_NEWNET): errno {Marshal.GetLastPInvokeError()}: " +
                    "this thread cannot return to its own network namespace");
            Libc.close(home);
        }
    }

    /// <summary>Runs <paramref name="work"/> on a new thread that first joined the network namespace <paramref name="netnsFd"/>;
    /// returns its result or rethrows its exception. The thread ends with the work, and its namespace with it.</summary>
    internal static T OnThreadInNamespace<T>(int netnsFd, Func<T> work)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                if (Libc.setns(netnsFd, MiniRun.Runtime.Namespaces.CLONE_NEWNET) != 0)
                    throw new NetlinkException($"setns({netnsFd}, CLONE_NEWNET)", Marshal.GetLastPInvokeError());
                result = work();
            }
            catch (Exception e) { failure = e; }
        }, 1 << 20) { Name = "minirun-netns", IsBackground = true };
        thread.Start();
        thread.Join();
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        return result;
    }

    public LinkInfo? GetLink(string name)
    {
        uint seq = _socket.NextSeq();
        string call = $"RTM_GETLINK {Q(name)}";
        try
        {
            var replies = _socket.Exchange(RtMessages.GetLink(seq, name), seq, call);
            var link = replies.Where(m => m.Type == Rt.RTM_NEWLINK).Select(RtMessages.ParseLink).FirstOrDefault();
            _trace.Call(call, link is null ? Messages.ResultNoReply.Text : Describe(link));
            return link;
        }
        catch (NetlinkException e) when (e.Errno == Errno.ENODEV)
        {
            _trace.Call(call, "none (ENODEV)");
            return null;
        }
        catch (NetlinkException e) { Failed(call, e); throw; }
    }

    public IReadOnlyList<LinkInfo> Links()
    {
        const string call = "RTM_GETLINK dump";
        var links = Dump(call, RtMessages.DumpLinks).Where(m => m.Type == Rt.RTM_NEWLINK).Select(RtMessages.ParseLink).ToList();
        _trace.Call(call, $"{links.Count} links: {string.Join(" ", links.Select(l => l.Name))}");
        return links;
    }

    public void CreateBridge(string name, int mtu) =>
        Change($"RTM_NEWLINK bridge {Q(name)} mtu {mtu}", seq => RtMessages.CreateBridge(seq, name, mtu));

    public void CreateVeth(string name, string peerName, int mtu, int peerNetnsFd) =>
        Change($"RTM_NEWLINK veth {Q(name)} peer {Q(peerName)} mtu {mtu} IFLA_NET_NS_FD {peerNetnsFd}",
            seq => RtMessages.CreateVeth(seq, name, peerName, mtu, peerNetnsFd));

    public void SetMaster(string name, string master)
    {
        string call = $"RTM_NEWLINK {Q(name)} IFLA_MASTER {Q(master)}";
        int index = IndexOf(name, call), masterIndex = IndexOf(master, call);
        Change($"RTM_NEWLINK {Q(name)} ({index}) IFLA_MASTER {Q(master)} ({masterIndex})", seq => RtMessages.SetMaster(seq, index, masterIndex));
    }

    public void SetHairpin(string name, bool on)
    {
        int index = IndexOf(name, $"RTM_SETLINK AF_BRIDGE {Q(name)} IFLA_BRPORT_MODE hairpin");
        Change($"RTM_SETLINK AF_BRIDGE {Q(name)} ({index}) IFLA_BRPORT_MODE hairpin {(on ? "on" : "off")}",
            seq => RtMessages.SetHairpin(seq, index, on));
    }

    public void SetUp(string name)
    {
        int index = IndexOf(name, $"RTM_NEWLINK {Q(name)} IFF_UP");
        Change($"RTM_NEWLINK {Q(name)} ({index}) IFF_UP", seq => RtMessages.SetUp(seq, index));
    }

    public void Rename(string name, string newName)
    {
        int index = IndexOf(name, $"RTM_NEWLINK {Q(name)} IFLA_IFNAME {Q(newName)}");
        Change($"RTM_NEWLINK {Q(name)} ({index}) IFLA_IFNAME {Q(newName)}", seq => RtMessages.Rename(seq, index, newName));
    }

    public void MoveToNamespace(string name, int netnsFd)
    {
        int index = IndexOf(name, $"RTM_NEWLINK {Q(name)} IFLA_NET_NS_FD {netnsFd}");
        Change($"RTM_NEWLINK {Q(name)} ({index}) IFLA_NET_NS_FD {netnsFd}", seq => RtMessages.MoveToNamespace(seq, index, netnsFd));
    }

    public void AddAddress(string name, IPAddress address, int prefixLength)
    {
        string what = $"{address}/{prefixLength}" + (prefixLength < 31 ? $" brd {RtMessages.Broadcast(address, prefixLength)}" : "");
        int index = IndexOf(name, $"RTM_NEWADDR {what} on {Q(name)}");
        Change($"RTM_NEWADDR {what} on {Q(name)} ({index})", seq => RtMessages.AddAddress(seq, index, address, prefixLength));
    }

    public IReadOnlyList<(IPAddress Address, int PrefixLength)> Addresses(string name)
    {
        int index = IndexOf(name, $"RTM_GETADDR {Q(name)}");
        string call = $"RTM_GETADDR dump, IPv4 of {Q(name)} ({index})";
        var list = Dump(call, seq => RtMessages.DumpAddresses(seq, index)).Where(m => m.Type == Rt.RTM_NEWADDR)
            .Select(RtMessages.ParseAddress).Where(a => a is not null && a.Index == index)
            .Select(a => (a!.Address, a.PrefixLength)).ToList();
        _trace.Call(call, list.Count == 0 ? "none" : string.Join(" ", list.Select(a => $"{a.Address}/{a.PrefixLength}")));
        return list;
    }

    public void AddDefaultRoute(IPAddress gateway) =>
        Change($"RTM_NEWROUTE default via {gateway} (main table)", seq => RtMessages.AddDefaultRoute(seq, gateway));

    public IReadOnlyList<(IPAddress Destination, int PrefixLength, int OutputIndex)> Routes()
    {
        const string call = "RTM_GETROUTE dump, IPv4 main table";
        List<NetlinkMessage> parts;
        // A namespace without a single route (only lo, down) has no main table yet: the kernel's
        // filtered dump answers ENOENT (fib_get_table finds none), which means "no routes".
        try { parts = _socket.Dump(RtMessages.DumpRoutes, call); }
        catch (NetlinkException e) when (e.Errno == Errno.ENOENT) { parts = []; }
        catch (NetlinkException e) { Failed(call, e); throw; }
        var list = parts.Where(m => m.Type == Rt.RTM_NEWROUTE)
            .Select(RtMessages.ParseRoute).Where(r => r is not null && r.Table == Rt.RT_TABLE_MAIN)
            .Select(r => (r!.Destination, r.PrefixLength, r.OutputIndex)).ToList();
        _trace.Call(call, list.Count == 0 ? "none" : string.Join(", ", list.Select(r => $"{r.Destination}/{r.PrefixLength} dev {r.OutputIndex}")));
        return list;
    }

    public bool DeleteLink(string name)
    {
        var link = GetLink(name);
        if (link is null) return false;
        string call = $"RTM_DELLINK {Q(name)} ({link.Index})";
        uint seq = _socket.NextSeq();
        try
        {
            _socket.Exchange(RtMessages.DeleteLink(seq, link.Index), seq, call);
            _trace.Call(call, "ok");
            return true;
        }
        catch (NetlinkException e) when (e.Errno == Errno.ENODEV)
        {
            // Gone between the lookup and the delete (a veth's peer took it with it): nothing left to do.
            _trace.Call(call, Messages.ResultGoneAlreadyEnodev.Text);
            return false;
        }
        catch (NetlinkException e) { Failed(call, e); throw; }
    }

    public void Dispose() => _socket.Dispose();

    /// <summary>The index of link <paramref name="name"/>; ENODEV, named after the operation that needed it, when there is none.</summary>
    private int IndexOf(string name, string operation) =>
        GetLink(name)?.Index ?? throw new NetlinkException(operation, Errno.ENODEV);

    private void Change(string call, Func<uint, byte[]> build)
    {
        uint seq = _socket.NextSeq();
        try { _socket.Exchange(build(seq), seq, call); }
        catch (NetlinkException e) { Failed(call, e); throw; }
        _trace.Call(call, "ok");
    }

    private List<NetlinkMessage> Dump(string call, Func<uint, byte[]> build)
    {
        try { return _socket.Dump(build, call); }
        catch (NetlinkException e) { Failed(call, e); throw; }
    }

    private void Failed(string call, NetlinkException e) => _trace.Call(call, $"error {Errno.Name(e.Errno)}");

    private static string Describe(LinkInfo l) =>
        $"index {l.Index}{(l.Kind is null ? "" : " " + l.Kind)} mtu {l.Mtu}{(l.Up ? " up" : " down")}" +
        (l.MasterIndex != 0 ? $" master {l.MasterIndex}" : "");
}
