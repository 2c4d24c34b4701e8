// PullResult: what a pull did: the image now in the store, the digest the registry named it by,
// and whether anything changed (Docker's "Downloaded newer image" vs "Image is up to date").
//
// Why: `pull` prints Digest and Status lines from it, `run` continues with Image.
// Follows: the status lines of docker-pull(1).
using MiniImage.Oci;
using MiniImage.Reference;
using MiniImage.Store;

namespace MiniImage.Pull;

/// <param name="Reference">The normalised reference pulled ("docker.io/library/alpine:latest").</param>
/// <param name="Image">The image as the store now lists it (with the pulled tag, if any).</param>
/// <param name="Digest">The digest of what the reference names in the registry: the index for a
/// multi-platform image, else the manifest (what RepoDigests records; Docker's "Digest:" line).</param>
/// <param name="ManifestDigest">The platform manifest actually pulled.</param>
/// <param name="Updated">True when blobs were downloaded or the tag/digest was new to the store
/// ("Downloaded newer image"); false when the store already had it all ("Image is up to date").</param>
/// <param name="BlobsDownloaded">How many blobs (config and layers) were fetched from the registry.</param>
public sealed record PullResult(ImageReference Reference, ImageSummary Image, Digest Digest,
                                Digest ManifestDigest, bool Updated, int BlobsDownloaded);
