// DiffCommand: `minirun diff CONTAINER`: the container's changes to its image, one "A|C|D /path"
// line each, sorted (OverlayDiff computes them from the overlay upper directory).
//
// Follows: docker-diff(1) (output format, exit 1 for an unknown container).
using MiniRun.Containers;
using MiniRun.Engine;

namespace MiniRun.Cli;

public static class DiffCommand
{
    public static int Run(string root, string container, TextWriter stdout)
    {
        var store = new ContainerStore(root);
        var record = FilesystemCommon.Find(store, container);
        var layout = OverlayLayout.Of(store.DirOf(record.Id), record.Id);
        foreach (var change in OverlayDiff.Compute(layout))
            stdout.WriteLine(change.ToString());
        return 0;
    }
}
