// ConsoleSocket: hand the container's terminal to whoever asked for it with --console-socket.
//
// Why: an engine (podman's conmon, containerd's shim) runs `create --console-socket PATH` for a
// container with process.terminal = true. It listens on a unix socket at PATH; the runtime
// connects, and sends the master side of the container's pseudo-terminal as SCM_RIGHTS
// ancillary data, with the terminal's name as the message. From then on the engine owns the
// terminal: it relays it to `podman run -it` or `ctr run -t`. The runtime keeps no copy.
//
// Follows: unix(7) (SOCK_STREAM, SCM_RIGHTS), cmsg(3), connect(2), sendmsg(2); runtime-spec
// config.md "process.terminal" and runc's documented console-socket convention (terminals.md).
using System.Runtime.InteropServices;
using MiniRun.Kernel;

namespace MiniRun.Runtime;

public static unsafe class ConsoleSocket
{
    private const int SOCK_STREAM = 1;

    /// <summary>Connects to <paramref name="path"/> and sends <paramref name="master"/> over it.</summary>
    public static void Send(string path, int master)
    {
        byte* addr = stackalloc byte[110];
        int len = Libc.UnixAddress(path, addr);
        int fd = Libc.socket(Libc.AF_UNIX, SOCK_STREAM | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0) throw new KernelException("socket(AF_UNIX, SOCK_STREAM)", Marshal.GetLastPInvokeError());
        try
        {
            if (Libc.connect(fd, addr, (uint)len) < 0)
                throw new KernelException($"connect to console socket {path}", Marshal.GetLastPInvokeError());
            SyncChannel.SendMessage(fd, "/dev/ptmx"u8, master, $"console socket {path}");
        }
        finally
        {
            Libc.close(fd);
        }
    }
}
