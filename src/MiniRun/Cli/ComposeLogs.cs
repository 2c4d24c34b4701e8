// ComposeLogs: what `compose logs`, `compose ps`, `compose images` and the foreground `compose up`
// print - every container's json-file log with a `web-1  | ` prefix (coloured per container on a
// terminal), followed while the containers run; the project's containers as docker compose ps
// lists them; and `up` in the foreground: the logs attached, "web-1 exited with code 0" as each
// ends, Ctrl-C stopping the project ("Gracefully stopping... (press Ctrl+C again to force)").
//
// Why: the logs come from the files the supervisors write (LifecycleLogs.ReadFrom), so no process
// stays attached to a container and `logs` works on stopped ones too.
//
// Follows: docker compose logs/ps/images/up reference; docker compose's log prefix ("%-Ns |").
using System.Text;
using MiniImage.Store;
using MiniRun.Compose;
using MiniRun.Containers;

namespace MiniRun.Cli;

public sealed class ComposeLogs(ComposeContext context, TextWriter output, bool noColor, bool noPrefix, bool timestamps)
{
    private static readonly string[] Colors = ["36", "33", "32", "35", "34", "36;1", "33;1", "32;1", "35;1", "34;1"];
    private readonly bool _color = !noColor && !Console.IsOutputRedirected;

    /// <summary>How a container is named in the prefix: "web-1" for `<project>-web-1`, else its name.</summary>
    public static string ShortName(ComposeProject p, ContainerRecord c) =>
        c.Name.StartsWith(p.Name + "-", StringComparison.Ordinal) ? c.Name[(p.Name.Length + 1)..] : c.Name;

    private sealed class Source(ContainerRecord c, string prefix)
    {
        public ContainerRecord Container { get; } = c;
        public string Prefix { get; } = prefix;
        public long Offset;
        public bool Ended;
        public StringBuilder Partial { get; } = new();
    }

    private List<Source> Sources(IReadOnlyList<ContainerRecord> containers)
    {
        int width = containers.Count == 0 ? 0 : containers.Max(c => ShortName(context.Project, c).Length) + 1;
        return containers.Select((c, i) =>
        {
            string name = ShortName(context.Project, c).PadRight(width) + " | ";
            return new Source(c, noPrefix ? "" : _color ? $"\u001b[{Colors[i % Colors.Length]}m{name}\u001b[0m" : name);
        }).ToList();
    }

    private static string LogPath(ContainerStore store, ContainerRecord c) =>
        string.IsNullOrEmpty(c.LogPath) ? Path.Combine(store.DirOf(c.Id), "container.log") : c.LogPath;

    private void Print(Source s, List<LifecycleLogs.Entry> entries)
    {
        foreach (var e in entries)
        {
            string text = Encoding.UTF8.GetString(e.Log);
            foreach (var line in text.Split('\n'))
            {
                if (line.Length == 0) continue;
                output.Write(s.Prefix);
                if (timestamps) output.Write(e.TimeText + " ");
                output.WriteLine(line.TrimEnd('\r'));
            }
        }
        output.Flush();
    }

    /// <summary>`logs`: each container's log (the last <paramref name="tail"/> lines), then, with follow, new lines until all ended.</summary>
    public int Show(IReadOnlyList<ContainerRecord> containers, int? tail, bool follow)
    {
        var store = new ContainerStore(context.Root);
        var sources = Sources(containers);
        foreach (var s in sources)
        {
            var entries = LifecycleLogs.ReadFrom(LogPath(store, s.Container), ref s.Offset);
            if (tail is int n) entries = entries.Skip(Math.Max(0, entries.Count - n)).ToList();
            Print(s, entries);
        }
        if (follow) Follow(store, sources, reportExit: false, stop: () => false);
        return 0;
    }

    /// <summary>Prints new lines of every source until each container ended (or <paramref name="stop"/> says so).</summary>
    private void Follow(ContainerStore store, List<Source> sources, bool reportExit, Func<bool> stop)
    {
        while (sources.Any(s => !s.Ended) && !stop())
        {
            foreach (var s in sources.Where(s => !s.Ended))
            {
                ContainerRecord latest;
                try { latest = store.Load(s.Container.Id); }
                catch (Exception e) when (e is IOException or System.Text.Json.JsonException) { s.Ended = true; continue; }
                bool alive = ContainerLiveness.IsRunning(latest) || ContainerLiveness.HasSupervisor(latest);
                Print(s, LifecycleLogs.ReadFrom(LogPath(store, latest), ref s.Offset));
                if (!alive)
                {
                    Print(s, LifecycleLogs.ReadFrom(LogPath(store, latest), ref s.Offset));
                    s.Ended = true;
                    if (reportExit) output.WriteLine($"{ShortName(context.Project, latest)} exited with code {latest.State.ExitCode}");
                }
            }
            output.Flush();
            Thread.Sleep(100);
        }
    }

