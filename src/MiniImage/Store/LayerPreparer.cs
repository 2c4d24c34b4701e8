// LayerPreparer: makes sure each layer of an image is unpacked under layers/<diffid-hex>/ and
// returns those directories bottom layer first (the order overlayfs lowerdir wants reversed).
//
// Why: layers are shared: two images built on the same base use the same directory, and a layer
// is unpacked only the first time any image needs it. Unpacking goes to tmp/layer-*/ and is
// renamed into layers/ only after LayerUnpacker verified the diff id, so layers/<hex> existing
// means "complete" and a crash leaves at most a tmp/ entry the next writer removes. The
// exclusive store lock is held while unpacking so two containers starting at once do not both
// unpack (the second finds the directory and reuses it); when every layer already exists no
// lock is taken at all. The unpacked size is recorded in images.json so `images` shows the
// real uncompressed size from then on.
// Follows: OCI image-spec v1.1 config.md (rootfs.diff_ids[i] is the uncompressed digest of
// manifest.layers[i]), layer.md.
using MiniImage.Layers;
using MiniImage.Oci;

namespace MiniImage.Store;

internal sealed class LayerPreparer
{
    private readonly StorePaths _paths;
    private readonly ImageStore _store;

    public LayerPreparer(StorePaths paths, ImageStore store)
    {
        _paths = paths;
        _store = store;
    }

    public IReadOnlyList<string> Prepare(ImageSummary image)
    {
        string context = $"prepare layers of image {image.DisplayName}";
        var manifest = _store.ReadManifest(image);
        var config = _store.ReadConfig(image);
        var diffIds = config.RootFs.DiffIds;
        if (diffIds.Count != manifest.Layers.Count)
            throw new MiniImageException($"{context}: config lists {diffIds.Count} diff_ids but the manifest has {manifest.Layers.Count} layers");
        var layers = diffIds.Select(d => Digest.Parse(d)).ToList();
        var dirs = layers.Select(_paths.Layer).ToList();
        if (dirs.All(Directory.Exists)) return dirs;

        _paths.EnsureDirectories();
        using var storeLock = StoreLock.Exclusive(_paths.Root);
        _paths.CleanTmp();
        for (int i = 0; i < layers.Count; i++)
        {
            if (Directory.Exists(dirs[i])) continue; // done earlier, or by whoever held the lock before us
            Unpack(manifest.Layers[i], layers[i], dirs[i], $"{context}: layer {i + 1}/{layers.Count}");
        }
        return dirs;
    }

    private void Unpack(Descriptor blob, Digest diffId, string target, string context)
    {
        var blobDigest = blob.ParsedDigest(context);
        string blobPath = _paths.Blob(blobDigest);
        string temp = _paths.NewTemp("layer");
        try
        {
            Directory.CreateDirectory(temp);
            UnpackResult result;
            FileStream input;
            try { input = new FileStream(blobPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16); }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                throw new MiniImageException($"{context}: blob {blobDigest} is missing from the store; load the image again");
            }
            using (input)
                result = LayerUnpacker.Unpack(input, blob.MediaType, temp, diffId.ToString());
            Directory.Move(temp, target);
            NativeFs.FsyncDirectory(_paths.Layers);
            _store.RecordLayerSize(diffId.ToString(), result.Size);
        }
        catch (LayerException e)
        {
            throw new MiniImageException(e.Message, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MiniImageException($"{context}: unpack {blobDigest} into {target}: {e.Message}", e);
        }
        finally
        {
            StorePaths.DeleteTree(temp);
        }
    }
}
