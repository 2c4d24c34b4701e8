// ImageStore.Push: what a push needs from the store: the image exactly as stored (its manifest's
// bytes and media type, the config and layer blobs with the files that hold them), and the record
// of which registry repositories hold each blob, so a later push to another repository of the
// same registry can mount a blob instead of uploading it.
//
// Why: the registry names a manifest by the sha256 of its bytes. Pushing the stored bytes, never a
// re-serialised manifest, makes the digest the registry reports equal to the one `images
// --digests` shows, and the blobs are the stored files (compressed as they were pulled, loaded or
// committed; a docker-archive's layers as they were in the archive), so nothing is recompressed.
// The push holds the SHARED store lock while it reads blobs (an rmi or prune, which take the
// exclusive lock, waits); recording the sources takes the exclusive lock for one images.json write.
// Follows: OCI image-spec v1.1 manifest.md (a manifest references config and layers by
// descriptor), OCI distribution-spec v1.1 "Mounting a blob from another repository".
using MiniImage.Oci;
using MiniImage.Reference;

namespace MiniImage.Store;

/// <summary>One blob to push: its descriptor, the file holding it, and for a layer its diff_id.</summary>
public sealed record PushBlob(Descriptor Descriptor, Digest Digest, string Path, Digest? DiffId, bool IsConfig);

/// <summary>An image as stored: the manifest bytes to PUT, its media type and digest, and its blobs (config first).</summary>
public sealed record PushImage(ImageSummary Image, byte[] Manifest, string MediaType, Digest ManifestDigest, IReadOnlyList<PushBlob> Blobs);

public sealed partial class ImageStore
{
    /// <summary>Takes the shared lock for the duration of a push (blobs are read, nothing is written).</summary>
    public IDisposable BeginPush() => BeginDownloads();

    /// <summary>The image's manifest (bytes as stored) and blobs; every blob file must exist with its descriptor's size.</summary>
    public PushImage ReadForPush(ImageSummary image, string context)
    {
        var manifestDigest = Digest.Parse(image.ManifestDigest);
        byte[] bytes = ReadBlob(manifestDigest, $"{context}: manifest");
        var manifest = ImageManifest.Parse(bytes, $"{context}: manifest {manifestDigest}");
        string mediaType = manifest.MediaType ?? MediaTypes.OciManifest;
        var config = ReadConfig(image);
        var diffIds = config.RootFs.DiffIds;
        if (diffIds.Count != manifest.Layers.Count)
            throw new MiniImageException($"{context}: config lists {diffIds.Count} diff_ids but the manifest has {manifest.Layers.Count} layers");

        var blobs = new List<PushBlob> { Blob(manifest.Config, null, true) };
        for (int i = 0; i < manifest.Layers.Count; i++)
            blobs.Add(Blob(manifest.Layers[i], Digest.Parse(diffIds[i]), false));
        return new PushImage(image, bytes, mediaType, manifestDigest, blobs);

        PushBlob Blob(Descriptor d, Digest? diffId, bool isConfig)
        {
            var digest = d.ParsedDigest($"{context}: {(isConfig ? "config" : "layer")}");
            string path = _paths.Blob(digest);
            var info = new FileInfo(path);
            if (!info.Exists)
                throw new MiniImageException($"{context}: blob {digest} is missing from the store ({path}); pull or load the image again");
            if (info.Length != d.Size)
                throw new MiniImageException($"{context}: blob {digest} has {info.Length} bytes in the store, its descriptor says {d.Size}");
            return new PushBlob(d, digest, path, diffId, isConfig);
        }
    }

    /// <summary>Repositories of `registryDomain` that hold `blob`, most recent first ("library/x", without the domain).</summary>
    public IReadOnlyList<string> BlobSources(Digest blob, string registryDomain)
    {
        var records = ImageRecords.Read(_paths);
        if (records.BlobSources?.TryGetValue(blob.ToString(), out var list) != true) return [];
        string prefix = registryDomain + "/";
        return list!.Where(r => r.StartsWith(prefix, StringComparison.Ordinal)).Select(r => r[prefix.Length..]).ToList();
    }

    /// <summary>After a push: `repository` ("127.0.0.1:5000/library/x") holds these blobs, and the image has the
    /// repo digest "repository@manifest" (docker push adds it to RepoDigests, so `images --digests` shows it).</summary>
    public void RecordPush(PushImage image, ImageReference repository)
    {
        _paths.EnsureDirectories();
        using var storeLock = StoreLock.Exclusive(_paths.Root);
        var records = ImageRecords.Read(_paths);
        records.AddBlobSources(image.Blobs.Select(b => b.Digest).Append(image.ManifestDigest), repository.Name);
        if (records.Images.TryGetValue(image.Image.ImageId, out var record))
        {
            string repoDigest = ImageRecords.RepoDigestOf(repository, image.ManifestDigest);
            record.RepoDigests ??= new List<string>();
            if (!record.RepoDigests.Contains(repoDigest)) record.RepoDigests.Add(repoDigest);
        }
        records.Write(_paths);
    }
}

internal sealed partial class ImageRecords
{
    /// <summary>Keep at most this many repositories per blob in blobSources (most recent first).</summary>
    private const int MaxSourcesPerBlob = 8;

    /// <summary>Puts `repository` first in the source list of each blob (the caller writes the records).</summary>
    public void AddBlobSources(IEnumerable<Digest> blobs, string repository)
    {
        BlobSources ??= new();
        foreach (var blob in blobs)
        {
            string key = blob.ToString();
            if (!BlobSources.TryGetValue(key, out var list)) BlobSources[key] = list = new List<string>();
            list.Remove(repository);
            list.Insert(0, repository);
            if (list.Count > MaxSourcesPerBlob) list.RemoveRange(MaxSourcesPerBlob, list.Count - MaxSourcesPerBlob);
        }
    }
}
