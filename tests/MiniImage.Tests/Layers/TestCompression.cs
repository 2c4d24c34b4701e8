// TestCompression: gzip and zstd encoders for test layers (System.IO.Compression and SharpCompress's
// zstd CompressionStream), and a tar header checksum fixer for tests that patch header bytes.
//
// Why: the unpacker must be tested on real compressed data produced by an independent encoder.
// Follows: RFC 1952 (gzip), RFC 8878 (zstd), POSIX ustar header checksum.
using System.IO.Compression;
using System.Text;
using ZstdCompressionStream = SharpCompress.Compressors.ZStandard.CompressionStream;

namespace MiniImage.Tests.Layers;

internal static class TestCompression
{
    public static byte[] Gzip(byte[] data)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(data);
        return ms.ToArray();
    }

    public static byte[] Zstd(byte[] data)
    {
        var ms = new MemoryStream();
        using (var z = new ZstdCompressionStream(ms, level: 3, leaveOpen: true)) z.Write(data);
        return ms.ToArray();
    }

    public static void FixChecksum(byte[] tar, int headerOffset)
    {
        for (int i = 148; i < 156; i++) tar[headerOffset + i] = (byte)' ';
        int sum = 0;
        for (int i = 0; i < 512; i++) sum += tar[headerOffset + i];
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(tar, headerOffset + 148);
    }
}
