// HumanFormat: durations, sizes and table columns the way Docker prints them.
//
// Why: course material shows Docker's output ("Up 37 seconds", "Exited (137) 2 minutes ago",
// "78.1MB"); students compare what they see with it, so MiniRun uses the same wording.
//
// Follows: the behaviour of Docker's `ps` and `images` output (go-units HumanDuration and
// HumanSize: decimal units, three significant digits), Go text/tabwriter padding with Docker's
// settings (minimum width 10, padding 3).
using System.Globalization;
using System.Text;

namespace MiniRun.Cli;

public static class HumanFormat
{
    public static string Duration(TimeSpan d)
    {
        double s = d.TotalSeconds;
        if (s < 1) return "Less than a second";
        if (s < 2) return "1 second";
        if (s < 60) return $"{(int)s} seconds";
        double m = d.TotalMinutes;
        if (m < 2) return "About a minute";
        if (m < 60) return $"{(int)m} minutes";
        double h = Math.Round(d.TotalHours, MidpointRounding.AwayFromZero);   // go-units rounds hours
        if (h < 2) return "About an hour";
        if (h < 48) return $"{(int)h} hours";
        if (h < 24 * 7 * 2) return $"{(int)(h / 24)} days";
        if (h < 24 * 30 * 2) return $"{(int)(h / 24 / 7)} weeks";
        if (h < 24 * 365 * 2) return $"{(int)(h / 24 / 30)} months";
        return $"{(int)(d.TotalHours / 24 / 365)} years";
    }

    public static string Ago(DateTimeOffset when, DateTimeOffset now) => Duration(now - when) + " ago";

    private static readonly string[] Units = ["B", "kB", "MB", "GB", "TB", "PB"];

    /// <summary>Decimal size with three significant digits: 4.26MB, 78.1MB, 123kB.</summary>
    public static string Size(long bytes)
    {
        double v = bytes;
        int unit = 0;
        while (v >= 1000 && unit < Units.Length - 1) { v /= 1000; unit++; }
        string digits = v.ToString("G3", CultureInfo.InvariantCulture);
        if (digits.Contains('E')) digits = Math.Round(v).ToString(CultureInfo.InvariantCulture);
        return digits + Units[unit];
    }

    /// <summary>
    /// Docker's COMMAND column: the arguments joined by spaces, those containing a space wrapped in
    /// single quotes (as the daemon builds it), cut to 20 characters with an ellipsis, then quoted
    /// as Go's strconv.Quote does.
    /// </summary>
    public static string Command(IReadOnlyList<string> args, bool noTrunc = false)
    {
        string joined = string.Join(' ', args.Select(a => a.Contains(' ') ? "'" + a + "'" : a));
        if (!noTrunc) joined = Ellipsis(joined, 20);
        return GoQuote(joined);
    }

    /// <summary>Cuts to <paramref name="max"/> characters (text elements), the last one an ellipsis, when longer.</summary>
    public static string Ellipsis(string s, int max)
    {
        var info = new StringInfo(s);
        if (info.LengthInTextElements <= max) return s;
        return info.SubstringByTextElements(0, max - 1) + "…";
    }

    /// <summary>Go's strconv.Quote (MiniJson/GoQuote.cs: the one quoting rule for names from outside).</summary>
    public static string GoQuote(string s) => MiniJson.GoQuote.Quote(s);

    /// <summary>Columns padded to the widest cell plus three spaces and at least 10 wide, Docker's tabwriter (10, 1, 3).</summary>
    public static string Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = new List<IReadOnlyList<string>> { header };
        all.AddRange(rows);
        var widths = new int[header.Count];
        foreach (var row in all)
            for (int i = 0; i < row.Count; i++)
                widths[i] = Math.Max(widths[i], row[i].Length);
        var sb = new StringBuilder();
        foreach (var row in all)
        {
            for (int i = 0; i < row.Count; i++)
                sb.Append(i == row.Count - 1 ? row[i] : row[i].PadRight(Math.Max(widths[i] + 3, Templates.TabWriter.MinWidth)));
            sb.Append('\n');
        }
        return sb.ToString();
    }
}
