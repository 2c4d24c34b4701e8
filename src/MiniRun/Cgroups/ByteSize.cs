// ByteSize: parses Docker's memory sizes ("100m", "1.5g", "512k", "1024", "2gb", "1GiB") to bytes.
//
// Why: --memory, --memory-reservation, --memory-swap and --device-*-bps take sizes the way the
// docker CLI does; the course exercises are written for Docker, so "-m 100m" must mean what it
// means there: binary units (k = 1024), case-insensitive, an optional "b" or "ib" after the unit,
// a decimal number allowed, the result rounded down to whole bytes.
//
// Follows: docker-run(1) ("--memory: Memory limit (format: <number>[<unit>]). Number is a
// positive integer. Unit can be one of b, k, m, or g.").
using System.Globalization;

namespace MiniRun.Cgroups;

public static class ByteSize
{
    /// <summary>Bytes for a size such as "100m"; false when the text is not a size.</summary>
    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        var s = text.Trim().ToLowerInvariant();
        int end = 0;
        while (end < s.Length && (char.IsAsciiDigit(s[end]) || s[end] == '.')) end++;
        if (end == 0) return false;
        if (!decimal.TryParse(s[..end], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            return false;
        long multiplier = s[end..] switch
        {
            "" or "b" => 1,
            "k" or "kb" or "kib" => 1L << 10,
            "m" or "mb" or "mib" => 1L << 20,
            "g" or "gb" or "gib" => 1L << 30,
            "t" or "tb" or "tib" => 1L << 40,
            _ => 0,
        };
        if (multiplier == 0) return false;
        var value = number * multiplier;
        if (value > long.MaxValue) return false;
        bytes = (long)decimal.Floor(value);
        return true;
    }

    /// <summary>"6MB"-style text for messages: the largest binary unit that divides the value.</summary>
    public static string Format(long bytes)
    {
        if (bytes >= 1L << 30 && bytes % (1L << 30) == 0) return $"{bytes >> 30}GB";
        if (bytes >= 1L << 20 && bytes % (1L << 20) == 0) return $"{bytes >> 20}MB";
        if (bytes >= 1L << 10 && bytes % (1L << 10) == 0) return $"{bytes >> 10}KB";
        return $"{bytes}B";
    }
}
