// NetworkNamespace: a network namespace that outlives any process in it, held by a bind mount of
// its nsfs file on a path (as `ip netns add` does), plus per-namespace sysctls.
//
// Why: the engine makes a container's network namespace before the container exists, wires its
// eth0 there, and hands its path to the runtime core in config.json (linux.namespaces "network"
// with a path), which joins it. A namespace lives while a process, an open descriptor or a
// mount holds it; the bind mount is the holder that survives MiniRun's own processes.
//
// Create: an empty file is made first (a bind mount needs an existing target); then the calling
// thread calls unshare(CLONE_NEWNET), which moves only that thread into a new namespace,
// bind-mounts /proc/thread-self/ns/net onto the file and returns to its own namespace
// (RtNetlink.FromNamespaceOfThisThread): the mount holds the namespace. `lo` is brought up inside
// over netlink (a new namespace's loopback is down).
// Remove: umount2(MNT_DETACH) and unlink; the namespace goes when its last holder does (a
// process still inside keeps it alive until it exits).
//
// Follows: network_namespaces(7), unshare(2) ("CLONE_NEWNET"), mount(2) ("MS_BIND"),
// umount(2) ("MNT_DETACH"), proc(5) ("/proc/thread-self", "/proc/sys/net"), ip-netns(8).
using System.Runtime.InteropServices;
using MiniRun.Kernel;
using MiniRun.Runtime;
using MiniRun.Trace;
using static MiniRun.Trace.TraceFormat;

namespace MiniRun.Network;

public static class NetworkNamespace
{
    /// <summary>A new network namespace held by a bind mount on <paramref name="path"/> (which must not exist yet), with `lo` up.</summary>
    public static void Create(string path, ITrace trace)
    {
        int fd = Libc.open(path, Libc.O_RDONLY | Libc.O_CREAT | Libc.O_EXCL | Libc.O_CLOEXEC, 0x124 /* 0444 */);
        if (fd < 0) throw Error($"create network namespace file {Q(path)}", Marshal.GetLastPInvokeError());
        Libc.close(fd);
        trace.Call($"open({Q(path)}, O_CREAT|O_EXCL)", Messages.ResultNetnsMountPoint.Text);
        try
        {
            RtNetlink.FromNamespaceOfThisThread(() =>
            {
                if (Libc.unshare(Namespaces.CLONE_NEWNET) != 0)
                    throw Error("unshare(CLONE_NEWNET)", Marshal.GetLastPInvokeError());
                if (Libc.mount("/proc/thread-self/ns/net", path, null, Libc.MS_BIND, null) != 0)
                    throw Error($"mount --bind /proc/thread-self/ns/net on {Q(path)}", Marshal.GetLastPInvokeError());
                return 0;
            });
            trace.Call("unshare(CLONE_NEWNET)", Messages.ResultUnshareNet.Text);
            trace.Call($"mount(\"/proc/thread-self/ns/net\", {Q(path)}, MS_BIND)", Messages.ResultNetnsHeld.Text);

            int ns = OpenFd(path);
            try
            {
                using var netlink = RtNetlink.OpenIn(ns, trace);
                netlink.SetUp("lo");
            }
            finally { Libc.close(ns); }
        }
        catch
        {
            Remove(path, NullTrace.Instance);
            throw;
        }
    }

    /// <summary>A descriptor of the namespace held on <paramref name="path"/> (for setns or IFLA_NET_NS_FD); the caller closes it.</summary>
    public static int OpenFd(string path)
    {
        int fd = Libc.open(path, Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        if (fd < 0) throw Error($"open network namespace {Q(path)}", Marshal.GetLastPInvokeError());
        return fd;
    }

    /// <summary>
    /// A descriptor of the namespace held on <paramref name="path"/>, or -1 when the path is absent
    /// or is not a mounted namespace (the empty file a reboot leaves behind): fstatfs says nsfs.
    /// </summary>
    public static int TryOpenMounted(string path)
    {
        const long NSFS_MAGIC = 0x6e736673;
        int fd = Libc.open(path, Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        if (fd < 0) return -1;
        if (Libc.FstatfsType(fd) == NSFS_MAGIC) return fd;
        Libc.close(fd);
        return -1;
    }

    /// <summary>Unmounts and removes <paramref name="path"/>; a path that is absent or not mounted is fine (cleanup runs again after a crash).</summary>
    public static void Remove(string path, ITrace trace)
    {
        if (Libc.umount2(path, Libc.MNT_DETACH) == 0) trace.Call($"umount2({Q(path)}, MNT_DETACH)", "0");
        else
        {
            int errno = Marshal.GetLastPInvokeError();
            // EINVAL: not a mount point (never mounted, or already unmounted); ENOENT: no such path.
            if (errno is not (Errno.EINVAL or Errno.ENOENT)) throw Error($"umount2({Q(path)}, MNT_DETACH)", errno);
            trace.Call($"umount2({Q(path)}, MNT_DETACH)", Messages.ResultNotMounted.With(Errno.Name(errno)).Text);
        }
        try { File.Delete(path); }
        catch (DirectoryNotFoundException) { }   // absent with its directory: the first `create` + `start` in a new root
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RuntimeException($"remove network namespace file {Q(path)}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Writes <paramref name="value"/> to the sysctl <paramref name="key"/> ("net/ipv4/ip_forward") of the
    /// network namespace <paramref name="netnsFd"/>, or of the caller's own when it is -1. /proc/sys/net shows
    /// the namespace of the thread that opens the file, so the write happens on a thread that joined it.
    /// </summary>
    public static void WriteSysctl(string key, string value, ITrace trace, int netnsFd = -1)
    {
        string file = "/proc/sys/" + key.Replace('.', '/');
        if (netnsFd < 0) WriteFile(file, value);
        else RtNetlink.OnThreadInNamespace(netnsFd, () => { WriteFile(file, value); return 0; });
        trace.Call($"write {file} {Q(value)}" + (netnsFd < 0 ? "" : $" (in namespace fd {netnsFd})"), "ok");
    }

    /// <summary>Reads the sysctl <paramref name="key"/> of the namespace <paramref name="netnsFd"/> (-1: the caller's own).</summary>
    public static string ReadSysctl(string key, int netnsFd = -1)
    {
        string file = "/proc/sys/" + key.Replace('.', '/');
        return netnsFd < 0 ? ReadFile(file) : RtNetlink.OnThreadInNamespace(netnsFd, () => ReadFile(file));
    }

    private static void WriteFile(string file, string value)
    {
        try { File.WriteAllText(file, value + "\n"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RuntimeException($"write {file}: {e.Message}", e);
        }
    }

    private static string ReadFile(string file)
    {
        try { return File.ReadAllText(file).Trim(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RuntimeException($"read {file}: {e.Message}", e);
        }
    }

    private static NetlinkException Error(string operation, int errno) => new(operation, errno);
}
