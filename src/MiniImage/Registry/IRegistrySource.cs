// IRegistrySource: what pulling an image needs from a registry - manifests and blobs - as an
// interface, so the pull logic is tested against a fake and the HTTP client against a server.
//
// Why: the OCI distribution API is two reads for a pull: GET /v2/<name>/manifests/<ref> and
// GET /v2/<name>/blobs/<digest>. Authentication, redirects, retries and TLS policy all live
// behind this interface in RegistryClient; ImagePuller only sees bytes and streams.
//
// Follows: OCI distribution-spec v1.1 "Pulling manifests" and "Pulling blobs".
using MiniImage.Oci;
using MiniImage.Reference;

namespace MiniImage.Registry;

public interface IRegistrySource
{
    /// <summary>
    /// The manifest or index of <paramref name="image"/> at <paramref name="tagOrDigest"/>, negotiated
    /// with Accept for OCI index and manifest and Docker manifest list and schema2. A Docker
    /// schema1 manifest is refused with a RegistryException saying the image is too old.
    /// The digest is verified when the reference is a digest.
    /// </summary>
    Task<FetchedManifest> GetManifestAsync(ImageReference image, string tagOrDigest, CancellationToken cancel);

    /// <summary>
    /// A blob's bytes from <paramref name="offset"/> on (a Range request when offset &gt; 0). The
    /// caller hashes what it reads and checks the digest; redirects (Docker Hub's CDN) are followed
    /// without sending credentials to another host.
    /// </summary>
    Task<BlobStream> OpenBlobAsync(ImageReference image, Digest digest, long offset, CancellationToken cancel);
}

/// <summary>A manifest or index as the registry sent it.</summary>
public sealed record FetchedManifest(byte[] Content, string MediaType, Digest Digest);

/// <summary>An open blob download; <see cref="Length"/> is the number of bytes still to come, when known.</summary>
public sealed class BlobStream : IDisposable
{
    public Stream Content { get; }
    public long? Length { get; }
    /// <summary>True when the registry honoured the Range request (206), false when it sent the whole blob.</summary>
    public bool IsPartial { get; }

    public BlobStream(Stream content, long? length, bool isPartial = false)
    {
        Content = content;
        Length = length;
        IsPartial = isPartial;
    }

    public void Dispose() => Content.Dispose();
}

/// <summary>A registry said no, or could not be reached. The message is one complete line.</summary>
public class RegistryException : MiniImageException
{
    /// <summary>HTTP status, when there was a response.</summary>
    public int? StatusCode { get; }
    /// <summary>The distribution error code (MANIFEST_UNKNOWN, NAME_UNKNOWN, UNAUTHORIZED, DENIED, BLOB_UNKNOWN...), when given.</summary>
    public string? ErrorCode { get; }

    public RegistryException(string message, int? statusCode = null, string? errorCode = null, Exception? inner = null)
        : base(message, inner)
    {
        StatusCode = statusCode;
        ErrorCode = errorCode;
    }
}
