// SupervisorClients: the supervisor's side of the attach protocol (AttachProtocol.cs): accepting
// clients on supervisor.sock, their stdin, window sizes, and the control messages of the `run`
// that cloned this supervisor.
//
// Why: foreground `run`, `attach` and `start -a` are all clients; any number may watch the
// output, one at a time sends stdin (the first that asks). A client that goes away only loses
// its place: the container's stdin closes only when a client says its own stdin ended ('c').
//
// Follows: unix(7); ioctl_tty(2) TIOCSWINSZ.
using MiniRun.Containers;
using MiniRun.Kernel;

namespace MiniRun.Supervisor;

internal sealed unsafe partial class Supervisor
{
    private void Accept()
    {
        int fd = SupervisorInterop.accept4(_listen, null, null, SupervisorInterop.SOCK_CLOEXEC);
        if (fd >= 0) _clients.Add(new Client { Fd = fd });   // silent until it says what it wants ('a')
    }

    private void Drop(Client c)
    {
        if (!_clients.Remove(c)) return;
        Libc.close(c.Fd);
        if (c.Control) _control = null;
    }

    private void OnClientMessage(Client c)
    {
        int n = AttachProtocol.Receive(c.Fd, _buffer, out int passed);
        if (n <= 0)
        {
            if (passed >= 0) Libc.close(passed);
            Drop(c);
            return;
        }
        var payload = new ReadOnlySpan<byte>(_buffer, 1, n - 1);
        switch ((char)_buffer[0])
        {
            case 'a':
                c.Out = payload.Contains((byte)'o');
                c.Err = payload.Contains((byte)'e');
                if (payload.Contains((byte)'i') && !_clients.Any(o => o.Stdin)) c.Stdin = true;
                break;
            case 'i':
                if (!c.Stdin || _stdin < 0) break;
                _stdinPending.AddRange(payload.ToArray());
                FlushStdin();
                break;
            case 'c':
                if (!c.Stdin) break;
                if (_stdinPending.Count > 0) _closeStdinWhenDrained = true;
                else CloseStdin();
                break;
            case 'w':
                Resize(Text(payload));
                break;
            case 'k':
                // stop/kill/rm changed the record: during a restart's wait, look now
                if (_restartAt is not null && _store is not null && _id is not null && IsManuallyStopped())
                    _restartAt = DateTime.UtcNow;
                break;
            case 'n' when c.Control:
                Adopt(Text(payload));
                break;
            case 'm' when c.Control:
                if (passed >= 0)
                {
                    _master = passed;
                    _stdin = passed;
                    SupervisorInterop.SetNonBlocking(passed);
                    passed = -1;
                }
                break;
            case 'p' when c.Control:
                // a published port's host socket, bound by `run` (Network/ContainerNetwork.cs): held while the container runs
                if (passed >= 0) { _portFds.Add(passed); passed = -1; }
                break;
            case 'r' when c.Control:
                Running(c, wantsAck: payload.Length > 0);
                break;
            case 'f' when c.Control:
            {
                var text = Text(payload);
                int space = text.IndexOf(' ');
                _failCode = int.TryParse(space < 0 ? text : text[..space], out int code) ? code : 125;
                _failMessage = space < 0 ? null : text[(space + 1)..];
                _handshake = Handshake.Failed;
                break;
            }
        }
        if (passed >= 0) Libc.close(passed);
    }

    private bool IsManuallyStopped()
    {
        try { return _store!.Load(_id!).State.ManuallyStopped; }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException) { return true; }   // removed: stop
    }

    private void Resize(string text)
    {
        var parts = text.Split(' ');
        if (_master < 0 || parts.Length != 2 || !ushort.TryParse(parts[0], out var rows) || !ushort.TryParse(parts[1], out var cols)) return;
        var ws = new Libc.winsize { ws_row = rows, ws_col = cols };
        Libc.ioctl(_master, Libc.TIOCSWINSZ, &ws);
    }

    /// <summary>PID 1 ended with <paramref name="code"/>: tell every client, then let them go.</summary>
    private void SendExitToClients(int code)
    {
        foreach (var c in _clients.ToArray())
        {
            AttachProtocol.Send(c.Fd, (byte)'x', code.ToString());
            Drop(c);
        }
    }

    /// <summary>The container's directory is known: open the log and start listening for clients.</summary>
    private void OpenContainer(string root, string id)
    {
        _root = root;
        _id = id;
        _store = new ContainerStore(root);
        string dir = _store.DirOf(id);
        _log = new JsonLogWriter(Path.Combine(dir, "container.log"));
        _dirFd = Libc.open(dir, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        try { File.Delete(Path.Combine(dir, AttachProtocol.SocketName)); } catch (IOException) { }
        _listen = SupervisorInterop.Listen(AttachProtocol.SocketPath(_dirFd));
    }
}
