// DnsTestNamespace: a network namespace of the test's own (`ip netns add minirun-test-dns-...`)
// with lo up and empty bridges carrying the "gateway" addresses, where the name resolver tests run
// resolvers and query them. Nothing in it routes anywhere, so no packet can leave the machine
// whatever the resolver does; the machine's own namespace is never used.
//
// Code runs inside it two ways: processes through `ip netns exec`, and C# on a dedicated thread
// that setns(2)'d into it (a network namespace is per thread; sockets made there stay in it, and a
// process that thread spawns starts in it). Dispose ends what the test registered, then deletes
// the namespace.
//
// Also the small DNS client the tests query with (UDP and TCP), built on DnsMessage.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using MiniRun.Network.Dns;

namespace MiniRun.Tests.Network;

public sealed class DnsTestNamespace : IDisposable
{
    private readonly List<Process> _processes = [];
    private readonly List<int> _pids = [];
    public string Name { get; }

    /// <param name="bridges">Each bridge and its address with prefix, e.g. ("mr0", "172.29.0.1/16").</param>
    public DnsTestNamespace(params (string Bridge, string Address)[] bridges)
    {
        if (geteuid() != 0) throw new InvalidOperationException("the resolver tests need root (they create a network namespace)");
        Name = $"minirun-test-dns-{Environment.ProcessId}-{Random.Shared.Next(100000)}";
        Check(Run("ip", "netns", "add", Name));
        try
        {
            Check(Exec("ip", "link", "set", "lo", "up"));
            foreach (var (bridge, address) in bridges)
            {
                Check(Exec("ip", "link", "add", bridge, "type", "bridge"));
                Check(Exec("ip", "addr", "add", address, "dev", bridge));
                Check(Exec("ip", "link", "set", bridge, "up"));
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Runs a command inside the namespace and waits for it.</summary>
    public (int ExitCode, string Stdout, string Stderr) Exec(params string[] command) => Run(["ip", "netns", "exec", Name, .. command]);

    /// <summary>Starts a command inside the namespace; it is killed by Dispose if still running.</summary>
    public Process Start(params string[] command)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["netns", "exec", Name, .. command]) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        lock (_processes) _processes.Add(p);
        return p;
    }

    /// <summary>Kill this pid (checked alive) at Dispose: a resolver the code under test started.</summary>
    public void Track(int pid) { lock (_pids) _pids.Add(pid); }

    /// <summary>Runs <paramref name="action"/> on a new thread that joined this namespace (setns CLONE_NEWNET).</summary>
    public T Inside<T>(Func<T> action)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                Join();
                result = action();
            }
            catch (Exception e) { failure = e; }
        });
        thread.Start();
        thread.Join();
        if (failure is not null) throw new AggregateException("inside " + Name, failure);
        return result;
    }

    public void Inside(Action action) => Inside<int>(() => { action(); return 0; });

    /// <summary>Starts a background thread in the namespace (a fake upstream server); it ends when <paramref name="action"/> returns.</summary>
    public Thread Background(Action action)
    {
        var thread = new Thread(() =>
        {
            try
            {
                Join();
                action();
            }
            catch (Exception) { }   // the fake's socket was closed by the test: its job is done
        }) { IsBackground = true };
        thread.Start();
        return thread;
    }

    private void Join()
    {
        using var ns = File.OpenHandle($"/run/netns/{Name}");
        if (setns((int)ns.DangerousGetHandle(), 0x40000000 /*CLONE_NEWNET*/) != 0)
            throw new InvalidOperationException($"setns {Name}: errno {Marshal.GetLastPInvokeError()}");
    }

    public void Dispose()
    {
        lock (_processes)
            foreach (var p in _processes)
            {
                try { if (!p.HasExited) { p.Kill(); p.WaitForExit(10000); } } catch (InvalidOperationException) { }
                p.Dispose();
            }
        lock (_pids)
            foreach (var pid in _pids)
                if (MiniRun.Runtime.ProcessIdentity.StartTime(pid) is { } start && MiniRun.Runtime.ProcessIdentity.IsAlive(pid, start))
                {
                    kill(pid, 9);
                    MiniRun.Runtime.ProcessIdentity.WaitGone(pid, start, TimeSpan.FromSeconds(10));
                }
        Run("ip", "netns", "del", Name);
    }

    private static (int, string, string) Run(params string[] command)
    {
        var psi = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in command.Skip(1)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60000)) { p.Kill(); throw new TimeoutException(string.Join(' ', command)); }
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    private static void Check((int ExitCode, string Stdout, string Stderr) r)
    {
        if (r.ExitCode != 0) throw new InvalidOperationException($"namespace setup failed ({r.ExitCode}): {r.Stderr}");
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int setns(int fd, int nstype);

    [DllImport("libc")]
    private static extern uint geteuid();

    [DllImport("libc")]
    private static extern int kill(int pid, int sig);
}

/// <summary>A minimal DNS client for the tests: one question, over UDP or TCP, the reply parsed.</summary>
public static class DnsTestClient
{
    public static DnsMessage Query(IPAddress server, string name, ushort type, bool tcp = false, ushort id = 0x4d52)
    {
        var query = new DnsMessage { Id = id, RecursionDesired = true };
        query.Questions.Add(new DnsQuestion(name, type));
        return DnsMessage.Parse(Exchange(server, query.ToBytes(), tcp));
    }

    /// <summary>Sends raw bytes and returns the raw reply (timeout 15 s: a test failure, never a measurement).</summary>
    public static byte[] Exchange(IPAddress server, byte[] message, bool tcp = false)
    {
        var endpoint = new IPEndPoint(server, 53);
        if (!tcp)
        {
            using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 15000 };
            udp.Connect(endpoint);
            udp.Send(message);
            var buffer = new byte[65535];
            int n = udp.Receive(buffer);
            return buffer[..n];
        }
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 15000 };
        socket.Connect(endpoint);
        socket.Send([(byte)(message.Length >> 8), (byte)message.Length, .. message]);
        var length = ReceiveExactly(socket, 2);
        return ReceiveExactly(socket, (length[0] << 8) | length[1]);
    }

    private static byte[] ReceiveExactly(Socket socket, int count)
    {
        var buffer = new byte[count];
        int got = 0;
        while (got < count)
        {
            int n = socket.Receive(buffer, got, count - got, SocketFlags.None);
            if (n == 0) throw new IOException($"connection closed after {got} of {count} bytes");
            got += n;
        }
        return buffer;
    }

    /// <summary>The IPv4 addresses in a reply's A records.</summary>
    public static List<string> Addresses(DnsMessage reply) =>
        reply.Answers.Where(a => a.Type == DnsType.A).Select(a => new IPAddress(a.Data).ToString()).ToList();
}
