// RemappedVolumeTests: volumes of a --userns=remap container: the volume's _data belongs to the
// remapped root on the host (so root inside owns it), copy-up shifts the image's owners into the
// remap range, and the container's root can write there.
//
// Shares UsernsRemapTests' fixture and collection: it may create the "minirun" remap user.
// Follows: docker-run(1) "--userns", VOLUME; user_namespaces(7).
using MiniRun.Tests.Integration;

namespace MiniRun.Tests.Volumes;

[Collection(UsernsRemapTests.RemapUserCollection)]
public sealed class RemappedVolumeTests : IClassFixture<UsernsRemapTests.Fixture>
{
    private readonly UsernsRemapTests.Fixture _f;
    private readonly MiniRunHost _m;
    public RemappedVolumeTests(UsernsRemapTests.Fixture f) { _f = f; _m = f.MiniRun; }

    private string Ok(params string[] args) => _m.Ok(args);

    private static unsafe (long Uid, long Gid) Owner(string path)
    {
        Tmds.Linux.stat st;
        fixed (byte* p = System.Text.Encoding.UTF8.GetBytes(path + "\0"))
            Assert.True(Tmds.Linux.LibC.lstat(p, &st) == 0, $"lstat {path}");
        return ((uint)st.st_uid, (uint)st.st_gid);
    }

    [Fact]
    public void NamedVolume_CopyUp_OwnersShiftedIntoTheRange_RootWrites()
    {
        var (uid, gid) = _f.Range;
        Ok("run", "--pull", "never", "--network", "none", "--name", "remapseed", "busybox", "sh", "-c",
            "mkdir -p /seed && echo s > /seed/f && chown 1000:1000 /seed/f");
        Ok("commit", "remapseed", "remapseeded");
        string output = Ok("run", "--pull", "never", "--rm", "--network", "none", "--userns=remap", "-v", "rvol:/seed", "-v", "rempty:/empty",
            "remapseeded", "sh", "-c", "stat -c '%u:%g' /seed /seed/f /empty; echo w > /seed/w && echo w > /empty/w && echo written");
        Assert.Equal("0:0\n1000:1000\n0:0\nwritten\n", output);
        string data = Path.Combine(_m.Root, "volumes", "rvol", "_data");
        Assert.Equal((uid, gid), Owner(data));
        Assert.Equal((uid + 1000, gid + 1000), Owner(Path.Combine(data, "f")));
        Assert.Equal((uid, gid), Owner(Path.Combine(data, "w")));
        Assert.Equal((uid, gid), Owner(Path.Combine(_m.Root, "volumes", "rempty", "_data")));
        Ok("rm", "remapseed");
        Assert.DoesNotContain(MiniRunHost.HostMountsWithNamespaces(), m => m.StartsWith(_m.Root + "/", StringComparison.Ordinal));
    }
}
