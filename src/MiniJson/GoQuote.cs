// GoQuote (project MiniJson, shared by MiniImage, the runtime core and the engine): one quoting
// rule for every name or value from outside (a tar entry's name, a config.json or image config
// field, a registry's answer) that reaches a message, as Go's strconv.Quote (fmt's %q) writes it.
//
// Why: a layer's file name is whatever bytes its author chose. Printed raw, an escape sequence
// recolours the student's terminal and a newline forges a line ("Loaded image: trusted:latest").
// Quoted, every control character, quote and backslash is escaped and bytes that are not UTF-8
// show as \xNN, so the message stays one line that says exactly which name it was.
// Follows: Go's strconv.Quote (\a \b \f \n \r \t \v \\ \", \xNN for invalid UTF-8 bytes and
// ASCII control characters, \uNNNN and \UNNNNNNNN for other non-printable characters).
using System.Globalization;
using System.Text;

namespace MiniJson;

public static class GoQuote
{
    /// <summary>"text" with Go's escapes (null as "").</summary>
    public static string Quote(string? s) => Quote(Encoding.UTF8.GetBytes(s ?? ""));

    /// <summary>One character as Go's strconv.QuoteRune (fmt's %q of a rune): 'x', '\n', '\x1b', '\''.</summary>
    public static string QuoteRune(char c)
    {
        if (c == '\'') return "'\\''";
        if (c == '"') return "'\"'";
        return "'" + Quote(c.ToString())[1..^1] + "'";
    }

    /// <summary>Raw bytes (a tar entry's name) quoted; bytes that are not UTF-8 are shown as \xNN.</summary>
    public static string Quote(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder(bytes.Length + 2).Append('"');
        while (bytes.Length > 0)
        {
            var status = Rune.DecodeFromUtf8(bytes, out Rune r, out int used);
            if (status != System.Buffers.OperationStatus.Done)
            {
                sb.Append($"\\x{bytes[0]:x2}");
                bytes = bytes[1..];
                continue;
            }
            bytes = bytes[used..];
            switch (r.Value)
            {
                case '\a': sb.Append("\\a"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\v': sb.Append("\\v"); break;
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                default:
                    if (Printable(r)) sb.Append(r.ToString());
                    else if (r.Value < 0x80) sb.Append($"\\x{r.Value:x2}");
                    else if (r.Value <= 0xFFFF) sb.Append($"\\u{r.Value:x4}");
                    else sb.Append($"\\U{r.Value:x8}");
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    /// <summary>Go's IsPrint, near enough: letters, marks, numbers, punctuation, symbols and the ASCII space.</summary>
    private static bool Printable(Rune r)
    {
        if (r.Value == ' ') return true;
        return Rune.GetUnicodeCategory(r) switch
        {
            UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse
                or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
                or UnicodeCategory.SpaceSeparator => false,
            _ => true,
        };
    }
}
