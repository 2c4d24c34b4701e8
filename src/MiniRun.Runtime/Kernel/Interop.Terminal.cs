// Interop.Terminal: pseudo-terminal and termios calls for `run -t`.
//
// Why: with -t the container gets a pseudo-terminal from its own /dev/pts instance as its
// controlling terminal; the parent puts the user's terminal in raw mode and copies bytes both
// ways, passing window size changes on (TIOCSWINSZ).
//
// Follows: pty(7), ioctl_tty(2) (TIOCSCTTY, TIOCGWINSZ, TIOCSWINSZ, TIOCGPTN, TIOCSPTLCK),
// termios(3) (tcgetattr, tcsetattr, cfmakeraw), poll(2).
using System.Runtime.InteropServices;

namespace MiniRun.Kernel;

internal static unsafe partial class Libc
{
    public const ulong TIOCSCTTY = 0x540E, TIOCGWINSZ = 0x5413, TIOCSWINSZ = 0x5414,
        TIOCGPTN = 0x80045430, TIOCSPTLCK = 0x40045431;
    public const int TCSANOW = 0;
    public const short POLLIN = 1, POLLOUT = 4, POLLERR = 8, POLLHUP = 16, POLLNVAL = 32;

    [StructLayout(LayoutKind.Sequential)]
    public struct winsize { public ushort ws_row, ws_col, ws_xpixel, ws_ypixel; }

    /// <summary>struct termios on x86_64 glibc: 60 bytes; kept opaque, only passed back and forth.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 64)]
    public struct termios { public uint c_iflag, c_oflag, c_cflag, c_lflag; }

    [StructLayout(LayoutKind.Sequential)]
    public struct pollfd { public int fd; public short events; public short revents; }

    [LibraryImport("libc", SetLastError = true)]
    public static partial int tcgetattr(int fd, termios* t);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int tcsetattr(int fd, int actions, termios* t);

    [LibraryImport("libc")]
    public static partial void cfmakeraw(termios* t);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int isatty(int fd);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int poll(pollfd* fds, nuint nfds, int timeout);
}
