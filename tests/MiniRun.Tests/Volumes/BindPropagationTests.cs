// BindPropagationTests: the checks BindPropagation makes before a bind mount with a propagation
// word is created - the host mount holding the source (read from a mountinfo text), Docker's
// messages for a slave of a private mount and for a shared bind of a mount that is not shared -
// and the root propagation config.json gets (rslave for a slave bind, rshared for a shared one).
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
    [InlineData("/srv/data", "shared")]
    [InlineData("/srv/data", "rshared")]
    [InlineData("/srv2/a", "rshared")]          // shared and a slave: still in a peer group
    public void Check_Shared_AcceptsASharedHostMount(string source, string propagation) =>
        BindPropagation.Check(source, propagation, Mountinfo);

    [Theory]
    [InlineData("/srv/private/x", "rshared", "/srv/private")]
    [InlineData("/mnt/with space/a", "shared", "/mnt/with space")]   // a slave only: not shared
    [InlineData("/srvx", "rshared", "/")]
    public void Check_SharedOfANotSharedMount_IsDockersLine(string source, string propagation, string point)
    {
        var e = Assert.Throws<RunConfigException>(() => BindPropagation.Check(source, propagation, Mountinfo));
        Assert.Equal($"path {source} is mounted on {point} but it is not a shared mount", e.Message);
    }

    [Fact]
    public void ApplyToSpec_SharedBind_MakesTheRootRshared_WhateverItWas()
    {
        var spec = new RuntimeSpec();
        spec.Linux.RootfsPropagation = "rslave";
        ContainerMounts.ApplyToSpec(spec, new ContainerMountSet
        {
            Points =
            [
                new MountPoint { Type = MountTypes.Bind, Source = "/srv/data", Destination = "/d", Propagation = "rshared" },
                new MountPoint { Type = MountTypes.Bind, Source = "/srv2", Destination = "/e", Propagation = "rslave" },
            ],
        });
        Assert.Equal("rshared", spec.Linux.RootfsPropagation);
        Assert.Equal(["rbind", "rw", "rshared"], spec.Mounts.Single(m => m.Destination == "/d").Options);
        Assert.Equal("rshared", BindPropagation.RootPropagation(
            [new MountPoint { Type = MountTypes.Bind, Propagation = "shared" }], null));
        Assert.Null(BindPropagation.RootPropagation(
            [new MountPoint { Type = MountTypes.Volume, Propagation = "rshared" }], null));   // only bind mounts count
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
