// HostnameLabTests: lab 5 (docs/labs/en/05-hostname-files.md and its Japanese twin
// docs/labs/ja/05-hostname-files.md) cannot rot: every command of the English lab is run with the real
// binary, in order, and its output compared with the lab's (LabRun: the conventions, where commands
// run, the cleanup).
using Xunit.Abstractions;

namespace MiniRun.Tests.Labs;

public sealed class HostnameLabTests : IClassFixture<LabScratch>
{
    private const string Lab = "05-hostname-files.md";
    private readonly LabScratch _s;
    private readonly ITestOutputHelper _out;
    public HostnameLabTests(LabScratch s, ITestOutputHelper output) { _s = s; _out = output; }

    [Fact]
    public void Every_command_of_the_english_lab_prints_what_the_lab_says() =>
        Assert.True(LabRun.RunEnglishLab(_s, Lab, 15, _out) >= 15);

    [Fact]
    public void The_japanese_lab_has_the_same_commands_outputs_and_conditions_as_the_english_one() =>
        LabDocument.AssertTwinsAgree(LabRun.English(Lab), LabRun.Japanese(Lab));

    [Theory]
    [InlineData("en")]
    [InlineData("ja")]
    public void Every_source_file_the_lab_names_exists(string language) => LabDocument.AssertNamedSourcesExist($"{language}/{Lab}", 5);
}
