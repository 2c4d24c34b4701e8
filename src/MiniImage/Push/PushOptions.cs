// PushOptions: how a push uploads: how many blobs at once, the size above which a blob is sent in
// chunks (PATCH) instead of in one PUT, the chunk size, and how often one blob's upload is tried
// again after a failure.
//
// Why: the defaults suit a registry on a LAN or loopback (Docker's max-concurrent-uploads is 5; a
// chunk of 16 MiB keeps the bytes lost to a cut small without many round trips); tests set tiny
// chunks to exercise the chunked path with small blobs.
// Follows: OCI distribution-spec v1.1 "Pushing blobs" (monolithic and chunked uploads);
// dockerd(8) --max-concurrent-uploads.
namespace MiniImage.Push;

public sealed class PushOptions
{
    /// <summary>Blobs uploaded at the same time.</summary>
    public int MaxConcurrentUploads { get; init; } = 3;

    /// <summary>Blobs of at most this many bytes go in one PUT (POST, then PUT with the body); larger ones in chunks.</summary>
    public long MonolithicLimit { get; init; } = 16 << 20;

    /// <summary>Bytes per PATCH of a chunked upload.</summary>
    public long ChunkSize { get; init; } = 16 << 20;

    /// <summary>Attempts per blob; after a failure the session's offset is asked (GET) and the upload resumes
    /// there, or starts over with a new session.</summary>
    public int MaxBlobAttempts { get; init; } = 5;

    /// <summary>Pause before the second attempt; doubled for each further one.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(300);
}
