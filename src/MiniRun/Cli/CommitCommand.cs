// CommitCommand: `minirun commit [-m MSG] [-a AUTHOR] [-c CHANGE]... CONTAINER [REPOSITORY[:TAG]]`:
// the container's overlay upper directory becomes a new layer on top of its image's layers, and
// a new image is stored (tagged when a name is given). Prints the image ID, sha256:<hex>.
//
// Why: copy-on-write made permanent (Engine/ContainerCommit.cs, shared with build's RUN). LayerWriter writes upper/ as an OCI changeset (overlayfs
// whiteouts -> .wh.NAME, opaque directories -> .wh..wh..opq); ImageStore.Commit stores the gzip
// blob, the config (the base image's config changed by -c, with the new diff_id and a history
// entry: created_by = the container's command, comment = -m, author = -a) and the manifest, and
// records the image only when all of it is written. The container is not paused (Docker pauses
// it by default): a running container that writes during the commit may be caught half-way.
// The new image's config starts from the BASE IMAGE's config, not from the container's run
// options (Docker copies the container's Cmd/Env into it): only -c changes it.
// Follows: docker-commit(1); OCI image-spec v1.1 layer.md and config.md.
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
        var summary = FilesystemCommon.Guard($"commit {container}", () =>
            ContainerCommit.Commit(root, store, record, string.Join(' ', record.Command), message, author, apply, repository));
        stdout.WriteLine(summary.ImageId);
        return 0;
    }
}
