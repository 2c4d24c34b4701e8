// ContainerCommit: a container's overlay upper directory as a new image layer, on top of the
// container's image: what `commit` and a build's RUN step share.
//
// Why: the upper directory IS the container's changes (overlayfs copy-up): LayerWriter writes it
// as an OCI changeset (overlayfs whiteouts -> .wh.NAME, opaque directories -> .wh..wh..opq),
// skipping the empty placeholders MiniRun makes for its bind mounts (/etc/hosts, ...), with the
// owners the container sees when its user namespace is remapped. ImageStore.Commit stores the
// blob, the config and the manifest and records the image (rules in ImageStore.Commit.cs).
// Follows: OCI image-spec v1.1 layer.md (changesets, whiteouts) and config.md; docker-commit(1).
using MiniImage.Layers;
using MiniImage.Oci;
using MiniImage.Store;
using MiniRun.Containers;

namespace MiniRun.Engine;

public static class ContainerCommit
{
    /// <summary>Stores the container's changes as a new image (tagged with <paramref name="tag"/> when given).</summary>
    public static ImageSummary Commit(string root, ContainerStore store, ContainerRecord record, string createdBy,
        string? comment, string? author, Action<ContainerConfig>? configure, string? tag)
    {
        var layout = OverlayLayout.Of(store.DirOf(record.Id), record.Id);
        var ids = MiniRun.Security.IdTranslation.Of(store.DirOf(record.Id));   // remapped: store the container's view of owners
        return new ImageStore(root).Commit(new CommitRequest
        {
            BaseImageId = record.ImageId,
            WriteLayer = output => LayerWriter.WriteTree(layout.UpperDir, output, new LayerWriterOptions
            {
                OverlayWhiteouts = true,
                Skip = layout.IsPlaceholder,
                MapUid = ids is null ? null : ids.UidToContainer, MapGid = ids is null ? null : ids.GidToContainer,
                Label = $"commit container {record.Id[..12]}",
            }),
            CreatedBy = createdBy,
            Comment = comment,
            Author = author,
            Configure = configure,
            Tag = tag,
        });
    }
}
