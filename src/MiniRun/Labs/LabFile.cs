// LabFile: a lab of docs/labs/ as a list of commands with their expected output, and the rule
// that says whether a real output agrees with the expected one - shared by `minirun lab run`
// (Cli/LabCli.cs, for students) and the lab tests (tests/MiniRun.Tests/Labs), so both judge alike.
//
// The conventions: in ```console blocks, a "$ " line is a command and the lines after it its
// output (stdout and stderr together); runs of blanks compare as one; `<!-- lab: needs PATH -->`
// just before a block runs it only where PATH exists. In an expected line, "<word>" matches one
// run of non-blanks and "<word...>" one or more words; a word keeps the text it first matched for
// the rest of the lab (the same container id in every later step).
using System.Text;
using System.Text.RegularExpressions;

namespace MiniRun.Labs;

/// <summary>One "$ " line of a console block and the output lines after it.</summary>
public sealed record LabCommand(string Command, IReadOnlyList<string> Expected, string? Needs, int Line);

public static class LabFile
{
    /// <summary>The commands of a lab file, in order.</summary>
    public static List<LabCommand> Parse(string path)
    {
        var lines = File.ReadAllLines(path);
        var commands = new List<LabCommand>();
        string? needs = null;       // from a `<!-- lab: needs PATH -->` line just before the block
        bool inBlock = false;
        (string Command, List<string> Expected, int Line)? current = null;
        void Flush()
        {
            if (current is { } c)
            {
                while (c.Expected.Count > 0 && c.Expected[^1].Trim().Length == 0) c.Expected.RemoveAt(c.Expected.Count - 1);
                commands.Add(new LabCommand(c.Command, c.Expected, needs, c.Line));
            }
            current = null;
        }
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            if (!inBlock)
            {
                var m = Regex.Match(line, @"^<!-- lab: needs (\S+) -->\s*$");
                if (m.Success) { needs = m.Groups[1].Value; continue; }
                if (line.TrimEnd() == "```console") { inBlock = true; continue; }
                if (line.Trim().Length > 0) needs = null;   // the condition belongs to the very next block
                continue;
            }
            if (line.TrimEnd() == "```")
            {
                Flush();
                inBlock = false;
                needs = null;
                continue;
            }
            if (line.StartsWith("$ ", StringComparison.Ordinal))
            {
                Flush();
                current = (line[2..], new List<string>(), i + 1);
            }
            else if (current is { } c) c.Expected.Add(line);
            else throw new InvalidDataException($"{path}:{i + 1}: output before the first \"$ \" of a console block");
        }
        if (inBlock) throw new InvalidDataException($"{path}: a console block is not closed");
        return commands;
    }

    /// <summary>The line without leading and trailing blanks, each run of blanks inside one.</summary>
    public static string Squeeze(string s) => Regex.Replace(s.Trim(), @"[ \t]+", " ");

    /// <summary>
    /// Whether <paramref name="actual"/> is the <paramref name="expected"/> line: literal text, each
    /// &lt;word&gt; one run of non-blanks, each &lt;word...&gt; one or more words; a word already in
    /// <paramref name="bound"/> must be its text, a new one is added there when the line matches.
    /// </summary>
    public static bool Matches(string expected, string actual, Dictionary<string, string> bound)
    {
        string e = Squeeze(expected);
        var pattern = new StringBuilder("^");
        var groups = new Dictionary<string, string>();
        int last = 0;
        foreach (Match m in Regex.Matches(e, @"<([A-Za-z][A-Za-z0-9-]*)(\.\.\.)?>"))
        {
            pattern.Append(Regex.Escape(e[last..m.Index]));
            string word = m.Groups[1].Value;
            if (bound.TryGetValue(word, out var text)) pattern.Append(Regex.Escape(text));
            else if (groups.TryGetValue(word, out var g)) pattern.Append($@"\k<{g}>");
            else
            {
                g = "w" + groups.Count;
                groups[word] = g;
                pattern.Append(m.Groups[2].Success ? $@"(?<{g}>\S.*?)" : $@"(?<{g}>\S+)");
            }
            last = m.Index + m.Length;
        }
        pattern.Append(Regex.Escape(e[last..])).Append('$');
        var match = Regex.Match(Squeeze(actual), pattern.ToString());
        if (!match.Success) return false;
        foreach (var (word, g) in groups) bound[word] = match.Groups[g].Value;
        return true;
    }

    /// <summary>
    /// Whether a whole output agrees: as many lines (trailing blank lines dropped) and each line
    /// matching in order. The words bound by a disagreeing output are not kept.
    /// </summary>
    public static bool Agrees(IReadOnlyList<string> expected, IReadOnlyList<string> actual, Dictionary<string, string> bound)
    {
        var trial = new Dictionary<string, string>(bound);
        bool same = actual.Count == expected.Count && actual.Zip(expected).All(p => Matches(p.Second, p.First, trial));
        if (same) foreach (var (k, v) in trial) bound[k] = v;
        return same;
    }

    /// <summary>An output as lines: trailing blanks of each line and trailing blank lines dropped.</summary>
    public static List<string> Lines(string output)
    {
        var lines = output.Split('\n').Select(l => l.TrimEnd()).ToList();
        while (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        return lines;
    }
}
