// LabDocument: checks every lab shares: the Japanese twin has the same commands, conditions and
// expected outputs as the English lab, and every source file a lab names exists - so a lab cannot
// drift from its twin or point students at a file that was renamed; and how a lab's command runs
// (bash, stderr into stdout, `sudo` a no-op since the tests are root, C locale).
using System.Diagnostics;
using System.Text.RegularExpressions;
using MiniRun.Tests.Integration;

namespace MiniRun.Tests.Labs;

public static class LabDocument
{
    public static string Squeeze(string s) => MiniRun.Labs.LabFile.Squeeze(s);

    public static void AssertTwinsAgree(string englishLab, string japaneseLab)
    {
        var en = MiniRun.Labs.LabFile.Parse(englishLab);
        var ja = MiniRun.Labs.LabFile.Parse(japaneseLab);
        Assert.Equal(en.Select(c => c.Command), ja.Select(c => c.Command));
        Assert.Equal(en.Select(c => c.Needs), ja.Select(c => c.Needs));
        foreach (var (e, j) in en.Zip(ja))
            Assert.True(e.Expected.Select(Squeeze).SequenceEqual(j.Expected.Select(Squeeze)),
                $"expected output of `{e.Command}` differs: en line {e.Line}, ja line {j.Line}");
    }

    /// <param name="lab">The lab's path below docs/labs, e.g. "en/02-network.md".</param>
    public static void AssertNamedSourcesExist(string lab, int atLeast)
    {
        string text = File.ReadAllText(Path.Combine(MiniRunHost.RepoRoot, "docs/labs", lab));
        var named = Regex.Matches(text, @"`(src/[^`\s]+\.(?:cs|json))`").Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.True(named.Count >= atLeast, $"only {named.Count} source files named");
        Assert.All(named, path => Assert.True(File.Exists(Path.Combine(MiniRunHost.RepoRoot, path)), $"{lab} names {path}, which does not exist"));
    }

    /// <summary>
    /// Runs one lab command as a student would type it, in <paramref name="scratch"/>, and returns
    /// its output (stdout and stderr together). <paramref name="wrapper"/> goes before bash (e.g.
    /// nsenter into a test's network namespace).
    /// </summary>
    public static string Run(string scratch, string command, params string[] wrapper)
    {
        var argv = wrapper.Concat(["bash", "-c", "exec 2>&1\nsudo() { \"$@\"; }\n" + command]).ToList();
        var psi = new ProcessStartInfo(argv[0])
        {
            WorkingDirectory = scratch, RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        foreach (var a in argv.Skip(1)) psi.ArgumentList.Add(a);
        psi.Environment["LC_ALL"] = "C";
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var output = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"lab command did not finish in 120 s: {command}");
        }
        p.WaitForExit();
        return output.Result;
    }
}
