// GoQuoteTests: the one quoting rule for names from outside (Go's strconv.Quote), and a hostile
// layer entry name reaching an error message as one quoted line.
using System.Text;
using MiniImage.Layers;
using MiniImage.Tests.Layers;

namespace MiniImage.Tests.Text;

public sealed class GoQuoteTests
{
    [Theory]
    [InlineData("plain", "\"plain\"")]
    [InlineData("with space/and-é", "\"with space/and-é\"")]
    [InlineData("a\"b\\c", "\"a\\\"b\\\\c\"")]
    [InlineData("x\ny\rz\t", "\"x\\ny\\rz\\t\"")]
    [InlineData("\u001b[31mred", "\"\\x1b[31mred\"")]
    [InlineData("\a\b\f\v", "\"\\a\\b\\f\\v\"")]
    [InlineData("\u0085next\u2028line", "\"\\u0085next\\u2028line\"")]
    [InlineData("\u00a0nbsp", "\"\\u00a0nbsp\"")]
    public void Strings_are_quoted_as_Go_quotes_them(string input, string expected) =>
        Assert.Equal(expected, GoQuote.Quote(input));

    [Fact]
    public void Bytes_that_are_not_UTF8_show_as_hex()
    {
        Assert.Equal("\"a\\xffb\\xc3\"", GoQuote.Quote([(byte)'a', 0xff, (byte)'b', 0xc3]));
        Assert.Equal("\"😀\"", GoQuote.Quote(Encoding.UTF8.GetBytes("😀")));   // printable outside the BMP stays
    }

    [Fact]
    public void A_hostile_entry_name_reaches_the_message_quoted_on_one_line()
    {
        using var box = new LayerSandbox();
        string name = "../\u001b[2J\nLoaded image: trusted:latest";
        var ex = Assert.Throws<LayerException>(() => box.Unpack(new TestTarWriter().File(name, "x").Finish()));
        Assert.DoesNotContain('\n', ex.Message);
        Assert.DoesNotContain('\u001b', ex.Message);
        Assert.Contains("entry \"../\\x1b[2J\\nLoaded image: trusted:latest\" escapes the layer directory", ex.Message);
    }

    [Theory]
    [InlineData('a', "'a'")]
    [InlineData('\n', "'\\n'")]
    [InlineData('\u001b', "'\\x1b'")]
    [InlineData('\'', "'\\''")]
    [InlineData('"', "'\"'")]
    public void QuoteRune_as_Go(char c, string expected) => Assert.Equal(expected, GoQuote.QuoteRune(c));

    [Theory]
    [InlineData("busybox\n\u001b[31mLoaded image: trusted:latest")]
    [InlineData("sha256:\r\u0007")]
    public void References_and_digests_from_outside_reach_messages_quoted(string hostile)
    {
        // A reference or digest read from an archive's manifest.json, a registry answer or the
        // command line: quoted by the one rule, so the message stays one line without escapes.
        var e1 = Assert.Throws<MiniImageException>(() => MiniImage.Reference.ImageReference.Parse(hostile));
        var e2 = Assert.Throws<MiniImageException>(() => MiniImage.Oci.Digest.Parse(hostile));
        foreach (var message in new[] { e1.Message, e2.Message })
        {
            Assert.DoesNotContain('\n', message);
            Assert.DoesNotContain('\r', message);
            Assert.DoesNotContain('\u001b', message);
            Assert.DoesNotContain('\u0007', message);
            Assert.Contains(GoQuote.Quote(hostile), message);
        }
    }
}
