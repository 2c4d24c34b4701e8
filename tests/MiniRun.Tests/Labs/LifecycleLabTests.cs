// LifecycleLabTests: lab 7 (docs/labs/en/07-lifecycle.md and its Japanese twin
// docs/labs/ja/07-lifecycle.md) cannot rot: every command of the English lab is run with the real
// binary, in order, and its output compared with the lab's (LabRun: the conventions, where commands
// run, the cleanup). Its pause block needs cgroup v2 (`needs /sys/fs/cgroup/cgroup.subtree_control`):
// skipped on a hybrid host, run in the VM stage, which selects this class by its name ("Lifecycle").
using Xunit.Abstractions;

namespace MiniRun.Tests.Labs;

public sealed class LifecycleLabTests : IClassFixture<LabScratch>
{
    private const string Lab = "07-lifecycle.md";
    private readonly LabScratch _s;
    private readonly ITestOutputHelper _out;
    public LifecycleLabTests(LabScratch s, ITestOutputHelper output) { _s = s; _out = output; }

    [Fact]
    public void Every_command_of_the_english_lab_prints_what_the_lab_says() =>
        Assert.True(LabRun.RunEnglishLab(_s, Lab, 20, _out) >= 20);

    [Fact]
    public void The_japanese_lab_has_the_same_commands_outputs_and_conditions_as_the_english_one() =>
        LabDocument.AssertTwinsAgree(LabRun.English(Lab), LabRun.Japanese(Lab));

    [Theory]
    [InlineData("en")]
    [InlineData("ja")]
    public void Every_source_file_the_lab_names_exists(string language) => LabDocument.AssertNamedSourcesExist($"{language}/{Lab}", 6);
}
