// HostDeviceNodes: the device nodes of the host that `--device` and `--privileged` hand to a
// container, read with statx(2): type, major:minor, permission bits and owner.
//
// Why: config.json's linux.devices describes a node by numbers, not by a host path: the engine
// reads the host's node and the core makes the same node (mknod) in the container. Symlinks are
// not followed while walking a directory (a node is what lstat says it is), as Docker does; the
// path given to --device itself may be a symlink (/dev/cdrom -> sr0) and is resolved first.
//
// Follows: statx(2) (struct statx's fixed layout), inode(7) (S_IFCHR, S_IFBLK);
// Docker's daemon DevicesFromPath and containerd's HostDevices (what is walked, what skipped).
using System.Runtime.InteropServices;
using MiniRun.Kernel;

namespace MiniRun.Security;

/// <summary>A host device node: 'c' or 'b', its numbers, permission bits and owner.</summary>
public sealed record HostDeviceNode(string Path, char Type, long Major, long Minor, uint Mode, uint Uid, uint Gid);

public static partial class HostDeviceNodes
{
    /// <summary>The node at path (lstat: a symlink is no node); null when it is something else; KernelException when it cannot be read.</summary>
    public static unsafe HostDeviceNode? Read(string path)
    {
        byte* buf = stackalloc byte[256];
        new Span<byte>(buf, 256).Clear();
        const uint mask = 0x1 | 0x2 | 0x8 | 0x10;   // STATX_TYPE | STATX_MODE | STATX_UID | STATX_GID
        if (statx(-100 /* AT_FDCWD */, path, 0x100 /* AT_SYMLINK_NOFOLLOW */, mask, buf) != 0)
            throw new KernelException($"stat {path}", Marshal.GetLastPInvokeError());
        uint uid = *(uint*)(buf + 20), gid = *(uint*)(buf + 24);
        ushort mode = *(ushort*)(buf + 28);
        char type = (mode & 0xF000) switch { 0x2000 => 'c', 0x6000 => 'b', _ => '\0' };
        if (type == '\0') return null;
        return new HostDeviceNode(path, type, *(uint*)(buf + 128), *(uint*)(buf + 132), (uint)(mode & 0xfff), uid, gid);
    }

    /// <summary>Directories of /dev that hold no device a container should get (containerd's HostDevices skips the same).</summary>
    private static readonly string[] SkippedDirectories = ["pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev"];

    /// <summary>
    /// Every device node below <paramref name="dir"/> (sorted, recursively; no symlinks, FIFOs or
    /// sockets). With <paramref name="forPrivileged"/> the directories and /dev/console that
    /// containerd's HostDevices skips are skipped too (the container has its own pts, shm, console).
    /// </summary>
    public static List<HostDeviceNode> Walk(string dir, bool forPrivileged)
    {
        var found = new List<HostDeviceNode>();
        IEnumerable<string> entries;
        try { entries = Directory.EnumerateFileSystemEntries(dir).Order(StringComparer.Ordinal).ToList(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return found; }
        foreach (var entry in entries)
        {
            string name = System.IO.Path.GetFileName(entry);
            var attributes = File.GetAttributes(entry);   // lstat: a symlink to a directory has ReparsePoint
            if (attributes.HasFlag(FileAttributes.ReparsePoint)) continue;
            if (attributes.HasFlag(FileAttributes.Directory))
            {
                if (!(forPrivileged && SkippedDirectories.Contains(name))) found.AddRange(Walk(entry, forPrivileged));
                continue;
            }
            if (forPrivileged && name == "console" && dir.TrimEnd('/') == "/dev") continue;
            try
            {
                if (Read(entry) is { } node) found.Add(node);
            }
            catch (KernelException) { }   // vanished meanwhile (udev): not a device any more
        }
        return found;
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int statx(int dirfd, string path, int flags, uint mask, byte* statxbuf);
}
