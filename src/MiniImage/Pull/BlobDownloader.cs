// BlobDownloader: fetches one blob from a registry into a temporary file, hashing and counting
// the bytes as they arrive, resuming with a Range request when the connection drops.
//
// Why: a layer can be hundreds of megabytes; it is read from the network exactly once, its
// sha256 computed on the way (no second pass), and a dropped connection costs only the bytes not
// yet received: the next attempt asks for the rest (offset = bytes written). If the registry
// ignores the Range and sends the whole blob again (IsPartial false), the file and the hash
// start over. More bytes than the descriptor's size stop the download at once (a hostile or
// broken server cannot fill the disk). On a size or digest mismatch, or when the attempts are
// used up, the partial file is deleted and the error names the blob, what was expected and got.
// Follows: OCI distribution-spec v1.1 "Pulling blobs" (Range requests, 206 Partial Content);
// OCI image-spec v1.1 descriptor.md (verify size and digest before use).
using System.Security.Cryptography;
using MiniImage.Oci;
using MiniImage.Reference;
using MiniImage.Registry;

namespace MiniImage.Pull;

internal sealed class BlobDownloader
{
    private const int BufferSize = 128 << 10;
    private readonly IRegistrySource _registry;
    private readonly PullOptions _options;

    public BlobDownloader(IRegistrySource registry, PullOptions options)
    {
        _registry = registry;
        _options = options;
    }

    /// <summary>
    /// Downloads <paramref name="digest"/> (<paramref name="size"/> bytes) into <paramref name="path"/>
    /// (must not exist) and verifies it. <paramref name="progress"/> gets (bytes so far, size).
    /// </summary>
    public async Task DownloadAsync(ImageReference image, Digest digest, long size, string path,
        Action<long, long>? progress, Action? verifying, string context, CancellationToken cancel)
    {
        try
        {
            await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, useAsync: false);
            var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            try
            {
                long written = 0;
                int attempt = 0;
                byte[] buffer = new byte[BufferSize];
                while (true)
                {
                    attempt++;
                    Exception? dropped = null;
                    try
                    {
                        using var blob = await _registry.OpenBlobAsync(image, digest, written, cancel).ConfigureAwait(false);
                        if (written > 0 && !blob.IsPartial)
                        {
                            // The registry sent the whole blob: start the file and the hash over.
                            file.SetLength(0);
                            file.Position = 0;
                            hash.Dispose();
                            hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                            written = 0;
                        }
                        int n;
                        while ((n = await ReadAsync(blob.Content, buffer, cancel).ConfigureAwait(false)) > 0)
                        {
                            if (written + n > size)
                                throw new MiniImageException($"{context}: blob {digest} is larger than the {size} bytes its descriptor says");
                            hash.AppendData(buffer, 0, n);
                            file.Write(buffer, 0, n);
                            written += n;
                            progress?.Invoke(written, size);
                        }
                    }
                    catch (Exception e) when (IsDroppedConnection(e, cancel))
                    {
                        dropped = e;
                    }
                    if (written == size) break;
                    // The stream ended early (or broke): try again from where it stopped.
                    if (attempt >= _options.MaxBlobAttempts)
                    {
                        string why = dropped is null ? "the connection closed early" : dropped.Message.ReplaceLineEndings(" ");
                        throw new MiniImageException(
                            $"{context}: download blob {digest}: got {written} of {size} bytes after {attempt} attempts: {why}", dropped);
                    }
                    var delay = _options.RetryDelay * Math.Pow(2, attempt - 1);
                    if (delay > TimeSpan.Zero) await Task.Delay(delay, cancel).ConfigureAwait(false);
                }
                verifying?.Invoke();
                var got = Digest.FromHash(hash.GetHashAndReset());
                if (got != digest)
                    throw new MiniImageException($"{context}: blob content does not match its digest: expected {digest}, got {got}");
                file.Flush(flushToDisk: true);
            }
            finally
            {
                hash.Dispose();
            }
        }
        catch (Exception e)
        {
            Store.StorePaths.DeleteTree(path);
            if (e is MiniImageException or OperationCanceledException) throw;
            if (e is IOException or UnauthorizedAccessException)
                throw new MiniImageException($"{context}: write blob {digest} to {path}: {e.Message}", e);
            throw;
        }
    }

    private static async ValueTask<int> ReadAsync(Stream s, byte[] buffer, CancellationToken cancel)
    {
        try { return await s.ReadAsync(buffer, cancel).ConfigureAwait(false); }
        catch (IOException e) { throw new DroppedConnectionException(e); }
        catch (System.Net.Http.HttpRequestException e) { throw new DroppedConnectionException(e); }
    }

    /// <summary>A failure of the transfer (not of the local file): worth another attempt.</summary>
    private static bool IsDroppedConnection(Exception e, CancellationToken cancel) => e switch
    {
        DroppedConnectionException => true,
        System.Net.Http.HttpRequestException => true,
        // A timeout of the HTTP client, not our own cancellation.
        OperationCanceledException => !cancel.IsCancellationRequested,
        // The registry gave up on the request (5xx after its own retries, or no response at all).
        RegistryException r => r.StatusCode is null or >= 500,
        _ => false,
    };

    /// <summary>Marks an exception thrown while reading the network stream (file writes are not retried).</summary>
    private sealed class DroppedConnectionException(Exception inner) : IOException(inner.Message, inner);
}
