// NameResolver: starts and stops the name resolver of a user network - one `minirun network-dns`
// process per network, listening on the network's gateway, port 53 (Network/Dns/DnsServer.cs).
//
// Why a process of its own, detached: the resolver must outlive every container, including the
// one whose start launched it, and must not be killed with any of them. So it is started in a
// new session (setsid: no controlling terminal, no process group of a container's command line),
// its stdio on /dev/null, its working directory "/", and it is not the caller's child:
//   caller --spawn--> `minirun network-dns --detach` --spawn--> `minirun network-dns --new-session`
// The middle process exits at once (the caller reaps it), so the resolver is an orphan adopted by
// init (or the nearest child subreaper): a caller that lives on never holds a zombie of it. Both
// spawns are exec's of MiniRun's own binary through the native stage (no managed code runs between
// clone and execve; platform-facts.md). It inherits the caller's cgroup: EnsureRunning is called
// by the engine (the CLI), which is in no container's cgroup.
//
// Liveness: ROOT/networks/NID/dns.pid holds "PID STARTTIME" (ProcessIdentity: a pid is trusted
// only with its start time), written and read under the flock ROOT/networks/NID/dns.lock, so two
// containers started at once on a new network start one resolver. The caller returns once the
// resolver reported that both sockets are bound (a line on a pipe: "pid N" from the middle
// process, then "ready" or "error MESSAGE" from the resolver), or throws that error.
// The resolver ends by itself when ROOT/networks/NID disappears (the network was removed);
// Stop ends it at once (`network rm`).
//
// Follows: setsid(2), credentials(7) (sessions), proc(5) (/proc/PID/stat field 22, cmdline),
// flock(2), prctl(2) PR_SET_CHILD_SUBREAPER (who adopts an orphan), daemon(7) (the double fork).
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using MiniRun.Containers;
using MiniRun.Kernel;
using MiniRun.Runtime;
using MiniRun.Trace;

namespace MiniRun.Network;

public static class NameResolver
{
    /// <summary>The verb of the resolver process (Cli/NetworkDnsCli.cs).</summary>
    public const string Verb = "network-dns";
    private static readonly TimeSpan ReadyLimit = TimeSpan.FromSeconds(15);

    /// <summary>This build has the resolver.</summary>
    public static bool Available => true;

    /// <summary>
    /// Starts the resolver of network <paramref name="networkId"/> on <paramref name="gateway"/>:53 unless
    /// it is already running; returns once it is bound. Throws RuntimeException naming the address and
    /// errno when it could not bind (or start).
    /// </summary>
    public static void EnsureRunning(string root, string networkId, IPAddress gateway, ITrace trace) =>
        EnsureRunning(root, networkId, gateway, trace, "/proc/self/exe");

    /// <summary>As above with the binary to run (tests run the built NativeAOT binary from a JIT test host) and extra arguments.</summary>
    internal static void EnsureRunning(string root, string networkId, IPAddress gateway, ITrace trace, string exe, IReadOnlyList<string>? extraArgs = null)
    {
        string dir = NetworkDirectory(root, networkId);
        if (!Directory.Exists(dir))
            throw new RuntimeException($"start the name resolver of network {networkId}: {dir} does not exist");
        using var held = FileLock.Exclusive(Path.Combine(dir, "dns.lock"));
        if (Running(dir, networkId) is { } running)
        {
            trace.Note(Messages.ResolverRunning.With(running.Pid, gateway));
            return;
        }
        trace.Step(Messages.ResolverTitle.With(gateway), Messages.ResolverWhy);
        var argv = new List<string> { "minirun", Verb, "--root", Path.GetFullPath(root), "--detach" };
        if (extraArgs is not null) argv.AddRange(extraArgs);
        var (readEnd, writeEnd) = Libc.Pipe();
        int devNull = Libc.open("/dev/null", Libc.O_RDWR | Libc.O_CLOEXEC, 0);
        int middle = -1, resolver = -1;
        try
        {
            // The write end is the spawn's "sync" descriptor: the native stage keeps it open across execve.
            argv.AddRange(["--ready-fd", $"{writeEnd}", networkId, gateway.ToString()]);
            middle = NativeStage.Spawn(0, writeEnd, [], (devNull, devNull, devNull), exe, argv, ResolverEnvironment());
            Libc.close(writeEnd);
            writeEnd = -1;
            while (Libc.waitpid(middle, out _, 0) < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR) { }
            // Two reports arrive in either order: "pid N" from the middle process once it spawned the
            // resolver, and "ready" or "error MESSAGE" (from whichever of them failed).
            var reader = new LineReader(readEnd, DateTime.UtcNow + ReadyLimit);
            string? status = null;
            while ((resolver < 0 || status is null) && reader.Next() is { } line)
            {
                if (line.StartsWith("pid ") && int.TryParse(line.AsSpan(4), out int pid)) resolver = pid;
                else status ??= line;
            }
            if (status != "ready" || resolver <= 0)
            {
                string reason = status is null ? "it exited before it was ready"
                    : status.StartsWith("error ") ? status[6..]
                    : NativeFailure(status, exe) ?? $"unexpected report \"{status}\"";
                if (status is null && reader.TimedOut) reason = $"not ready after {ReadyLimit.TotalSeconds:0} s";
                if (resolver > 0) EndFailed(resolver, networkId);   // a retry must not find it still holding a socket
                throw new RuntimeException($"start the name resolver for {gateway}:53: {reason}");
            }
            ulong start = ProcessIdentity.StartTime(resolver)
                ?? throw new RuntimeException($"start the name resolver for {gateway}:53: it (pid {resolver}) ended right after it was ready");
            WritePidFile(dir, resolver, start);
            trace.Call($"spawn minirun {Verb} {networkId[..Math.Min(12, networkId.Length)]} {gateway} (setsid, via a middle process)",
                Messages.ResultResolverBound.With(resolver, gateway).Text);
        }
        finally
        {
            if (writeEnd >= 0) Libc.close(writeEnd);
            Libc.close(readEnd);
            Libc.close(devNull);
        }
    }

