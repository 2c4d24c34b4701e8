// FileLock: flock(2) on a lock file opened with open(2), for the short critical sections of the
// container store.
//
// Why raw descriptors: .NET's FileStream emulates FileShare with its own non-blocking flock on
// every open, so opening a lock file another process holds with LOCK_EX fails at once ("being
// used by another process") instead of waiting. flock with LOCK_EX on our own descriptor blocks
// until the holder is done, and is released when the descriptor is closed, even if the process
// dies.
//
// Follows: flock(2), open(2).
using System.Runtime.InteropServices;
using MiniRun.Kernel;

namespace MiniRun.Containers;

public sealed partial class FileLock : IDisposable
{
    private const int LOCK_EX = 2, LOCK_NB = 4;
    private int _fd;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int flock(int fd, int operation);

    private FileLock(int fd) => _fd = fd;

    /// <summary>Blocks until this process holds the exclusive lock on <paramref name="path"/> (created if missing).</summary>
    public static FileLock Exclusive(string path)
    {
        int fd = Libc.open(path, Libc.O_RDWR | Libc.O_CREAT | Libc.O_CLOEXEC | Libc.O_NOFOLLOW, 0x180 /*0600*/);
        if (fd < 0) throw new KernelException($"open lock file {path}", Marshal.GetLastPInvokeError());
        while (flock(fd, LOCK_EX) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.EINTR) continue;
            Libc.close(fd);
            throw new KernelException($"flock {path}", errno);
        }
        return new FileLock(fd);
    }

    /// <summary>
    /// The exclusive lock on an existing <paramref name="path"/> if nobody holds it now
    /// (LOCK_NB); null when another process holds it or the file is gone.
    /// </summary>
    public static FileLock? TryExclusive(string path)
    {
        int fd = Libc.open(path, Libc.O_RDWR | Libc.O_CLOEXEC | Libc.O_NOFOLLOW, 0);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.ENOENT) return null;
            throw new KernelException($"open lock file {path}", errno);
        }
        while (flock(fd, LOCK_EX | LOCK_NB) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.EINTR) continue;
            Libc.close(fd);
            if (errno == Errno.EAGAIN) return null;   // EWOULDBLOCK: held
            throw new KernelException($"flock {path}", errno);
        }
        return new FileLock(fd);
    }

    /// <summary>The locked descriptor (for writing into the lock file itself).</summary>
    public int Descriptor => _fd;

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0) Libc.close(fd);   // closing the descriptor releases the lock
    }
}
