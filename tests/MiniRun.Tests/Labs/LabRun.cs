// LabRun: runs a lab of docs/labs/en/ from its first command to its last, as a student would
// type them, and compares each output with the lab's expected output - the runner of every lab's
// test (the security, network and compose labs give it their own way to run a command). Reading
// a lab and judging an output are src/MiniRun/Labs/LabFile.cs (Parse, Lines, Agrees), which
// `minirun lab run` uses too, so a lab agrees in its test exactly when it agrees for a student.
// The conventions (LabFile.Parse): ```console blocks, "$ " lines are commands, the lines after
// them their output, stdout and stderr together, runs of blanks compare as one,
// `<!-- lab: needs PATH -->` before a block runs it only where PATH exists; "<word>" matches one
// run of non-blanks, and every later "<word>" of that name must be the same text; "<word...>"
// (three dots) matches one or more words, blanks included ("3 years ago", "Less than a second
// ago"), and binds the same way. Each lab says so at its top, for the students too.
//
// Where a command runs: `bash -c` in a scratch directory whose `./minirun` is a script calling the
// built binary with this lab's own temporary --root (and whose `tests` leads to the repository's)
// (MiniRunHost: the busybox fixture loaded, no bridge network: the tests' daemon.json says
// "bridge": "none"); `sudo` is a shell function that just runs its arguments (the tests run as
// root).
//
// Cleanup, even when a step fails: MiniRunHost removes every container of its root (supervisors,
// cgroups, upper directories) and the root with its images and volumes; the scratch directory is
// deleted.
using MiniRun.Labs;
using MiniRun.Tests.Integration;
using Xunit.Abstractions;

namespace MiniRun.Tests.Labs;

/// <summary>A temporary MiniRun root and a scratch directory with a `./minirun` for one lab.</summary>
public sealed class LabScratch : IDisposable
{
    public MiniRunHost MiniRun { get; } = new();
    public string Scratch { get; } = Directory.CreateTempSubdirectory("minirun-lab-").FullName;

    public LabScratch()
    {
        string wrapper = Path.Combine(Scratch, "minirun");
        File.WriteAllText(wrapper, $"#!/bin/sh\nexec '{MiniRunHost.Binary}' --root '{MiniRun.Root}' \"$@\"\n");
        File.SetUnixFileMode(wrapper, (UnixFileMode)0x1ed);   // 0755
        // lab 11 runs the repository's VM script from the top directory, as students do
        Directory.CreateSymbolicLink(Path.Combine(Scratch, "tests"), Path.Combine(MiniRunHost.RepoRoot, "tests"));
    }

    public void Dispose()
    {
        try { MiniRun.Dispose(); }
        finally { Directory.Delete(Scratch, recursive: true); }
    }
}

public static class LabRun
{
    public static string English(string file) => Path.Combine(MiniRunHost.RepoRoot, "docs/labs/en", file);
    public static string Japanese(string file) => Path.Combine(MiniRunHost.RepoRoot, "docs/labs/ja", file);

    /// <summary>The matching rule of every lab (and of `minirun lab run`): src/MiniRun/Labs/LabFile.cs.</summary>
    public static bool Matches(string expected, string actual, Dictionary<string, string> bound) => LabFile.Matches(expected, actual, bound);

    /// <summary>
    /// Runs every command of the English lab <paramref name="file"/> in order and asserts each
    /// output; at the end, that the lab removed every container it made. Returns how many ran.
    /// </summary>
    public static int RunEnglishLab(LabScratch s, string file, int atLeast, ITestOutputHelper output)
    {
        int ran = RunEnglishLab(file, atLeast, command => LabDocument.Run(s.Scratch, command), output, ReadOnlyRacy);
        Assert.Empty(s.MiniRun.ContainerIds());   // the lab's last steps remove its containers
        return ran;
    }

    /// <summary>
    /// Steps that only read and may come back empty on a busy machine: lsns(8) walks every process
    /// in /proc and prints nothing at all (no error, exit 0) when one ends under it (util-linux
    /// 2.38: 1 in 300 calls while a loop starts short processes; failed CI13's namespaces lab once).
    /// </summary>
    private static bool ReadOnlyRacy(LabCommand c) => c.Command.Contains("lsns ");

    /// <summary>
    /// Runs every command of the English lab <paramref name="file"/> in order through
    /// <paramref name="run"/> (command in, stdout and stderr out) and asserts that each output
    /// agrees with the lab's (LabFile.Agrees, as `minirun lab run` judges). A step whose
    /// <paramref name="askAgain"/> is true is asked again, up to 10 times 200 ms apart, while it
    /// disagrees (a link's state settles a moment after it is up). Returns how many ran.
    /// </summary>
    public static int RunEnglishLab(string file, int atLeast, Func<string, string> run, ITestOutputHelper output,
        Func<LabCommand, bool>? askAgain = null)
    {
        var commands = LabFile.Parse(English(file));
        Assert.True(commands.Count >= atLeast, $"only {commands.Count} commands found in docs/labs/en/{file}");
        var bound = new Dictionary<string, string>();
        int ran = 0;
        foreach (var c in commands)
        {
            if (c.Needs is not null && !File.Exists(c.Needs) && !Directory.Exists(c.Needs))
            {
                output.WriteLine($"not run here (needs {c.Needs}): line {c.Line}: $ {c.Command}");
                continue;
            }
            var before = new Dictionary<string, string>(bound);
            List<string> actual;
            bool same;
            for (int attempt = 0; ; attempt++)
            {
                actual = LabFile.Lines(run(c.Command));
                same = LabFile.Agrees(c.Expected, actual, bound);
                if (same || askAgain is null || !askAgain(c) || attempt == 10) break;
                Thread.Sleep(200);
            }
            Assert.True(same, $"docs/labs/en/{file}:{c.Line}: $ {c.Command}\n--- expected\n{string.Join('\n', c.Expected)}\n" +
                $"--- actual\n{string.Join('\n', actual)}\n--- values of <words> so far\n" +
                string.Join('\n', before.Select(b => $"<{b.Key}> = {b.Value}")));
            output.WriteLine($"ok: line {c.Line}: $ {c.Command}");
            ran++;
        }
        return ran;
    }
}
