// ScopedPath: resolve a path inside the container's rootfs the way the container will see it,
// without ever leaving the rootfs.
//
// Why: mount targets (/proc, /etc/hosts, a -w directory) are created and mounted before
// pivot_root, from the host's side. An image may contain symlinks such as /proc -> /etc or
// /etc/hosts -> /../../host/file. Following those naively from the host side would mount over
// host paths. So every symlink is resolved as if the rootfs were / (absolute targets restart at
// the rootfs, ".." stops at it), component by component, with a limit on the number of links.
//
// Follows: path_resolution(7) (how the kernel resolves symlinks and ".." at the root).
namespace MiniRun.Init;

public static class ScopedPath
{
    private const int MaxSymlinks = 40;   // the kernel's own limit before ELOOP

    /// <summary>Host-side path of <paramref name="containerPath"/> under <paramref name="rootfs"/>.</summary>
    public static string Resolve(string rootfs, string containerPath)
    {
        var resolved = new List<string>();           // components of the result below rootfs
        var pending = new Stack<string>(Split(containerPath).Reverse());
        int links = 0;
        while (pending.Count > 0)
        {
            string part = pending.Pop();
            if (part == ".") continue;
            if (part == "..") { if (resolved.Count > 0) resolved.RemoveAt(resolved.Count - 1); continue; }
            string hostPath = Path.Combine(rootfs, Path.Combine([.. resolved, part]));
            var info = new FileInfo(hostPath);
            if (info.Exists || Directory.Exists(hostPath) || info.LinkTarget is not null)
            {
                string? target = info.LinkTarget;
                if (target is not null)
                {
                    if (++links > MaxSymlinks)
                        throw new IOException($"resolve {containerPath} in the rootfs: too many levels of symbolic links (ELOOP)");
                    if (target.StartsWith('/')) resolved.Clear();
                    foreach (var t in Split(target).Reverse()) pending.Push(t);
                    continue;
                }
            }
            resolved.Add(part);
        }
        return resolved.Count == 0 ? rootfs : Path.Combine(rootfs, Path.Combine([.. resolved]));
    }

    private static IEnumerable<string> Split(string path) => path.Split('/', StringSplitOptions.RemoveEmptyEntries);
}
