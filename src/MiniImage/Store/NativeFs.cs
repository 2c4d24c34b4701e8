// NativeFs: the few file-system calls the store needs that .NET does not expose: flock(2) on a
// descriptor opened without .NET's own advisory locking, and fsync(2) of a directory.
//
// Why: FileStream already takes a non-blocking LOCK_SH/LOCK_EX on every file it opens, so a
// blocking exclusive store lock must be taken on a plain descriptor; and a rename is durable only
// once the directory holding it is synced.
// Follows: flock(2), open(2), fsync(2) man pages (Linux x86-64 flag values).
using System.Runtime.InteropServices;

namespace MiniImage.Store;

internal static partial class NativeFs
{
    public const int LOCK_SH = 1;
    public const int LOCK_EX = 2;
    public const int LOCK_UN = 8;
    private const int O_RDONLY = 0;
    private const int O_RDWR = 2;
    private const int O_CREAT = 0x40;
    private const int O_DIRECTORY = 0x10000;
    private const int O_CLOEXEC = 0x80000;
    private const int EINTR = 4;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int FlockRaw(int fd, int operation);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint Write(int fd, byte* buffer, nuint count);

    private const int O_WRONLY = 1;
    private const int O_EXCL = 0x80;
    private const int O_APPEND = 0x400;
    private const int LOCK_NB = 4;
    private const int EWOULDBLOCK = 11;

    /// <summary>Creates a new file (0600) and takes flock LOCK_EX on it: held until the descriptor closes (or the process dies).</summary>
    public static int CreateLocked(string path)
    {
        int fd = Open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0b110_000_000);
        if (fd < 0) throw Error($"create {path}");
        if (FlockRaw(fd, LOCK_EX | LOCK_NB) != 0)
        {
            var e = Error($"flock {path}");
            Close(fd);
            throw e;
        }
        return fd;
    }

    /// <summary>Opens path and tries flock LOCK_EX|LOCK_NB: the descriptor, or -1 while another holds the lock (or it is gone).</summary>
    public static int TryLock(string path)
    {
        int fd = Open(path, O_RDONLY | O_CLOEXEC, 0);
        if (fd < 0) return -1;
        if (FlockRaw(fd, LOCK_EX | LOCK_NB) == 0) return fd;
        int errno = Marshal.GetLastPInvokeError();
        Close(fd);
        if (errno == EWOULDBLOCK) return -1;
        throw new MiniImageException($"flock {path}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
    }

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static unsafe partial nint Read(int fd, byte* buffer, nuint count);

    /// <summary>
    /// The whole file through plain open(2)/read(2): .NET's File APIs take an flock of their own,
    /// which a journal's holder (LOCK_EX) would refuse. Null when the file does not exist.
    /// </summary>
    public static unsafe byte[]? ReadAll(string path)
    {
        int fd = Open(path, O_RDONLY | O_CLOEXEC, 0);
        if (fd < 0)
        {
            if (Marshal.GetLastPInvokeError() == 2) return null;   // ENOENT
            throw Error($"open {path}");
        }
        try
        {
            var data = new MemoryStream();
            var buffer = new byte[8192];
            while (true)
            {
                nint n;
                fixed (byte* p = buffer) n = Read(fd, p, (nuint)buffer.Length);
                if (n < 0)
                {
                    if (Marshal.GetLastPInvokeError() == EINTR) continue;
                    throw Error($"read {path}");
                }
                if (n == 0) return data.ToArray();
                data.Write(buffer, 0, (int)n);
            }
        }
        finally { Close(fd); }
    }

    /// <summary>Appends data with one write(2) (O_APPEND) and fsyncs it before returning.</summary>
    public static unsafe void AppendDurably(int fd, byte[] data, string what)
    {
        fixed (byte* p = data)
        {
            nint n = Write(fd, p, (nuint)data.Length);
            if (n != data.Length) throw Error($"write {what}");
        }
        if (Fsync(fd) != 0) throw Error($"fsync {what}");
    }

    /// <summary>Opens (creating, mode 0644) a lock file; returns the descriptor.</summary>
    public static int OpenLockFile(string path)
    {
        int fd = Open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0b110_100_100);
        if (fd < 0) throw Error($"open lock file {path}");
        return fd;
    }

    /// <summary>flock(fd, op), retried on EINTR; blocks until granted.</summary>
    public static void Flock(int fd, int operation, string what)
    {
        while (FlockRaw(fd, operation) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == EINTR) continue;
            throw new MiniImageException($"flock {what}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
        }
    }

    /// <summary>fsync of a directory, so renames into it survive a crash.</summary>
    public static void FsyncDirectory(string path)
    {
        int fd = Open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
        if (fd < 0) throw Error($"open directory {path}");
        try
        {
            if (Fsync(fd) != 0) throw Error($"fsync directory {path}");
        }
        finally { Close(fd); }
    }

    private static MiniImageException Error(string what)
    {
        int errno = Marshal.GetLastPInvokeError();
        return new MiniImageException($"{what}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
    }
}
