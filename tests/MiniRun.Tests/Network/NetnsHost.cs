// NetnsHost: a MiniRun "machine" inside a network namespace the test creates, for the networking
// tests: every minirun runs under `nsenter --net=/run/netns/NAME`, so its bridge, veths, nftables
// table, published ports and name resolvers live in that namespace, which has only `lo` and no
// route out. No packet can leave the machine whatever a bug does, and nothing of the machine's own
// network is touched.
//
// Why nsenter and not `ip netns exec`: the latter also gives each command a private mount
// namespace, so the bind mount that holds a container's network namespace (ROOT/netns/ID) would
// vanish with the `run` that made it. nsenter --net changes only the network namespace.
//
// Dispose: `rm -f` of every container and `network prune`, then whatever is left is removed by
// force - mounts under the test root, processes still in the namespace (only ours can be there),
// the namespace itself - so a failing test leaves nothing behind.
//
// Follows: ip-netns(8), nsenter(1).
using System.Diagnostics;
using MiniRun.Tests.Integration;

namespace MiniRun.Tests.Network;

public sealed class NetnsHost : IDisposable
{
    public string Name { get; }
    public string NetnsPath => "/run/netns/" + Name;
    public MiniRunHost M { get; }
    public string DaemonConfig { get; }

    public NetnsHost(string daemonJson = "{}")
    {
        Name = "mrt-" + Guid.NewGuid().ToString("N")[..10];
        Sh($"ip netns add {Name} && ip -n {Name} link set lo up");
        try
        {
            DaemonConfig = Path.Combine(Path.GetTempPath(), Name + "-daemon.json");
            File.WriteAllText(DaemonConfig, daemonJson);
            M = new MiniRunHost(["nsenter", "--net=" + NetnsPath, "--"],
                new Dictionary<string, string> { [MiniRun.Security.DaemonConfig.PathVariable] = DaemonConfig });
        }
        catch
        {
            Sh($"ip netns del {Name}", check: false);
            throw;
        }
    }

    public RunResult Run(params string[] args) => M.Run(args);

    /// <summary>A shell command inside the test's namespace (nothing else).</summary>
    public RunResult In(string command) => Sh($"nsenter --net={NetnsPath} -- sh -c {Quote(command)}", check: false);

    public static RunResult Sh(string command, bool check = true)
    {
        var psi = new ProcessStartInfo("sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(command);
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(60))) { p.Kill(true); throw new TimeoutException(command); }
        p.WaitForExit();
        var r = new RunResult(p.ExitCode, o.Result, e.Result);
        if (check && r.ExitCode != 0) throw new InvalidOperationException($"{command}: {r.Stderr}");
        return r;
    }

    public static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";

    public void Dispose()
    {
        try
        {
            var ids = M.ContainerIds();
            if (ids.Count > 0) M.Run(["rm", "-f", .. ids]);
            M.Run("network", "prune", "-f");
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException) { }
        // Processes still in the namespace: ours (supervisors, containers, resolvers) - nothing else can be in it.
        foreach (var pid in Sh($"ip netns pids {Name}", check: false).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            Sh($"kill -9 {pid.Trim()}", check: false);
        // Mounts under the test root (a namespace file whose container never got removed).
        foreach (var mount in MiniRunHost.HostMountsWithNamespaces().Where(m => m.StartsWith(M.Root + "/", StringComparison.Ordinal)).Reverse())
            Sh($"umount -l {Quote(mount)}", check: false);
        M.Dispose();
        Sh($"ip netns del {Name}", check: false);
        try { File.Delete(DaemonConfig); } catch (IOException) { }
    }
}
