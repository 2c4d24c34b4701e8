// MountNamespaceThread: runs a piece of the runtime's own code inside a container's mount
// namespace, on a dedicated thread that joins it with setns(2) and then ends.
//
// Why: the idmapped rootfs (IdmappedRootfs.cs) must be mounted by the host's root, in the
// container's mount namespace. setns(CLONE_NEWNS) changes only the calling thread's namespace,
// and only after unshare(CLONE_FS) (a thread sharing its root and cwd with others may not change
// them); .NET keeps every other thread where it was. The thread ends after the work, and its
// namespace reference with it. (A user namespace cannot be joined this way by a multithreaded
// process - EINVAL - which is why the container's own process is cloned in C instead.)
//
// Follows: setns(2) "CLONE_NEWNS", unshare(2) "CLONE_FS", mount_namespaces(7).
using System.Runtime.InteropServices;
using MiniRun.Kernel;

namespace MiniRun.Runtime;

public static class MountNamespaceThread
{
    /// <summary>Runs <paramref name="work"/> in the mount namespace of process <paramref name="pid"/>; rethrows its exception.</summary>
    public static void Run(int pid, Action work, string procRoot = "/proc")
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                if (Libc.unshare(Libc.CLONE_FS) != 0)
                    throw new KernelException("unshare(CLONE_FS)", Marshal.GetLastPInvokeError());
                string path = $"{procRoot}/{pid}/ns/mnt";
                int fd = Libc.open(path, Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
                if (fd < 0) throw new KernelException($"open {path}", Marshal.GetLastPInvokeError());
                try
                {
                    if (Libc.setns(fd, Namespaces.CLONE_NEWNS) != 0)
                        throw new KernelException($"setns({path}, CLONE_NEWNS)", Marshal.GetLastPInvokeError());
                }
                finally { Libc.close(fd); }
                work();
            }
            catch (Exception e) { failure = e; }
        }, 1 << 20) { Name = "minirun-container-mnt", IsBackground = true };
        thread.Start();
        thread.Join();
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
    }
}
