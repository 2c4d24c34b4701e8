// JsonLogWriter: the container's output as Docker's json-file log driver writes it,
// one JSON object per line: {"log":"hello\n","stream":"stdout","time":"2024-05-01T10:00:00.1234567Z"}
//
// Why this format: `docker logs` users and tools read it; keeping the two streams apart per line
// is what lets `logs` send stdout to stdout and stderr to stderr. Output is cut into lines at
// '\n' (the newline stays in "log"); a line longer than 16 KiB is written in 16 KiB pieces
// without a newline, and what is left when a stream closes is written as it is - as Docker does.
// Strings are escaped like Go's encoding/json: \" \\ \n \r \t, other control characters and
// < > & U+2028 U+2029 as \u00XX, and invalid UTF-8 as U+FFFD. The time is RFC 3339 in UTC with
// trailing zeros of the fraction dropped (Go's RFC3339Nano; .NET has 100 ns resolution).
//
// Follows: Docker's json-file logging driver documentation; RFC 8259 (JSON strings); RFC 3339.
using System.Buffers;
using System.Text;
using MiniRun.Kernel;

namespace MiniRun.Supervisor;

public sealed class JsonLogWriter : IDisposable
{
    public const int MaxLine = 16 * 1024;
    private readonly int _fd;
    private readonly LineBuffer _stdout = new("stdout"), _stderr = new("stderr");
    private readonly ArrayBufferWriter<byte> _out = new(4096);

    public JsonLogWriter(string path)
    {
        _fd = Libc.open(path, Libc.O_WRONLY | Libc.O_CREAT | 0x400 /*O_APPEND*/ | Libc.O_CLOEXEC, 0x1a0 /*0640*/);
        if (_fd < 0) throw new KernelException($"open log {path}", System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
    }

    /// <summary>Bytes the container wrote on one stream; complete lines are written at once.</summary>
    public void Write(bool stderr, ReadOnlySpan<byte> data)
    {
        (stderr ? _stderr : _stdout).Feed(data, _out, DateTimeOffset.UtcNow);
        FlushOut();
    }

    /// <summary>The stream closed (or the container ended): write what is left of its last line.</summary>
    public void Close(bool stderr)
    {
        (stderr ? _stderr : _stdout).Flush(_out, DateTimeOffset.UtcNow);
        FlushOut();
    }

    private unsafe void FlushOut()
    {
        if (_out.WrittenCount == 0) return;
        FdIo.WriteAll(_fd, _out.WrittenSpan);   // a full disk loses log lines, never the container
        _out.Clear();
    }

    public void Dispose()
    {
        Close(false);
        Close(true);
        Libc.close(_fd);
    }

    /// <summary>One stream's unfinished line.</summary>
    private sealed class LineBuffer(string stream)
    {
        private readonly byte[] _pending = new byte[MaxLine];
        private int _length;

        public void Feed(ReadOnlySpan<byte> data, IBufferWriter<byte> output, DateTimeOffset time)
        {
            while (data.Length > 0)
            {
                int newline = data.IndexOf((byte)'\n');
                int take = newline >= 0 ? newline + 1 : data.Length;
                take = Math.Min(take, MaxLine - _length);
                data[..take].CopyTo(_pending.AsSpan(_length));
                _length += take;
                data = data[take..];
                if (_pending[_length - 1] == '\n' || _length == MaxLine) Flush(output, time);
            }
        }

        public void Flush(IBufferWriter<byte> output, DateTimeOffset time)
        {
            if (_length == 0) return;
            FormatLine(output, _pending.AsSpan(0, _length), stream, time);
            _length = 0;
        }
    }

    /// <summary>One log line with its trailing '\n', exactly as it goes into container.log.</summary>
    public static void FormatLine(IBufferWriter<byte> output, ReadOnlySpan<byte> log, string stream, DateTimeOffset time)
    {
        var sb = new StringBuilder(log.Length + 80);
        sb.Append("{\"log\":\"");
        AppendEscaped(sb, log);
        sb.Append("\",\"stream\":\"").Append(stream).Append("\",\"time\":\"").Append(FormatTime(time)).Append("\"}\n");
        var text = sb.ToString();
        int n = Encoding.UTF8.GetByteCount(text);
        Encoding.UTF8.GetBytes(text, output.GetSpan(n));
        output.Advance(n);
    }

    public static string FormatLine(string log, string stream, DateTimeOffset time)
    {
        var buffer = new ArrayBufferWriter<byte>();
        FormatLine(buffer, Encoding.UTF8.GetBytes(log), stream, time);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Go's RFC3339Nano in UTC: fraction without trailing zeros, no fraction when zero.</summary>
    public static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", System.Globalization.CultureInfo.InvariantCulture) + "Z";

    private static void AppendEscaped(StringBuilder sb, ReadOnlySpan<byte> utf8) =>
        AppendEscaped(sb, Encoding.UTF8.GetString(utf8), html: true);   // invalid sequences become U+FFFD, as Go does

    /// <summary>
    /// A JSON string's content as Go's encoding/json writes it: \" \\ \n \r \t, \u00XX for the other
    /// control characters and U+2028/U+2029, and with <paramref name="html"/> also &lt; &gt; &amp;.
    /// (The log lines here; `--format json` and the json template function, Cli/Templates/TemplateValues.cs.)
    /// </summary>
    public static void AppendEscaped(StringBuilder sb, string s, bool html)
    {
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '<' or '>' or '&' when html: sb.Append("\\u").Append(((int)c).ToString("x4")); break;
                case '\u2028' or '\u2029': sb.Append("\\u").Append(((int)c).ToString("x4")); break;
                default:
                    if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4"));
                    else sb.Append(c);
                    break;
            }
        }
    }
}
