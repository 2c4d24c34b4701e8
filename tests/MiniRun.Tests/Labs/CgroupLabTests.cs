// CgroupLabTests: lab 9 (docs/labs/en/09-cgroups.md and its Japanese twin docs/labs/ja/09-cgroups.md)
// cannot rot: every command of the English lab is run with the real binary, in order, and its
// output compared with the lab's (LabRun). The lab needs a usable cgroup v2 with the memory, pids
// and cpu controllers and their freezer, so it runs in the VM stage (tests/vm/run-tests-in-vm.sh
// selects every test whose name contains "Cgroup") and skips elsewhere, saying why.
using MiniRun.Tests.CgroupV2;
using Xunit.Abstractions;

namespace MiniRun.Tests.Labs;

public sealed class CgroupLabTests
{
    private const string Lab = "09-cgroups.md";
    private readonly ITestOutputHelper _out;
    public CgroupLabTests(ITestOutputHelper output) => _out = output;

    [CgroupV2Fact("memory", "pids", "cpu")]
    public void Every_command_of_the_english_lab_prints_what_the_lab_says()
    {
        using var s = new LabScratch();
        Assert.True(LabRun.RunEnglishLab(s, Lab, 15, _out) >= 15);
    }

    [Fact]
    public void The_japanese_lab_has_the_same_commands_outputs_and_conditions_as_the_english_one() =>
        LabDocument.AssertTwinsAgree(LabRun.English(Lab), LabRun.Japanese(Lab));

    [Theory]
    [InlineData("en")]
    [InlineData("ja")]
    public void Every_source_file_the_lab_names_exists(string language) => LabDocument.AssertNamedSourcesExist($"{language}/{Lab}", 6);
}
