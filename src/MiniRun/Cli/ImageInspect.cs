// ImageInspect: the document `inspect` prints for an image (see InspectCommand) and the rows of
// `history`, both built from the store's ImageDetails.
//
// Why: inspect shows what an image is made of (config defaults, diff_ids, size); history shows
// which build step made which layer.
// Times print as Go's RFC 3339 with nanoseconds trimmed ("2024-05-01T12:00:00Z").
// Follows: docker-image-inspect(1), docker-inspect(1), docker-history(1); OCI image-spec
// config.md (history, empty_layer, rootfs.diff_ids).
using System.Globalization;
using MiniImage.Store;

namespace MiniRun.Cli;

public sealed record HistoryRow(DateTimeOffset? Created, string? CreatedBy, long Size, string? Comment);

public static class ImageInspect
{
    /// <summary>`inspect` (<paramref name="imagesOnly"/> false: containers first, then images) or `image inspect`.</summary>
    public static int Run(string root, IReadOnlyList<string> names, string? format, bool imagesOnly, TextWriter stdout, TextWriter stderr) =>
        InspectCommand.Run(root, names, format, imagesOnly ? "image" : null, stdout, stderr);

    public static ImageInspectDocument Document(ImageDetails d)
    {
        var c = d.Config.Config;
        return new ImageInspectDocument
        {
            Id = d.Id,
            RepoTags = d.RepoTags.ToList(),
            RepoDigests = d.RepoDigests.ToList(),
            Created = GoTime(d.Config.Created),
            Author = d.Config.Author ?? "",
            Comment = d.Config.Comment ?? "",
            Config = new ImageInspectConfig
            {
                User = c?.User ?? "",
                ExposedPorts = c?.ExposedPorts,
                Env = c?.Env,
                Cmd = c?.Cmd,
                Volumes = c?.Volumes,
                WorkingDir = c?.WorkingDir ?? "",
                Entrypoint = c?.Entrypoint,
                Labels = c?.Labels,
                StopSignal = c?.StopSignal,
                Healthcheck = c?.Healthcheck,
                Shell = c?.Shell,
                OnBuild = c?.OnBuild,
            },
            Architecture = d.Config.Architecture,
            Variant = d.Config.Variant,
            Os = d.Config.Os,
            Size = d.Size,
            RootFS = new ImageInspectRootFs { Type = d.Config.RootFs.Type, Layers = d.Config.RootFs.DiffIds.ToList() },
            Metadata = new ImageInspectMetadata { LastTagTime = GoTime(d.LastTagTime) },
        };
    }

    /// <summary>
    /// History rows newest first. Each entry that is not empty_layer takes the next layer's size
    /// (unpacked size once known, else its blob size); without history, one row per layer.
    /// </summary>
    public static IReadOnlyList<HistoryRow> HistoryRows(ImageDetails d)
    {
        long LayerSize(int i) => i < d.LayerSizes.Count ? d.LayerSizes[i] ?? d.LayerBlobSizes[i] : 0;
        var rows = new List<HistoryRow>();
        var history = d.Config.History;
        if (history is null || history.Count == 0)
        {
            for (int i = 0; i < d.LayerSizes.Count; i++)
                rows.Add(new HistoryRow(d.Config.Created, "", LayerSize(i), ""));
        }
        else
        {
            int layer = 0;
            foreach (var h in history)
            {
                long size = h.EmptyLayer == true ? 0 : LayerSize(layer++);
                rows.Add(new HistoryRow(h.Created, h.CreatedBy, size, h.Comment));
            }
        }
        rows.Reverse();
        return rows;
    }

    /// <summary>Go's time.RFC3339Nano for a UTC time: fraction without trailing zeros.</summary>
    public static string GoTime(DateTimeOffset? t) =>
        t is { } v ? v.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture) : "0001-01-01T00:00:00Z";
}
