// HashingTarInput: a large-buffer reader over the uncompressed tar stream that feeds every byte
// it pulls into SHA-256, so the diff id covers the whole stream (headers, data, padding, and the
// trailing blocks after the end-of-archive marker).
//
// Why: the diff id is defined over the uncompressed bytes; hashing at the single point where bytes
// enter avoids a second pass. File data is handed out as spans of the internal buffer (no copy).
// Follows: OCI image-spec v1.1 config.md (DiffID = digest of the uncompressed tar).
using System.Security.Cryptography;

namespace MiniImage.Layers;

internal sealed class HashingTarInput : IDisposable
{
    readonly Stream _src;
    readonly byte[] _buf;
    readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    int _pos, _len;

    /// Bytes consumed by the reader so far (for error messages).
    public long Offset { get; private set; }

    public HashingTarInput(Stream src, int bufferSize = 1 << 20)
    {
        _src = src;
        _buf = new byte[bufferSize];
    }

    bool Fill()
    {
        if (_pos < _len) return true;
        _pos = 0;
        _len = _src.Read(_buf, 0, _buf.Length);
        if (_len <= 0) { _len = 0; return false; }
        _hash.AppendData(_buf, 0, _len);
        return true;
    }

    /// Fills `dst` completely. Returns false if the stream ended before the first byte;
    /// throws if it ended part way.
    public bool TryReadExactly(Span<byte> dst)
    {
        int done = 0;
        while (done < dst.Length)
        {
            if (!Fill())
            {
                if (done == 0) return false;
                throw new EndOfStreamException($"tar stream ends in the middle of a block at offset {Offset}");
            }
            int n = Math.Min(dst.Length - done, _len - _pos);
            _buf.AsSpan(_pos, n).CopyTo(dst[done..]);
            _pos += n; done += n; Offset += n;
        }
        return true;
    }

    public void ReadExactly(Span<byte> dst)
    {
        if (!TryReadExactly(dst) && dst.Length > 0)
            throw new EndOfStreamException($"tar stream ends early at offset {Offset}");
    }

    /// Up to `max` bytes straight from the buffer; valid until the next call. Throws at end of stream.
    public ReadOnlySpan<byte> Take(long max)
    {
        if (!Fill()) throw new EndOfStreamException($"tar stream ends in the middle of file data at offset {Offset}");
        int n = (int)Math.Min(max, _len - _pos);
        var span = _buf.AsSpan(_pos, n);
        _pos += n; Offset += n;
        return span;
    }

    public void Skip(long count)
    {
        while (count > 0) count -= Take(count).Length;
    }

    /// Reads (and hashes) everything left in the stream.
    public void Drain()
    {
        while (Fill()) { Offset += _len - _pos; _pos = _len; }
    }

    public string DigestHex() => Convert.ToHexStringLower(_hash.GetHashAndReset());

    public void Dispose() => _hash.Dispose();
}
