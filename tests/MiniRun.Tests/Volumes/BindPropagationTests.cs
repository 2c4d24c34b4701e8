// BindPropagationTests: the checks BindPropagation makes before a bind mount with a propagation
// word is created - the host mount holding the source (read from a mountinfo text), Docker's
// message for a slave of a private mount, shared refused as not implemented - and the root
// propagation config.json gets (rslave when a bind mount is a slave).
// Follows: proc(5) mountinfo, mount_namespaces(7), docker-run(1) "bind propagation".
using MiniRun.Spec;
using MiniRun.Volumes;

namespace MiniRun.Tests.Volumes;

public sealed class BindPropagationTests
{
    private static readonly string[] Mountinfo =
    [
        "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw",
        "40 27 0:30 / /srv rw,relatime shared:3 - ext4 /dev/vdb rw",
        "41 40 0:31 / /srv/private rw,relatime - tmpfs tmpfs rw",
        "42 27 0:32 / /mnt/with\\040space rw,relatime master:7 - tmpfs tmpfs rw",
        "43 27 0:33 / /srv2 rw,relatime - tmpfs tmpfs rw",
        "44 27 0:34 / /srv2 rw,relatime shared:9 master:2 - tmpfs tmpfs rw",
    ];

    [Theory]
    [InlineData("/srv/data", "/srv", "shared:3")]
    [InlineData("/srv/private/x", "/srv/private", "")]
    [InlineData("/srvx", "/", "")]                       // a prefix of the name is not a parent
    [InlineData("/mnt/with space/a", "/mnt/with space", "master:7")]
    [InlineData("/srv2/a", "/srv2", "shared:9 master:2")]   // two mounts on one point: the last is on top
    public void HostMountOf_LongestParentMountPoint(string path, string point, string fields)
    {
        var (mountPoint, optional) = BindPropagation.HostMountOf(path, Mountinfo);
        Assert.Equal((point, fields), (mountPoint, string.Join(' ', optional)));
    }

    [Theory]
    [InlineData("/srv/data", "rslave")]
    [InlineData("/mnt/with space/a", "slave")]
    [InlineData("/srv/private/x", "rprivate")]
    [InlineData("/", "private")]
    public void Check_Accepts(string source, string propagation) => BindPropagation.Check(source, propagation, Mountinfo);

    [Fact]
    public void Check_SlaveOfAPrivateMount_IsDockersLine()
    {
        var e = Assert.Throws<RunConfigException>(() => BindPropagation.Check("/srv/private/x", "rslave", Mountinfo));
        Assert.Equal("path /srv/private/x is mounted on /srv/private but it is not a shared or slave mount", e.Message);
    }

    [Theory]
    [InlineData("shared")]
    [InlineData("rshared")]
    public void Check_Shared_NotImplemented(string propagation)
    {
        var e = Assert.Throws<RunConfigException>(() => BindPropagation.Check("/srv/data", propagation, Mountinfo));
        Assert.Equal($"bind propagation \"{propagation}\" is not implemented in MiniRun (private, rprivate, slave and rslave are)", e.Message);
    }

    [Fact]
    public void ApplyToSpec_SlaveBind_MakesTheRootRslave_PrivateLeavesItUnset()
    {
        var slave = new RuntimeSpec();
        ContainerMounts.ApplyToSpec(slave, new ContainerMountSet
        {
            Points = [new MountPoint { Type = MountTypes.Bind, Source = "/srv/data", Destination = "/d", Propagation = "rslave" }],
        });
        Assert.Equal("rslave", slave.Linux.RootfsPropagation);
        Assert.Equal(["rbind", "rw", "rslave"], slave.Mounts.Single(m => m.Destination == "/d").Options);

        var priv = new RuntimeSpec();
        ContainerMounts.ApplyToSpec(priv, new ContainerMountSet
        {
            Points = [new MountPoint { Type = MountTypes.Bind, Source = "/srv/data", Destination = "/d", Propagation = "rprivate" }],
        });
        Assert.Null(priv.Linux.RootfsPropagation);

        var given = new RuntimeSpec();
        given.Linux.RootfsPropagation = "shared";
        Assert.Equal("shared", BindPropagation.RootPropagation(
            [new MountPoint { Type = MountTypes.Bind, Propagation = "rslave" }], given.Linux.RootfsPropagation));
    }
}
