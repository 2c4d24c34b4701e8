// LayerSandbox: a temporary directory for one layer unpacker test: /tmp/minirun-layers-<id>/ with
// an empty "target" (the layer directory) and an "outside" directory holding a canary file, so a
// test can assert that nothing was written outside the target. Removed in Dispose. Also lstat and
// lgetxattr helpers for checking what landed on disk.
//
// Why: house rule: tests clean up after themselves even when they fail, and touch nothing else.
// Follows: lstat(2), getxattr(2).
using System.Runtime.InteropServices;
using System.Text;
using Tmds.Linux;
using MiniImage.Layers;

namespace MiniImage.Tests.Layers;

internal sealed unsafe partial class LayerSandbox : IDisposable
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "minirun-layers-" + Guid.NewGuid().ToString("N"));
    public string Target => Path.Combine(Root, "target");
    public string Outside => Path.Combine(Root, "outside");
    public string Canary => Path.Combine(Outside, "canary");

    public LayerSandbox()
    {
        Directory.CreateDirectory(Target);
        Directory.CreateDirectory(Outside);
        File.WriteAllText(Canary, "canary");
    }

    /// false: resolve directories with the openat(O_NOFOLLOW) walk instead of openat2.
    public bool UseOpenat2 { get; set; } = true;

    public UnpackResult Unpack(byte[] blob, string mediaType = "application/vnd.oci.image.layer.v1.tar", string? diffId = null)
    {
        using var ms = new MemoryStream(blob);
        return LayerUnpacker.Unpack(ms, mediaType, Target, diffId, UseOpenat2);
    }

    /// Empties the target again (what the store does after a failed unpack).
    public void ResetTarget()
    {
        Directory.Delete(Target, recursive: true);
        Directory.CreateDirectory(Target);
    }

    public string T(string rel) => Path.Combine(Target, rel);

    /// Asserts the sandbox holds only target/ and outside/canary (unchanged).
    public void AssertNothingOutside()
    {
        var top = Directory.EnumerateFileSystemEntries(Root).Select(p => Path.GetFileName(p)!).Order().ToArray();
        Assert.Equal(new[] { "outside", "target" }, top);
        var outside = Directory.EnumerateFileSystemEntries(Outside).Select(p => Path.GetFileName(p)!).ToArray();
        Assert.Equal(new[] { "canary" }, outside);
        Assert.Equal("canary", File.ReadAllText(Canary));
    }

    public static stat Lstat(string path)
    {
        stat st;
        byte[] p = [.. Encoding.UTF8.GetBytes(path), 0];
        fixed (byte* pp = p)
            if (LibC.lstat(pp, &st) != 0) throw new IOException($"lstat {path}: errno {LibC.errno}");
        return st;
    }

    public static bool Exists(string path)
    {
        stat st;
        byte[] p = [.. Encoding.UTF8.GetBytes(path), 0];
        fixed (byte* pp = p) return LibC.lstat(pp, &st) == 0;
    }

    public static uint Type(stat st) => (uint)(ushort)st.st_mode & 0xf000;
    public static uint Perm(stat st) => (uint)(ushort)st.st_mode & 0xfff;

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint lgetxattr(byte* path, byte* name, byte* value, nuint size);

    /// The xattr's raw value, or null if it is not set.
    public static byte[]? GetXattr(string path, string name)
    {
        byte[] p = [.. Encoding.UTF8.GetBytes(path), 0];
        byte[] n = [.. Encoding.UTF8.GetBytes(name), 0];
        var buf = new byte[65536];
        fixed (byte* pp = p)
        fixed (byte* np = n)
        fixed (byte* bp = buf)
        {
            nint r = lgetxattr(pp, np, bp, (nuint)buf.Length);
            if (r < 0) return null;
            return buf[..(int)r];
        }
    }

    public void Dispose()
    {
        // Directory.Delete does not follow symlinks inside the tree; it unlinks them.
        if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
    }
}
