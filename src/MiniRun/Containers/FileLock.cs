// FileLock: flock(2) on an open file, for the short critical sections of the container store.
//
// Why: .NET's FileStream.Lock is a byte-range (fcntl) lock with no blocking wait; flock with
// LOCK_EX blocks until the holder is done and is released automatically when the descriptor is
// closed, even if the process dies.
//
// Follows: flock(2).
using System.Runtime.InteropServices;
using MiniRun.Kernel;

namespace MiniRun.Containers;

internal static partial class FileLock
{
    private const int LOCK_SH = 1, LOCK_EX = 2;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int flock(int fd, int operation);

    public static void Exclusive(FileStream file) => Take(file, LOCK_EX);
    public static void Shared(FileStream file) => Take(file, LOCK_SH);

    private static void Take(FileStream file, int operation)
    {
        int fd = (int)file.SafeFileHandle.DangerousGetHandle();
        while (flock(fd, operation) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR) throw new KernelException($"flock {file.Name}", errno);
        }
    }
}
