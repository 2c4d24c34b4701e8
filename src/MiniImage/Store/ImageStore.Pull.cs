// ImageStore.Pull: the store operations a registry pull needs: a download phase that shares the
// store with other pulls, atomic commits of verified blobs, and a final phase that unpacks the
// layers and records the image in images.json under the exclusive lock.
//
// Locking (see StoreLock and ImageStore.cs for the rules every writer follows):
//   - Downloads hold the SHARED lock for their whole duration and write only to their own
//     tmp/pull-<pid>-<guid> files. Several pulls (threads or processes) download at once; a
//     writer that wipes tmp/ needs the exclusive lock, so it cannot remove a file being written.
//   - A blob is renamed into blobs/sha256/ as soon as its digest is verified. rename(2) is atomic
//     and a blob's name is its content, so two pulls committing the same blob cannot corrupt
//     it: the second rename finds it present and drops its own copy. Every blob and layer a pull
//     adds or reuses is first listed in its journal (StoreJournal), held from the download phase
//     to the record, so no recovery removes them meanwhile; a pull that fails or is killed leaves
//     them unreferenced, and the next writer removes them (StoreRecovery).
//   - Unpacking and recording take the EXCLUSIVE lock (after the shared one is released; flock
//     does not upgrade atomically). Layers unpack to tmp/layer-*/ and are renamed into layers/
//     once their diff_id is verified, as LayerPreparer does; images.json is written once, last.
// An interrupted pull therefore leaves only tmp/ leftovers and unreferenced complete blobs or
// layers its journal lists, all removed by the next exclusive writer; images.json is unchanged
// until the image is whole.
// Follows: rename(2), flock(2); OCI image-spec v1.1 config.md (diff_ids), layer.md.
using MiniImage.Layers;
using MiniImage.Oci;
using MiniImage.Reference;

namespace MiniImage.Store;

/// <summary>One layer of a pulled image: its blob descriptor and the diff_id the config names.</summary>
internal sealed record PulledLayer(Descriptor Blob, Digest BlobDigest, Digest DiffId);

/// <summary>Everything the store needs to record a pulled image.</summary>
internal sealed record PulledImage(
    ImageReference Reference, Digest RepoDigest, Digest ManifestDigest, Digest ConfigDigest,
    ImageConfig Config, IReadOnlyList<PulledLayer> Layers, long BlobSize);

public sealed partial class ImageStore
{
    /// <summary>Takes the shared lock for a download phase (creating the store directories first).</summary>
    internal IDisposable BeginDownloads()
    {
        _paths.EnsureDirectories();
        return StoreLock.Shared(_paths.Root);
    }

    /// <summary>The journal of one pull (call while BeginDownloads is held); Complete()d by CompletePull.</summary>
    internal StoreJournal BeginJournal() => StoreJournal.Begin(_paths);

    /// <summary>A fresh temporary file name under tmp/ for one download (only while BeginDownloads is held).</summary>
    internal string NewDownloadPath() => _paths.NewTemp("pull");

    /// <summary>True if blobs/ holds the blob with the expected size (one of another size is broken: downloaded again, replaced).</summary>
    internal bool HasBlob(Digest digest, long size)
    {
        var info = new FileInfo(_paths.Blob(digest));
        if (!info.Exists) return false;
        return info.Length == size;
    }

    internal bool HasLayer(Digest diffId) => Directory.Exists(_paths.Layer(diffId));

    /// <summary>True if the store records the image whose config has this digest (its ID).</summary>
    internal bool HasImage(Digest configDigest) => ImageRecords.Read(_paths).Images.ContainsKey(configDigest.ToString());

    /// <summary>Reads a blob the store holds (manifest or config, verified when committed).</summary>
    internal byte[] ReadStoredBlob(Digest digest, string context) => ReadBlob(digest, context);

    /// <summary>Moves a verified download into blobs/sha256/ (atomic; an existing copy wins).</summary>
    internal void CommitDownloadedBlob(string tempPath, Digest digest, string context)
    {
        string target = _paths.Blob(digest);
        try
        {
            File.Move(tempPath, target, overwrite: true); // rename(2): same content, so replacing is harmless
            NativeFs.FsyncDirectory(_paths.Blobs);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            StorePaths.DeleteTree(tempPath);
            throw new MiniImageException($"{context}: store blob {digest}: move {tempPath} to {target}: {e.Message}", e);
        }
    }

