// CpuListAndByteSizeTests: the kernel's list syntax (cpuset(7) FORMATS) and Docker's sizes.
using MiniRun.Cgroups;

namespace MiniRun.Tests.Cgroups;

public class CpuListAndByteSizeTests
{
    [Theory]
    [InlineData("0-2,4", "0,1,2,4", "0-2,4")]
    [InlineData("3", "3", "3")]
    [InlineData("0-3,8-11", "0,1,2,3,8,9,10,11", "0-3,8-11")]
    [InlineData(" 1,0 ", "0,1", "0-1")]
    public void Parses_and_formats(string text, string members, string canonical)
    {
        Assert.True(CpuList.TryParse(text, out var set));
        Assert.Equal(members, string.Join(',', set));
        Assert.Equal(canonical, CpuList.Format(set));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("2-1")]
    [InlineData("1,,2")]
    [InlineData("-1")]
    [InlineData("1-")]
    public void Rejects(string text) => Assert.False(CpuList.TryParse(text, out _));

    [Theory]
    [InlineData("1k", 1024L)]
    [InlineData("1KB", 1024L)]
    [InlineData("2g", 2147483648L)]
    [InlineData("1t", 1099511627776L)]
    [InlineData("0.5k", 512L)]
    public void Sizes(string text, long bytes)
    {
        Assert.True(ByteSize.TryParse(text, out var b));
        Assert.Equal(bytes, b);
    }

    [Theory]
    [InlineData("k")]
    [InlineData("1q")]
    [InlineData("1.2.3m")]
    public void Not_sizes(string text) => Assert.False(ByteSize.TryParse(text, out _));

    [Fact]
    public void Formats_sizes() => Assert.Equal(["6MB", "1GB", "3KB", "100B"],
        new[] { 6L << 20, 1L << 30, 3072, 100 }.Select(ByteSize.Format));
}
