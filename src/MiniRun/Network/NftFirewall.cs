// NftFirewall: IFirewall on MiniRun's own nftables table (`ip minirun`), written with the nft(8)
// binary: each change is one `nft -f -` script, applied atomically by the kernel.
//
// Why the binary and not nftables over netlink: see docs/dependencies.md ("packet filter"). In
// short, nft's text is the teaching material (`--trace` shows the rules, `nft list table ip
// minirun` shows the same), one script is one netlink batch (atomic) that nft builds and checks,
// and writing the nf_tables netlink expressions by hand would be a second compiler to maintain.
//
// Also here, because the rules need them (as Docker does):
//   - IPv4 forwarding on: /proc/sys/net/ipv4/ip_forward = 1 for the whole network namespace (the
//     host's). Docker does the same and says so in its docs; MiniRun never turns it back off,
//     since something else may rely on it by then.
//   - route_localnet = 1 on the bridge: the host's own connections to a published port on
//     127.0.0.1 are DNATed to the container and leave by the bridge with source 127.0.0.1, which
//     the kernel otherwise refuses to route off the loopback; postrouting then masquerades them.
//     MiniRun chooses this over a user-space proxy (docker-proxy) because it costs no process per
//     port and keeps the client's packets on one path (netavark makes the same choice); the guard
//     chain (NftRules) keeps containers from using route_localnet to reach the host's loopback.
//
// Cost: each nft run is a process start plus nft's parse and its netlink transaction (~2.5 ms at
// best here; the skeleton adds ~5 ms, a listing ~2.5 ms more, and a loaded machine multiplies it
// all). So a container's start publishes its ports with one run of a skeleton-less script when its
// record says it has none yet, and its end lists its jumps (to delete them by handle) and removes
// them in a second run, without the skeleton since the listing just showed the table exists.
//
// Processes in different MiniRun commands change the table concurrently: every method holds an
// flock (FileLock) on lockPath, so "list, then change" (the handles of an owner's jump, "is any
// network left") cannot interleave. Only table `ip minirun` is ever listed, changed or deleted.
//
// Follows: nft(8) (-f, -j, -a, handles, comments), the kernel's ip-sysctl.rst (ip_forward,
// route_localnet), Docker's "Packet filtering and firewalls" (ip_forward), netavark's nftables
// driver (route_localnet for localhost port forwarding).
using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using MiniRun.Containers;
using MiniRun.Runtime;
using MiniRun.Trace;

namespace MiniRun.Network;

public sealed class NftFirewall : IFirewall
{
    private readonly ITrace _trace;
    private readonly string _lockPath;
    private readonly string _nft;
    private readonly string _procSys;

    /// <param name="trace">Each nft invocation and sysctl write is narrated here.</param>
    /// <param name="lockPath">The lock file serializing MiniRun's changes to the table (e.g. ROOT/network/firewall.lock).</param>
    /// <param name="nft">The nft binary (found on PATH by default).</param>
    /// <param name="procSys">Where /proc/sys is (for tests; the files are per network namespace).</param>
    public NftFirewall(ITrace trace, string lockPath, string nft = "nft", string procSys = "/proc/sys")
    {
        _trace = trace;
        _lockPath = lockPath;
        _nft = nft;
        _procSys = procSys;
    }

    public void AddNetwork(string bridge, IPNetwork subnet, bool isInternal)
    {
        string script = NftRules.AddNetwork(bridge, subnet, isInternal);
        using var _ = Lock();
        EnableForwarding();
        WriteSysctl($"net/ipv4/conf/{bridge}/route_localnet", "1", $"add network \"{bridge}\"");
        Apply($"add network \"{bridge}\" {subnet}" + (isInternal ? " internal" : ""), script);
    }

    public void RemoveNetwork(string bridge)
    {
        string script = NftRules.RemoveNetwork(bridge);
        using var _ = Lock();
        Apply($"remove network \"{bridge}\"", script);
        var left = Bridges();
        if (left is { Count: 0 }) Apply("delete table (no network left)", NftRules.DeleteTable());
        else if (left is not null) _trace.Note(Messages.NftTableKept.With(NftRules.Table, string.Join(", ", left)));
    }

