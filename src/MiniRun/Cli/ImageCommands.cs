// ImageCommands: `minirun load` and `minirun images`.
//
// Why: without registry access (pulling is a later feature), images enter the store from OCI
// image layouts: the embedded busybox fixture, or any layout made by skopeo, umoci or buildah.
// `images` lists the store with Docker's columns.
//
// Follows: docker-load(1), docker-images(1).
using MiniImage.Store;

namespace MiniRun.Cli;

public static class ImageCommands
{
    public static int Load(string root, string input, bool quiet)
    {
        RunCommand.RequireRoot("load");
        if (!Path.Exists(input))
            throw new CliError($"open {input}: no such file or directory");
        var loaded = new ImageStore(root).Load(input, quiet ? null : line => Console.WriteLine(line));
        if (quiet)
            foreach (var image in loaded)
                Console.WriteLine(image.IsDangling ? $"Loaded image ID: {image.ImageId}" : $"Loaded image: {image.Repository}:{image.Tag}");
        return 0;
    }

    public static int Images(string root, bool quiet, bool noTrunc)
    {
        var now = DateTimeOffset.UtcNow;
        var list = new ImageStore(root).List();
        string Id(ImageSummary i) => noTrunc ? i.ImageId : i.ImageId.Replace("sha256:", "")[..12];
        if (quiet)
        {
            foreach (var id in list.Select(Id).Distinct()) Console.WriteLine(id);
            return 0;
        }
        Console.Write(HumanFormat.Table(
            ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"],
            list.Select(i => (IReadOnlyList<string>)[
                i.Repository, i.Tag, Id(i), i.Created is { } c ? HumanFormat.Ago(c, now) : "N/A", HumanFormat.Size(i.Size)])));
        return 0;
    }
}
