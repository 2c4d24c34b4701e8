// LabTests: what every lab's test checks (the base of ProcessLabTests, NamespacesLabTests, ...):
// each command of the English lab run with the real binary, in order, its output compared with the
// lab's (LabRun: the conventions, where commands run, the cleanup); the Japanese twin with the same
// commands, outputs and conditions; every source file the lab names present in both languages.
// One class per lab, so a failure names its lab and the VM stage can select labs by class name
// (tests/vm/run-tests-in-vm.sh: LifecycleLabTests runs there too).
using Xunit.Abstractions;

namespace MiniRun.Tests.Labs;

public abstract class LabTests(LabScratch scratch, ITestOutputHelper output, string lab, int commands, int sources)
    : IClassFixture<LabScratch>
{
    [Fact]
    public void Every_command_of_the_english_lab_prints_what_the_lab_says() =>
        Assert.True(LabRun.RunEnglishLab(scratch, lab, commands, output) >= commands);

    [Fact]
    public void The_japanese_lab_has_the_same_commands_outputs_and_conditions_as_the_english_one() =>
        LabDocument.AssertTwinsAgree(LabRun.English(lab), LabRun.Japanese(lab));

    [Theory]
    [InlineData("en")]
    [InlineData("ja")]
    public void Every_source_file_the_lab_names_exists(string language) => LabDocument.AssertNamedSourcesExist($"{language}/{lab}", sources);
}
