// VolumeNetworkFormat: `volume ls --format` and `network ls --format`: each volume or network as
// a template row with Docker's field names, string values and column names.
//
// Why: `docker volume ls --format '{{.Name}}'`, `docker network ls --format json` in scripts and
// handouts; the rows feed Templates/ListFormat.cs. Volume Links and Size are "N/A", as Docker's
// `volume ls` shows them (they are counted only by `system df -v`).
// Follows: docker-volume-ls(1), docker-network-ls(1) "Format the output"; docker/cli
// cli/command/formatter/volume.go, cli/command/network/formatter.go.
using MiniRun.Cli.Templates;
using MiniRun.Network;
using MiniRun.Volumes;

namespace MiniRun.Cli;

public static class VolumeNetworkFormat
{
    public const string VolumeTable = "table {{.Driver}}\\t{{.Name}}";
    public const string NetworkTable = "table {{.ID}}\\t{{.Name}}\\t{{.Driver}}\\t{{.Scope}}";

    private static string Labels(IEnumerable<KeyValuePair<string, string>> labels) =>
        string.Join(',', labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"));

    private static object? Label(IReadOnlyDictionary<string, string> labels, IReadOnlyList<object?> args) =>
        args is [string key] ? labels.GetValueOrDefault(key, "")
            : throw new TemplateFunctionException($"wrong number of args for Label: want 1 got {args.Count}", argCount: true);

    public static void Volumes(TextWriter stdout, string format, IEnumerable<Volume> volumes)
    {
        var header = ListFormat.Header("*formatter.volumeContext",
            [("Name", "VOLUME NAME"), ("Driver", "DRIVER"), ("Scope", "SCOPE"), ("Mountpoint", "MOUNTPOINT"), ("Labels", "LABELS"),
             ("Links", "LINKS"), ("Size", "SIZE")], ("Label", "LABEL"));
        ListFormat.Write(stdout, format, VolumeTable, header, volumes.Select(v => new TemplateStruct("*formatter.volumeContext")
            .Field("Name", () => v.Name)
            .Field("Driver", () => v.Driver)
            .Field("Scope", () => "local")
            .Field("Mountpoint", () => v.Mountpoint)
            .Field("Labels", () => Labels(v.Labels))
            .Field("Links", () => "N/A")
            .Field("Size", () => "N/A")
            .Method("Label", args => Label(v.Labels, args))));
    }

    public static void Networks(TextWriter stdout, string format, IEnumerable<NetworkRecord> networks, bool noTrunc)
    {
        var header = ListFormat.Header("*network.networkContext",
            [("ID", "NETWORK ID"), ("Name", "NAME"), ("Driver", "DRIVER"), ("Scope", "SCOPE"), ("IPv6", "IPV6"), ("Internal", "INTERNAL"),
             ("Labels", "LABELS"), ("CreatedAt", "CREATED AT")], ("Label", "LABEL"));
        ListFormat.Write(stdout, format, NetworkTable, header, networks.Select(n => new TemplateStruct("*network.networkContext")
            .Field("ID", () => noTrunc ? n.Id : n.Id[..12])
            .Field("Name", () => n.Name)
            .Field("Driver", () => n.Driver)
            .Field("Scope", () => "local")
            .Field("IPv6", () => "false")
            .Field("Internal", () => n.Internal ? "true" : "false")
            .Field("Labels", () => Labels(n.Labels))
            .Field("CreatedAt", () => PsFormat.GoTimeString(n.Created))
            .Method("Label", args => Label(n.Labels, args))));
    }
}
