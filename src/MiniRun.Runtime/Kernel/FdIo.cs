// FdIo: read a descriptor to its end, and write a buffer whole, with raw read(2)/write(2).
//
// Why: a descriptor the code already holds (a locked note, a pipe from a child, a cgroup file, a
// socket) is read or written without a FileStream (FileStream takes its own flock and buffers).
// read(2) and write(2) may return less than asked and fail with EINTR when a signal arrives; the
// loop that handles both was written once per caller, six times. This is the one copy.
//
// Follows: read(2), write(2) ("partial write", EINTR).
using System.Runtime.InteropServices;

namespace MiniRun.Kernel;

public static unsafe class FdIo
{
    /// <summary>
    /// Reads <paramref name="fd"/> until end of file, or until <paramref name="limit"/> bytes;
    /// returns 0, or the errno of the read(2) that failed (EINTR is retried). <paramref name="data"/>
    /// holds what was read either way.
    /// </summary>
    public static int ReadToEnd(int fd, out byte[] data, int limit = 1 << 20)
    {
        var bytes = new List<byte>();
        byte* buf = stackalloc byte[4096];
        int errno = 0;
        while (bytes.Count < limit)
        {
            nint n = Libc.read(fd, buf, (nuint)Math.Min(4096, limit - bytes.Count));
            if (n < 0)
            {
                errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR) { errno = 0; continue; }
                break;
            }
            if (n == 0) break;
            bytes.AddRange(new ReadOnlySpan<byte>(buf, (int)n));
        }
        data = bytes.ToArray();
        return errno;
    }

    /// <summary>
    /// Writes all of <paramref name="data"/> to <paramref name="fd"/>, continuing after short writes;
    /// returns 0, or the errno of the write(2) that failed (EINTR is retried; a write of 0 bytes is EIO).
    /// </summary>
    public static int WriteAll(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
            for (int done = 0; done < data.Length;)
            {
                nint n = Libc.write(fd, p + done, (nuint)(data.Length - done));
                if (n > 0) { done += (int)n; continue; }
                if (n == 0) return Errno.EIO;
                int errno = Marshal.GetLastPInvokeError();
                if (errno != Errno.EINTR) return errno;
            }
        return 0;
    }
}
