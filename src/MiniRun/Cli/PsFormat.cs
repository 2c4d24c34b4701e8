// PsFormat: `ps --format`: each container as a template row with Docker's field names (ID, Image,
// Command, CreatedAt, RunningFor, Ports, State, Status, Size, Names, Labels, Label "KEY", Mounts,
// Networks, LocalVolumes), all strings as in Docker's ContainerContext, and their column names.
//
// Why: `docker ps --format 'table {{.ID}}\t{{.Status}}'` and `--format json` are in handouts and
// scripts; the rows feed Templates/ListFormat.cs. Size is counted only when read (it walks the
// container's upper directory); without -s or ".Size" in the format it is "0B", as Docker's
// daemon reports no size unless asked.
// Follows: docker-ps(1) "Formatting"; docker/cli cli/command/formatter/container.go.
using MiniImage.Store;
using MiniRun.Cli.Templates;
using MiniRun.Containers;

namespace MiniRun.Cli;

public static class PsFormat
{
    public const string DefaultTable = "table {{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.RunningFor}}\\t{{.Status}}\\t{{.Ports}}\\t{{.Names}}";

    private static readonly (string Field, string Column)[] Columns =
    [
        ("ID", "CONTAINER ID"), ("Image", "IMAGE"), ("Command", "COMMAND"), ("CreatedAt", "CREATED AT"),
        ("RunningFor", "CREATED"), ("Ports", "PORTS"), ("State", "STATE"), ("Status", "STATUS"), ("Size", "SIZE"),
        ("Names", "NAMES"), ("Labels", "LABELS"), ("Mounts", "MOUNTS"), ("Networks", "NETWORKS"), ("LocalVolumes", "LOCAL VOLUMES"),
    ];

    public static int Write(ContainerStore store, IReadOnlyList<(ContainerRecord Record, string Effective)> rows, PsOptions o,
        TextWriter stdout, DateTimeOffset now, Func<ContainerRecord, string, string> ports, Func<ContainerRecord, bool, string> image)
    {
        string format = o.Format!;
        bool size = o.Size || format.Contains(".Size", StringComparison.Ordinal);
        if (format.Trim() == "table" && o.Size) format = DefaultTable + "\\t{{.Size}}";
        var images = size ? new ImageStore(Path.GetDirectoryName(store.Root)!) : null;
        ListFormat.Write(stdout, format, DefaultTable, ListFormat.Header("*formatter.ContainerContext", Columns, ("Label", "LABEL")),
            rows.Select(r => Row(store, images, r.Record, r.Effective, o.NoTrunc, now, ports, image)));
        return 0;
    }

    private static TemplateStruct Row(ContainerStore store, ImageStore? images, ContainerRecord c, string effective, bool noTrunc,
        DateTimeOffset now, Func<ContainerRecord, string, string> ports, Func<ContainerRecord, bool, string> image)
    {
        string dir = store.DirOf(c.Id);
        var mounts = new Lazy<List<MiniRun.Volumes.MountPoint>>(() =>
        {
            try { return MiniRun.Volumes.ContainerMounts.Read(dir).Points; }
            catch (ContainerException) { return []; }
        });
        return new TemplateStruct("*formatter.ContainerContext")
            .Field("ID", () => noTrunc ? c.Id : Naming.ShortId(c.Id))
            .Field("Image", () => image(c, noTrunc))
            .Field("Command", () => HumanFormat.Command(c.Command, noTrunc))
            .Field("CreatedAt", () => GoTimeString(c.Created))
            .Field("RunningFor", () => HumanFormat.Ago(c.Created, now))
            .Field("Ports", () => ports(c, effective))
            .Field("State", () => effective)
            .Field("Status", () => PsState.StatusText(c, effective, now))
            .Field("Size", () => images is null ? "0B" : PsSize.Column(store, images, c))
            .Field("Names", () => c.Name)
            .Field("Labels", () => string.Join(',', c.Config.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")))
            .Field("Mounts", () => string.Join(',', mounts.Value.Select(m =>
            {
                string name = m.Name.Length > 0 ? m.Name : m.Source;
                return noTrunc ? name : HumanFormat.Ellipsis(name, 15);
            })))
            .Field("Networks", () => Networks(dir))
            .Field("LocalVolumes", () => mounts.Value.Count(m => m.Driver == "local").ToString())
            .Method("Label", args => args is [string key] ? c.Config.Labels.GetValueOrDefault(key, "")
                : throw new TemplateFunctionException($"wrong number of args for Label: want 1 got {args.Count}", argCount: true));
    }

    /// <summary>The networks the container is on ("bridge", "host", "none", user networks), comma separated.</summary>
    private static string Networks(string dir)
    {
        try
        {
            var state = MiniRun.Network.ContainerNetworkFile.Read(dir);
            if (state is null) return "none";
            if (state.Request.IsContainer) return "";
            return string.Join(',', new[] { state.Request.Mode }.Concat(state.Connected).Distinct());
        }
        catch (MiniRun.Network.NetworkException) { return ""; }
    }

    /// <summary>Go's time.Time.String() of a Unix time in local time: "2024-05-01 12:00:00 +0000 UTC".</summary>
    public static string GoTimeString(DateTimeOffset t)
    {
        var local = TimeZoneInfo.ConvertTime(t, TimeZoneInfo.Local);
        var offset = local.Offset;
        string sign = offset < TimeSpan.Zero ? "-" : "+";
        string numeric = $"{sign}{Math.Abs(offset.Hours):00}{Math.Abs(offset.Minutes):00}";
        string zone = offset == TimeSpan.Zero && TimeZoneInfo.Local.BaseUtcOffset == TimeSpan.Zero ? "UTC" : numeric;
        return local.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) + " " + numeric + " " + zone;
    }
}
