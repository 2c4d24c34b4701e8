// LabDocument: checks every lab shares: the Japanese twin has the same commands, conditions and
// expected outputs as the English lab, and every source file a lab names exists - so a lab cannot
// drift from its twin or point students at a file that was renamed.
using System.Text.RegularExpressions;
using MiniRun.Tests.Integration;

namespace MiniRun.Tests.Labs;

public static class LabDocument
{
    public static string Squeeze(string s) => Regex.Replace(s.Trim(), @"[ \t]+", " ");

    public static void AssertTwinsAgree(string englishLab, string japaneseLab)
    {
        var en = SecurityLabTests.Parse(englishLab);
        var ja = SecurityLabTests.Parse(japaneseLab);
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
}
