// Errno: names for errno values and the one exception type for failed kernel calls.
//
// Why: every MiniRun error names the operation, its operands and the errno, in the style
// `mount overlay on /x: Invalid argument (EINVAL)`, so a student can look the errno up in the
// call's man page (the ERRORS section) and see exactly which case happened.
//
// Follows: errno(3) for the names; strerror(3) for the text (via Marshal.GetPInvokeErrorMessage).
using System.Runtime.InteropServices;

namespace MiniRun.Kernel;

public static class Errno
{
    public const int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, EBADF = 9, ECHILD = 10,
        EAGAIN = 11, ENOMEM = 12, EACCES = 13, EFAULT = 14, EBUSY = 16, EEXIST = 17, EXDEV = 18,
        ENODEV = 19, ENOTDIR = 20, EISDIR = 21, EINVAL = 22, ENFILE = 23, EMFILE = 24, ENOTTY = 25,
        ETXTBSY = 26, ENOSPC = 28, EROFS = 30, EPIPE = 32, ERANGE = 34, ENAMETOOLONG = 36,
        ENOSYS = 38, ENOTEMPTY = 39, ELOOP = 40, ENODATA = 61, ENOEXEC = 8, E2BIG = 7,
        EOPNOTSUPP = 95, ENOTSUP = 95, ECONNREFUSED = 111;
    public const int EADDRINUSE = 98, EADDRNOTAVAIL = 99;

    private static readonly Dictionary<int, string> Names = new()
    {
        [EPERM] = "EPERM", [ENOENT] = "ENOENT", [ESRCH] = "ESRCH", [EINTR] = "EINTR", [EIO] = "EIO",
        [E2BIG] = "E2BIG", [ENOEXEC] = "ENOEXEC", [EBADF] = "EBADF", [ECHILD] = "ECHILD",
        [EAGAIN] = "EAGAIN", [ENOMEM] = "ENOMEM", [EACCES] = "EACCES", [EFAULT] = "EFAULT",
        [EBUSY] = "EBUSY", [EEXIST] = "EEXIST", [EXDEV] = "EXDEV", [ENODEV] = "ENODEV",
        [ENOTDIR] = "ENOTDIR", [EISDIR] = "EISDIR", [EINVAL] = "EINVAL", [ENFILE] = "ENFILE",
        [EMFILE] = "EMFILE", [ENOTTY] = "ENOTTY", [ETXTBSY] = "ETXTBSY", [ENOSPC] = "ENOSPC",
        [EROFS] = "EROFS", [EPIPE] = "EPIPE", [ERANGE] = "ERANGE", [ENAMETOOLONG] = "ENAMETOOLONG",
        [ENOSYS] = "ENOSYS", [ENOTEMPTY] = "ENOTEMPTY", [ELOOP] = "ELOOP", [ENODATA] = "ENODATA",
        [EOPNOTSUPP] = "EOPNOTSUPP", [ECONNREFUSED] = "ECONNREFUSED",
        [EADDRINUSE] = "EADDRINUSE", [EADDRNOTAVAIL] = "EADDRNOTAVAIL",
    };

    /// <summary>"Invalid argument (EINVAL)".</summary>
    public static string Describe(int errno) =>
        $"{Marshal.GetPInvokeErrorMessage(errno)} ({Name(errno)})";

    public static string Name(int errno) => Names.TryGetValue(errno, out var n) ? n : $"errno {errno}";
}

/// <summary>A kernel call failed. <see cref="Exception.Message"/> is the complete one-line error.</summary>
public sealed class KernelException : Exception
{
    public int Errno { get; }
    public string Operation { get; }

    public KernelException(string operation, int errno)
        : base($"{operation}: {MiniRun.Kernel.Errno.Describe(errno)}")
    {
        Operation = operation;
        Errno = errno;
    }
}
