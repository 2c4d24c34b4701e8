// ImageSummary: one line of `minirun images`: an image under one of its tags (or <none>:<none>).
//
// Why: the CLI lists, resolves and runs images through this small immutable record; the store's
// own records (images.json) stay internal.
// Follows: the columns of `docker images` (REPOSITORY, TAG, IMAGE ID, CREATED, SIZE).
namespace MiniImage.Store;

/// <param name="Repository">Familiar repository name ("busybox", "user/app", "localhost:5000/x") or "&lt;none&gt;".</param>
/// <param name="Tag">Tag or "&lt;none&gt;".</param>
/// <param name="ImageId">"sha256:&lt;hex&gt;" of the config blob.</param>
/// <param name="ManifestDigest">"sha256:&lt;hex&gt;" of the manifest the image was loaded from.</param>
/// <param name="Created">The config's "created" time, if any.</param>
/// <param name="Size">Uncompressed size of all layers once they are unpacked; until then the sum of
/// the (compressed) layer blob sizes, an approximation.</param>
public sealed record ImageSummary(string Repository, string Tag, string ImageId,
                                  string ManifestDigest, DateTimeOffset? Created, long Size)
{
    public const string None = "<none>";

    public bool IsDangling => Repository == None;

    /// <summary>The first 12 hex characters of the image ID, as `docker images` shows it.</summary>
    public string ShortId => ImageId.StartsWith("sha256:", StringComparison.Ordinal) && ImageId.Length >= 19 ? ImageId[7..19] : ImageId;

    /// <summary>"busybox:latest", or the short ID for a dangling image.</summary>
    public string DisplayName => IsDangling ? ShortId : $"{Repository}:{Tag}";
}