    public void AddPorts(string owner, string bridge, IPAddress containerAddress, IReadOnlyList<PortBinding> ports, bool ownerHasNone = false)
    {
        NftRules.CheckBridge(bridge);
        NftRules.CheckOwner(owner);
        string what = $"add ports of {Short(owner)} -> {containerAddress} on \"{bridge}\"";
        using var _ = Lock();
        // A container's start: one nft run, without the skeleton (the bridge's rules made the table);
        // only if the table is gone does the full script follow.
        if (ownerHasNone && TryApply(what, NftRules.AddPorts(owner, containerAddress, ports, [], withSkeleton: false))) return;
        var handles = OwnerJumps(owner);
        Apply(what, NftRules.AddPorts(owner, containerAddress, ports, handles ?? []));
    }

    public void RemovePorts(string owner)
    {
        NftRules.CheckOwner(owner);
        using var _ = Lock();
        var handles = OwnerJumps(owner);
        if (handles is null) return;   // no table: nothing of anyone's is left
        // The table exists (just listed, and only a holder of this lock deletes it): no skeleton needed.
        Apply($"remove ports of {Short(owner)}", NftRules.RemovePorts(owner, handles, withSkeleton: false));
    }

    /// <summary>The names in the `bridges` set, or null when MiniRun's table does not exist.</summary>
    public IReadOnlyList<string>? Bridges()
    {
        var json = List("set", "bridges");
        if (json is null) return null;
        using var doc = JsonDocument.Parse(json);
        var names = new List<string>();
        foreach (var item in doc.RootElement.GetProperty("nftables").EnumerateArray())
            if (item.TryGetProperty("set", out var set) && set.TryGetProperty("elem", out var elem))
                foreach (var e in elem.EnumerateArray())
                    if (e.ValueKind == JsonValueKind.String) names.Add(e.GetString()!);
        return names;
    }

    // The handles of the `ports` rules whose comment is the owner; null when the table is absent.
    private List<long>? OwnerJumps(string owner)
    {
        var json = List("chain", "ports");
        if (json is null) return null;
        using var doc = JsonDocument.Parse(json);
        var handles = new List<long>();
        foreach (var item in doc.RootElement.GetProperty("nftables").EnumerateArray())
            if (item.TryGetProperty("rule", out var rule)
                && rule.TryGetProperty("comment", out var c) && c.GetString() == owner
                && rule.TryGetProperty("handle", out var h))
                handles.Add(h.GetInt64());
        return handles;
    }

    // `nft -j -a list KIND ip minirun NAME`; null when the table (or that object) does not exist.
    private string? List(string kind, string name)
    {
        string[] args = ["-j", "-a", "list", kind, "ip", "minirun", name];
        var (code, stdout, stderr) = Run(args, null);
        string call = $"nft {string.Join(' ', args)}";
        if (code != 0)
        {
            if (stderr.Contains("No such file or directory", StringComparison.Ordinal))
            {
                _trace.Call(call, "absent");
                return null;
            }
            throw new RuntimeException($"{call}: {NftMessage(stderr)}");
        }
        _trace.Call(call, "0");
        return stdout;
    }

    private void Apply(string what, string script)
    {
        var (code, _, stderr) = Run(["-f", "-"], script);
        if (code != 0)
            throw new RuntimeException($"nft -f - ({what}): {NftMessage(stderr)}; rule set: {string.Join("; ", script.TrimEnd('\n').Split('\n'))}");
        Narrate(what, script);
    }

    // A script without the skeleton: false (nothing changed: one transaction) when MiniRun's table is absent.
    private bool TryApply(string what, string script)
    {
        var (code, _, stderr) = Run(["-f", "-"], script);
        if (code == 0)
        {
            Narrate(what, script);
            return true;
        }
        if (stderr.Contains("No such file or directory", StringComparison.Ordinal))
        {
            _trace.Call($"nft -f - ({what}, table assumed)", Messages.ResultNftAbsent.With(NftMessage(stderr)).Text);
            return false;
        }
        throw new RuntimeException($"nft -f - ({what}): {NftMessage(stderr)}; rule set: {string.Join("; ", script.TrimEnd('\n').Split('\n'))}");
    }

