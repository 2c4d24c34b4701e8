// ImageFormat: `images --format` and `history --format`: each image (or history row) as a
// template row with Docker's field names and string values, and their column names.
//
// Why: `docker images --format '{{.Repository}}:{{.Tag}}'` and `--format json` are common in
// scripts and handouts; the rows feed Templates/ListFormat.cs. Containers, SharedSize and
// UniqueSize are "N/A" as Docker's `images` shows them (the daemon counts them only for
// `system df -v`).
// Follows: docker-images(1) and docker-history(1) "Format the output"; docker/cli
// cli/command/formatter/image.go and cli/command/image/formatter_history.go.
using MiniImage.Store;
using MiniRun.Cli.Templates;

namespace MiniRun.Cli;

public static class ImageFormat
{
    public const string DefaultTable = "table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}";
    public const string DigestsTable = "table {{.Repository}}\\t{{.Tag}}\\t{{.Digest}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}";
    public const string HistoryTable = "table {{.ID}}\\t{{.CreatedSince}}\\t{{.CreatedBy}}\\t{{.Size}}\\t{{.Comment}}";

    private static readonly (string, string)[] ImageColumns =
    [
        ("ID", "IMAGE ID"), ("Repository", "REPOSITORY"), ("Tag", "TAG"), ("Digest", "DIGEST"), ("CreatedSince", "CREATED"),
        ("CreatedAt", "CREATED AT"), ("Size", "SIZE"), ("Containers", "CONTAINERS"), ("VirtualSize", "VIRTUAL SIZE"),
        ("SharedSize", "SHARED SIZE"), ("UniqueSize", "UNIQUE SIZE"),
    ];

    private static readonly (string, string)[] HistoryColumns =
    [
        ("ID", "IMAGE"), ("CreatedSince", "CREATED"), ("CreatedAt", "CREATED AT"), ("CreatedBy", "CREATED BY"), ("Size", "SIZE"), ("Comment", "COMMENT"),
    ];

    public static void Images(TextWriter stdout, string format, bool digests, IEnumerable<ImageSummary> list,
        Func<ImageSummary, string> id, Func<ImageSummary, string> digest, DateTimeOffset now)
    {
        var rows = list.Select(i => new TemplateStruct("*formatter.imageContext")
            .Field("ID", () => id(i))
            .Field("Repository", () => i.Repository)
            .Field("Tag", () => i.Tag)
            .Field("Digest", () => digest(i))
            .Field("CreatedSince", () => i.Created is { } c ? HumanFormat.Ago(c, now) : "N/A")
            .Field("CreatedAt", () => i.Created is { } c ? PsFormat.GoTimeString(c) : "N/A")
            .Field("Size", () => HumanFormat.Size(i.Size))
            .Field("Containers", () => "N/A")
            .Field("VirtualSize", () => HumanFormat.Size(i.Size))
            .Field("SharedSize", () => "N/A")
            .Field("UniqueSize", () => "N/A"));
        ListFormat.Write(stdout, format, digests ? DigestsTable : DefaultTable, ListFormat.Header("*formatter.imageContext", ImageColumns), rows);
    }

    public static void History(TextWriter stdout, string format, IReadOnlyList<HistoryRow> history, Func<int, string> id, bool noTrunc, DateTimeOffset now)
    {
        var rows = history.Select((r, i) => new TemplateStruct("*image.historyContext")
            .Field("ID", () => id(i))
            .Field("CreatedSince", () => r.Created is { } c ? HumanFormat.Ago(c, now) : "N/A")
            .Field("CreatedAt", () => r.Created is { } c ? c.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture) : "N/A")
            .Field("CreatedBy", () =>
            {
                string createdBy = (r.CreatedBy ?? "").Replace('\t', ' ');
                return !noTrunc && createdBy.Length > 45 ? createdBy[..44] + "…" : createdBy;
            })
            .Field("Size", () => HumanFormat.Size(r.Size))
            .Field("Comment", () => r.Comment ?? ""));
        ListFormat.Write(stdout, format, HistoryTable, ListFormat.Header("*image.historyContext", HistoryColumns), rows);
    }
}
