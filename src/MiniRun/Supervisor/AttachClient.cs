// AttachClient: the client side of a supervisor's attach protocol, used by foreground `run`,
// `attach` and `start -a`: the container's stdout and stderr to ours, our stdin to the container,
// window sizes with -t, and the exit code at the end.
//
// Why: the container's terminal and pipes belong to its supervisor, so the command a user sees
// in the foreground is only a window onto it - which is what makes detaching (Ctrl-P Ctrl-Q by
// default, --detach-keys) and attaching again possible. With -t and a terminal on our side it is
// put in raw mode (restored on every way out), so keys reach the container's terminal unchanged.
//
// Follows: docker-attach(1) (detach keys), termios(3) cfmakeraw, ioctl_tty(2) TIOCGWINSZ.
using System.Runtime.InteropServices;
using System.Text;
using MiniRun.Kernel;

namespace MiniRun.Supervisor;

public sealed unsafe class AttachClient
{
    public const string DefaultDetachKeys = "ctrl-p,ctrl-q";
    private readonly int _fd;
    private volatile bool _detached;

    public AttachClient(int fd) => _fd = fd;

    /// <summary>Where the container's stderr goes: 2, or 1 for a build (Docker's build output is one stream).</summary>
    public int ErrorFd { get; init; } = 2;
    /// <summary>Where the container's standard output goes (a build with -q holds it back in a memfd).</summary>
    public int OutputFd { get; init; } = 1;

    /// <summary>True when the user typed the detach keys (the container keeps running).</summary>
    public bool Detached => _detached;

    /// <summary>
    /// Attaches and relays until the container's PID 1 ends (its exit code), the user detaches
    /// (null, Detached set) or the supervisor disappears (null).
    /// </summary>
    public int? Run(bool stdin, bool tty, byte[]? detachKeys)
    {
        AttachProtocol.Send(_fd, (byte)'a', "oe" + (stdin ? "i" : ""));
        Libc.termios saved = default;
        bool raw = false;
        PosixSignalRegistration? winch = null;
        try
        {
            if (tty)
            {
                if (stdin && Libc.isatty(0) == 1 && Libc.tcgetattr(0, &saved) == 0)
                {
                    var t = saved;
                    Libc.cfmakeraw(&t);
                    raw = Libc.tcsetattr(0, Libc.TCSANOW, &t) == 0;
                }
                SendWindowSize();
                winch = PosixSignalRegistration.Create(PosixSignal.SIGWINCH, ctx => { ctx.Cancel = true; SendWindowSize(); });
            }
            if (stdin)
                new Thread(() => CopyStdin(tty ? detachKeys : null)) { IsBackground = true, Name = "attach-stdin" }.Start();
            return ReceiveUntilExit();
        }
        finally
        {
            winch?.Dispose();
            if (raw) Libc.tcsetattr(0, Libc.TCSANOW, &saved);
        }
    }

    /// <summary>Only waits for the exit code ('x'); null when the supervisor went away first.</summary>
    public int? WaitForExit()
    {
        AttachProtocol.Send(_fd, (byte)'a', "");
        return ReceiveUntilExit();
    }

    /// <summary>
    /// `run -d`: waits until the supervisor has recorded the container running ('R') or it has
    /// already ended ('x'); false when the supervisor went away first.
    /// </summary>
    public bool WaitForRecorded()
    {
        var buffer = new byte[AttachProtocol.MaxPayload + 1];
        while (true)
        {
            int n = AttachProtocol.Receive(_fd, buffer, out int passed);
            if (passed >= 0) Libc.close(passed);
            if (n <= 0) return false;
            if (buffer[0] is (byte)'R' or (byte)'x') return true;
        }
    }

    private int? ReceiveUntilExit()
    {
        var buffer = new byte[AttachProtocol.MaxPayload + 1];
        while (true)
        {
            int n = AttachProtocol.Receive(_fd, buffer, out int passed);
            if (passed >= 0) Libc.close(passed);
            if (n <= 0) return null;
            switch ((char)buffer[0])
            {
                case 'o': WriteAll(OutputFd, buffer.AsSpan(1, n - 1)); break;
                case 'e': WriteAll(ErrorFd, buffer.AsSpan(1, n - 1)); break;
                case 'x': return int.TryParse(Encoding.UTF8.GetString(buffer, 1, n - 1), out int code) ? code : null;
            }
        }
    }

    private void SendWindowSize()
    {
        Libc.winsize ws;
        for (int fd = 0; fd <= 2; fd++)
            if (Libc.ioctl(fd, Libc.TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
            {
                AttachProtocol.Send(_fd, (byte)'w', $"{ws.ws_row} {ws.ws_col}");
                return;
            }
    }

    private void CopyStdin(byte[]? detachKeys)
    {
        var buffer = new byte[16384];
        var held = new List<byte>();   // a possible start of the detach sequence, not sent yet
        int matched = 0;
        while (true)
        {
            nint n;
            fixed (byte* b = buffer) n = Libc.read(0, b, (nuint)buffer.Length);
            if (n < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR) continue;
            if (n <= 0)
            {
                if (held.Count > 0) AttachProtocol.Send(_fd, (byte)'i', held.ToArray());
                AttachProtocol.Send(_fd, (byte)'c');
                return;
            }
            var output = new List<byte>((int)n);
            for (int i = 0; i < n; i++)
            {
                byte c = buffer[i];
                if (detachKeys is { Length: > 0 } && c == detachKeys[matched])
                {
                    held.Add(c);
                    if (++matched == detachKeys.Length)
                    {
                        if (output.Count > 0) AttachProtocol.Send(_fd, (byte)'i', output.ToArray());
                        _detached = true;
                        SupervisorInterop.shutdown(_fd, SupervisorInterop.SHUT_RDWR);   // ends ReceiveUntilExit
                        return;
                    }
                    continue;
                }
                if (held.Count > 0) { output.AddRange(held); held.Clear(); matched = 0; }
                if (detachKeys is { Length: > 0 } && c == detachKeys[0]) { held.Add(c); matched = 1; continue; }
                output.Add(c);
            }
            if (output.Count > 0 && !AttachProtocol.Send(_fd, (byte)'i', output.ToArray())) return;
        }
    }

    private static void WriteAll(int fd, ReadOnlySpan<byte> data) => FdIo.WriteAll(fd, data);   // a closed terminal loses the rest

    /// <summary>Docker's --detach-keys: comma-separated "ctrl-X" (X a letter or one of @[\]^_) or single characters.</summary>
    public static byte[] ParseDetachKeys(string? spec)
    {
        spec = string.IsNullOrEmpty(spec) ? DefaultDetachKeys : spec;
        var keys = new List<byte>();
        foreach (var part in spec.Split(','))
        {
            if (part.Length == 1) { keys.Add((byte)part[0]); continue; }
            if (part.StartsWith("ctrl-", StringComparison.Ordinal) && part.Length == 6)
            {
                char c = char.ToLowerInvariant(part[5]);
                if (c is >= 'a' and <= 'z') { keys.Add((byte)(c - 'a' + 1)); continue; }
                int i = "@[\\]^_".IndexOf(part[5]);
                if (i >= 0) { keys.Add((byte)(i == 0 ? 0 : 27 + i - 1)); continue; }
            }
            throw new FormatException($"Invalid detach keys ({spec}) provided");
        }
        return keys.ToArray();
    }
}
