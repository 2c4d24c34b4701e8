// Signals: signal names and numbers as `kill -s`, `stop` (StopSignal) and Dockerfile STOPSIGNAL
// write them: "SIGTERM", "TERM", "term" or "15".
//
// Follows: signal(7) (x86-64 numbers); docker-kill(1) "--signal".
namespace MiniRun.Containers;

public static class Signals
{
    private static readonly string[] Names =
    [
        "", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM",
        "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF",
        "WINCH", "IO", "PWR", "SYS",
    ];

    /// <summary>The signal's number, or null for null/empty or an unknown name.</summary>
    public static int? Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        string v = value.Trim().ToUpperInvariant();
        if (int.TryParse(v, out int n)) return n is > 0 and <= 64 ? n : null;
        if (v.StartsWith("SIG", StringComparison.Ordinal)) v = v[3..];
        if (v == "IOT") return 6;
        if (v == "POLL") return 29;
        if (v.StartsWith("RTMIN", StringComparison.Ordinal))
            return v == "RTMIN" ? 34 : v.StartsWith("RTMIN+") && int.TryParse(v[6..], out int k) && k <= 30 ? 34 + k : null;
        int i = Array.IndexOf(Names, v);
        return i > 0 ? i : null;
    }
}
