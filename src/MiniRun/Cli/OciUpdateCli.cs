// OciUpdateCli: `minirun-oci update [--resources FILE | flags] ID`, runc's update: new limits for
// a running (or created, or paused) container's cgroup.
//
// Why: engines change a container's limits while it runs (`docker update`, `podman update`,
// Kubernetes resizing a pod through containerd's shim) by handing the runtime a linux.resources
// object (--resources FILE, or - for stdin); people use the flags. Either way the result is one
// SpecResources whose set fields replace the current ones (OciRuntime.Update merges and writes).
// Flags runc has for cgroup v1 or Intel RDT are refused by name, never ignored; --resources
// with flags is refused (runc would silently drop the flags).
//
// Follows: runc-update(8) (flags, units: memory sizes with k/m/g suffixes, -1 for unlimited);
// runtime-spec config-linux.md "Control groups" for the --resources object.
using System.CommandLine;
using System.Globalization;
using MiniRun.Cgroups;
using MiniRun.Runtime;
using MiniRun.Spec;
using MiniRun.Trace;
using MiniJson;

namespace MiniRun.Cli;

internal static class OciUpdateCli
{
    public static Func<ParseResult, OciRuntime, int> Configure(Command cmd, Func<ParseResult, ITrace?> trace)
    {
        var resources = new Option<string?>("--resources", "-r") { Description = "A linux.resources JSON object (- for stdin); replaces the flags" };
        var memory = new Option<string?>("--memory") { Description = "Memory limit (bytes, or with k/m/g; -1 unlimited)" };
        var reservation = new Option<string?>("--memory-reservation") { Description = "Memory soft limit (memory.low)" };
        var swap = new Option<string?>("--memory-swap") { Description = "Memory plus swap (-1 unlimited swap)" };
        var period = new Option<string?>("--cpu-period") { Description = "CPU CFS period in microseconds" };
        var quota = new Option<string?>("--cpu-quota") { Description = "CPU CFS quota in microseconds per period (-1 no limit)" };
        var burst = new Option<string?>("--cpu-burst") { Description = "CPU burst in microseconds (cpu.max.burst)" };
        var share = new Option<string?>("--cpu-share") { Description = "CPU shares (relative weight, 2..262144)" };
        var idle = new Option<string?>("--cpu-idle") { Description = "1: SCHED_IDLE weight for the container (cpu.idle)" };
        var cpus = new Option<string?>("--cpuset-cpus") { Description = "CPUs to run on (0-3, 0,1)" };
        var mems = new Option<string?>("--cpuset-mems") { Description = "Memory nodes to allocate on (0-3, 0,1)" };
        var pids = new Option<string?>("--pids-limit") { Description = "Maximum number of tasks (0 or -1 unlimited)" };
        var blkio = new Option<string?>("--blkio-weight") { Description = "Block IO weight (10..1000)" };
        var limitFlags = new[] { memory, reservation, swap, period, quota, burst, share, idle, cpus, mems, pids, blkio };
        var refused = new (string Name, string Why)[]
        {
            ("--cpu-rt-period", "cgroup v2 has no realtime CPU bandwidth"),
            ("--cpu-rt-runtime", "cgroup v2 has no realtime CPU bandwidth"),
            ("--kernel-memory", "cgroup v2 counts kernel memory in memory.max"),
            ("--kernel-memory-tcp", "cgroup v2 counts TCP buffers in memory.max"),
            ("--l3-cache-schema", "MiniRun does not implement Intel RDT (linux.intelRdt)"),
            ("--mem-bw-schema", "MiniRun does not implement Intel RDT (linux.intelRdt)"),
        };
        var refusedOptions = refused.Select(r => new Option<string?>(r.Name) { Description = "Not supported: " + r.Why }).ToArray();
        foreach (var o in limitFlags.Concat(refusedOptions).Prepend(resources)) cmd.Options.Add(o);
        var id = new Argument<string>("CONTAINER_ID");
        cmd.Arguments.Add(id);
        return (p, rt) =>
        {
            for (int i = 0; i < refused.Length; i++)
                if (p.GetResult(refusedOptions[i]) is not null)
                    throw new RuntimeException($"update {refused[i].Name} is not supported: {refused[i].Why}");
            SpecResources update;
            if (p.GetValue(resources) is string file)
            {
                if (limitFlags.FirstOrDefault(f => p.GetResult(f) is not null) is { } both)
                    throw new RuntimeException($"update: --resources and {both.Name} together: give the limits in one of them");
                update = Load(file);
            }
            else
            {
                string? Get(Option<string?> o) => p.GetValue(o);
                update = new SpecResources();
                if (Get(memory) is not null || Get(reservation) is not null || Get(swap) is not null)
                    update.Memory = new SpecMemory
                    {
                        Limit = Bytes("--memory", Get(memory)),
                        Reservation = Bytes("--memory-reservation", Get(reservation)),
                        Swap = Bytes("--memory-swap", Get(swap)),
                    };
                if (new[] { period, quota, burst, share, idle, cpus, mems }.Any(o => Get(o) is not null))
                    update.Cpu = new SpecCpu
                    {
                        Period = (ulong?)Integer("--cpu-period", Get(period), 0),
                        Quota = Integer("--cpu-quota", Get(quota), -1),
                        Burst = (ulong?)Integer("--cpu-burst", Get(burst), 0),
                        Shares = (ulong?)Integer("--cpu-share", Get(share), 0),
                        Idle = Integer("--cpu-idle", Get(idle), 0),
                        Cpus = Get(cpus),
                        Mems = Get(mems),
                    };
                if (Get(pids) is not null) update.Pids = new SpecPids { Limit = Integer("--pids-limit", Get(pids), -1) };
                if (Get(blkio) is not null) update.BlockIO = new SpecBlockIO { Weight = (uint?)Integer("--blkio-weight", Get(blkio), 0) };
            }
            rt.Update(p.GetValue(id)!, update, trace(p));
            return 0;
        };
    }

    /// <summary>A linux.resources object from a file or stdin; fields MiniRun does not implement are refused by name.</summary>
    private static SpecResources Load(string file)
    {
        byte[] json;
        try { json = file == "-" ? ReadStdin() : File.ReadAllBytes(file); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RuntimeException($"update --resources {file}: {e.Message}");
        }
        try
        {
            var res = RuntimeSpecReader.ParseResources(json, out var unread);
            if (unread?.FirstOrDefault(u => Array.IndexOf(SpecValidator.NotImplemented, u) >= 0) is { } path)
                throw new RuntimeException($"update --resources {file}: {path} is not supported by MiniRun");
            return res;
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            throw new RuntimeException($"update --resources {file}: not a linux.resources JSON object: {e.Message}");
        }
    }

    private static byte[] ReadStdin()
    {
        using var stdin = Console.OpenStandardInput();
        using var buffer = new MemoryStream();
        stdin.CopyTo(buffer);
        return buffer.ToArray();
    }

    private static long? Bytes(string flag, string? text)
    {
        if (text is null) return null;
        if (text.Trim() == "-1") return -1;
        if (text.TrimStart().StartsWith('-') || !ByteSize.TryParse(text, out long bytes))
            throw new RuntimeException($"update {flag}: invalid size {GoQuote.Quote(text)} (bytes, or a number with k, m or g; -1 for no limit)");
        return bytes;
    }

    private static long? Integer(string flag, string? text, long min)
    {
        if (text is null) return null;
        if (!long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n) || n < min)
            throw new RuntimeException($"update {flag}: invalid value {GoQuote.Quote(text)} (an integer, at least {min})");
        return n;
    }
}
