// Narration: one line of `--trace`'s explanation, in English and in Japanese, and the rules for
// showing it on a projector: which language (the locale), and how wide a line is on a terminal.
//
// Why: MiniRun's students and instructors are Japanese; the course material is in Japanese. Every
// step title, every "why" and every note of the trace is a Narration from the one catalog
// (Trace/Messages.cs), which cannot hold a text without its twin; the kernel calls themselves
// ("mount(...) = 0") are printed as they are, in any language. ITrace takes Narration, not string,
// so a step cannot be narrated without going through the catalog.
//
// The language: Japanese when the first of LC_ALL, LC_MESSAGES, LANG that is set names a ja
// locale (ja_JP.UTF-8, ja), else English - the precedence setlocale(3) gives them. `minirun init`
// does not inherit the environment: the parent passes the language in _MINIRUN_TRACE.
//
// Width: a terminal shows an East Asian Wide or Fullwidth character in two columns (kanji, kana,
// fullwidth forms), everything else in one; ConsoleTrace wraps lines at 100 such columns.
//
// Follows: setlocale(3) (LC_ALL > LC_MESSAGES > LANG); Unicode UAX #11 (East Asian Width).
using System.Globalization;
using System.Text;

namespace MiniRun.Trace;

/// <summary>A text of the trace's narration in both languages; made only by Messages (the catalog).</summary>
public readonly struct Narration
{
    public string En { get; }
    public string Ja { get; }

    internal Narration(string en, string ja)
    {
        En = en;
        Ja = ja;
    }

    /// <summary>The text with its {0}, {1}... filled in, in both languages.</summary>
    public Narration With(params object?[] args) =>
        new(string.Format(CultureInfo.InvariantCulture, En, args), string.Format(CultureInfo.InvariantCulture, Ja, args));

    /// <summary>Two narrations one after the other (e.g. a sentence and an optional clause).</summary>
    public Narration Then(Narration more) => new(En + more.En, Ja + more.Ja);

    /// <summary>The text in the trace's language.</summary>
    public string Text => NarrationLanguage.Japanese ? Ja : En;

    public override string ToString() => Text;
}

/// <summary>The trace's language: Japanese for a ja locale, else English.</summary>
public static class NarrationLanguage
{
    /// <summary>Set once from the environment; `minirun init` sets it from _MINIRUN_TRACE.</summary>
    public static bool Japanese { get; set; } = FromEnvironment(Environment.GetEnvironmentVariable);

    /// <summary>setlocale(3)'s order: the first of LC_ALL, LC_MESSAGES, LANG that is set and not empty.</summary>
    public static bool FromEnvironment(Func<string, string?> variable)
    {
        foreach (var name in new[] { "LC_ALL", "LC_MESSAGES", "LANG" })
            if (variable(name) is { Length: > 0 } value)
                return value == "ja" || value.StartsWith("ja_", StringComparison.Ordinal) || value.StartsWith("ja.", StringComparison.Ordinal);
        return false;
    }
}

/// <summary>How many terminal columns a text takes, and lines wrapped to a width.</summary>
public static class DisplayWidth
{
    /// <summary>Columns of one code point: 2 for East Asian Wide and Fullwidth, 0 for combining marks, else 1.</summary>
    public static int Of(int cp)
    {
        if (cp == 0x200B || (cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x3099 && cp <= 0x309A)) return 0;
        if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) || (cp >= 0x3041 && cp <= 0x33FF) ||
            (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF) ||
            (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) ||
            (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
            (cp >= 0x20000 && cp <= 0x3FFFD))
            return 2;
        return 1;
    }

    public static int Of(string text)
    {
        int width = 0;
        foreach (var rune in text.EnumerateRunes()) width += Of(rune.Value);
        return width;
    }

    /// <summary>
    /// <paramref name="line"/> cut into lines of at most <paramref name="width"/> columns: at the
    /// last blank (or after a ',' or '|') that fits, else between two characters (Japanese has no
    /// blanks). Continuation lines start with <paramref name="indent"/> blanks.
    /// </summary>
    public static List<string> Wrap(string line, int width, int indent)
    {
        var lines = new List<string>();
        string prefix = "";
        while (Of(prefix + line) > width)
        {
            int room = width - prefix.Length, used = 0, cut = -1, end = 0;
            var runes = line.EnumerateRunes().ToList();
            int chars = 0;
            for (int i = 0; i < runes.Count; i++)
            {
                int w = Of(runes[i].Value);
                if (used + w > room) break;
                used += w;
                chars += runes[i].Utf16SequenceLength;
                end = chars;
                char c = line[chars - runes[i].Utf16SequenceLength];
                if (c == ' ') cut = chars - 1;                  // break before the blank, drop it
                else if (c is ',' or '|' or '、' or '。' or '：') cut = chars;   // break after it
            }
            if (cut <= 0 || cut < end / 3) cut = end;          // no good place: break where the line is full
            if (cut <= 0) cut = Math.Min(1, line.Length);
            lines.Add(prefix + line[..cut].TrimEnd());
            line = line[cut..].TrimStart(' ');
            prefix = new string(' ', indent);
            if (line.Length == 0) return lines;
        }
        lines.Add(prefix + line);
        return lines;
    }

    /// <summary>The blanks a wrapped line continues under: its own indent, or the text after "[N] ".</summary>
    public static int ContinuationIndent(string line)
    {
        int blanks = line.Length - line.TrimStart(' ').Length;
        if (line.StartsWith('[') && line.IndexOf("] ", StringComparison.Ordinal) is int close and > 0) return Math.Min(close + 2 + 4, 12);
        if (line.StartsWith("── ", StringComparison.Ordinal)) return 3;
        return Math.Min(blanks + 2, 12);
    }

    /// <summary>Every line of <paramref name="text"/> (split at '\n') wrapped to <paramref name="width"/> columns.</summary>
    public static string WrapAll(string text, int width)
    {
        var sb = new StringBuilder();
        foreach (var line in text.Split('\n'))
            foreach (var part in Wrap(line, width, ContinuationIndent(line)))
                sb.Append(part).Append('\n');
        return sb.ToString().TrimEnd('\n');
    }
}
