// BlobUploader: gets one blob of the store into a registry repository, the cheapest way that works:
//   1. HEAD: the repository has it already -> "Layer already exists";
//   2. a repository of the same registry is known to hold it -> POST ?mount=&from=: 201 -> "Mounted
//      from <repo>"; 202 -> the registry opened an upload session instead: use it;
//   3. upload: a blob up to MonolithicLimit in one PUT <location>?digest= (after the POST); a larger
//      one in PATCHes of ChunkSize (Content-Range), then an empty PUT ?digest=. Each step uses the
//      Location of the answer before it.
// After a failure (dropped connection, 5xx, 416, an unknown or invalid session) the uploader asks
// the session how many bytes it holds (GET <location> -> Range) and resumes there; when the session
// cannot say, it starts again with a new one. MaxBlobAttempts bounds the attempts. Refusals (401,
// 403, a digest the registry rejects after a clean upload twice) are not retried.
//
// Why: a layer is hundreds of megabytes on a slow link; a cut should cost at most one chunk. The
// registry checks the digest on the final PUT, so bytes that reached it twice or not at all can
// never become a blob under the wrong name; the worst case is a failed attempt and a fresh session.
// Follows: OCI distribution-spec v1.1 "Pushing blobs" (monolithic, chunked, "Resuming an upload"
// via GET on the session, 416 on an out-of-order chunk), "Mounting a blob from another repository",
// "Checking if content exists"; RFC 9110 section 14 (Range).
using MiniImage.Oci;
using MiniImage.Reference;
using MiniImage.Registry;
using MiniImage.Store;

namespace MiniImage.Push;

internal enum UploadOutcome { Existed, Mounted, Uploaded }

internal sealed class BlobUploader
{
    private readonly RegistryClient _registry;
    private readonly PushOptions _options;

    public BlobUploader(RegistryClient registry, PushOptions options)
    {
        _registry = registry;
        _options = options;
    }

    /// <summary>Makes <paramref name="repository"/> hold the blob; <paramref name="sent"/> gets (bytes sent, size);
    /// <paramref name="uploading"/> is called once the blob has to be sent (neither existing nor mounted).</summary>
    public async Task<(UploadOutcome Outcome, string? From)> PushAsync(ImageReference repository, PushBlob blob, IReadOnlyList<string> mountSources,
        Action? uploading, Action<long, long>? sent, string context, CancellationToken cancel)
    {
        if (await _registry.BlobExistsAsync(repository, blob.Digest, cancel).ConfigureAwait(false))
            return (UploadOutcome.Existed, null);

        Uri? location = null;
        string? from = mountSources.FirstOrDefault(s => s != repository.Path);
        if (from is not null)
        {
            var start = await _registry.StartUploadAsync(repository, blob.Digest, from, cancel).ConfigureAwait(false);
            if (start.Mounted) return (UploadOutcome.Mounted, from);
            location = start.Location;   // 202: the registry could not mount; it opened a session for the upload
        }
        uploading?.Invoke();
        await UploadAsync(repository, blob, location, sent, context, cancel).ConfigureAwait(false);
        return (UploadOutcome.Uploaded, null);
    }

    /// <summary>Uploads the blob into a session (a new one when <paramref name="location"/> is null), retrying as described above.</summary>
    internal async Task UploadAsync(ImageReference repository, PushBlob blob, Uri? location, Action<long, long>? sent, string context, CancellationToken cancel)
    {
        long size = blob.Descriptor.Size;
        bool chunked = size > _options.MonolithicLimit;
        long offset = 0;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                location ??= (await _registry.StartUploadAsync(repository, blob.Digest, null, cancel).ConfigureAwait(false)).Location!;
                if (!chunked)
                {
                    await _registry.CompleteUploadAsync(repository, blob.Digest, location, blob.Path, size,
                        n => sent?.Invoke(n, size), cancel).ConfigureAwait(false);
                    return;
                }
                while (offset < size)
                {
                    long length = Math.Min(_options.ChunkSize, size - offset);
                    long start = offset;
                    location = await _registry.UploadChunkAsync(repository, blob.Digest, location, blob.Path, start, length,
                        n => sent?.Invoke(start + n, size), cancel).ConfigureAwait(false);
                    offset += length;
                }
                await _registry.CompleteUploadAsync(repository, blob.Digest, location, null, 0, null, cancel).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (Retryable(e, cancel))
            {
                if (attempt >= _options.MaxBlobAttempts)
                    throw new RegistryException(
                        $"{context}: upload blob {blob.Digest}: gave up after {attempt} attempts: {RegistryErrors.OneLine(WithoutPrefix(e.Message, repository, blob))}",
                        (e as RegistryException)?.StatusCode, (e as RegistryException)?.ErrorCode, e);
                var delay = _options.RetryDelay * Math.Pow(2, attempt - 1);
                if (delay > TimeSpan.Zero) await Task.Delay(delay, cancel).ConfigureAwait(false);
                (location, offset) = await ResumePointAsync(repository, blob, location, chunked ? offset : 0, cancel).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Where to go on after a failure: the session's own offset (chunked uploads), else a new session from 0.</summary>
    private async Task<(Uri? Location, long Offset)> ResumePointAsync(ImageReference repository, PushBlob blob, Uri? location, long offset,
        CancellationToken cancel)
    {
        if (location is null || offset == 0 && blob.Descriptor.Size <= _options.MonolithicLimit) return (null, 0);
        try
        {
            var status = await _registry.UploadStatusAsync(repository, blob.Digest, location, cancel).ConfigureAwait(false);
            if (status is { } s && s.Offset >= 0 && s.Offset <= blob.Descriptor.Size)
                return (s.Location, s.Offset);
        }
        catch (Exception e) when (Retryable(e, cancel)) { }
        return (null, 0);
    }

    /// <summary>The client's message without its "push NAME blob DIGEST: " start, which the caller's message already says.</summary>
    private static string WithoutPrefix(string message, ImageReference repository, PushBlob blob)
    {
        string prefix = $"push {repository.FamiliarName} blob {blob.Digest}: ";
        return message.StartsWith(prefix, StringComparison.Ordinal) ? message[prefix.Length..] : message;
    }

    /// <summary>A failure of the transfer or of the session, not a refusal: worth another attempt.</summary>
    private static bool Retryable(Exception e, CancellationToken cancel) => e switch
    {
        HttpRequestException or IOException => true,
        OperationCanceledException => !cancel.IsCancellationRequested,
        RegistryException r => r.StatusCode is null or >= 500 or 404 or 416 or 408 or 429
                               || r.ErrorCode is "BLOB_UPLOAD_INVALID" or "BLOB_UPLOAD_UNKNOWN" or "DIGEST_INVALID" or "SIZE_INVALID",
        _ => false,
    };
}
