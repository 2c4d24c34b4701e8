// CommitCommand: `minirun commit [-m MSG] [-a AUTHOR] [-c CHANGE]... CONTAINER [REPOSITORY[:TAG]]`:
// the container's overlay upper directory becomes a new layer on top of its image's layers, and
// a new image is stored (tagged when a name is given). Prints the image ID, sha256:<hex>.
//
// Why: copy-on-write made permanent. LayerWriter writes upper/ as an OCI changeset (overlayfs
// whiteouts -> .wh.NAME, opaque directories -> .wh..wh..opq); ImageStore.Commit stores the gzip
// blob, the config (the base image's config changed by -c, with the new diff_id and a history
// entry: created_by = the container's command, comment = -m, author = -a) and the manifest, and
// records the image only when all of it is written. The container is not paused (Docker pauses
// it by default): a running container that writes during the commit may be caught half-way.
// The new image's config starts from the BASE IMAGE's config, not from the container's run
// options (Docker copies the container's Cmd/Env into it): only -c changes it.
// Follows: docker-commit(1); OCI image-spec v1.1 layer.md and config.md.
using MiniImage.Layers;
using MiniImage.Store;
using MiniRun.Containers;
using MiniRun.Engine;

namespace MiniRun.Cli;

public static class CommitCommand
{
    public static int Run(string root, string container, string? repository, string? message, string? author,
        IReadOnlyList<string> changes, TextWriter stdout)
    {
        var store = new ContainerStore(root);
        var record = FilesystemCommon.Find(store, container);
        var apply = CommitChanges.Parse(changes); // bad -c fails before anything is written
        var layout = OverlayLayout.Of(store.DirOf(record.Id), record.Id);
        var ids = MiniRun.Security.IdTranslation.Of(store.DirOf(record.Id));   // remapped: store the container's view of owners
        var summary = FilesystemCommon.Guard($"commit {container}", () => new ImageStore(root).Commit(new CommitRequest
        {
            BaseImageId = record.ImageId,
            WriteLayer = output => LayerWriter.WriteTree(layout.UpperDir, output, new LayerWriterOptions
            {
                OverlayWhiteouts = true,
                Skip = layout.IsPlaceholder,
                MapUid = ids is null ? null : ids.UidToContainer, MapGid = ids is null ? null : ids.GidToContainer,
                Label = $"commit container {record.Id[..12]}",
            }),
            CreatedBy = string.Join(' ', record.Command),
            Comment = message,
            Author = author,
            Configure = apply,
            Tag = repository,
        }));
        stdout.WriteLine(summary.ImageId);
        return 0;
    }
}
