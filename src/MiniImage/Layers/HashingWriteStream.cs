// HashingWriteStream: a write-only pass-through stream that feeds every byte written into SHA-256
// and counts them, so a layer's diff_id (uncompressed) and blob digest (compressed) are known the
// moment the layer has been written once.
//
// Why: `commit` writes a layer tar through gzip into the store; hashing on the way avoids reading
// the layer back twice. The inner stream is left open unless asked otherwise.
// Follows: OCI image-spec v1.1 config.md (diff_id = sha256 of the uncompressed tar) and
// descriptor.md (digest and size of the blob as stored).
using System.Security.Cryptography;
using MiniImage.Oci;

namespace MiniImage.Layers;

public sealed class HashingWriteStream(Stream inner, bool leaveOpen = true) : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    /// <summary>Bytes written so far.</summary>
    public long Count { get; private set; }

    /// <summary>The sha256 of everything written (call once, at the end).</summary>
    public Digest Digest() => Oci.Digest.FromHash(_hash.GetHashAndReset());

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _hash.AppendData(buffer);
        inner.Write(buffer);
        Count += buffer.Length;
    }

    public override void Flush() => inner.Flush();
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => Count;
    public override long Position { get => Count; set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
            if (!leaveOpen) inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
