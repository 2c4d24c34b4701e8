// TraceText: assertions on --trace output that hold whether or not ConsoleTrace wrapped a long line
// at 100 columns (Trace/Narration.cs DisplayWidth.WrapAll): whitespace, line breaks and the
// continuation indent included, is ignored on both sides.
using System.Text.RegularExpressions;

namespace MiniRun.Tests.Trace;

public static class TraceText
{
    /// <summary>The text without any whitespace.</summary>
    public static string Squash(string text) => Regex.Replace(text, @"\s+", "");

    /// <summary>Assert.Contains on the squashed texts.</summary>
    public static void Contains(string expected, string trace) =>
        Assert.True(Squash(trace).Contains(Squash(expected), StringComparison.Ordinal), $"not in the trace (wrapping ignored): {expected}\n{trace}");

    /// <summary>Assert.Matches on the squashed trace: the pattern must not rely on spaces.</summary>
    public static void Matches(string pattern, string trace) =>
        Assert.True(Regex.IsMatch(Squash(trace), pattern), $"no match in the trace (wrapping ignored): {pattern}\n{trace}");
}
