// SecurityLabTests: the security lab (docs/labs/en/01-security.md and its Japanese twin
// docs/labs/ja/01-security.md) cannot rot: every command of the English lab is run with the
// real binary, in order, and its output compared with the lab's expected output by the one rule
// every lab and `minirun lab run` share (LabRun.RunEnglishLab, src/MiniRun/Labs/LabFile.cs):
// ```console blocks, "$ " lines are commands, "<word>" matches one run of non-blanks and keeps
// that text for the rest of the lab (the <first-uid> of the uid map is the owner `ps` shows),
// `<!-- lab: needs PATH -->` before a block runs it only where PATH exists (/proc/kcore: some
// kernels, like the development machine's, are built without it); the Japanese lab must hold
// exactly the same blocks. How a command runs: LabScratch (`./minirun` is the built binary with
// this test's temporary --root; `sudo` just runs its arguments, the tests run as root).
//
// Cleanup, even when a step fails: every container of the temporary root is removed with it
// (MiniRunHost), the scratch directory is deleted, and if the lab's --userns=remap step created
// the "minirun" user, its ranges, the user and its group are removed again. This class shares
// a collection with UsernsRemapTests, so the two never make and delete that user at once.
//
// Harmless if a protection failed: the lab sets the clock only to the current second, mounts
// inside the container's own mount namespace, opens device 240:0 (no driver: ENXIO at worst),
// and never runs reboot.
using System.Diagnostics;
using MiniRun.Security;
using MiniRun.Tests.Integration;
using Xunit.Abstractions;

namespace MiniRun.Tests.Labs;

[Collection(UsernsRemapTests.RemapUserCollection)]
public sealed class SecurityLabTests : IClassFixture<SecurityLabTests.Fixture>
{
    public static string EnglishLab => Path.Combine(MiniRunHost.RepoRoot, "docs/labs/en/01-security.md");
    public static string JapaneseLab => Path.Combine(MiniRunHost.RepoRoot, "docs/labs/ja/01-security.md");

    public sealed class Fixture : IDisposable
    {
        public LabScratch Lab { get; } = new();
        private readonly bool _userExisted = RemapUser.UidOf(RemapUser.DefaultUser, "/etc/passwd") is not null;

        public void Dispose()
        {
            try { Lab.Dispose(); }
            finally { RemoveRemapUserIfMadeHere(); }
        }

        private void RemoveRemapUserIfMadeHere()
        {
            if (_userExisted || RemapUser.UidOf(RemapUser.DefaultUser, "/etc/passwd") is null) return;
            var id = RemapUser.Ensure("default");   // exists: only reads its ranges
            Tool("usermod", "--del-subuids", $"{id.Uids.Start}-{id.Uids.End - 1}", "--del-subgids", $"{id.Gids.Start}-{id.Gids.End - 1}", RemapUser.DefaultUser);
            Tool("userdel", RemapUser.DefaultUser);
            if (File.ReadAllLines("/etc/group").Any(l => l.StartsWith(RemapUser.DefaultUser + ":", StringComparison.Ordinal)))
                Tool("groupdel", RemapUser.DefaultUser);
        }

        private static void Tool(string name, params string[] args)
        {
            var psi = new ProcessStartInfo(name) { RedirectStandardError = true };
            foreach (var a in args) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            p.StandardError.ReadToEnd();
            p.WaitForExit();
        }
    }


    private readonly Fixture _f;
    private readonly ITestOutputHelper _out;
    public SecurityLabTests(Fixture f, ITestOutputHelper output) { _f = f; _out = output; }

    [Fact]
    public void Every_command_of_the_english_lab_prints_what_the_lab_says() =>
        Assert.True(LabRun.RunEnglishLab(_f.Lab, "01-security.md", 30, _out) >= 30);

    [Fact]
    public void The_japanese_lab_has_the_same_commands_outputs_and_conditions_as_the_english_one()
    {
        LabDocument.AssertTwinsAgree(EnglishLab, JapaneseLab);
    }

    [Theory]
    [InlineData("en")]
    [InlineData("ja")]
    public void Every_source_file_the_lab_names_exists(string language)
    {
        LabDocument.AssertNamedSourcesExist($"{language}/01-security.md", 8);
    }

    [Fact]
    public void An_argument_starting_with_at_reaches_the_container_unchanged()
    {
        // The lab's `date -s "@SECONDS"`: System.CommandLine would read "@x" as a response file.
        var r = _f.Lab.MiniRun.Run("run", "--rm", "busybox", "echo", "@1700000000", "@no-such-file");
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.Equal("@1700000000 @no-such-file", r.Stdout.Trim());
    }
}
