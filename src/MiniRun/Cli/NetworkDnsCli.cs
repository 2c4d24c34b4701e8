// NetworkDnsCli: the hidden verb `minirun network-dns NETWORK-ID GATEWAY`, the name resolver of one
// user network (Network/Dns/DnsServer.cs). Not for users: NameResolver.EnsureRunning starts it.
//
//   minirun network-dns --root ROOT NID GATEWAY        serve in the foreground (tests, debugging)
//     --ready-fd N        write "ready" (or "error MESSAGE") on descriptor N once bound, then close it
//     --detach            the middle process: spawn `network-dns --new-session` (keeping N open),
//                         write "pid PID" on N and exit at once (NameResolver.cs says why)
//     --new-session       setsid(2) and chdir("/") first: the detached resolver itself
//     --resolv-conf PATH  where the upstream servers are read (default /etc/resolv.conf)
//
// The resolver serves until ROOT/networks/NID disappears (checked every second), or SIGTERM.
//
// Follows: setsid(2), chdir(2); NameResolver.cs for the protocol on the ready descriptor.
using System.CommandLine;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using MiniRun.Kernel;
using MiniRun.Network;
using MiniRun.Network.Dns;
using MiniRun.Runtime;
using MiniJson;

namespace MiniRun.Cli;

public static partial class NetworkDnsCli
{
    public static Command Build(Option<string> rootOption, Option<bool> debugOption)
    {
        var command = Program.Verb(NameResolver.Verb, "Serve a user network's container names on its gateway (internal)", rootOption, debugOption, cmd =>
        {
            var network = new Argument<string>("NETWORK-ID");
            var gateway = new Argument<string>("GATEWAY");
            var readyFd = new Option<int>("--ready-fd") { DefaultValueFactory = _ => -1 };
            var detach = new Option<bool>("--detach");
            var newSession = new Option<bool>("--new-session");
            var resolvConf = new Option<string>("--resolv-conf") { DefaultValueFactory = _ => "/etc/resolv.conf" };
            cmd.Arguments.Add(network);
            cmd.Arguments.Add(gateway);
            cmd.Options.Add(readyFd);
            cmd.Options.Add(detach);
            cmd.Options.Add(newSession);
            cmd.Options.Add(resolvConf);
            return p => Serve(p.GetValue(rootOption)!, p.GetValue(network)!, p.GetValue(gateway)!, p.GetValue(readyFd),
                p.GetValue(detach), p.GetValue(newSession), p.GetValue(resolvConf)!);
        });
        command.Hidden = true;
        return command;
    }

    private static int Serve(string root, string networkId, string gatewayText, int readyFd, bool detach, bool newSession, string resolvConf)
    {
        var report = new ReadyReport(readyFd);
        try
        {
            if (!IPAddress.TryParse(gatewayText, out var gateway) || gateway.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
                throw new CliError($"network-dns: gateway {GoQuote.Quote(gatewayText)} is not an IPv4 address");
            string dir = NameResolver.NetworkDirectory(root, networkId);
            if (detach)
            {
                if (readyFd < 0) throw new CliError("network-dns: --detach needs --ready-fd");
                int pid = NativeStage.Spawn(0, readyFd, [], (-1, -1, -1), "/proc/self/exe",
                    ["minirun", NameResolver.Verb, "--root", Path.GetFullPath(root), "--new-session", "--ready-fd", $"{readyFd}",
                     "--resolv-conf", resolvConf, networkId, gateway.ToString()], NameResolver.ResolverEnvironment());
                report.Line($"pid {pid}");
                return 0;   // the resolver, now an orphan, is adopted by init: whoever started us reaps only us
            }
            if (newSession)
            {
                if (setsid() < 0) throw new KernelException("setsid", Marshal.GetLastPInvokeError());
                Directory.SetCurrentDirectory("/");
            }
            if (!Directory.Exists(dir)) throw new RuntimeException($"name resolver: network directory {dir} does not exist");
            using var server = DnsServer.Bind(gateway, 53, new NetworkNamesSource(Path.Combine(dir, "endpoints")), new DnsForwarder(resolvConf, gateway));
            report.Line("ready");
            report.Close();
            using var stop = new CancellationTokenSource();
            // The network was removed (`network rm` deletes its directory): nothing left to serve.
            _ = Task.Run(async () =>
            {
                while (Directory.Exists(dir)) await Task.Delay(TimeSpan.FromSeconds(1));
                stop.Cancel();
            });
            server.RunAsync(stop.Token).GetAwaiter().GetResult();
            return 0;
        }
        catch (Exception e) when (report.IsOpen)
        {
            report.Line("error " + e.Message.ReplaceLineEndings(" "));
            return 1;
        }
        finally { report.Close(); }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setsid();

    /// <summary>The descriptor the starter reads: one line per report, closed once the resolver is ready.</summary>
    private sealed unsafe class ReadyReport(int fd)
    {
        private int _fd = fd;
        public bool IsOpen => _fd >= 0;

        public void Line(string text)
        {
            if (_fd < 0) return;
            var bytes = Encoding.UTF8.GetBytes(text + "\n");
            fixed (byte* b = bytes) Libc.write(_fd, b, (nuint)bytes.Length);   // one write of a short line: atomic on a pipe
        }

        public void Close()
        {
            if (_fd < 0) return;
            Libc.close(_fd);
            _fd = -1;
        }
    }
}
