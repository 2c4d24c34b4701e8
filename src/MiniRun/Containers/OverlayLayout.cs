// OverlayLayout: where one container's filesystem lives: the image's read-only layer directories
// (overlayfs lowerdirs, top-most first), the container's upper and work directories, and the
// rootfs mount point, as its config.json records them; plus "does this path exist in the image?".
//
// Why: diff, cp, commit and export read the copy-on-write layer (upper/) and compare it with the
// image below it. The answer for a path below has to follow overlayfs's own rules: the top-most
// layer that has the path wins, a whiteout (char 0:0) in a higher layer hides it, and an opaque
// directory (trusted.overlay.opaque=y) hides everything of the same directory further down. Paths
// are looked up component by component with openat(O_NOFOLLOW) from each layer's root fd, so a
// symlink in a layer is never followed to the host.
// Follows: the kernel's Documentation/filesystems/overlayfs.rst (whiteouts and opaque
// directories, lowerdir order); OCI runtime-spec config.md (root.path); openat(2), fstatat(2).
using System.Runtime.InteropServices;
using System.Text;
using MiniRun.Spec;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace MiniRun.Containers;

public sealed unsafe partial class OverlayLayout
{
    public IReadOnlyList<string> LowerDirs { get; }
    public string UpperDir { get; }
    public string WorkDir { get; }
    public string RootfsDir { get; }

    /// <summary>
    /// Mount destinations of the spec ("etc/hosts", "proc", ...): init creates them in upper/ as
    /// empty files or directories to mount on. Like Docker's init layer they are not the
    /// container's changes: diff and commit leave them out while they are still empty.
    /// </summary>
    public IReadOnlySet<string> MountPoints { get; }

    public OverlayLayout(IReadOnlyList<string> lowerDirs, string upperDir, string workDir, string rootfsDir, IReadOnlySet<string>? mountPoints = null)
    {
        LowerDirs = lowerDirs;
        UpperDir = upperDir;
        WorkDir = workDir;
        RootfsDir = rootfsDir;
        MountPoints = mountPoints ?? new HashSet<string>();
    }

    /// <summary>True for a mount point placeholder in upper/: a mount destination that is an empty file or directory.</summary>
    public bool IsPlaceholder(string relPath)
    {
        if (!MountPoints.Contains(relPath)) return false;
        string full = Path.Combine(UpperDir, relPath);
        var info = new FileInfo(full);
        if (info.LinkTarget is not null) return false;
        if (info.Exists) return info.Length == 0;
        return Directory.Exists(full) && !Directory.EnumerateFileSystemEntries(full).Any();
    }

    /// <summary>The layout of the container in `containerDir` (from its config.json).</summary>
    public static OverlayLayout Of(string containerDir, string containerId)
    {
        string path = Path.Combine(containerDir, "config.json");
        RuntimeSpec spec;
        try { spec = RuntimeSpec.Load(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException or InvalidDataException)
        {
            throw new ContainerException($"container {containerId}: read {path}: {e.Message}", 1);
        }
        var overlay = spec.Linux.Overlay
            ?? throw new ContainerException($"container {containerId}: its config.json has no overlay (not a MiniRun image container)", 1);
        string rootfs = Path.IsPathRooted(spec.Root.Path) ? spec.Root.Path : Path.Combine(containerDir, spec.Root.Path);
        var mountPoints = spec.Mounts.Select(m => m.Destination.Trim('/')).Where(d => d.Length > 0).ToHashSet(StringComparer.Ordinal);
        return new OverlayLayout(overlay.LowerDirs, overlay.UpperDir, overlay.WorkDir, rootfs, mountPoints);
    }

    /// <summary>
    /// Whether `relPath` ("a/b/c", no leading slash) exists in the image (the lowerdirs merged as
    /// overlayfs merges them). With `isDir` true it must be a directory there.
    /// </summary>
    public bool ExistsBelow(string relPath, bool isDir = false)
    {
        string[] parts = relPath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) return true;
        foreach (string layer in LowerDirs)
        {
            switch (Lookup(layer, parts, isDir))
            {
                case Found.Yes: return true;
                case Found.Hidden: return false;
            }
        }
        return false;
    }

    private enum Found { No, Yes, Hidden }

    /// <summary>One layer: Yes (present), Hidden (whited out or cut off by an opaque directory or a non-directory), No (look further down).</summary>
    private static Found Lookup(string layer, string[] parts, bool wantDir)
    {
        int fd;
        fixed (byte* p = Z(layer)) fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) return Found.No;
        try
        {
            for (int i = 0; i < parts.Length; i++)
            {
                bool last = i == parts.Length - 1;
                fixed (byte* z = Z(parts[i]))
                {
                    stat st;
                    if (fstatat(fd, z, &st, AT_SYMLINK_NOFOLLOW) < 0) return Opaque(fd) ? Found.Hidden : Found.No;
                    uint type = (uint)st.st_mode & (uint)S_IFMT;
                    if (type == (uint)S_IFCHR && (ulong)st.st_rdev == 0) return Found.Hidden; // whiteout
                    if (last) return !wantDir || type == (uint)S_IFDIR ? Found.Yes : Found.Hidden;
                    if (type != (uint)S_IFDIR) return Found.Hidden; // a file here hides the rest of the path below
                    int next = openat(fd, z, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
                    if (next < 0) return Found.Hidden;
                    close(fd);
                    fd = next;
                }
            }
            return Found.Yes;
        }
        finally { close(fd); }
    }

    /// <summary>trusted.overlay.opaque = "y" on the directory fd.</summary>
    internal static bool Opaque(int dirFd)
    {
        byte value = 0;
        fixed (byte* n = "trusted.overlay.opaque\0"u8)
            return fgetxattr(dirFd, n, &value, 1) == 1 && value == (byte)'y';
    }

    /// <summary>A name or path for a system call; names read with OverlayDiff.Names keep their bytes (RawPath).</summary>
    internal static byte[] Z(string s) => RawPath.Z(s);

    [LibraryImport("libc", SetLastError = true)]
    private static partial long fgetxattr(int fd, byte* name, byte* value, nuint size);
}
