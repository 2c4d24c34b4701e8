// ImageRecords.Pull: how a pulled image is entered in images.json: its image record, the tag
// (a pull by tag) and the repo digest ("docker.io/library/alpine@sha256:<digest the registry
// names it by>", the full normalised name, like the tag keys), plus the unpacked layer sizes and
// the repository each blob came from (a later push to the same registry mounts it from there).
//
// Why: Docker records both: `images --digests` and `inspect` show RepoDigests, and a pull by
// digest creates no tag (the image shows as <none>) but is still found by that digest. Moving a
// tag leaves the old image untagged, as `load` does.
// Follows: docker-pull(1) (pull by digest), docker image inspect's RepoTags/RepoDigests.
using MiniImage.Oci;
using MiniImage.Reference;

namespace MiniImage.Store;

internal sealed partial class ImageRecords
{
    /// <summary>"docker.io/library/alpine@sha256:..." for a reference pulled at `digest`.</summary>
    public static string RepoDigestOf(ImageReference reference, Digest digest) => $"{reference.Name}@{digest}";

    /// <summary>
    /// Adds or updates the record of a pulled image, its tag and repo digest, and layer sizes.
    /// Returns true if the store already had this image under this tag (or repo digest).
    /// </summary>
    public bool RecordPull(PulledImage image, IReadOnlyDictionary<string, long> layerSizes, DateTimeOffset now)
    {
        string id = image.ConfigDigest.ToString();
        string repoDigest = RepoDigestOf(image.Reference, image.RepoDigest);
        bool known = Images.TryGetValue(id, out var existing);
        bool already = known && (image.Reference.Digest is null
            ? Tags.TryGetValue(image.Reference.ToString(), out var tagged) && tagged == id
            : existing!.RepoDigests?.Contains(repoDigest) == true);

        var record = existing ?? new ImageRecord { Loaded = now };
        record.Manifest = image.ManifestDigest.ToString();
        record.Created = image.Config.Created;
        record.DiffIds = image.Config.RootFs.DiffIds.ToList();
        record.BlobSize = image.BlobSize;
        record.RepoDigests ??= new List<string>();
        if (!record.RepoDigests.Contains(repoDigest)) record.RepoDigests.Add(repoDigest);
        Images[id] = record;

        if (image.Reference.Digest is null)
            Tags[image.Reference.ToString()] = id;
        foreach (var (diffId, size) in layerSizes)
            Layers[diffId] = size;
        AddBlobSources([image.ConfigDigest, .. image.Layers.Select(l => l.BlobDigest)], image.Reference.Name);
        return already;
    }
}
