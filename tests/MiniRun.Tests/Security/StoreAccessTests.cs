// StoreAccessTests: the store's directories end up 0700, except the group's search bit that
// --userns=remap gives the root and containers/ (0710); anything more is taken away.
using MiniRun.Security;
using Xunit;

namespace MiniRun.Tests.Security;

public sealed class StoreAccessTests : IDisposable
{
    private readonly string _parent = Directory.CreateTempSubdirectory("minirun-store-").FullName;

    public void Dispose() => Directory.Delete(_parent, recursive: true);

    [Fact]
    public void A_new_root_is_made_0700()
    {
        string root = Path.Combine(_parent, "root");
        StoreAccess.Secure(root);
        Assert.Equal(StoreAccess.OwnerOnly, File.GetUnixFileMode(root));
    }

    [Fact]
    public void An_existing_world_readable_store_is_closed_and_the_remap_search_bit_kept()
    {
        string root = Path.Combine(_parent, "root");
        const UnixFileMode open = (UnixFileMode)0x1ed;   // 0755
        Directory.CreateDirectory(root);
        File.SetUnixFileMode(root, open);
        foreach (var d in StoreAccess.Directories) { Directory.CreateDirectory(Path.Combine(root, d)); File.SetUnixFileMode(Path.Combine(root, d), open); }
        File.SetUnixFileMode(Path.Combine(root, "containers"), (UnixFileMode)0x1c8);   // 0710 with a mapped gid: what --userns=remap sets
        Assert.Equal(0, chown(Path.Combine(root, "containers"), 0, 100000));
        File.SetUnixFileMode(Path.Combine(root, "tmp"), (UnixFileMode)0x3ff);          // 01777

        StoreAccess.Secure(root);

        Assert.Equal(StoreAccess.OwnerOnly, File.GetUnixFileMode(root));
        Assert.Equal((UnixFileMode)0x1c8, File.GetUnixFileMode(Path.Combine(root, "containers")));
        Assert.Equal(StoreAccess.OwnerOnly, File.GetUnixFileMode(Path.Combine(root, "layers")));
        Assert.Equal(StoreAccess.OwnerOnly, File.GetUnixFileMode(Path.Combine(root, "tmp")));   // root's group: no x either
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int chown(string path, uint owner, uint group);
}
