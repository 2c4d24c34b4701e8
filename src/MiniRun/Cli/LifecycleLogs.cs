// LifecycleLogs: `minirun logs`: the container's json-file log, stdout lines to our stdout and
// stderr lines to our stderr, with --tail, -t (timestamps), --since/--until and -f (follow while
// the container runs).
//
// Why: the supervisor writes every line the container printed (Supervisor/JsonLogWriter.cs);
// reading the file needs no running process, so logs of an exited container still work.
//
// Follows: docker-logs(1): --since/--until take RFC 3339 times, Unix timestamps or relative
// durations ("10m", "1h30m").
using System.Text;
using System.Text.Json;
using MiniRun.Containers;
using MiniJson;

namespace MiniRun.Cli;

public static class LifecycleLogs
{
    public sealed record Entry(string Stream, byte[] Log, DateTimeOffset Time, string TimeText);

    public static int Logs(string root, string name, bool follow, string? tail, bool timestamps, string? since, string? until)
    {
        int result = 0;
        int status = LifecycleCommands.ForEach([name], (store, c, _) =>
        {
            var now = DateTimeOffset.UtcNow;
            DateTimeOffset? from = since is null ? null : ParseTime(since, now, "since");
            DateTimeOffset? to = until is null ? null : ParseTime(until, now, "until");
            int? tailCount = tail is null or "all" ? null : int.TryParse(tail, out int t) && t >= 0 ? t : throw new CliError($"invalid value for \"tail\": {tail}");
            string path = string.IsNullOrEmpty(c.LogPath) ? Path.Combine(store.DirOf(c.Id), "container.log") : c.LogPath;
            using var stdout = Console.OpenStandardOutput();
            using var stderr = Console.OpenStandardError();
            long offset = 0;
            var entries = ReadFrom(path, ref offset);
            if (tailCount is int n) entries = entries.Skip(Math.Max(0, entries.Count - n)).ToList();
            foreach (var e in entries) Print(e, from, to, timestamps, stdout, stderr);
            if (!follow) return;
            // Follow while the container runs (or is restarting); then one last read.
            while (true)
            {
                bool running;
                try { running = ContainerLiveness.IsRunning(store.Load(c.Id)) || ContainerLiveness.HasSupervisor(store.Load(c.Id)); }
                catch (Exception e) when (e is IOException or JsonException) { running = false; }
                foreach (var e in ReadFrom(path, ref offset)) Print(e, from, to, timestamps, stdout, stderr);
                if (!running || (to is not null && DateTimeOffset.UtcNow > to)) break;
                Thread.Sleep(100);
            }
            foreach (var e in ReadFrom(path, ref offset)) Print(e, from, to, timestamps, stdout, stderr);
        }, root, "logs");
        return status != 0 ? status : result;
    }

    private static void Print(Entry e, DateTimeOffset? from, DateTimeOffset? to, bool timestamps, Stream stdout, Stream stderr)
    {
        if (from is not null && e.Time < from) return;
        if (to is not null && e.Time > to) return;
        var target = e.Stream == "stderr" ? stderr : stdout;
        if (timestamps) target.Write(Encoding.UTF8.GetBytes(NanoFixed(e.TimeText) + " "));
        target.Write(e.Log);
        target.Flush();
    }

    /// <summary>Complete lines from <paramref name="offset"/> on; advances it past them (a half-written last line waits).</summary>
    public static List<Entry> ReadFrom(string path, ref long offset)
    {
        var result = new List<Entry>();
        byte[] data;
        try
        {
            using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            if (f.Length <= offset) return result;
            f.Seek(offset, SeekOrigin.Begin);
            data = new byte[f.Length - offset];
            f.ReadExactly(data);
        }
        catch (FileNotFoundException) { return result; }
        int start = 0;
        while (true)
        {
            int nl = Array.IndexOf(data, (byte)'\n', start);
            if (nl < 0) break;
            if (Parse(data.AsSpan(start, nl - start)) is Entry e) result.Add(e);
            start = nl + 1;
        }
        offset += start;
        return result;
    }

    /// <summary>
    /// The log's time as Docker's `logs -t` prints it: RFC 3339 with always 9 fraction digits (Go's
    /// RFC3339NanoFixed), whatever the file holds (MiniRun's writer keeps .NET's 7 digits).
    /// </summary>
    public static string NanoFixed(string time)
    {
        var m = System.Text.RegularExpressions.Regex.Match(time, @"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$");
        if (!m.Success) return time;
        string digits = m.Groups[2].Value.PadRight(9, '0')[..9];
        return $"{m.Groups[1].Value}.{digits}{m.Groups[3].Value}";
    }

    /// <summary>One json-file line; null when it is not one.</summary>
    public static Entry? Parse(ReadOnlySpan<byte> line)
    {
        try
        {
            var reader = new Utf8JsonReader(line);
            string stream = "stdout", time = "";
            byte[]? log = null;
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1) continue;
                string property = reader.GetString()!;
                reader.Read();
                switch (property)
                {
                    case "log": log = Encoding.UTF8.GetBytes(reader.GetString() ?? ""); break;
                    case "stream": stream = reader.GetString() ?? "stdout"; break;
                    case "time": time = reader.GetString() ?? ""; break;
                }
            }
            if (log is null) return null;
            DateTimeOffset.TryParse(time, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var when);
            return new Entry(stream, log, when, time);
        }
        catch (JsonException) { return null; }
    }

    /// <summary>RFC 3339 (or a date), a Unix timestamp with optional fraction, or a duration before now ("10m", "2h30m", "45s").</summary>
    public static DateTimeOffset ParseTime(string value, DateTimeOffset now, string flag)
    {
        if (double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double unix))
            return DateTimeOffset.FromUnixTimeMilliseconds((long)(unix * 1000));
        if (TryDuration(value, out var d)) return now - d;
        if (DateTimeOffset.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var t))
            return t;
        throw new CliError($"invalid value for {GoQuote.Quote(flag)}: failed to parse value as time or duration: {GoQuote.Quote(value)}");
    }

    private static bool TryDuration(string s, out TimeSpan d)
    {
        d = TimeSpan.Zero;
        int i = 0;
        if (s.Length == 0) return false;
        while (i < s.Length)
        {
            int j = i;
            while (j < s.Length && (char.IsAsciiDigit(s[j]) || s[j] == '.')) j++;
            if (j == i || !double.TryParse(s[i..j], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double v)) return false;
            int k = j;
            while (k < s.Length && char.IsAsciiLetter(s[k])) k++;
            switch (s[j..k])
            {
                case "h": d += TimeSpan.FromHours(v); break;
                case "m": d += TimeSpan.FromMinutes(v); break;
                case "s": d += TimeSpan.FromSeconds(v); break;
                case "ms": d += TimeSpan.FromMilliseconds(v); break;
                default: return false;
            }
            i = k;
        }
        return true;
    }
}
