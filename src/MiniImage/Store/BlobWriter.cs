// BlobWriter: copies a stream into a file while hashing it, and accepts the file only if its
// sha256 and length are the ones expected.
//
// Why: the store is content-addressed, so a blob must never sit under a name its bytes do not
// hash to. Hashing during the copy (not after) reads the data once; stopping as soon as more
// bytes than the descriptor's size arrive protects against a huge or endless stream. On any
// mismatch the partial file is deleted and the error names the expected and the actual digest.
// Follows: OCI image-spec v1.1 descriptor.md ("verify ... size ... digest" before use).
using System.Security.Cryptography;
using MiniImage.Oci;

namespace MiniImage.Store;

internal static class BlobWriter
{
    private const int BufferSize = 1 << 20;

    /// <summary>
    /// Copies `source` to `destination` (which must not exist), verifying the digest and, if
    /// given, the size. Returns the number of bytes written. `context` prefixes error messages.
    /// </summary>
    public static long CopyVerified(Stream source, string destination, Digest expected, long? expectedSize, string context)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long total = 0;
        try
        {
            using (var output = new FileStream(destination, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None))
            {
                byte[] buffer = new byte[BufferSize];
                int n;
                while ((n = source.Read(buffer, 0, buffer.Length)) > 0)
                {
                    total += n;
                    if (expectedSize is { } max && total > max)
                        throw new MiniImageException($"{context}: blob {expected} is larger than the {max} bytes its descriptor says");
                    hash.AppendData(buffer, 0, n);
                    output.Write(buffer, 0, n);
                }
                if (expectedSize is { } size && total != size)
                    throw new MiniImageException($"{context}: blob {expected} has {total} bytes, its descriptor says {size}");
                var got = Digest.FromHash(hash.GetHashAndReset());
                if (got != expected)
                    throw new MiniImageException($"{context}: blob content does not match its digest: expected {expected}, got {got}");
                output.Flush(flushToDisk: true);
            }
            return total;
        }
        catch (Exception e)
        {
            StorePaths.DeleteTree(destination);
            if (e is MiniImageException) throw;
            if (e is IOException or UnauthorizedAccessException or InvalidDataException)
                throw new MiniImageException($"{context}: copy blob {expected}: {e.Message}", e);
            throw;
        }
    }

    /// <summary>sha256 of a whole file (used to re-check a blob read back from the store).</summary>
    public static Digest HashFile(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
        return Digest.FromHash(SHA256.HashData(fs));
    }
}
