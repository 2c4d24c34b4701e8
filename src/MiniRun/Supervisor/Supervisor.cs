// Supervisor: `minirun supervise`, the parent of one container's PID 1 (the role of conmon or
// containerd-shim). One per container; it outlives the command that started it.
//
// Why: no `minirun` command has to keep running for a container to live, yet someone must wait
// for its PID 1 (only the parent can), keep its output, hold its terminal, and start it again
// under a restart policy. It is a child subreaper (the container's orphans come to it), has its
// own session and ignores SIGHUP (closing the user's terminal does not end it).
//
// Shape: one thread, one poll(2) loop over raw descriptors - the control socket of the command
// that started it, the attach socket (supervisor.sock) and its clients, the container's stdout
// and stderr pipes (or the terminal's master with -t), and a pidfd that becomes readable when
// PID 1 ends. Nothing else runs, so the resident memory stays small.
//
// Two ways in (see SupervisorMain): --adopt (the fast path of `run`: init was cloned by the
// native stage as this process's child, `run` does init's handshake and then tells this process
// the container's id over the control socket), and --start (this process starts the container
// itself, as for `start`, and again for each restart).
//
// Follows: docs/lifecycle.md; prctl(2) PR_SET_CHILD_SUBREAPER; waitpid(2); pidfd_open(2); poll(2).
using System.Text;
using MiniRun.Containers;
using MiniRun.Kernel;

namespace MiniRun.Supervisor;

internal sealed unsafe partial class Supervisor
{
    private enum Handshake { Pending, Done, Failed }

    private sealed class Client
    {
        public int Fd;
        public bool Out, Err, Stdin, Control;
    }

    private readonly byte[] _buffer = new byte[AttachProtocol.MaxPayload + 1];
    private readonly List<Client> _clients = new();
    private Client? _control;
    private int _listen = -1, _dirFd = -1;
    // The container's side: stdout/stderr pipes (read ends), the terminal's master, stdin's target.
    private int _out = -1, _err = -1, _master = -1, _stdin = -1;
    /// <summary>Published ports' host sockets: bound (not listening) so nothing else takes the ports while the container runs.</summary>
    private readonly List<int> _portFds = new();
    private readonly List<byte> _stdinPending = new();
    private bool _closeStdinWhenDrained;
    private int _initPid, _pidfd = -1;
    private string? _root, _id;
    private ContainerStore? _store;
    private JsonLogWriter? _log;
    private Handshake _handshake = Handshake.Pending;
    private int _failCode;
    private string? _failMessage;
    private DateTimeOffset _startedAt;
    private readonly RestartBackoff _backoff = new();
    private DateTime? _restartAt;
    private int _lastExit;
    private bool _finished;
    private bool _endedBeforeRecorded;   // PID 1 ended before its start was written (see Running)

