// OverlayRoot: a directory fd for a container's root filesystem, for cp and export; and
// ResolveInRoot, which opens a path the way the container itself would see it.
//
// Why: a running container's root is /proc/PID/root: its own overlay mount, seen through the
// kernel's magic link, with the container's live view. A stopped container has no mount at all
// (MiniRun mounts nothing on the host), so its overlay (image lowerdirs + the container's
// upper/work) is mounted read-write on its own rootfs/ directory by a dedicated thread that first
// unshares its mount namespace and makes every mount private: the mount exists only in that
// thread's namespace (over idmapped layers for a remapped container: Runtime/IdmappedRootfs.cs),
// is never visible in the host's /proc/self/mountinfo, is unmounted in `finally`, and vanishes with the namespace when the thread ends even if the process is killed.
// The container's lock is held meanwhile, so it cannot be started on the same upper dir.
// Every path inside a container is then resolved with openat2(RESOLVE_IN_ROOT): "/" and ".."
// and absolute symlinks stay inside the container's root, so a symlink such as /evil -> / in
// the container can never lead `cp` to the host's files (the CVE class of docker cp).
// Follows: openat2(2) (RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS), proc(5) /proc/PID/root,
// unshare(2) CLONE_NEWNS, mount_namespaces(7), mount(2), umount(2), overlayfs.rst.
using System.Text;
using MiniRun.Kernel;
using MiniRun.Runtime;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace MiniRun.Containers;

public static unsafe class OverlayRoot
{
    /// <summary>Runs `work` with a directory fd of the container's root (closed afterwards).</summary>
    public static T With<T>(ContainerStore store, ContainerRecord record, string verb, Func<int, T> work)
    {
        if (ContainerLiveness.HasLiveProcess(record)) return WithProcessRoot(record, verb, work);
        using var held = store.LockContainer(record.Id);
        var now = store.Load(record.Id);
        if (ContainerLiveness.HasLiveProcess(now)) return WithProcessRoot(now, verb, work);
        var layout = OverlayLayout.Of(store.DirOf(record.Id), record.Id);
        return WithPrivateMount(layout, verb, work, MiniRun.Security.IdTranslation.Of(store.DirOf(record.Id)));
    }

    private static T WithProcessRoot<T>(ContainerRecord record, string verb, Func<int, T> work)
    {
        string path = $"/proc/{record.State.Pid}/root";
        int fd;
        fixed (byte* p = OverlayLayout.Z(path)) fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) throw new ContainerException($"{verb}: open {path}: {Describe(errno)}", 1);
        try { return work(fd); }
        finally { close(fd); }
    }

    /// <summary>Mounts the overlay in a private mount namespace of a dedicated thread and runs `work` there.</summary>
    public static T WithPrivateMount<T>(OverlayLayout layout, string verb, Func<int, T> work, MiniRun.Security.IdTranslation? ids = null)
    {
        T result = default!;
        Exception? failure = null;
        // A remapped container's layers are mounted idmapped here too, through a user namespace
        // with its maps: a file copied up (cp into a directory of the image) keeps the owner the
        // container sees, not the host's 0 (which would read as nobody inside).
        int userns = ids is null ? -1 : UserNamespaceHandle.Open(ids.UidMappings, ids.GidMappings);
        var thread = new Thread(() =>
        {
            try { result = MountAndRun(layout, verb, work, userns); }
            catch (Exception e) { failure = e; }
        }, 1 << 20) { Name = "minirun-overlay", IsBackground = true };
        thread.Start();
        thread.Join();
        if (userns >= 0) Libc.close(userns);
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        return result;
    }

    private static T MountAndRun<T>(OverlayLayout layout, string verb, Func<int, T> work, int userns)
    {
        // The namespace belongs to this thread alone; it ends with the thread.
        if (Libc.unshare(Namespaces.CLONE_NEWNS) != 0)
            throw new ContainerException($"{verb}: unshare(CLONE_NEWNS): {Describe(errno)}", 1);
        if (Libc.mount(null, "/", null, Libc.MS_REC | Libc.MS_PRIVATE, null) != 0)
            throw new ContainerException($"{verb}: make / private: {Describe(errno)}", 1);
        Directory.CreateDirectory(layout.RootfsDir);
        Directory.CreateDirectory(layout.WorkDir);
        // The same mount as init makes (Init/RootfsSteps.MountOverlay): past a page of mount data
        // the layers' short links are given relative to their directory, made this thread's cwd
        // for the mount (unshare(CLONE_NEWNS) above gave the thread its own cwd, CLONE_FS).
        var overlay = new MiniRun.Spec.SpecOverlay { LowerDirs = layout.LowerDirs.ToList(), UpperDir = layout.UpperDir, WorkDir = layout.WorkDir };
        try
        {
            if (userns >= 0) IdmappedRootfs.Mount(new LinuxKernel(), MiniRun.Trace.NullTrace.Instance, overlay, layout.RootfsDir, userns);
            else Init.RootfsSteps.MountOverlay(new LinuxKernel(), MiniRun.Trace.NullTrace.Instance, overlay, layout.RootfsDir, nodev: false);
        }
        catch (Exception e) when (e is KernelException or RuntimeException) { throw new ContainerException($"{verb}: {e.Message}", 1); }
        try
        {
            int fd;
            fixed (byte* p = OverlayLayout.Z(layout.RootfsDir)) fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (fd < 0) throw new ContainerException($"{verb}: open {layout.RootfsDir}: {Describe(errno)}", 1);
            try { return work(fd); }
            finally { close(fd); }
        }
        finally
        {
            Libc.umount2(layout.RootfsDir, Libc.MNT_DETACH);
        }
    }

    /// <summary>
    /// openat2(rootFd, path, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): the path as the container
    /// sees it. Returns the fd, or -errno.
    /// </summary>
    public static int ResolveInRoot(int rootFd, string path, int flags)
    {
        string rel = path.TrimStart('/');
        if (rel.Length == 0) rel = ".";
        var how = new open_how
        {
            flags = (ulong)(flags | O_CLOEXEC),
            resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        fixed (byte* p = OverlayLayout.Z(rel))
        {
            int fd = openat2(rootFd, p, &how, (size_t)sizeof(open_how));
            return fd >= 0 ? fd : -errno;
        }
    }

    internal static string Describe(int err) =>
        $"{System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(err)} (errno {err})";

    internal static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
}
