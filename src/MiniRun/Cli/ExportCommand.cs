// ExportCommand: `minirun export [-o FILE] CONTAINER`: the container's merged filesystem (image
// layers with its changes on top) as one tar stream, on stdout or into FILE.
//
// Why: the flattened view, without layers or whiteouts: what the container sees. A running
// container is read through /proc/PID/root (its own mount), without descending into the mounts
// it has on top (/proc, /sys, /dev: their directories are written, empty, as Docker's export
// has them); a stopped one through its overlay mounted in a private mount namespace
// (OverlayRoot). LayerWriter writes owners, modes, symlinks, hardlinks, devices and xattrs.
// With -o the archive is written to a temporary file beside FILE and renamed over it when
// complete, so a failed export never leaves a truncated FILE.
// Follows: docker-export(1) (refuses to write a tar to a terminal).
using MiniImage.Layers;
using MiniRun.Containers;
using MiniRun.Engine;

namespace MiniRun.Cli;

public static class ExportCommand
{
    public static int Run(string root, string container, string? output)
    {
        var store = new ContainerStore(root);
        var record = FilesystemCommon.Find(store, container);
        if (output is null && !Console.IsOutputRedirected)
            throw new CliError("cowardly refusing to save to a terminal. Use the -o flag or redirect", 1);
        return FilesystemCommon.Guard($"export {container}", () =>
        {
            if (output is null)
            {
                using var stdout = Console.OpenStandardOutput();
                using var buffered = new BufferedStream(stdout, 1 << 16);
                Write(store, record, buffered);
                return 0;
            }
            string full = Path.GetFullPath(output);
            string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.minirun-{Environment.ProcessId}-{Guid.NewGuid():N}");
            try
            {
                using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                {
                    Write(store, record, fs);
                    fs.Flush(flushToDisk: true);
                }
                File.Move(temp, full, overwrite: true);
            }
            finally { File.Delete(temp); }
            return 0;
        });
    }

    /// <summary>Writes the container's merged filesystem as tar to `output`.</summary>
    public static void Write(ContainerStore store, ContainerRecord record, Stream output)
    {
        bool running = ContainerLiveness.HasLiveProcess(record);
        var ids = MiniRun.Security.IdTranslation.Of(store.DirOf(record.Id));   // remapped: the container's view of owners
        OverlayRoot.With(store, record, "export", rootFd =>
        {
            LayerWriter.WriteTree(rootFd, output, new LayerWriterOptions
            {
                OneFileSystem = running,
                MapUid = ids is null ? null : ids.UidToContainer, MapGid = ids is null ? null : ids.GidToContainer,
                Label = $"export container {record.Id[..12]}",
            });
            output.Flush();
            return 0;
        });
    }
}
