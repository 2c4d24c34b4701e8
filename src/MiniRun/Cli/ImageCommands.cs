// ImageCommands: the image verbs' behaviour: load, images, rmi, tag, history, image prune, save
// (inspect is in ImageInspect.cs). Each takes its output streams, so tests run them in-process.
//
// Why: students compare MiniRun's output with Docker's, so columns, messages and the order of
// lines are Docker's: `images` one row per tag plus <none> rows for untagged images (Docker shows
// those by default; `build`'s intermediate images, untagged parents of other images, only with -a); `rmi` prints "Untagged:"/"Deleted:" lines; prune asks before deleting.
// Which images containers hold (and which layer directories they mount) is read from the
// container store here, because the image library knows nothing about containers.
//
// Follows: docker-load(1), docker-images(1), docker-rmi(1), docker-tag(1), docker-history(1),
// docker-image-prune(1), docker-save(1).
using MiniImage;
using MiniImage.Reference;
using MiniImage.Store;
using MiniRun.Containers;
using MiniRun.Spec;

namespace MiniRun.Cli;

public static class ImageCommands
{
    public static int Load(string root, string? input, bool quiet, TextWriter stdout, Stream? stdin = null)
    {
        RunCommand.RequireRoot("load");
        var store = new ImageStore(root);
        Action<string>? progress = quiet ? null : line => stdout.WriteLine(line);
        IReadOnlyList<ImageSummary> loaded;
        if (input is null)
        {
            if (stdin is null && !Console.IsInputRedirected)
                throw new CliError("requested load from stdin, but stdin is empty", 1);
            loaded = store.Load(stdin ?? Console.OpenStandardInput(), progress);
        }
        else
        {
            if (!Path.Exists(input))
                throw new CliError($"open {input}: no such file or directory", 1);   // the client opens the file: Go's os.Open error, exit 1
            loaded = store.Load(input, progress);
        }
        if (quiet)
            foreach (var image in loaded)
                stdout.WriteLine(image.IsDangling ? $"Loaded image ID: {image.ImageId}" : $"Loaded image: {image.Repository}:{image.Tag}");
        return 0;
    }

    public static int Images(string root, bool quiet, bool all, bool digests, bool noTrunc, string? filter, TextWriter stdout, string? format = null,
        IReadOnlyList<string>? filters = null)
    {
        var now = DateTimeOffset.UtcNow;
        var store = new ImageStore(root);
        var wantedBy = ImageFilter.Parse(filters ?? []);   // bad filters fail before the list is read
        IEnumerable<ImageSummary> list = wantedBy.Apply(store.List(intermediates: all), store, now);
        if (filter is not null)
        {
            if (!ImageReference.TryParse(filter, out var wanted, out var error))
                throw new CliError($"invalid reference format: {filter}: {error}", 1);
            int slash = filter.LastIndexOf('/');
            bool hasTag = filter.IndexOf(':', slash + 1) >= 0;
            list = list.Where(i => i.Repository == wanted.FamiliarName && (!hasTag || i.Tag == wanted.Tag));
        }
        string Id(ImageSummary i) => noTrunc ? i.ImageId : i.ShortId;
        bool custom = !string.IsNullOrEmpty(format) && !(quiet && format.Trim() == "table");
        if (quiet && !custom)
        {
            foreach (var id in list.Select(Id)) stdout.WriteLine(id);   // one line per row (tag), as Docker's {{.ID}}
            return 0;
        }
        var repoDigests = digests || custom ? store.RepoDigests() : null;
        string Digest(ImageSummary i)
        {
            if (repoDigests is null || !repoDigests.TryGetValue(i.ImageId, out var refs)) return ImageSummary.None;
            foreach (string r in refs)
                if (r.IndexOf('@') is int at and > 0 && r[..at] == i.Repository) return r[(at + 1)..];
            return ImageSummary.None;
        }
        if (custom)
        {
            ImageFormat.Images(stdout, format!, digests, list, Id, Digest, now);
            return 0;
        }
        IReadOnlyList<string> header = digests
            ? ["REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE"]
            : ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"];
        stdout.Write(HumanFormat.Table(header, list.Select(i =>
        {
            string created = i.Created is { } c ? HumanFormat.Ago(c, now) : "N/A";
            return digests
                ? (IReadOnlyList<string>)[i.Repository, i.Tag, Digest(i), Id(i), created, HumanFormat.Size(i.Size)]
                : [i.Repository, i.Tag, Id(i), created, HumanFormat.Size(i.Size)];
        })));
        return 0;
    }