    /// <summary>Stores a small verified blob held in memory (the manifest).</summary>
    internal void CommitSmallBlob(byte[] data, Digest digest, string context)
    {
        if (HasBlob(digest, data.Length)) return;
        string temp = NewDownloadPath();
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                fs.Write(data);
                fs.Flush(flushToDisk: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            StorePaths.DeleteTree(temp);
            throw new MiniImageException($"{context}: write blob {digest} to {temp}: {e.Message}", e);
        }
        CommitDownloadedBlob(temp, digest, context);
    }

    /// <summary>
    /// Unpacks the image's missing layers and records it (tag or repo digest) in images.json, under
    /// the exclusive lock. <paramref name="extracting"/> gets (layer index, bytes read, blob size)
    /// and (index, -1, size) when a layer is complete. Returns the summary and whether the store
    /// already had this image under this reference (true: "Image is up to date").
    /// </summary>
    internal (ImageSummary Summary, bool AlreadyRecorded) CompletePull(PulledImage image, StoreJournal journal, Action<int, long, long>? extracting, string context)
    {
        _paths.EnsureDirectories();
        using var storeLock = StoreLock.Exclusive(_paths.Root);
        StoreRecovery.Run(_paths);   // this pull's journal is held: what it lists stays
        try
        {
        var sizes = new Dictionary<string, long>();
        for (int i = 0; i < image.Layers.Count; i++)
        {
            var layer = image.Layers[i];
            if (HasLayer(layer.DiffId)) continue; // done earlier, or by whoever held the lock before us
            long size = UnpackPulledLayer(layer, i, extracting, $"{context}: layer {i + 1}/{image.Layers.Count}");
            sizes[layer.DiffId.ToString()] = size;
            extracting?.Invoke(i, -1, layer.Blob.Size);
        }
        var records = ImageRecords.Read(_paths);
        bool already = records.RecordPull(image, sizes, DateTimeOffset.UtcNow);
        records.Write(_paths);
        journal.Complete();
        string id = image.ConfigDigest.ToString();
        var name = image.Reference.Digest is null ? image.Reference : FirstTag(records, id);
        return (Summary(records, id, records.Images[id], name), already);
        }
        catch { Abandon(journal, holdingExclusive: true); throw; }
    }

    /// <summary>The image pulled as `reference` ("name@sha256:&lt;index or manifest digest&gt;"), by its RepoDigests.</summary>
    public ImageSummary? ResolveRepoDigest(ImageReference reference)
    {
        if (reference.Digest is not { } digest) return null;
        var records = ImageRecords.Read(_paths);
        string wanted = ImageRecords.RepoDigestOf(reference, digest);
        foreach (var (id, r) in records.Images)
            if (r.RepoDigests is { } list && list.Contains(wanted))
                return Summary(records, id, r, FirstTag(records, id));
        return null;
    }

    private long UnpackPulledLayer(PulledLayer layer, int index, Action<int, long, long>? extracting, string context) =>
        LayerPreparer.UnpackLayer(_paths, layer.Blob, layer.BlobDigest, layer.DiffId, context,
            missingHint: "pull the image again", prefixLayerErrors: true,
            bytesRead: extracting is null ? null : n => extracting(index, n, layer.Blob.Size), unpacked: LayerUnpacked);
}

/// <summary>A read-only pass-through stream that reports the bytes read so far (at most every 256 KiB).</summary>
internal sealed class ProgressReadStream(Stream inner, Action<long> report) : Stream
{
    private const long Step = 256 << 10;
    private long _read;
    private long _reported;

    public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));
    public override int Read(Span<byte> buffer) => Count(inner.Read(buffer));

    private int Count(int n)
    {
        _read += n;
        if (_read - _reported >= Step || (n == 0 && _read != _reported))
        {
            _reported = _read;
            report(_read);
        }
        return n;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => inner.Length;
    public override long Position { get => _read; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
