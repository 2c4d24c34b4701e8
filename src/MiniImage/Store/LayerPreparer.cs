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

    public IReadOnlyList<string> Prepare(ImageSummary image, ImageConfig? config = null)
    {
        string context = $"prepare layers of image {image.DisplayName}";
        config ??= _store.ReadConfig(image);
        var layers = config.RootFs.DiffIds.Select(d => Digest.Parse(d)).ToList();
        var dirs = layers.Select(_paths.Layer).ToList();
        // The common case (every container start): all layers are unpacked already, and the
        // manifest, which only says where each layer's blob is, need not be read.
        if (dirs.All(Directory.Exists))
        {
            RecoverIfIdle();
            return dirs;
        }

        var manifest = _store.ReadManifest(image);
        if (layers.Count != manifest.Layers.Count)
            throw new MiniImageException($"{context}: config lists {layers.Count} diff_ids but the manifest has {manifest.Layers.Count} layers");

        _paths.EnsureDirectories();
        using var storeLock = StoreLock.Exclusive(_paths.Root);
        StoreRecovery.Run(_paths);
        for (int i = 0; i < layers.Count; i++)
        {
            if (Directory.Exists(dirs[i])) continue; // done earlier, or by whoever held the lock before us
            Unpack(manifest.Layers[i], layers[i], $"{context}: layer {i + 1}/{layers.Count}");
        }
        return dirs;
    }

    /// <summary>
    /// A run whose layers are all there takes no lock; but when tmp/ shows that an operation
    /// failed or was killed, and nobody holds the store lock now, it recovers the store (never
    /// waiting: a pull downloading meanwhile holds the shared lock and the run goes on).
    /// </summary>
    private void RecoverIfIdle()
    {
        try
        {
            if (!Directory.Exists(_paths.Tmp) || !Directory.EnumerateFileSystemEntries(_paths.Tmp).Any()) return;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return; }
        using var storeLock = StoreLock.TryExclusive(_paths.Root);
        if (storeLock is not null) StoreRecovery.Run(_paths);
    }

    private void Unpack(Descriptor blob, Digest diffId, string context)
    {
        // The size is recorded before the layer is renamed into place: killed in between, the
        // layer is simply unpacked again; the other order could leave a layer without its size,
        // and `images` would show the blob's size until it was removed.
        UnpackLayer(_paths, blob, blob.ParsedDigest(context), diffId, context,
            missingHint: "load the image again", prefixLayerErrors: false,
            beforeRename: size => _store.RecordLayerSize(diffId.ToString(), size), unpacked: _store.LayerUnpacked);
    }

    /// <summary>
    /// The one unpack step of the store, used here and by pull: the layer blob is unpacked into
    /// tmp/layer-* (LayerUnpacker checks the diff id), then renamed to layers/&lt;hex&gt;. Returns the
    /// unpacked size. <paramref name="bytesRead"/>, when given, hears how much of the blob was read.
    /// </summary>
    internal static long UnpackLayer(StorePaths paths, Descriptor blob, Digest blobDigest, Digest diffId, string context,
        string missingHint, bool prefixLayerErrors, Action<long>? bytesRead = null, Action<long>? beforeRename = null,
        Action<LayerUnpacked>? unpacked = null)
    {
        string target = paths.Layer(diffId);
        string temp = paths.NewTemp("layer");
        try
        {
            Directory.CreateDirectory(temp);
            FileStream input;
            try { input = new FileStream(paths.Blob(blobDigest), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16); }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                throw new MiniImageException($"{context}: blob {blobDigest} is missing from the store; {missingHint}");
            }
            UnpackResult result;
            using (input)
            using (Stream counted = bytesRead is null ? input : new ProgressReadStream(input, bytesRead))
                result = LayerUnpacker.Unpack(counted, blob.MediaType, temp, diffId.ToString());
            beforeRename?.Invoke(result.Size);
            Directory.Move(temp, target);
            NativeFs.FsyncDirectory(paths.Layers);
            LayerLinks.Ensure(paths, diffId.Hex);
            unpacked?.Invoke(new LayerUnpacked(blobDigest.ToString(), blob.MediaType, blob.Size, result, target));
            return result.Size;
        }
        catch (LayerException e)
        {
            throw new MiniImageException(prefixLayerErrors ? $"{context}: {e.Message}" : e.Message, e);
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