    /// <summary>`up` in the foreground: attached to every container's output until all ended; Ctrl-C stops them (twice: kills).</summary>
    public static int Attach(ComposeContext c, IReadOnlyList<ContainerRecord> containers, int? timeout)
    {
        var view = new ComposeLogs(c, Console.Out, noColor: false, noPrefix: false, timestamps: false);
        var store = new ContainerStore(c.Root);
        var sources = view.Sources(containers);
        int interrupts = 0;
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            if (Interlocked.Increment(ref interrupts) == 2)
            {
                Console.Error.WriteLine("Killing...");
                try { c.Engine.Kill([], 9); } catch (ComposeException) { }
            }
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            Console.Out.WriteLine("Attaching to " + string.Join(", ", sources.Select(s => ShortName(c.Project, s.Container))));
            view.Follow(store, sources, reportExit: true, stop: () => Volatile.Read(ref interrupts) > 0);
            if (Volatile.Read(ref interrupts) == 0) return 0;
            Console.Error.WriteLine("Gracefully stopping... (press Ctrl+C again to force)");
            c.Engine.Stop(containers.Select(ComposeEngine.ServiceOf).Distinct().ToList(), timeout);
            return 130;
        }
        finally { Console.CancelKeyPress -= onCancel; }
    }

    /// <summary>`compose ps`: NAME IMAGE COMMAND SERVICE CREATED STATUS PORTS (running containers; all with -a).</summary>
    public static int Ps(ComposeContext c, IReadOnlyList<string> services, bool all, bool quiet, bool listServices, TextWriter stdout)
    {
        var store = new ContainerStore(c.Root);
        var now = DateTimeOffset.UtcNow;
        var rows = c.Engine.ContainersOf(services)
            .Select(x => (Record: x, Effective: ContainerLiveness.Effective(x)))
            .Where(x => all || PsState.IsUp(x.Effective)).ToList();
        if (listServices)
        {
            foreach (var s in rows.Select(r => ComposeEngine.ServiceOf(r.Record)).Distinct()) stdout.WriteLine(s);
            return 0;
        }
        if (quiet)
        {
            foreach (var r in rows) stdout.WriteLine(r.Record.Id);
            return 0;
        }
        stdout.Write(HumanFormat.Table(["NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS"], rows.Select(r => (IReadOnlyList<string>)
        [
            r.Record.Name, r.Record.Image, HumanFormat.Command(r.Record.Command), ComposeEngine.ServiceOf(r.Record),
            HumanFormat.Ago(r.Record.Created, now), PsState.StatusText(r.Record, r.Effective, now), PsCommand.PortsColumn(store, r.Record, r.Effective),
        ])));
        return 0;
    }

    /// <summary>`compose images`: CONTAINER REPOSITORY TAG IMAGE ID SIZE.</summary>
    public static int Images(ComposeContext c, IReadOnlyList<string> services, bool quiet, TextWriter stdout)
    {
        var images = new ImageStore(c.Root);
        var rows = new List<IReadOnlyList<string>>();
        foreach (var x in c.Engine.ContainersOf(services))
        {
            string id = x.ImageId.StartsWith("sha256:", StringComparison.Ordinal) ? x.ImageId[7..] : x.ImageId;
            if (quiet) { stdout.WriteLine(id); continue; }
            int colon = x.Image.LastIndexOf(':');
            bool hasTag = colon > x.Image.LastIndexOf('/');
            var summary = images.Resolve(x.ImageId);
            rows.Add([x.Name, hasTag ? x.Image[..colon] : x.Image, hasTag ? x.Image[(colon + 1)..] : "latest", id[..Math.Min(12, id.Length)],
                summary is null ? "" : HumanFormat.Size(summary.Size)]);
        }
        if (!quiet) stdout.Write(HumanFormat.Table(["CONTAINER", "REPOSITORY", "TAG", "IMAGE ID", "SIZE"], rows));
        return 0;
    }
}
