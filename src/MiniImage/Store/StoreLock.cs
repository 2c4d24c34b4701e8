// StoreLock: the store-wide lock, flock(2) on <root>/store.lock.
//
// Why: loads and layer unpacking write blobs/, layers/, tmp/ and images.json; two processes (or
// two threads: each lock holds its own open file description, so they exclude each other too)
// must not interleave these writes. Every writer holds the exclusive lock for its whole operation,
// which is also what makes it safe to wipe tmp/ when the lock is taken: nobody else can be using
// it. Readers need no lock: every file they read is replaced only by an atomic rename. flock
// locks die with the process, so a crash never leaves the store locked.
// Follows: flock(2) (LOCK_EX/LOCK_SH, released on close of the last descriptor).
namespace MiniImage.Store;

internal sealed class StoreLock : IDisposable
{
    public const string FileName = "store.lock";
    private int _fd;

    private StoreLock(int fd) => _fd = fd;

    /// <summary>Blocks until the exclusive lock on root/store.lock is held (root must exist).</summary>
    public static StoreLock Exclusive(string root) => Take(root, NativeFs.LOCK_EX);

    /// <summary>Blocks until a shared lock on root/store.lock is held (root must exist).</summary>
    public static StoreLock Shared(string root) => Take(root, NativeFs.LOCK_SH);

    /// <summary>The exclusive lock if nobody holds the store lock now, else null (never waits).</summary>
    public static StoreLock? TryExclusive(string root)
    {
        int fd = NativeFs.TryLock(Path.Combine(root, FileName));
        return fd < 0 ? null : new StoreLock(fd);
    }

    private static StoreLock Take(string root, int op)
    {
        string path = Path.Combine(root, FileName);
        int fd = NativeFs.OpenLockFile(path);
        try
        {
            NativeFs.Flock(fd, op, path);
        }
        catch
        {
            NativeFs.Close(fd);
            throw;
        }
        return new StoreLock(fd);
    }

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0) NativeFs.Close(fd); // closing the only descriptor releases the flock
    }
}
