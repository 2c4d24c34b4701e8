// UserNamespaceHandle: an open file descriptor of a new user namespace with the given uid/gid
// maps, made without any process running in it - for an idmapped mount outside a container's
// start (cp, export of a stopped remapped container: OverlayRoot in the engine).
//
// Why: mount_setattr(MOUNT_ATTR_IDMAP) takes a user namespace fd, and a user namespace exists
// only while something refers to it: a process or an open /proc/PID/ns/user. The native clone
// stage already makes a child in a new user namespace that blocks until the parent writes its
// maps (clone_stage.c step 2); here the parent writes them, opens the namespace, and kills the
// child (SIGKILL) instead of sending "G": it ends in that read(2), without running anything. The fd keeps the namespace (and its maps) alive until it is closed.
//
// Follows: user_namespaces(7), clone(2) CLONE_NEWUSER, proc(5) /proc/PID/ns, mount_setattr(2).
using System.Runtime.InteropServices;
using MiniRun.Kernel;
using MiniRun.Spec;

namespace MiniRun.Runtime;

public static class UserNamespaceHandle
{
    /// <summary>Returns an fd of a fresh user namespace with these maps (close it when done).</summary>
    public static int Open(List<SpecIdMapping> uids, List<SpecIdMapping> gids)
    {
        var (parent, child) = SyncChannel.CreatePair();
        int pid;
        try
        {
            pid = NativeStage.Spawn(Namespaces.CLONE_NEWUSER, child.Fd, [], (-1, -1, -1), "/nonexistent", ["minirun-userns"], [], seal: false);
        }
        catch
        {
            parent.Dispose();
            throw;
        }
        finally { child.Dispose(); }
        int fd = -1;
        try
        {
            IdMaps.Write(pid, uids, gids, trace: null);
            fd = Libc.open($"/proc/{pid}/ns/user", Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
            if (fd < 0) throw new KernelException($"open /proc/{pid}/ns/user", Marshal.GetLastPInvokeError());
            return fd;
        }
        finally
        {
            // Not "G", and not just EOF: the fork-like child holds a copy of our end of the socket
            // too, so it would never see end-of-file. SIGKILL while it waits in read(2).
            Libc.kill(pid, 9);
            parent.Dispose();
            while (Libc.waitpid(pid, out _, 0) < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR) { }
        }
    }
}