    private void Narrate(string what, string script)
    {
        int commands = script.Count(c => c == '\n');
        _trace.Call($"nft -f - ({what}: {commands} commands, one transaction)", "0");
        if (!_trace.Enabled) return;
        var skeleton = NftRules.Skeleton();
        int skip = script.StartsWith(skeleton[0] + "\n", StringComparison.Ordinal) ? skeleton.Count : 0;
        foreach (var line in script.TrimEnd('\n').Split('\n').Skip(skip))
            _trace.Listing(line.Replace($" {NftRules.Table} ", " ", StringComparison.Ordinal));
    }

    private (int Code, string Stdout, string Stderr) Run(IReadOnlyList<string> args, string? stdin)
    {
        var psi = new ProcessStartInfo(_nft)
        {
            RedirectStandardInput = stdin is not null, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        Process p;
        try
        {
            p = Process.Start(psi)!;
        }
        catch (Win32Exception e)
        {
            throw new RuntimeException($"run {_nft}: {e.Message} (nft is in the Debian/Ubuntu package nftables)");
        }
        using (p)
        {
            var err = p.StandardError.ReadToEndAsync();
            var output = p.StandardOutput.ReadToEndAsync();
            if (stdin is not null)
            {
                p.StandardInput.Write(stdin);
                p.StandardInput.Close();
            }
            p.WaitForExit();
            return (p.ExitCode, output.Result, err.Result);
        }
    }

    /// <summary>
    /// nft's error on one line: "/dev/stdin:5:1-20: Error: Could not process rule: No such file or
    /// directory" followed by the offending line and a caret line becomes
    /// "line 5: Could not process rule: No such file or directory (add element ...)".
    /// </summary>
    public static string NftMessage(string stderr)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        int i = Array.FindIndex(lines, l => l.Contains("Error:", StringComparison.Ordinal));
        if (i < 0) return lines.Length == 0 ? "failed without a message" : string.Join(" ", lines);
        string line = lines[i], where = "";
        int at = line.IndexOf("Error:", StringComparison.Ordinal);
        var loc = line[..at].Split(':');   // "/dev/stdin", "5", "1-20", ""
        if (loc.Length >= 2 && int.TryParse(loc[1], out int n)) where = $"line {n}: ";
        string text = where + line[(at + "Error:".Length)..].Trim();
        if (i + 1 < lines.Length && !lines[i + 1].All(c => c is '^' or '~' or ' ')) text += $" ({lines[i + 1]})";
        return text;
    }

    private void EnableForwarding()
    {
        string path = Path.Combine(_procSys, "net/ipv4/ip_forward");
        string now = ReadSysctl(path);
        if (now == "1")
        {
            _trace.Note(Messages.ForwardingOn);
            return;
        }
        WriteSysctl("net/ipv4/ip_forward", "1", "turn IPv4 forwarding on");
        _trace.Note(Messages.ForwardingTurnedOn);
    }

    private static string ReadSysctl(string path)
    {
        try { return File.ReadAllText(path).Trim(); }
        catch (IOException) { return ""; }
        catch (UnauthorizedAccessException) { return ""; }
    }

    private void WriteSysctl(string relative, string value, string why)
    {
        string path = Path.Combine(_procSys, relative);
        try
        {
            File.WriteAllText(path, value);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RuntimeException($"{why}: write {GoQuote.Quote(value)} to {path}: {e.Message}");
        }
        _trace.Call($"write {path} \"{value}\"", "0");
    }

    private FileLock Lock()
    {
        string? dir = Path.GetDirectoryName(_lockPath);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        return FileLock.Exclusive(_lockPath);
    }

    private static string Short(string owner) => owner.Length > 12 ? owner[..12] : owner;
}
