// VolumeMountsTests: the pure parts of Volumes/VolumeMounts.cs - Docker's option rules at
// `volume create`, its size parser, and reading /proc/self/mountinfo (the mount check).
//
// Follows: moby volume/local (validateOpts: valid keys, mandatory pairs, size quota); proc(5) mountinfo.
using MiniRun.Volumes;

namespace MiniRun.Tests.Volumes;

public sealed class VolumeMountsTests
{
    private static string? Check(params (string K, string V)[] options) =>
        VolumeMounts.Validate(options.ToDictionary(o => o.K, o => o.V));

    [Fact]
    public void Validate_AcceptsDockersForms()
    {
        Assert.Null(Check(("type", "tmpfs"), ("device", "tmpfs"), ("o", "size=100m,uid=1000")));
        Assert.Null(Check(("type", "none"), ("o", "bind"), ("device", "/srv/data")));
        Assert.Null(Check(("type", "nfs"), ("o", "addr=10.0.0.1,rw"), ("device", ":/export")));
        Assert.Null(Check(("size", "0")));
    }

    [Fact]
    public void Validate_UnknownKey_DockersMessage() =>
        Assert.Equal("invalid option: \"foo\"", Check(("type", "tmpfs"), ("device", "tmpfs"), ("foo", "bar")));

    [Fact]
    public void Validate_MissingPartner_DockersMessage()
    {
        Assert.Equal("missing required option: \"device\"", Check(("type", "tmpfs")));
        Assert.Equal("missing required option: \"type\"", Check(("device", "tmpfs")));
        Assert.Equal("missing required option: \"device\"", Check(("o", "size=1m")));
        Assert.Equal("missing required option: \"type\"", Check(("o", "size=1m"), ("device", "tmpfs")));
    }

    [Fact]
    public void Validate_Size_NoQuotaSupport()
    {
        Assert.Equal("quota size requested but no quota support", Check(("size", "10m")));
        Assert.Equal("invalid size: 'lots'", Check(("size", "lots")));
    }

    [Fact]
    public void Validate_RecursiveAttributes_Refused() =>
        Assert.Contains("recursive mount attributes", Check(("type", "none"), ("device", "/x"), ("o", "rbind,rro")));

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("512", 512L)]
    [InlineData("100m", 100L * 1024 * 1024)]
    [InlineData("1.5g", 1536L * 1024 * 1024)]
    [InlineData("2KiB", 2048L)]
    public void RamInBytes_BinaryUnits(string text, long bytes) => Assert.Equal(bytes, VolumeMounts.RamInBytes(text));

    [Fact]
    public void NeedsMount_TypeOrDevice() =>
        Assert.Equal([true, true, false, false],
            new[] { new Dictionary<string, string> { ["type"] = "tmpfs" }, new() { ["device"] = "x" }, new() { ["size"] = "0" }, new() }
                .Select(VolumeMounts.NeedsMount).ToArray());

    [Fact]
    public void IsMounted_ReadsMountPointField_WithEscapes()
    {
        string[] info =
        [
            "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw",
            "98 22 0:50 / /tmp/a\\040b/_data rw,relatime shared:60 - tmpfs tmpfs rw,size=1024k",
        ];
        Assert.True(VolumeMounts.IsMounted("/tmp/a b/_data", info));
        Assert.False(VolumeMounts.IsMounted("/tmp/a", info));
        Assert.False(VolumeMounts.IsMounted("/tmp/a b", info));
    }
}
