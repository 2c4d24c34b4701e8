// NetnsLab: a small network of namespaces made for one test, so that no networking test touches
// the machine's own interfaces, addresses, ports or ruleset, and no packet can leave the machine.
//
//   outside (O) 198.51.100.2 --veth-- 198.51.100.1 up0 [ HOST (H) ] mrbr0 10.99.0.1 --veth-- 10.99.0.2 ctr1 (C1)
//                                                                  mrbr1 10.98.0.1 --veth-- 10.98.0.2 ctr2 (C2)
//
// H plays the machine MiniRun runs on (its own 127.0.0.1 and its "public" address 198.51.100.1),
// O another machine on its network (198.51.100.0/24 is TEST-NET-2, RFC 5737), C1 and C2
// containers on two bridge networks. The namespaces are `ip netns add minirun-test-XXXXXX-*` and
// are deleted (with every interface in them) on Dispose; processes the lab started are killed by
// pid first. Code under test runs "in H" on a dedicated thread that setns(2)s into H and then
// ends: sockets it opens, processes it starts (nft) and /proc/sys/net files it writes all belong
// to H. A thread pool thread is never moved.
//
// Follows: ip-netns(8), setns(2) (CLONE_NEWNET), veth(4).
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace MiniRun.Tests.Network;

public sealed partial class NetnsLab : IDisposable
{
    public string Host { get; }
    public string Ctr1 { get; }
    public string Ctr2 { get; }
    public string Outside { get; }
    private readonly List<Process> _started = [];
    private readonly List<string> _namespaces = [];

    public NetnsLab()
    {
        string id = "minirun-test-" + Convert.ToHexString(Guid.NewGuid().ToByteArray())[..6].ToLowerInvariant();
        (Host, Ctr1, Ctr2, Outside) = (id + "-h", id + "-c1", id + "-c2", id + "-o");
        try
        {
            foreach (var ns in new[] { Host, Ctr1, Ctr2, Outside })
            {
                Run("ip", "netns", "add", ns);
                _namespaces.Add(ns);
                Ip(ns, "link", "set", "lo", "up");
            }
            Bridge("mrbr0", "10.99.0.1/24", "vh1", Ctr1, "10.99.0.2/24", "10.99.0.1");
            Bridge("mrbr1", "10.98.0.1/24", "vh2", Ctr2, "10.98.0.2/24", "10.98.0.1");
            Ip(Host, "link", "add", "up0", "type", "veth", "peer", "name", "eth0", "netns", Outside);
            Ip(Host, "addr", "add", "198.51.100.1/24", "dev", "up0");
            Ip(Host, "link", "set", "up0", "up");
            Ip(Outside, "addr", "add", "198.51.100.2/24", "dev", "eth0");
            Ip(Outside, "link", "set", "eth0", "up");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private void Bridge(string bridge, string gatewayCidr, string hostEnd, string ctr, string ctrCidr, string gateway)
    {
        Ip(Host, "link", "add", bridge, "type", "bridge");
        Ip(Host, "addr", "add", gatewayCidr, "dev", bridge);
        Ip(Host, "link", "set", bridge, "up");
        Ip(Host, "link", "add", hostEnd, "type", "veth", "peer", "name", "eth0", "netns", ctr);
        Ip(Host, "link", "set", hostEnd, "master", bridge, "up");
        // Hairpin mode, as Docker sets it on each container's port: with br_netfilter active (its
        // bridge-nf-call-iptables), a connection from a container to its own published port is
        // DNATed back to the port it came in by, and the bridge only sends a frame back out of
        // its ingress port in hairpin mode.
        Ip(Host, "link", "set", hostEnd, "type", "bridge_slave", "hairpin", "on");
        Ip(ctr, "addr", "add", ctrCidr, "dev", "eth0");
        Ip(ctr, "link", "set", "eth0", "up");
        Ip(ctr, "route", "add", "default", "via", gateway);
    }

    public void Ip(string ns, params string[] args) => Run("ip", ["-n", ns, .. args]);

    /// <summary>Runs a command in a namespace (ip netns exec) and returns its stdout; throws with stderr when it fails.</summary>
    public string Exec(string ns, params string[] args) => Run("ip", ["netns", "exec", ns, .. args]);

    /// <summary>Runs a command in a namespace and returns (exit code, stdout + stderr) without throwing.</summary>
    public (int Code, string Output) TryExec(string ns, params string[] args)
    {
        var (code, output, error) = RunRaw("ip", ["netns", "exec", ns, .. args]);
        return (code, output + error);
    }

    /// <summary>Starts a long-running command in a namespace (a server); killed by pid on Dispose.</summary>
    public Process Start(string ns, params string[] args)
    {
        var psi = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["netns", "exec", ns, .. args]) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        _started.Add(p);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    /// <summary>Runs <paramref name="action"/> on a fresh thread that has joined <paramref name="ns"/>'s network namespace.</summary>
    public T In<T>(string ns, Func<T> action)
    {
        T result = default!;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                int fd = open("/run/netns/" + ns, 0x80000 /*O_CLOEXEC*/);
                if (fd < 0) throw new IOException($"open /run/netns/{ns}: errno {Marshal.GetLastPInvokeError()}");
                int rc = setns(fd, 0x40000000 /*CLONE_NEWNET*/);
                int errno = Marshal.GetLastPInvokeError();
                close(fd);
                if (rc != 0) throw new IOException($"setns {ns}: errno {errno}");
                result = action();
            }
            catch (Exception e)
            {
                error = e;
            }
        });
        thread.Start();
        thread.Join();
        if (error is not null) ExceptionDispatchInfo.Throw(error);
        return result;
    }

    public void In(string ns, Action action) => In(ns, () => { action(); return 0; });

    /// <summary>Waits until something listens on a TCP port in a namespace (a server just started).</summary>
    public void WaitForListener(string ns, int port, bool udp = false)
    {
        for (int i = 0; i < 500; i++)
        {
            string ss = Exec(ns, "ss", udp ? "-Hlun" : "-Hltn", $"sport = :{port}");
            if (ss.Trim().Length > 0) return;
            Thread.Sleep(10);
        }
        throw new TimeoutException($"nothing listens on port {port} in {ns}");
    }

    public void Dispose()
    {
        foreach (var p in _started)
        {
            try { if (!p.HasExited) { p.Kill(); p.WaitForExit(); } } catch (InvalidOperationException) { }
            p.Dispose();
        }
        foreach (var ns in _namespaces) RunRaw("ip", ["netns", "del", ns]);
    }

    private static string Run(string file, params string[] args)
    {
        var (code, output, error) = RunRaw(file, args);
        if (code != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)}: exit {code}: {error.Trim()}");
        return output;
    }

    private static (int Code, string Output, string Error) RunRaw(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output, err.Result);
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setns(int fd, int nstype);

    [LibraryImport("libc")]
    private static partial int close(int fd);
}