    public static int Rmi(string root, IReadOnlyList<string> images, bool force, TextWriter stdout, TextWriter stderr)
    {
        RunCommand.RequireRoot("rmi");
        var store = new ImageStore(root);
        int status = 0;
        foreach (string image in images)
        {
            try
            {
                var result = store.Remove(image, force, () => Engine.ContainerUses.Of(root));
                foreach (var e in result.Events) stdout.WriteLine(e.Deleted ? $"Deleted: {e.Subject}" : $"Untagged: {e.Subject}");
            }
            catch (MiniImageException e)
            {
                // Docker prints every failure; with -f an image that is not there does not fail the command
                ErrorReport.Write(stderr, "rmi", CliError.Daemon(e.Message));
                if (!(force && e.Message.StartsWith("No such image: ", StringComparison.Ordinal))) status = 1;
            }
        }
        return status;
    }

    public static int Tag(string root, string source, string target)
    {
        RunCommand.RequireRoot("tag");
        try { new ImageStore(root).Tag(source, target); }
        catch (MiniImageException e) { throw e.Message.StartsWith("No such image", StringComparison.Ordinal) ? CliError.Daemon(e.Message) : new CliError(e.Message, 1); }
        return 0;
    }

    public static int Prune(string root, bool all, bool force, TextWriter stdout, TextReader stdin)
    {
        RunCommand.RequireRoot("image prune");
        if (!force && !ContainerGroupCli.Confirm(all
                ? "WARNING! This will remove all images without at least one container associated to them."
                : "WARNING! This will remove all dangling images.", stdout, stdin))
            return 0;
        var result = new ImageStore(root).Prune(all, () => Engine.ContainerUses.Of(root));
        if (result.Events.Count > 0)
        {
            stdout.WriteLine("Deleted Images:");
            foreach (var e in result.Events) stdout.WriteLine(e.Deleted ? $"deleted: {e.Subject}" : $"untagged: {e.Subject}");
            stdout.WriteLine();
        }
        stdout.WriteLine($"Total reclaimed space: {HumanFormat.Size(result.ReclaimedBytes)}");
        return 0;
    }

    public static int Save(string root, IReadOnlyList<string> images, string? output, Stream? stdout = null)
    {
        var store = new ImageStore(root);
        try
        {
            if (output is not null)
            {
                store.SaveToFile(images, output);
                return 0;
            }
            if (stdout is null && !Console.IsOutputRedirected)
                throw new CliError("cowardly refusing to save to a terminal. Use the -o flag or redirect", 1);
            using var s = stdout is null ? Console.OpenStandardOutput() : null;
            store.Save(images, stdout ?? s!);
        }
        catch (MiniImageException e)
        {
            throw e.Message.StartsWith("No such image", StringComparison.Ordinal) ? CliError.Daemon(e.Message) : new CliError(e.Message, 1);
        }
        return 0;
    }

    public static int History(string root, string image, bool noTrunc, bool quiet, TextWriter stdout, string? format = null)
    {
        var store = new ImageStore(root);
        var details = store.Inspect(image)
                      ?? throw CliError.Daemon($"No such image: {ImageStore.WithDefaultTag(image)}");
        var now = DateTimeOffset.UtcNow;
        var rows = ImageInspect.HistoryRows(details);
        // A built image's steps are its ancestors in the store: their IDs, as Docker shows them; <missing> below.
        var lineage = store.Lineage(details.Id);
        string Id(int i) => i >= lineage.Count ? "<missing>" : noTrunc ? lineage[i] : lineage[i][7..19];
        bool custom = !string.IsNullOrEmpty(format) && !(quiet && format.Trim() == "table");
        if (quiet && !custom)
        {
            for (int i = 0; i < rows.Count; i++) stdout.WriteLine(Id(i));
            return 0;
        }
        if (custom)
        {
            ImageFormat.History(stdout, format!, rows, Id, noTrunc, now);
            return 0;
        }
        stdout.Write(HumanFormat.Table(["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"], rows.Select((r, i) =>
        {
            string createdBy = (r.CreatedBy ?? "").Replace('\t', ' ');
            if (!noTrunc && createdBy.Length > 45) createdBy = createdBy[..44] + "…";
            return (IReadOnlyList<string>)[Id(i), r.Created is { } c ? HumanFormat.Ago(c, now) : "N/A", createdBy, HumanFormat.Size(r.Size), r.Comment ?? ""];
        })));
        return 0;
    }
}
