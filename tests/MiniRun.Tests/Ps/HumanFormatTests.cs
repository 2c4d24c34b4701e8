// HumanFormatTests: Docker's wording for durations (go-units HumanDuration) and the COMMAND column.
using MiniRun.Cli;

namespace MiniRun.Tests.Ps;

public sealed class HumanFormatTests
{
    [Theory]
    [InlineData(0.5, "Less than a second")]
    [InlineData(1, "1 second")]
    [InlineData(3, "3 seconds")]
    [InlineData(59, "59 seconds")]
    [InlineData(60, "About a minute")]
    [InlineData(119, "About a minute")]
    [InlineData(120, "2 minutes")]
    [InlineData(3599, "59 minutes")]
    [InlineData(3600, "About an hour")]
    [InlineData(5400, "2 hours")]       // go-units rounds hours
    [InlineData(47 * 3600, "47 hours")]
    [InlineData(48 * 3600, "2 days")]
    [InlineData(15 * 86400, "2 weeks")]
    [InlineData(61 * 86400, "2 months")]
    [InlineData(800 * 86400, "2 years")]
    public void DurationLikeGoUnits(double seconds, string expected) =>
        Assert.Equal(expected, HumanFormat.Duration(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void CommandQuotesArgsWithSpacesTruncatesAndGoQuotes()
    {
        Assert.Equal("\"sleep 30\"", HumanFormat.Command(["sleep", "30"]));
        Assert.Equal("\"sh -c 'while true; …\"", HumanFormat.Command(["sh", "-c", "while true; do sleep 1; done"]));
        Assert.Equal("\"sh -c 'while true; do sleep 1; done'\"", HumanFormat.Command(["sh", "-c", "while true; do sleep 1; done"], noTrunc: true));
        Assert.Equal("\"echo \\\"hi\\\"\"", HumanFormat.Command(["echo", "\"hi\""]));
    }
}
