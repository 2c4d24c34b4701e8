// RawPathTests: file names as bytes through .NET strings (src/MiniJson/RawPath.cs): every byte
// sequence a name can hold decodes to a string that encodes back to the same bytes.
using System.Text;

namespace MiniImage.Tests.Text;

public sealed class RawPathTests
{
    [Theory]
    [InlineData(new byte[] { 0xff, (byte)'x' }, "\\udcffx")]
    [InlineData(new byte[] { (byte)'a', 0xc3 }, "a\\udcc3")]            // a cut-off two-byte sequence
    [InlineData(new byte[] { 0xed, 0xb2, 0x80 }, "\\udced\\udcb2\\udc80")] // an encoded surrogate is not UTF-8
    [InlineData(new byte[] { 0xe6, 0x97, 0xa5 }, "日")]
    public void Decode_keeps_invalid_bytes_as_lone_surrogates(byte[] name, string escaped)
    {
        // (escaped: a lone surrogate does not survive xunit's serialization of test data)
        string expected = System.Text.RegularExpressions.Regex.Unescape(escaped);
        Assert.Equal(expected, RawPath.Decode(name));
        Assert.Equal(name, RawPath.Encode(expected));
    }

    [Fact]
    public void Every_byte_string_round_trips()
    {
        var random = new Random(20261207);
        for (int i = 0; i < 20000; i++)
        {
            var name = new byte[random.Next(0, 12)];
            random.NextBytes(name);
            Assert.Equal(name, RawPath.Encode(RawPath.Decode(name)));
        }
    }

    [Fact]
    public void Valid_UTF8_is_decoded_as_usual_and_Z_ends_with_NUL()
    {
        const string s = "ディレクトリ/😀 file";
        Assert.Equal(s, RawPath.Decode(Encoding.UTF8.GetBytes(s)));
        Assert.False(RawPath.HasRawBytes(s));
        Assert.True(RawPath.HasRawBytes(RawPath.Decode([0x80])));
        Assert.Equal([(byte)'a', 0xff, 0], RawPath.Z(RawPath.Decode([(byte)'a', 0xff])));
    }
}
