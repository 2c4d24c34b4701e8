// LayerDecompression: turns a layer blob into its uncompressed tar stream, choosing gzip, zstd or
// nothing from the media type, and from the first bytes (gzip 1f 8b, zstd 28 b5 2f fd) when the
// media type says plain tar or is unknown.
//
// Why: registries and tools mislabel layers (Docker itself sniffs every layer); an unknown media
// type that is not compressed data is refused rather than guessed at.
// Follows: OCI image-spec v1.1 media-types.md and layer.md; RFC 1952 (gzip magic);
// RFC 8878 section 3.1.1 (zstd frame magic 0xFD2FB528, little-endian).
using System.IO.Compression;
using ZstdDecompressionStream = SharpCompress.Compressors.ZStandard.DecompressionStream;

namespace MiniImage.Layers;

internal enum LayerCompression { Tar, Gzip, Zstd, Unknown }

internal static class LayerDecompression
{
    const int InputBufferSize = 256 * 1024;

    internal static LayerCompression FromMediaType(string mediaType) => mediaType switch
    {
        "application/vnd.oci.image.layer.v1.tar" or
        "application/vnd.oci.image.layer.nondistributable.v1.tar" or
        "application/vnd.docker.image.rootfs.diff.tar" => LayerCompression.Tar,
        "application/vnd.oci.image.layer.v1.tar+gzip" or
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip" or
        "application/vnd.docker.image.rootfs.diff.tar.gzip" or
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip" => LayerCompression.Gzip,
        "application/vnd.oci.image.layer.v1.tar+zstd" or
        "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd" => LayerCompression.Zstd,
        _ => LayerCompression.Unknown,
    };

    /// Returns the uncompressed tar stream; disposing it does not dispose `blob`.
    internal static Stream Open(Stream blob, string mediaType, string label)
    {
        var input = new PeekStream(blob, InputBufferSize);
        LayerCompression kind = FromMediaType(mediaType);
        if (kind is LayerCompression.Tar or LayerCompression.Unknown)
        {
            ReadOnlySpan<byte> head = input.Peek(4);
            if (head.Length >= 2 && head[0] == 0x1f && head[1] == 0x8b)
                kind = LayerCompression.Gzip;
            else if (head.Length >= 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd)
                kind = LayerCompression.Zstd;
            else if (kind == LayerCompression.Unknown)
                throw new LayerException($"unpack layer {label}: unknown layer media type {GoQuote.Quote(mediaType)} and the data is neither gzip nor zstd");
        }
        return kind switch
        {
            LayerCompression.Gzip => new GZipStream(input, CompressionMode.Decompress, leaveOpen: false),
            LayerCompression.Zstd => new ZstdDecompressionStream(input, bufferSize: 0, checkEndOfStream: true, leaveOpen: false),
            _ => input,
        };
    }

    /// A read-only buffered stream that can show its first bytes before they are read.
    sealed class PeekStream(Stream inner, int bufferSize) : Stream
    {
        readonly byte[] _buf = new byte[bufferSize];
        int _pos, _len;

        public ReadOnlySpan<byte> Peek(int count)
        {
            while (_len - _pos < count)
            {
                if (_pos > 0) { Buffer.BlockCopy(_buf, _pos, _buf, 0, _len - _pos); _len -= _pos; _pos = 0; }
                int n = inner.Read(_buf, _len, _buf.Length - _len);
                if (n <= 0) break;
                _len += n;
            }
            return _buf.AsSpan(_pos, Math.Min(count, _len - _pos));
        }

        public override int Read(Span<byte> buffer)
        {
            if (_pos == _len)
            {
                if (buffer.Length >= _buf.Length) return inner.Read(buffer);
                _pos = 0;
                _len = inner.Read(_buf, 0, _buf.Length);
                if (_len <= 0) { _len = 0; return 0; }
            }
            int n = Math.Min(buffer.Length, _len - _pos);
            _buf.AsSpan(_pos, n).CopyTo(buffer);
            _pos += n;
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
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
