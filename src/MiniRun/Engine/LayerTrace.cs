// LayerTrace: `--trace` for image layers - each layer the store unpacks (pull, and the first run
// of an image that was loaded but never unpacked) is a step: its blob digest and media type, how
// many tar entries were applied, how many of them were whiteouts (a file of a lower layer deleted)
// and opaque directories (a lower directory's content hidden), and the directory it landed in.
//
// Why: layers and copy-on-write are a lesson of their own (docs/labs/*/06-layers.md); the store
// reports what it did (ImageStore.LayerUnpacked) and this turns it into narration. The store
// reports a layer once it has landed, so `--trace=pause` shows `ls -la` of its directory: the
// files, and each whiteout as the character device 0,0 overlayfs reads as "deleted".
//
// Follows: OCI image-spec v1.1 layer.md (whiteouts, opaque whiteouts); overlayfs whiteouts.
using MiniImage.Layers;
using MiniImage.Store;
using MiniRun.Trace;

namespace MiniRun.Engine;

public static class LayerTrace
{
    /// <summary>From now on every layer <paramref name="images"/> unpacks is narrated on <paramref name="trace"/>.</summary>
    public static void Attach(ImageStore images, ConsoleTrace? trace, string root)
    {
        if (trace is null) return;
        trace.Name("LAYERS", Path.Combine(Path.GetFullPath(root), "layers"));
        trace.LookWith ??= $"ls {Path.Combine(Path.GetFullPath(root), "layers")}";
        images.LayerUnpacked = layer => Narrate(trace, layer);
    }

    public static void Narrate(ITrace trace, LayerUnpacked layer)
    {
        // --trace=pause: the layer has landed; its files, whiteouts (c 0,0) and opaque dirs are there
        // (its name cut to 12 hex and a glob, so that the command fits one line of the projector)
        if (trace is ConsoleTrace console) console.LookWith = $"ls -la {Glob(layer.Directory)}";
        trace.Step(Messages.LayerTitle.With(Short(layer.BlobDigest)), Messages.LayerWhy);
        trace.Note(Messages.LayerBlob.With(layer.BlobDigest, layer.MediaType, layer.CompressedSize));
        var r = layer.Result;
        trace.Note(Messages.LayerApplied.With(r.Entries, r.Whiteouts, r.OpaqueDirectories, r.Size));
        trace.Note(Messages.LayerLanded.With(layer.Directory, r.DiffId));
    }

    /// <summary>A layer directory as a shell glob: its 64-hex name cut to the first 12.</summary>
    private static string Glob(string directory) =>
        Path.GetFileName(directory) is { Length: > 12 } name ? Path.Combine(Path.GetDirectoryName(directory)!, name[..12]) + "*" : directory;

    private static string Short(string digest) => digest.StartsWith("sha256:", StringComparison.Ordinal) && digest.Length > 19 ? digest[..19] : digest;
}
