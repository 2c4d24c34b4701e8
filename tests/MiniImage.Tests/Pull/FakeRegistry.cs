// FakeRegistry: an in-memory IRegistrySource for the pull tests: manifests by repository and
// tag/digest, blobs by digest, with faults on request (a connection dropped after N bytes, a
// Range request ignored, a blob's bytes corrupted) and a log of every blob request.
//
// Why: ImagePuller is tested without HTTP; the real client is tested against a registry
// elsewhere. The fake behaves as the distribution registry does: unknown manifest -> 404
// MANIFEST_UNKNOWN, unknown blob -> 404 BLOB_UNKNOWN, a Range offset -> the rest of the blob.
// Follows: OCI distribution-spec v1.1 "Pulling manifests", "Pulling blobs", error codes.
using System.Collections.Concurrent;
using MiniImage.Oci;
using MiniImage.Reference;
using MiniImage.Registry;

namespace MiniImage.Tests.Pull;

internal sealed class FakeRegistry : IRegistrySource
{
    private readonly ConcurrentDictionary<string, (byte[] Content, string MediaType)> _manifests = new();
    private readonly ConcurrentDictionary<Digest, byte[]> _blobs = new();

    /// <summary>Every OpenBlobAsync call: (digest, offset).</summary>
    public ConcurrentQueue<(Digest Digest, long Offset)> BlobRequests { get; } = new();

    /// <summary>Blobs whose next N opens break after the given number of bytes.</summary>
    public ConcurrentDictionary<Digest, (int Times, int AfterBytes)> DropAfter { get; } = new();

    /// <summary>Blobs for which Range requests are ignored (the whole blob is sent, 200).</summary>
    public ConcurrentDictionary<Digest, bool> IgnoreRange { get; } = new();

    /// <summary>Blobs served with these bytes instead of their own.</summary>
    public ConcurrentDictionary<Digest, byte[]> Corrupt { get; } = new();

    /// <summary>Blobs answered with 404 BLOB_UNKNOWN although they exist.</summary>
    public ConcurrentDictionary<Digest, bool> Missing { get; } = new();

    public int BlobFetches(Digest d) => BlobRequests.Count(r => r.Digest == d);

    public void AddBlob(byte[] data) => _blobs[Digest.Compute(data)] = data;

    /// <summary>Publishes a manifest (or index) under its digest and, if given, a tag.</summary>
    public Digest AddManifest(string repository, byte[] content, string mediaType, string? tag = null)
    {
        var digest = Digest.Compute(content);
        string name = ImageReference.Parse(repository).Name;
        _manifests[$"{name}@{digest}"] = (content, mediaType);
        if (tag is not null) _manifests[$"{name}:{tag}"] = (content, mediaType);
        return digest;
    }

    /// <summary>Serves `content` when asked for `digest` (a registry that lies, for the digest check).</summary>
    public void ServeManifestAs(string repository, Digest digest, byte[] content, string mediaType) =>
        _manifests[$"{ImageReference.Parse(repository).Name}@{digest}"] = (content, mediaType);

    public Task<FetchedManifest> GetManifestAsync(ImageReference image, string tagOrDigest, CancellationToken cancel)
    {
        string key = tagOrDigest.StartsWith("sha256:", StringComparison.Ordinal) ? $"{image.Name}@{tagOrDigest}" : $"{image.Name}:{tagOrDigest}";
        if (!_manifests.TryGetValue(key, out var m))
            throw new RegistryException($"manifest for {image.FamiliarName}:{tagOrDigest} not found: manifest unknown", 404, "MANIFEST_UNKNOWN");
        return Task.FromResult(new FetchedManifest(m.Content, m.MediaType, Digest.Compute(m.Content)));
    }

    public Task<BlobStream> OpenBlobAsync(ImageReference image, Digest digest, long offset, CancellationToken cancel)
    {
        BlobRequests.Enqueue((digest, offset));
        if (Missing.ContainsKey(digest) || !_blobs.TryGetValue(digest, out var data))
            throw new RegistryException($"blob {digest} not found: blob unknown to registry", 404, "BLOB_UNKNOWN");
        if (Corrupt.TryGetValue(digest, out var bad)) data = bad;
        bool partial = offset > 0 && !IgnoreRange.ContainsKey(digest);
        byte[] body = partial ? data[(int)offset..] : data;
        Stream content = new MemoryStream(body, writable: false);
        if (DropAfter.TryGetValue(digest, out var drop) && drop.Times > 0)
        {
            DropAfter[digest] = (drop.Times - 1, drop.AfterBytes);
            content = new DroppingStream(content, drop.AfterBytes);
        }
        return Task.FromResult(new BlobStream(content, body.Length, partial));
    }

    /// <summary>Delivers `limit` bytes, then fails as a reset connection does.</summary>
    private sealed class DroppingStream(Stream inner, int limit) : Stream
    {
        private int _left = limit;

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_left <= 0) throw new IOException("Connection reset by peer");
            int n = inner.Read(buffer, offset, Math.Min(count, _left));
            _left -= n;
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
