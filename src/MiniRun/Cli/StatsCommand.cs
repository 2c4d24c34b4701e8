// StatsCommand: `minirun stats`: live CPU, memory, network, block I/O and pids figures of
// containers, from their cgroup v2 files, as docker stats shows them.
//
// Why: students watch a container's usage move against its limits (a memory hog climbing to
// memory.max, a busy loop held to --cpus). Each figure comes from one kernel counter
// (StatsFigures); CPU % needs two readings, so every table compares a reading with one taken a
// second earlier (also with --no-stream, which therefore takes about a second). Without a usable
// cgroup v2 there are no counters to read: stats says so and exits 1 rather than print zeros.
//
// Follows: docker-stats(1) (columns, --no-stream, --no-trunc, -a, the screen cleared before each
// refresh on a terminal; a container that is not running shows zeros); Docker CLI's formatting:
// "%.2f%%" for CPU % and MEM %, binary sizes with 4 significant digits for MEM USAGE / LIMIT
// (go-units BytesSize: "1.953MiB / 7.776GiB"), decimal sizes with 3 for NET I/O and BLOCK I/O
// (HumanSizeWithPrecision: "1.05kB / 0B"); --format with Docker's fields (ID, Name, CPUPerc,
// MemUsage, MemPerc, NetIO, BlockIO, PIDs, Container) through Templates/ListFormat.cs.
using System.Globalization;
using MiniRun.Cgroups;
using MiniRun.Containers;
using MiniRun.Runtime;

namespace MiniRun.Cli;

public static class StatsCommand
{
    public static readonly string[] Header = ["CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS"];
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    public static int Stats(string root, IReadOnlyList<string> names, bool all, bool noStream, bool noTrunc, string? format = null)
    {
        RunCommand.RequireRoot("stats");
        var host = CgroupV2Host.Detect();
        if (!host.Usable)
            throw new CliError("stats needs cgroup v2 (its figures are the container's cgroup files cpu.stat, memory.current, " +
                $"io.stat, pids.current); this host: {host.Description}", 1);
        var store = new ContainerStore(root);
        int online = ProcUsage.OnlineCpus(ProcUsage.TryRead("/sys/devices/system/cpu/online") ?? "");
        long memTotal = ProcUsage.MemTotalBytes(ProcUsage.TryRead("/proc/meminfo") ?? "") ?? 0;
        bool terminal = !Console.IsOutputRedirected;

        var chosen = new List<ContainerRecord>();
        int status = 0;
        foreach (var n in names)
        {
            try { chosen.Add(store.Find(n)); }
            catch (ContainerNotFoundException e)
            {
                ErrorReport.Write(Console.Error, "stats", e);
                status = 1;
            }
        }
        if (names.Count > 0 && chosen.Count == 0) return status;

        var previous = new Dictionary<string, StatsSample?>();
        List<ContainerRecord> Current() => names.Count > 0
            ? chosen.Select(c => Reload(store, c)).ToList()
            : store.List().Where(c => all || ContainerLiveness.HasLiveProcess(c)).ToList();

        foreach (var c in Current()) previous[c.Id] = Sample(host, c);
        while (true)
        {
            Thread.Sleep(Interval);
            var rows = new List<IReadOnlyList<string>>();
            var next = new Dictionary<string, StatsSample?>();
            foreach (var c in Current())
            {
                var sample = Sample(host, c);
                next[c.Id] = sample;
                var figures = sample is null ? StatsFigures.Zero
                    : StatsFigures.Compute(previous.GetValueOrDefault(c.Id), sample, online, memTotal);
                rows.Add(Row(c, figures, noTrunc));
            }
            previous = next;
            if (terminal && !noStream) Console.Write("\x1b[2J\x1b[H");
            Console.Write(string.IsNullOrEmpty(format) ? HumanFormat.Table(Header, rows) : Formatted(format, rows));
            Console.Out.Flush();
            if (noStream) return status;
        }
    }

    private static ContainerRecord Reload(ContainerStore store, ContainerRecord c)
    {
        try { return store.Load(c.Id); }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or InvalidDataException) { return c; }
    }

    // A reading of a live container with a cgroup; null (zeros) for one that is not running.
    private static StatsSample? Sample(CgroupV2Host host, ContainerRecord c)
    {
        if (!ContainerLiveness.HasLiveProcess(c) || c.State.CgroupPath is not { } rel) return null;
        return StatsSample.Read(Path.Combine(host.MountPoint!, rel), c.State.Pid);
    }

    public static IReadOnlyList<string> Row(ContainerRecord c, StatsFigures f, bool noTrunc) =>
    [
        noTrunc || c.Id.Length <= 12 ? c.Id : c.Id[..12],
        c.Name,
        Percent(f.CpuPercent),
        $"{BinarySize(f.MemUsage)} / {BinarySize(f.MemLimit)}",
        Percent(f.MemPercent),
        $"{HumanFormat.Size(f.NetRx)} / {HumanFormat.Size(f.NetTx)}",
        $"{HumanFormat.Size(f.BlockRead)} / {HumanFormat.Size(f.BlockWrite)}",
        f.Pids.ToString(CultureInfo.InvariantCulture),
    ];

    public const string DefaultTable = "table {{.ID}}\\t{{.Name}}\\t{{.CPUPerc}}\\t{{.MemUsage}}\\t{{.MemPerc}}\\t{{.NetIO}}\\t{{.BlockIO}}\\t{{.PIDs}}";
    private static readonly string[] Fields = ["ID", "Name", "CPUPerc", "MemUsage", "MemPerc", "NetIO", "BlockIO", "PIDs"];

    /// <summary>--format over the rows (Templates/ListFormat.cs); fields as docker stats names them, .Container is the ID.</summary>
    public static string Formatted(string format, IReadOnlyList<IReadOnlyList<string>> rows)
    {
        var header = Templates.ListFormat.Header("*formatter.statsContext", Fields.Zip(Header).Append(("Container", "CONTAINER")));
        var o = new StringWriter();
        Templates.ListFormat.Write(o, format, DefaultTable, header, rows.Select(r =>
        {
            var row = new Templates.TemplateStruct("*formatter.statsContext");
            for (int i = 0; i < Fields.Length; i++) { string v = r[i]; row.Field(Fields[i], () => v); }
            string id = r[0];
            return row.Field("Container", () => id);
        }));
        return o.ToString();
    }

    public static string Percent(double p) => p.ToString("F2", CultureInfo.InvariantCulture) + "%";

    private static readonly string[] BinaryUnits = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

    /// <summary>go-units BytesSize: powers of 1024, four significant digits ("1.953MiB", "7.776GiB", "0B").</summary>
    public static string BinarySize(long bytes)
    {
        double v = bytes;
        int unit = 0;
        while (v >= 1024 && unit < BinaryUnits.Length - 1) { v /= 1024; unit++; }
        return v.ToString("G4", CultureInfo.InvariantCulture) + BinaryUnits[unit];
    }
}
