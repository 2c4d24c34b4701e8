// TerminalRelay: with `run -t`, connect the user's terminal to the container's pseudo-terminal.
//
// Why: the container's terminal lives in its own devpts; the parent holds the master side. The
// user's terminal is put in raw mode (so Ctrl-C, arrow keys and line editing reach the program
// inside unchanged: the container's terminal does the line discipline), bytes are copied both
// ways, and window size changes (SIGWINCH) are passed on with TIOCSWINSZ. The raw mode is always
// restored, also on failure.
//
// Follows: termios(3) (cfmakeraw), pty(7), ioctl_tty(2) TIOCGWINSZ/TIOCSWINSZ, poll(2).
using System.Runtime.InteropServices;
using MiniRun.Kernel;

namespace MiniRun.Terminal;

public sealed unsafe class TerminalRelay : IDisposable
{
    private readonly int _master;
    private readonly bool _copyStdin;
    private Libc.termios _saved;
    private bool _raw;
    private PosixSignalRegistration? _winch;
    private Thread? _input;
    private Thread? _output;

    public TerminalRelay(int master, bool copyStdin)
    {
        _master = master;
        _copyStdin = copyStdin;
    }

    /// <summary>The user's window size, or (0, 0) when stdout is not a terminal.</summary>
    public static (ushort Rows, ushort Columns) WindowSize()
    {
        Libc.winsize ws;
        for (int fd = 0; fd <= 2; fd++)
            if (Libc.ioctl(fd, Libc.TIOCGWINSZ, &ws) == 0) return (ws.ws_row, ws.ws_col);
        return (0, 0);
    }

    public void Start()
    {
        if (_copyStdin && Libc.isatty(0) == 1)
        {
            Libc.termios t;
            if (Libc.tcgetattr(0, &t) == 0)
            {
                _saved = t;
                Libc.cfmakeraw(&t);
                if (Libc.tcsetattr(0, Libc.TCSANOW, &t) == 0) _raw = true;
            }
        }
        _winch = PosixSignalRegistration.Create(PosixSignal.SIGWINCH, ctx => { ctx.Cancel = true; CopyWindowSize(); });
        CopyWindowSize();
        _output = new Thread(() => Copy(_master, 1)) { IsBackground = true, Name = "pty-out" };
        _output.Start();
        if (_copyStdin)
        {
            _input = new Thread(() => Copy(0, _master)) { IsBackground = true, Name = "pty-in" };
            _input.Start();
        }
    }

    private void CopyWindowSize()
    {
        var (rows, cols) = WindowSize();
        if (rows == 0) return;
        var ws = new Libc.winsize { ws_row = rows, ws_col = cols };
        Libc.ioctl(_master, Libc.TIOCSWINSZ, &ws);
    }

    /// <summary>After the container exited: wait until its output is drained (EIO on the master).</summary>
    public void WaitForOutput(TimeSpan limit) => _output?.Join(limit);

    private static void Copy(int from, int to)
    {
        byte* buffer = stackalloc byte[16384];
        while (true)
        {
            nint n = Libc.read(from, buffer, 16384);
            if (n < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR) continue;
            if (n <= 0) return;   // EOF, or EIO once every slave descriptor is closed
            for (nint done = 0; done < n;)
            {
                nint w = Libc.write(to, buffer + done, (nuint)(n - done));
                if (w < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR) continue;
                if (w <= 0) return;
                done += w;
            }
        }
    }

    public void Dispose()
    {
        _winch?.Dispose();
        if (_raw)
        {
            var saved = _saved;
            Libc.tcsetattr(0, Libc.TCSANOW, &saved);
            _raw = false;
        }
    }
}
