// MessagesTests: the trace's catalog (src/MiniRun.Runtime/Trace/Messages.cs) is complete - every
// entry has its English and its Japanese text, the Japanese one really in Japanese, both with the
// same {0} placeholders - and every narration goes through it: no source file outside the catalog
// makes a Narration, and no step or note is given a string (ITrace takes Narration, and the
// narration helpers of the steps do too).
using System.Text.RegularExpressions;
using MiniRun.Tests.Integration;
using MiniRun.Trace;

namespace MiniRun.Tests.Trace;

public sealed class MessagesTests
{
    [Fact]
    public void Every_entry_has_both_texts_with_the_same_placeholders()
    {
        var all = Messages.All().ToList();
        Assert.True(all.Count > 150, $"only {all.Count} entries");
        foreach (var (name, text) in all)
        {
            Assert.False(string.IsNullOrWhiteSpace(text.En), $"{name}: no English text");
            Assert.False(string.IsNullOrWhiteSpace(text.Ja), $"{name}: no Japanese text");
            var en = Regex.Matches(text.En, @"\{\d+\}").Select(m => m.Value).Distinct().Order();
            var ja = Regex.Matches(text.Ja, @"\{\d+\}").Select(m => m.Value).Distinct().Order();
            Assert.True(en.SequenceEqual(ja), $"{name}: placeholders {string.Join(",", en)} in English, {string.Join(",", ja)} in Japanese");
            // Japanese: kana or kanji, unless the text is only placeholders and names ("{0}: frozen {1}", "seccomp")
            bool onlyNames = Regex.Replace(text.En, @"\{\d+\}|[A-Za-z0-9_./:()\- ]", "").Length == 0 && text.En == text.Ja;
            Assert.True(onlyNames || Regex.IsMatch(text.Ja, @"[\u3040-\u30FF\u4E00-\u9FFF]"), $"{name}: the Japanese text is not Japanese: {text.Ja}");
        }
    }

    [Fact]
    public void The_language_follows_LC_ALL_then_LC_MESSAGES_then_LANG()
    {
        bool For(params (string Name, string Value)[] env) =>
            NarrationLanguage.FromEnvironment(n => env.FirstOrDefault(e => e.Name == n).Value);
        Assert.True(For(("LANG", "ja_JP.UTF-8")));
        Assert.True(For(("LC_MESSAGES", "ja_JP.UTF-8"), ("LANG", "C")));
        Assert.False(For(("LC_ALL", "C"), ("LANG", "ja_JP.UTF-8")));
        Assert.True(For(("LC_ALL", "ja_JP.UTF-8"), ("LANG", "en_US.UTF-8")));
        Assert.False(For(("LANG", "en_US.UTF-8")));
        Assert.False(For());
    }

    [Fact]
    public void No_source_file_but_the_catalog_makes_a_narration_and_no_step_or_note_takes_a_string()
    {
        string src = Path.Combine(MiniRunHost.RepoRoot, "src");
        var files = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/obj/") && !f.Contains("/bin/")).ToList();
        Assert.True(files.Count > 100);
        foreach (var file in files)
        {
            string name = Path.GetRelativePath(src, file);
            if (name is "MiniRun.Runtime/Trace/Messages.cs" or "MiniRun.Runtime/Trace/Narration.cs") continue;
            string text = File.ReadAllText(file);
            Assert.DoesNotMatch(@"new\s+Narration\s*\(|Narration\s+\w+\s*=\s*new\s*\(", text);
            // a literal or an interpolated string handed to a step or a note would not compile; this
            // names the file at once if a string overload ever comes back
            Assert.DoesNotMatch(@"(BeginStep|(?<!TraceFormat)\.Step|(?<!TraceFormat)\.Note)\(\s*\$?""", text);
        }
    }
}