    /// <summary>The poll loop; returns when the container ended for good (and was recorded).</summary>
    private int Loop()
    {
        var fds = new List<Libc.pollfd>();
        var actions = new List<Action<short>>();
        while (!_finished)
        {
            fds.Clear();
            actions.Clear();
            void Watch(int fd, short events, Action<short> action)
            {
                fds.Add(new Libc.pollfd { fd = fd, events = events });
                actions.Add(action);
            }
            foreach (var c in _clients.ToArray())
                if (!(c.Stdin && _stdinPending.Count > 0))   // hold back a stdin writer until its bytes are taken
                    Watch(c.Fd, Libc.POLLIN, _ => OnClientMessage(c));
            if (_listen >= 0) Watch(_listen, Libc.POLLIN, _ => Accept());
            if (_id is not null)
            {
                if (_out >= 0) Watch(_out, Libc.POLLIN, _ => Pump(ref _out, false));
                if (_err >= 0) Watch(_err, Libc.POLLIN, _ => Pump(ref _err, true));
                if (_master >= 0) Watch(_master, Libc.POLLIN, _ => Pump(ref _master, false));
            }
            if (_stdin >= 0 && _stdinPending.Count > 0) Watch(_stdin, Libc.POLLOUT, _ => FlushStdin());
            if (_pidfd >= 0 && _handshake != Handshake.Pending) Watch(_pidfd, Libc.POLLIN, _ => OnInitExit());
            else if (_pidfd >= 0 && _control is null) Watch(_pidfd, Libc.POLLIN, _ => OnInitExit());

            int timeout = -1;
            if (_restartAt is DateTime at) timeout = Math.Max(0, (int)Math.Ceiling((at - DateTime.UtcNow).TotalMilliseconds));
            if (fds.Count == 0 && timeout < 0) break;   // nothing left to wait for (cannot happen while PID 1 lives)

            var array = fds.ToArray();
            int n;
            fixed (Libc.pollfd* p = array) n = Libc.poll(p, (nuint)array.Length, timeout);
            if (n < 0)
            {
                if (System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == Errno.EINTR) continue;
                throw new KernelException("poll", System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
            }
            for (int i = 0; i < array.Length && !_finished; i++)
                if (array[i].revents != 0) actions[i](array[i].revents);
            if (_restartAt is DateTime due && DateTime.UtcNow >= due && !_finished)
            {
                _restartAt = null;
                Restart();
            }
        }
        return _lastExit;
    }

    /// <summary>Reads the container's output once: into the log and to every client that wants it.</summary>
    private void Pump(ref int fd, bool stderr)
    {
        nint n;
        fixed (byte* b = _buffer)
        {
            do n = Libc.read(fd, b, (nuint)AttachProtocol.MaxPayload);
            while (n < 0 && System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == Errno.EINTR);
        }
        if (n < 0 && System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == 11 /*EAGAIN*/) return;
        if (n <= 0)   // EOF, or EIO from a terminal master once every slave descriptor is closed
        {
            if (fd == _master) { _master = -1; if (_stdin == fd) _stdin = -1; _stdinPending.Clear(); }
            Libc.close(fd);
            fd = -1;
            _log?.Close(stderr);
            return;
        }
        var data = new ReadOnlySpan<byte>(_buffer, 0, (int)n);
        _log?.Write(stderr, data);
        foreach (var c in _clients.ToArray())
            if (stderr ? c.Err : c.Out)
                if (!AttachProtocol.Send(c.Fd, stderr ? (byte)'e' : (byte)'o', data)) Drop(c);
    }

    /// <summary>Waits (a bounded time) until the container's output is drained after PID 1 ended.</summary>
    private void DrainOutput(TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while ((_out >= 0 || _err >= 0 || _master >= 0) && DateTime.UtcNow < deadline)
        {
            var list = new List<(int Fd, int Which)>();
            if (_out >= 0) list.Add((_out, 0));
            if (_err >= 0) list.Add((_err, 1));
            if (_master >= 0) list.Add((_master, 2));
            var array = list.Select(x => new Libc.pollfd { fd = x.Fd, events = Libc.POLLIN }).ToArray();
            int n;
            fixed (Libc.pollfd* p = array) n = Libc.poll(p, (nuint)array.Length, 100);
            if (n <= 0) continue;
            for (int i = 0; i < array.Length; i++)
            {
                if (array[i].revents == 0) continue;
                switch (list[i].Which)
                {
                    case 0: Pump(ref _out, false); break;
                    case 1: Pump(ref _err, true); break;
                    default: Pump(ref _master, false); break;
                }
            }
        }
        CloseContainerIo();
    }

    private void CloseContainerIo()
    {
        foreach (var fd in new[] { _out, _err, _master })
            if (fd >= 0) Libc.close(fd);
        if (_stdin >= 0 && _stdin != _master) Libc.close(_stdin);
        if (_out >= 0) _log?.Close(false);
        if (_err >= 0) _log?.Close(true);
        if (_master >= 0) _log?.Close(false);
        _out = _err = _master = _stdin = -1;
        _stdinPending.Clear();
        _closeStdinWhenDrained = false;
    }

    private void FlushStdin()
    {
        if (_stdin < 0) { _stdinPending.Clear(); return; }
        var bytes = _stdinPending.ToArray();
        nint n;
        fixed (byte* b = bytes) n = Libc.write(_stdin, b, (nuint)bytes.Length);
        if (n > 0) _stdinPending.RemoveRange(0, (int)n);
        else if (n < 0 && System.Runtime.InteropServices.Marshal.GetLastPInvokeError() is not (11 or Errno.EINTR))
            _stdinPending.Clear();   // the container closed its stdin: nothing will read these bytes
        if (_stdinPending.Count == 0 && _closeStdinWhenDrained) CloseStdin();
    }

    private void CloseStdin()
    {
        _closeStdinWhenDrained = false;
        if (_stdin >= 0 && _stdin != _master) { Libc.close(_stdin); _stdin = -1; }
    }

    private static string Text(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);
}