    /// <summary>Ends the network's resolver (checked by start time and command line); nothing happens when none runs.</summary>
    public static void Stop(string root, string networkId)
    {
        string dir = NetworkDirectory(root, networkId);
        if (!File.Exists(Path.Combine(dir, "dns.pid"))) return;
        FileLock? held = null;
        try { held = FileLock.Exclusive(Path.Combine(dir, "dns.lock")); }
        catch (KernelException) { }   // the directory is being removed: the resolver then ends by itself too
        try
        {
            if (Running(dir, networkId) is { } running)
            {
                Libc.kill(running.Pid, 15);
                if (!ProcessIdentity.WaitGone(running.Pid, running.StartTime, TimeSpan.FromSeconds(3)))
                {
                    Libc.kill(running.Pid, 9);
                    ProcessIdentity.WaitGone(running.Pid, running.StartTime, TimeSpan.FromSeconds(3));
                }
            }
            try { File.Delete(Path.Combine(dir, "dns.pid")); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        finally { held?.Dispose(); }
    }

    /// <summary>The running resolver of this network: dns.pid names a live process with that start time whose
    /// command line is `minirun network-dns ... NID ...`; null otherwise.</summary>
    internal static (int Pid, ulong StartTime)? Running(string networkDir, string networkId)
    {
        string text;
        try { text = File.ReadAllText(Path.Combine(networkDir, "dns.pid")); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        var fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (fields.Length < 2 || !int.TryParse(fields[0], out int pid) || pid <= 0 || !ulong.TryParse(fields[1], out ulong start)) return null;
        if (!ProcessIdentity.IsAlive(pid, start)) return null;
        string[] cmdline;
        try { cmdline = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0'); }
        catch (IOException) { return null; }
        return cmdline.Contains(Verb) && cmdline.Contains(networkId) ? (pid, start) : null;
    }

    /// <summary>A resolver that failed to start is gone when EnsureRunning throws: it is waited for, and killed
    /// (if it is still that resolver: its command line names the network) when it does not end by itself.</summary>
    private static void EndFailed(int pid, string networkId)
    {
        if (ProcessIdentity.StartTime(pid) is not { } start) return;
        if (ProcessIdentity.WaitGone(pid, start, TimeSpan.FromSeconds(5))) return;
        try
        {
            var argv = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
            if (!argv.Contains(Verb) || !argv.Contains(networkId) || !ProcessIdentity.IsAlive(pid, start)) return;
        }
        catch (IOException) { return; }
        Libc.kill(pid, 9);
        ProcessIdentity.WaitGone(pid, start, TimeSpan.FromSeconds(5));
    }

    /// <summary>The native stage's "C ERRNO STEP" (a spawn that failed before or at execve) as an error text.</summary>
    private static string? NativeFailure(string report, string exe)
    {
        var parts = report.Split(' ', 3);
        return parts.Length == 3 && parts[0] == "C" && int.TryParse(parts[1], out int errno)
            ? $"{parts[2]} {exe}: {Errno.Describe(errno)}" : null;
    }

    internal static string NetworkDirectory(string root, string networkId)
    {
        if (networkId.Length == 0 || networkId.Contains('/') || networkId is "." or "..")
            throw new RuntimeException($"network id {GoQuote.Quote(networkId)} is not a valid directory name");
        return Path.Combine(Path.GetFullPath(root), "networks", networkId);
    }

    private static void WritePidFile(string dir, int pid, ulong start)
    {
        string path = Path.Combine(dir, "dns.pid");
        File.WriteAllText(path + ".tmp", $"{pid} {start}\n");
        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <summary>PATH only, and a small gen0 budget so the resolver's resident memory stays a few MB (as the supervisor's).</summary>
    internal static List<string> ResolverEnvironment() =>
        ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "DOTNET_GCgen0size=0x100000"];

    /// <summary>Lines from a pipe, each read waiting at most until the deadline (poll(2)).</summary>
    private sealed unsafe class LineReader(int fd, DateTime deadline)
    {
        private readonly List<byte> _pending = [];
        private readonly byte[] _buffer = new byte[512];
        private bool _eof;
        public bool TimedOut { get; private set; }

        public string? Next()
        {
            while (true)
            {
                int newline = _pending.IndexOf((byte)'\n');
                if (newline >= 0)
                {
                    string line = Encoding.UTF8.GetString(_pending.GetRange(0, newline).ToArray());
                    _pending.RemoveRange(0, newline + 1);
                    return line;
                }
                if (_eof)
                {
                    if (_pending.Count == 0) return null;
                    string rest = Encoding.UTF8.GetString(_pending.ToArray());   // a native stage's "C errno step" has no newline
                    _pending.Clear();
                    return rest;
                }
                int wait = (int)Math.Max(0, (deadline - DateTime.UtcNow).TotalMilliseconds);
                var p = new Libc.pollfd { fd = fd, events = Libc.POLLIN };
                int ready = Libc.poll(&p, 1, wait);
                if (ready < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR) continue;
                if (ready <= 0) { TimedOut = ready == 0; _eof = true; continue; }
                nint n;
                fixed (byte* buffer = _buffer) n = Libc.read(fd, buffer, (nuint)_buffer.Length);
                if (n < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR) continue;
                if (n <= 0) { _eof = true; continue; }
                for (int i = 0; i < n; i++) _pending.Add(_buffer[i]);
            }
        }
    }
}
