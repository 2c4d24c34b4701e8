// MessagesTests: the trace's catalog (src/MiniRun.Runtime/Trace/Messages.cs) is complete - every
// entry has its English and its Japanese text, the Japanese one really in Japanese, both with the
// same {0} placeholders - and every narration goes through it: no source file outside the catalog
// makes a Narration, and no step or note is given a string (ITrace takes Narration, and the
// narration helpers of the steps do too). A kernel call's result and a summary's fact are strings
// (the values stay as the kernel gives them), so the source is read for the words written beside
// them: a literal there may hold a value and one word ("0", "-1 EPERM", "ok", "absent", "fd 3"),
// never a phrase - an explanation comes from the catalog (Messages.Result*, Fact*).
using System.Text;
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

    [Fact]
    public void No_call_result_or_summary_fact_is_explained_in_a_literal_string()
    {
        string src = Path.Combine(MiniRunHost.RepoRoot, "src");
        var files = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/obj/") && !f.Contains("/bin/") && !f.Contains("/Trace/")).ToList();
        int checkedCalls = 0;
        var phrases = new List<string>();
        foreach (var file in files)
        {
            string text = File.ReadAllText(file);
            // trace.Call(call, RESULT), trace.Fact(kind, VALUE), and exec's planned calls plan.Add((call, RESULT))
            foreach (Match m in Regex.Matches(text, @"(?:[Tt]race\??\.(?:Call|Fact)|\bplan\.Add)\(\(?"))
            {
                var commas = new List<int>();
                int end = CSharpText.SkipCode(text, m.Index + m.Length, ')', null, commas);
                if (commas.Count == 0) continue;
                int stop = commas.Count > 1 ? commas[1] : end - 1;
                var literal = new StringBuilder();
                CSharpText.SkipCode(text[(commas[0] + 1)..stop] + ")", 0, ')', literal, null);
                checkedCalls++;
                // one literal with two words or more is a phrase ("none" and " dev " apart are not)
                if (literal.ToString().Split(CSharpText.Between).Any(l => Regex.Matches(l, @"\b[a-z]{2,}\b").Count > 1))
                    phrases.Add($"{Path.GetRelativePath(src, file)}:{text[..m.Index].Count(c => c == '\n') + 1}: {literal.ToString().Replace(CSharpText.Between, ' ').Trim()}");
            }
        }
        Assert.True(checkedCalls > 80, $"only {checkedCalls} calls found: has the way calls are traced changed?");
        Assert.True(phrases.Count == 0, "explained in a literal, not from the catalog:\n" + string.Join('\n', phrases));
    }
}

/// <summary>Just enough of C#'s lexical rules to find a call's arguments and the text of its string literals.</summary>
internal static class CSharpText
{
    /// <summary>What SkipCode writes between two literals' texts.</summary>
    public const char Between = '\u0001';

    /// <summary>
    /// From <paramref name="i"/>, skips code up to the <paramref name="close"/> that ends it (nested
    /// brackets and strings skipped) and returns the index after it; the text of each string literal
    /// goes to <paramref name="text"/>, interpolation holes left out; top-level commas to <paramref name="commas"/>.
    /// </summary>
    public static int SkipCode(string s, int i, char close, StringBuilder? text, List<int>? commas)
    {
        int depth = 0;
        while (i < s.Length)
        {
            char c = s[i];
            if (c == '"' || (c is '$' or '@' && i + 1 < s.Length && s[i + 1] is '"' or '$' or '@'))
            {
                text?.Append(Between);
                i = SkipString(s, i, text);
                text?.Append(Between);
                continue;
            }
            if (c == '\'')
            {
                i += s[i + 1] == '\\' ? 3 : 2;
                while (s[i] != '\'') i++;
                i++;
                continue;
            }
            if (c is '(' or '[' or '{') depth++;
            else if (c is ')' or ']' or '}')
            {
                if (depth == 0 && c == close) return i + 1;
                depth--;
            }
            else if (c == ',' && depth == 0) commas?.Add(i);
            i++;
        }
        return i;
    }

    private static int SkipString(string s, int i, StringBuilder? text)
    {
        bool interpolated = false, verbatim = false;
        for (; s[i] != '"'; i++)
            if (s[i] == '$') interpolated = true; else verbatim = true;
        for (i++; i < s.Length; )
        {
            char c = s[i];
            if (!verbatim && c == '\\') { text?.Append(s[i + 1]); i += 2; }
            else if (c == '"' && verbatim && i + 1 < s.Length && s[i + 1] == '"') { text?.Append('"'); i += 2; }
            else if (c == '"') return i + 1;
            else if (interpolated && c is '{' or '}' && s[i + 1] == c) { text?.Append(c); i += 2; }
            else if (interpolated && c == '{') i = SkipCode(s, i + 1, '}', null, null);
            else { text?.Append(c); i++; }
        }
        return i;
    }
}
