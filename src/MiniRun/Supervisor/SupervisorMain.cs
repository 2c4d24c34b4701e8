// SupervisorMain: the entry of `minirun supervise` (hidden; dispatched by Program.Main before the
// command-line parser is built, like `init`, so the supervisor never loads the CLI).
//
//   minirun supervise --adopt CTL OUT ERR IN      the fast path of `run` (Native/clone_stage.c
//        minirun_spawn_supervised): init is already our child; CTL is our end of a socketpair
//        with `run`, OUT/ERR the read ends of the container's stdout/stderr pipes, IN the write
//        end of its stdin pipe (-1 for none; with -t all three are -1 and the terminal's master
//        arrives on CTL).
//   minirun supervise --start CTL ROOT ID          `start`: this process starts the container
//        itself; it answers on CTL 'r' (running) or 'f CODE MESSAGE', then CTL is an attach client.
//
// Either way it makes itself a child subreaper in its own session that ignores SIGHUP (the
// native stage did that already for --adopt; doing it again costs nothing), and exits when the
// container has ended for good.
//
// Follows: docs/lifecycle.md "Processes"; prctl(2); setsid(2); signal(7).
using MiniRun.Containers;
using MiniRun.Kernel;

namespace MiniRun.Supervisor;

internal sealed partial class Supervisor
{
    public static int Run(string[] args)
    {
        SupervisorInterop.signal(1 /*SIGHUP*/, SupervisorInterop.SIG_IGN);
        SupervisorInterop.signal(13 /*SIGPIPE*/, SupervisorInterop.SIG_IGN);
        if (SupervisorInterop.getsid(0) != Environment.ProcessId) Libc.setsid();
        Libc.prctl(Libc.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        var s = new Supervisor();
        try
        {
            if (args is [_, "--adopt", var ctl, var o, var e, var i])
            {
                s.AddControl(int.Parse(ctl));
                s._out = int.Parse(o);
                s._err = int.Parse(e);
                s._stdin = int.Parse(i);
                foreach (var fd in new[] { s._out, s._err })
                    if (fd >= 0) { Libc.fcntl(fd, Libc.F_SETFD, Libc.FD_CLOEXEC); SupervisorInterop.SetNonBlocking(fd); }
                if (s._stdin >= 0) { Libc.fcntl(s._stdin, Libc.F_SETFD, Libc.FD_CLOEXEC); SupervisorInterop.SetNonBlocking(s._stdin); }
                return s.Loop();
            }
            if (args is [_, "--start", var ctl2, var root, var id])
            {
                s.AddControl(int.Parse(ctl2));
                s.OpenContainer(root, id);
                var failure = s.StartContainer();
                if (failure is var (code, message))
                {
                    s._lastExit = code;
                    s.Final(code, false, message, failedStart: true);
                    return code;
                }
                if (s._control is not null) AttachProtocol.Send(s._control.Fd, (byte)'r');
                return s.Loop();
            }
            return 125;
        }
        catch (Exception e)
        {
            s.RecordCrash(e);
            return 125;
        }
    }

    private void AddControl(int fd)
    {
        Libc.fcntl(fd, Libc.F_SETFD, Libc.FD_CLOEXEC);   // never into the container
        _control = new Client { Fd = fd, Control = true, Out = true, Err = true };   // output from the first byte on
        _clients.Add(_control);
    }

    /// <summary>Last words: the error goes into the record, where `inspect` and `ps` find it.</summary>
    private void RecordCrash(Exception e)
    {
        try
        {
            if (_store is not null && _id is not null)
                StateRecorder.SupervisorFailed(_store, _id, $"supervisor: {e.GetType().Name}: {e.Message}");
        }
        catch (Exception) { }
    }
}
