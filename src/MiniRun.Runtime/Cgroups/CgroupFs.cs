// CgroupFs: the four file operations the cgroup driver makes (read, write, mkdir, rmdir), with
// the errno of each failure.
//
// Why: cgroupfs reports a bad value on write(2) itself (EINVAL for "memory.max 1x", EBUSY for
// a controller still in use, EOPNOTSUPP for an unknown key), so the driver writes with one
// write(2) per value and keeps the errno, which System.IO would hide. The interface is the seam
// the unit tests replace with a temporary directory that imitates cgroupfs (creating the
// interface files when a directory is made, as the kernel does).
//
// Follows: open(2), read(2), write(2), mkdir(2), rmdir(2); Documentation/admin-guide/cgroup-v2.rst
// ("Basic Operations": a cgroup is removed with rmdir once it has no processes and no children).
using System.Runtime.InteropServices;
using System.Text;
using MiniRun.Kernel;

namespace MiniRun.Cgroups;

public interface ICgroupFs
{
    bool Exists(string path);
    /// <summary>The file's text; KernelException("read PATH", errno) on failure.</summary>
    string Read(string path);
    /// <summary>One write(2) of the value; KernelException("write PATH \"VALUE\"", errno) on failure.</summary>
    void Write(string path, string value);
    void MakeDirectory(string path);
    void RemoveDirectory(string path);
}

public sealed unsafe partial class CgroupFs : ICgroupFs
{
    public static readonly CgroupFs Instance = new();
    private const int O_RDONLY = 0, O_WRONLY = 1, O_CLOEXEC = 0x80000;

    public bool Exists(string path) => Path.Exists(path);

    public string Read(string path)
    {
        int fd = Libc.open(path, O_RDONLY | O_CLOEXEC, 0);
        if (fd < 0) throw new KernelException($"read {path}", Marshal.GetLastPInvokeError());
        try
        {
            int e = FdIo.ReadToEnd(fd, out byte[] bytes);
            if (e != 0) throw new KernelException($"read {path}", e);
            return Encoding.UTF8.GetString(bytes);
        }
        finally { Libc.close(fd); }
    }

    public void Write(string path, string value)
    {
        string op = $"write {path} {GoQuote.Quote(value)}";
        int fd = Libc.open(path, O_WRONLY | O_CLOEXEC, 0);
        if (fd < 0) throw new KernelException(op, Marshal.GetLastPInvokeError());
        try
        {
            var data = Encoding.UTF8.GetBytes(value);
            fixed (byte* p = data)
            {
                nint n;
                do n = Libc.write(fd, p, (nuint)data.Length);
                while (n < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR);
                if (n < 0) throw new KernelException(op, Marshal.GetLastPInvokeError());
            }
        }
        finally { Libc.close(fd); }
    }

    public void MakeDirectory(string path)
    {
        if (Libc.mkdir(path, 0x1ED /* 0755 */) != 0) throw new KernelException($"mkdir {path}", Marshal.GetLastPInvokeError());
    }

    public void RemoveDirectory(string path)
    {
        if (rmdir(path) != 0) throw new KernelException($"rmdir {path}", Marshal.GetLastPInvokeError());
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int rmdir(string path);
}
