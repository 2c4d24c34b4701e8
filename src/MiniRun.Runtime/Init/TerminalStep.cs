// TerminalStep: with `run -t`, give the container a pseudo-terminal as its controlling terminal.
//
// Why: interactive programs (a shell prompt, line editing, Ctrl-C) need a terminal. It is made
// from the container's own devpts instance (so `tty` inside prints /dev/pts/0), becomes the
// controlling terminal of a new session (setsid + TIOCSCTTY), and stdin, stdout and stderr.
// The master side goes to the parent over the sync socket (SCM_RIGHTS), which copies bytes
// between it and the user's terminal - the role of runtime-spec's console socket.
//
// Follows: pty(7), setsid(2), ioctl_tty(2) TIOCSCTTY, runtime-spec config.md "process.terminal".
using MiniRun.Trace;

namespace MiniRun.Init;

public static class TerminalStep
{
    public static void Run(InitContext c)
    {
        if (!c.Spec.Process.Terminal) return;
        c.BeginStep(Messages.TerminalTitle, Messages.TerminalWhy);
        var size = c.Spec.Process.ConsoleSize;
        var (master, slave, _) = c.Kernel.OpenPseudoTerminal((ushort)(size?.Height ?? 0), (ushort)(size?.Width ?? 0));
        c.SendTerminalMaster?.Invoke(master);
        c.Kernel.Close(master);
        c.Kernel.SetControllingTerminal(slave);
        for (int fd = 0; fd < 3; fd++) c.Kernel.Dup2(slave, fd);
        c.Kernel.Close(slave);
    }
}
