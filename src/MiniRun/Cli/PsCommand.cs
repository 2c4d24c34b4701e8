// PsCommand: `minirun ps`, Docker's flags and columns.
//
// Why: after `run` returns, the container still exists (without --rm); `ps` lists containers
// with Docker's columns (CONTAINER ID, IMAGE, COMMAND, CREATED, STATUS, PORTS, NAMES, and SIZE
// with -s; PORTS from the container's network.json) and tells the truth about each one's state (a recorded "running" whose process is
// gone shows as exited, see PsState). It reads only the container.json files; the image store
// is opened only for -s and for --filter ancestor=, so `ps` stays fast with many containers.
// Rules as Docker's: newest first; without -a only running (also paused, restarting)
// containers, unless a status or exited filter is given; -n N shows the N last created
// containers in any state (-l is -n 1); filters apply before -n counts. --format is PsFormat.
//
// Follows: docker-ps(1).
using MiniImage.Store;
using MiniRun.Containers;

namespace MiniRun.Cli;

public sealed record PsOptions
{
    public bool All { get; init; }
    public bool Quiet { get; init; }
    public bool NoTrunc { get; init; }
    public bool Size { get; init; }
    public bool Latest { get; init; }
    /// <summary>-n/--last: the N last created containers (any state); -1 when not given.</summary>
    public int Last { get; init; } = -1;
    public IReadOnlyList<string> Filters { get; init; } = [];
    /// <summary>--format: "table", "table TEMPLATE", "json" or a Go template (PsFormat); null for the default table.</summary>
    public string? Format { get; init; }
}

public static class PsCommand
{
    /// <summary>The ps of before the lifecycle work (kept for callers of this signature).</summary>
    public static int Ps(string root, bool all, bool quiet, bool noTrunc) =>
        Ps(root, new PsOptions { All = all, Quiet = quiet, NoTrunc = noTrunc }, Console.Out, DateTimeOffset.UtcNow);

    public static int Ps(string root, PsOptions o, TextWriter stdout, DateTimeOffset now, string procRoot = "/proc")
    {
        var filter = PsFilter.Parse(o.Filters);
        var store = new ContainerStore(root);
        var rows = Select(store, o, filter, procRoot);
        if (!string.IsNullOrEmpty(o.Format) && !(o.Quiet && o.Format.Trim() == "table"))
            return PsFormat.Write(store, rows, o, stdout, now, (c, e) => PortsColumn(store, c, e), ImageColumn);
        if (o.Quiet)
        {
            foreach (var (c, _) in rows) stdout.WriteLine(o.NoTrunc ? c.Id : Naming.ShortId(c.Id));
            return 0;
        }
        var images = o.Size ? new ImageStore(root) : null;
        var header = new List<string> { "CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES" };
        if (o.Size) header.Add("SIZE");
        stdout.Write(HumanFormat.Table(header, rows.Select(row =>
        {
            var (c, effective) = row;
            var cells = new List<string>
            {
                o.NoTrunc ? c.Id : Naming.ShortId(c.Id),
                ImageColumn(c, o.NoTrunc),
                HumanFormat.Command(c.Command, o.NoTrunc),
                HumanFormat.Ago(c.Created, now),
                PsState.StatusText(c, effective, now),
                PortsColumn(store, c, effective),
                c.Name,
            };
            if (o.Size) cells.Add(PsSize.Column(store, images, c));
            return (IReadOnlyList<string>)cells;
        })));
        return 0;
    }

    /// <summary>Docker's PORTS: published ports while it runs ("0.0.0.0:8080->80/tcp"), exposed ones alone ("80/tcp").</summary>
    internal static string PortsColumn(ContainerStore store, ContainerRecord c, string effective)
    {
        if (!PsState.IsUp(effective)) return "";
        try
        {
            var state = MiniRun.Network.ContainerNetworkFile.Read(store.DirOf(c.Id));
            return state is null ? "" : MiniRun.Network.PortSpec.PortsColumn(state.Ports, state.Request.Exposed);
        }
        catch (MiniRun.Network.NetworkException) { return ""; }
    }

    /// <summary>The containers to show, newest first, with their status now.</summary>
    public static List<(ContainerRecord Record, string Effective)> Select(ContainerStore store, PsOptions o, PsFilter filter, string procRoot = "/proc")
    {
        int last = o.Latest && o.Last == -1 ? 1 : o.Last;
        bool all = o.All || last != -1 || filter.Has("status") || filter.Has("exited");
        var ancestorIds = filter.Has("ancestor") ? AncestorIds(Path.GetDirectoryName(store.Root)!, filter.Values("ancestor")) : new HashSet<string>();
        var result = new List<(ContainerRecord, string)>();
        foreach (var c in store.List())
        {
            string effective = ContainerLiveness.Effective(c, procRoot);
            if (!all && !PsState.IsUp(effective)) continue;
            if (!filter.Matches(c, effective, ancestorIds, store.DirOf(c.Id))) continue;
            result.Add((c, effective));
            if (last > 0 && result.Count == last) break;
        }
        return result;
    }

    /// <summary>The image IDs the ancestor values name in the image store (unknown names add nothing, as Docker).</summary>
    private static HashSet<string> AncestorIds(string root, IReadOnlyList<string> values)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var images = new ImageStore(root);
        foreach (string v in values)
        {
            try { if (images.Resolve(v) is { } image) ids.Add(image.ImageId); }
            catch (MiniImage.MiniImageException) { }
        }
        return ids;
    }

    /// <summary>The image as typed; a "sha256:..." reference shortened to 12 hex digits unless --no-trunc.</summary>
    private static string ImageColumn(ContainerRecord c, bool noTrunc)
    {
        string image = c.Image.Length > 0 ? c.Image : c.ImageId;
        if (!noTrunc && image.StartsWith("sha256:", StringComparison.Ordinal) && image.Length >= 19) return image[7..19];
        return image;
    }
}
