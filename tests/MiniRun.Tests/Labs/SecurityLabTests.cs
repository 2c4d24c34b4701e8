// SecurityLabTests: the security lab (docs/labs/en/01-security.md and its Japanese twin
// docs/labs/ja/01-security.md) cannot rot: every command of the English lab is run with the
// real binary, in order, and its output compared with the lab's expected output.
//
// The lab's convention (written at the top of the lab for the students too):
//   - only ```console blocks are run; a line starting with "$ " is a command (bash), the lines
//     after it, up to the next "$ " or the end of the block, are its expected output (stdout and
//     stderr together);
//   - "<word>" in an expected line matches one run of non-blank characters (ids, pids, uids,
//     versions); runs of spaces and tabs compare as one space, ends of lines are trimmed;
//   - `<!-- lab: needs PATH -->` just before a block: the block runs only where PATH exists
//     (/proc/kcore: some kernels, like the development machine's, are built without it);
//   - the Japanese lab must hold exactly the same blocks (commands, outputs, conditions).
// How a command runs: `bash -c` in a scratch directory whose `./minirun` is a two-line script
// calling the built binary with this test's temporary --root; `sudo` is a shell function that
// just runs its arguments (the tests run as root). stderr is joined to stdout (2>&1).
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
using System.Text.RegularExpressions;
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
        public MiniRunHost MiniRun { get; } = new();
        public string Scratch { get; } = Directory.CreateTempSubdirectory("minirun-lab-").FullName;
        private readonly bool _userExisted = RemapUser.UidOf(RemapUser.DefaultUser, "/etc/passwd") is not null;

        public Fixture()
        {
            // ./minirun in the lab's commands: the built binary with this test's root.
            string wrapper = Path.Combine(Scratch, "minirun");
            File.WriteAllText(wrapper, $"#!/bin/sh\nexec '{MiniRunHost.Binary}' --root '{MiniRun.Root}' \"$@\"\n");
            File.SetUnixFileMode(wrapper, (UnixFileMode)0x1ed);   // 0755
        }

        public void Dispose()
        {
            try { MiniRun.Dispose(); }
            finally
            {
                try { Directory.Delete(Scratch, recursive: true); }
                finally { RemoveRemapUserIfMadeHere(); }
            }
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

    /// <summary>The commands of a lab file, in order (the convention is in the header above; src/MiniRun/Labs/LabFile.cs reads it).</summary>
    public static List<MiniRun.Labs.LabCommand> Parse(string path) => MiniRun.Labs.LabFile.Parse(path);

    private static string Squeeze(string s) => LabDocument.Squeeze(s);

    /// <summary>An expected line as a regex: the text literally, each &lt;word&gt; one run of non-blanks.</summary>
    private static Regex Pattern(string expected) =>
        new("^" + Regex.Replace(Regex.Escape(Squeeze(expected)), @"<[A-Za-z][A-Za-z0-9-]*>", @"\S+") + "$");

    private string RunInShell(string command) => LabDocument.Run(_f.Scratch, command);

    [Fact]
    public void Every_command_of_the_english_lab_prints_what_the_lab_says()
    {
        var commands = Parse(EnglishLab);
        Assert.True(commands.Count >= 30, $"only {commands.Count} commands found in {EnglishLab}: is the convention still ```console with \"$ \"?");
        int ran = 0;
        foreach (var c in commands)
        {
            if (c.Needs is not null && !File.Exists(c.Needs) && !Directory.Exists(c.Needs))
            {
                _out.WriteLine($"not run here (needs {c.Needs}): line {c.Line}: $ {c.Command}");
                continue;
            }
            var actual = RunInShell(c.Command).Split('\n').Select(Squeeze).ToList();
            while (actual.Count > 0 && actual[^1].Length == 0) actual.RemoveAt(actual.Count - 1);
            bool same = actual.Count == c.Expected.Count && actual.Zip(c.Expected).All(p => Pattern(p.Second).IsMatch(p.First));
            Assert.True(same, $"docs/labs/en/01-security.md:{c.Line}: $ {c.Command}\n--- expected\n{string.Join('\n', c.Expected)}\n--- actual\n{string.Join('\n', actual)}");
            ran++;
        }
        Assert.True(ran >= 30, $"only {ran} commands ran");
        // The lab's containers are gone (its last step removes them), and nothing else is left.
        Assert.Empty(_f.MiniRun.ContainerIds());
    }

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
        var r = _f.MiniRun.Run("run", "--rm", "busybox", "echo", "@1700000000", "@no-such-file");
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.Equal("@1700000000 @no-such-file", r.Stdout.Trim());
    }
}
