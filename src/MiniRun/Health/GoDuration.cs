// GoDuration: durations as Docker's flags take them ("30s", "1m30s", "500ms", "1h").
//
// Why: `--health-interval 5s`, `stop -t` and `logs --since 10m` use the notation of Go's
// time.ParseDuration, which Docker's command line inherits; students copy those values from
// the course, so MiniRun reads the same notation: a sequence of decimal numbers, each with a
// unit (ns, us, µs, ms, s, m, h), e.g. "1h2m3.5s". A bare "0" is allowed, as in Go.
//
// Follows: Go's time.ParseDuration (the notation only).
using System.Globalization;

namespace MiniRun.Health;

public static class GoDuration
{
    private static readonly (string Unit, long Nanoseconds)[] Units =
    [
        ("ns", 1), ("us", 1_000), ("µs", 1_000), ("ms", 1_000_000),
        ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000),
    ];

    /// <summary>Parses "1m30s" into nanoseconds; null when <paramref name="text"/> is not a duration.</summary>
    public static long? TryParseNanoseconds(string text)
    {
        if (text == "0") return 0;
        if (string.IsNullOrEmpty(text)) return null;
        int i = 0;
        bool negative = false;
        if (text[0] is '-' or '+') { negative = text[0] == '-'; i = 1; }
        if (i == text.Length) return null;
        decimal total = 0;
        while (i < text.Length)
        {
            int start = i;
            while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.')) i++;
            if (i == start || !decimal.TryParse(text.AsSpan(start, i - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal number))
                return null;
            var unit = Units.Where(u => text.AsSpan(i).StartsWith(u.Unit, StringComparison.Ordinal))
                .OrderByDescending(u => u.Unit.Length).FirstOrDefault();
            if (unit.Unit is null) return null;   // Go: "missing unit in duration"
            i += unit.Unit.Length;
            total += number * unit.Nanoseconds;
            if (total > long.MaxValue) return null;
        }
        long ns = (long)decimal.Truncate(total);
        return negative ? -ns : ns;
    }

    /// <summary>Parses or throws FormatException naming the flag: `invalid argument "5x" for "--health-interval" flag: time: unknown unit`.</summary>
    public static long ParseNanoseconds(string text, string flag) =>
        TryParseNanoseconds(text) ?? throw new FormatException($"invalid argument {GoQuote.Quote(text)} for {GoQuote.Quote(flag)} flag: time: invalid duration {GoQuote.Quote(text)} (use a number with a unit: 500ms, 30s, 1m30s, 1h)");

    public static TimeSpan ToTimeSpan(long nanoseconds) => TimeSpan.FromTicks(nanoseconds / 100);

    /// <summary>Go's String() form for messages: "30s", "1m30s", "500ms".</summary>
    public static string Format(long nanoseconds)
    {
        if (nanoseconds == 0) return "0s";
        if (nanoseconds < 1_000_000_000)
            return nanoseconds % 1_000_000 == 0 ? $"{nanoseconds / 1_000_000}ms" : $"{nanoseconds / 1000.0:0.###}µs";
        long h = nanoseconds / 3_600_000_000_000, m = nanoseconds / 60_000_000_000 % 60;
        double s = nanoseconds % 60_000_000_000 / 1e9;
        string sec = s.ToString("0.#########", CultureInfo.InvariantCulture) + "s";
        return h > 0 ? $"{h}h{m}m{sec}" : m > 0 ? $"{m}m{sec}" : sec;
    }
}
