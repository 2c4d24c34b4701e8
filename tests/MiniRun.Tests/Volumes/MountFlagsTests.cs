// MountFlagsTests: -v, --mount and --volumes-from parsed as Docker parses them: every form, and
// every error with Docker's text (Volumes/MountFlags.cs).
using MiniRun.Spec;
using MiniRun.Volumes;

namespace MiniRun.Tests.Volumes;

public sealed class MountFlagsTests
{
    [Fact]
    public void Volume_HostPath_IsBind_ReadWrite()
    {
        var m = MountFlags.ParseVolume("/srv/data:/data");
        Assert.Equal(MountTypes.Bind, m.Type);
        Assert.Equal("/srv/data", m.Source);
        Assert.Equal("/data", m.Target);
        Assert.False(m.ReadOnly);
        Assert.Equal("", m.Mode);
        Assert.False(m.FromMountFlag);
        Assert.Equal("/srv/data:/data", m.Raw);
    }

    [Theory]
    [InlineData("/a:/b:ro", true, "", "ro")]
    [InlineData("/a:/b:rw", false, "", "rw")]
    [InlineData("/a:/b:ro,Z", true, "", "ro,Z")]
    [InlineData("/a:/b:z", false, "", "z")]
    [InlineData("/a:/b:rslave", false, "rslave", "rslave")]
    [InlineData("/a:/b:ro,shared", true, "shared", "ro,shared")]
    public void Volume_BindModes(string raw, bool ro, string propagation, string mode)
    {
        var m = MountFlags.ParseVolume(raw);
        Assert.Equal(ro, m.ReadOnly);
        Assert.Equal(propagation, m.Propagation);
        Assert.Equal(mode, m.Mode);
    }

    [Fact]
    public void Volume_RelativeHostPath_BecomesAbsolute()
    {
        var m = MountFlags.ParseVolume("./here:/data");
        Assert.Equal(MountTypes.Bind, m.Type);
        Assert.Equal(SpecGenerator.CleanAbsolute(Path.GetFullPath("here")), m.Source);
    }

    [Fact]
    public void Volume_Name_IsNamedVolume_ModeZ()
    {
        var m = MountFlags.ParseVolume("db-data:/var/lib/db/");
        Assert.Equal(MountTypes.Volume, m.Type);
        Assert.Equal("db-data", m.Source);
        Assert.Equal("/var/lib/db", m.Target);
        Assert.Equal("z", m.Mode);
        Assert.True(!m.NoCopy);
    }

    [Fact]
    public void Volume_NameWithNocopy()
    {
        var m = MountFlags.ParseVolume("v1:/x:ro,nocopy");
        Assert.True(m.NoCopy);
        Assert.True(m.ReadOnly);
    }

    [Fact]
    public void Volume_PathOnly_IsAnonymous()
    {
        var m = MountFlags.ParseVolume("/cache");
        Assert.Equal(MountTypes.Volume, m.Type);
        Assert.Equal("", m.Source);
        Assert.Equal("/cache", m.Target);
        Assert.Equal("", m.Mode);
    }

    [Theory]
    [InlineData("", "invalid empty volume spec")]
    [InlineData("/foo:ro", "invalid volume specification: '/foo:ro'")]
    [InlineData(":/data", "invalid volume specification: ':/data'")]
    [InlineData("/a:/b:/c:ro", "invalid volume specification: '/a:/b:/c:ro'")]
    [InlineData("/a:/b:bad", "invalid mode: bad")]
    [InlineData("/a:/b:ro,rw", "invalid mode: ro,rw")]
    [InlineData("/a:/b:nocopy", "invalid mode: nocopy")]
    [InlineData("a:b", "invalid volume specification: 'a:b': invalid mount config for type \"volume\": invalid mount path: 'b' mount path must be absolute")]
    [InlineData("/a:b", "invalid volume specification: '/a:b': invalid mount config for type \"bind\": invalid mount path: 'b' mount path must be absolute")]
    [InlineData("data", "invalid volume specification: 'data': invalid mount config for type \"volume\": invalid mount path: 'data' mount path must be absolute")]
    [InlineData("/x:/", "invalid volume specification: '/x:/': invalid mount config for type \"bind\": invalid specification: destination can't be '/'")]
    [InlineData("v:/x:shared", "invalid volume specification: 'v:/x:shared': invalid mount config for type \"volume\": field BindOptions must not be specified")]
    [InlineData("-bad:/x", "create -bad: \"-bad\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path")]
    public void Volume_Errors(string raw, string message) =>
        Assert.Equal(message, Assert.Throws<RunConfigException>(() => MountFlags.ParseVolume(raw)).Message);

    [Fact]
    public void Mount_Bind_AllKeys()
    {
        var m = MountFlags.ParseMount("type=bind,source=/srv,target=/data,readonly,bind-propagation=rshared");
        Assert.Equal(MountTypes.Bind, m.Type);
        Assert.Equal("/srv", m.Source);
        Assert.Equal("/data", m.Target);
        Assert.True(m.ReadOnly);
        Assert.Equal("rshared", m.Propagation);
        Assert.True(m.FromMountFlag);
    }

    [Theory]
    [InlineData("type=bind,src=/s,dst=/d,ro=true", true)]
    [InlineData("type=bind,src=/s,destination=/d,readonly=false", false)]
    [InlineData("type=bind,src=/s,target=/d,ro=1", true)]
    [InlineData("type=bind,src=/s,target=/d,ro=0", false)]
    public void Mount_KeyAliases(string raw, bool ro)
    {
        var m = MountFlags.ParseMount(raw);
        Assert.Equal("/s", m.Source);
        Assert.Equal("/d", m.Target);
        Assert.Equal(ro, m.ReadOnly);
    }

    [Fact]
    public void Mount_DefaultTypeIsVolume_WithOptions()
    {
        var m = MountFlags.ParseMount("source=v1,target=/x,volume-nocopy,volume-label=a=b,volume-driver=local");
        Assert.Equal(MountTypes.Volume, m.Type);
        Assert.Equal("v1", m.Source);
        Assert.True(m.NoCopy);
        Assert.Equal("b", m.VolumeLabels["a"]);
        Assert.Equal("local", m.VolumeDriver);
    }

    [Fact]
    public void Mount_AnonymousVolume()
    {
        var m = MountFlags.ParseMount("type=volume,target=/x");
        Assert.Equal("", m.Source);
        Assert.Equal("/x", m.Target);
    }

    [Fact]
    public void Mount_Tmpfs_SizeAndMode()
    {
        var m = MountFlags.ParseMount("type=tmpfs,target=/t,tmpfs-size=64m,tmpfs-mode=1770");
        Assert.Equal(MountTypes.Tmpfs, m.Type);
        Assert.Equal(64L << 20, m.TmpfsSize);
        Assert.Equal(0x3f8u, m.TmpfsMode);   // 01770
    }

    [Theory]
    [InlineData("type=bind,src=/s,target=/d,foo=bar", "invalid argument \"type=bind,src=/s,target=/d,foo=bar\" for \"--mount\" flag: unexpected key 'foo' in 'foo=bar'")]
    [InlineData("type=bind,src=/s,target", "invalid argument \"type=bind,src=/s,target\" for \"--mount\" flag: invalid field 'target' must be a key=value pair")]
    [InlineData("type=bind,src=/s,target=/d,ro=maybe", "invalid argument \"type=bind,src=/s,target=/d,ro=maybe\" for \"--mount\" flag: invalid value for ro: maybe")]
    [InlineData("type=bind,src=/s,target=/d,bind-propagation=sideways", "invalid argument \"type=bind,src=/s,target=/d,bind-propagation=sideways\" for \"--mount\" flag: invalid value for bind-propagation: sideways")]
    [InlineData("type=tmpfs,target=/d,tmpfs-size=lots", "invalid argument \"type=tmpfs,target=/d,tmpfs-size=lots\" for \"--mount\" flag: invalid value for tmpfs-size: lots")]
    [InlineData("type=tmpfs,target=/d,tmpfs-mode=999", "invalid argument \"type=tmpfs,target=/d,tmpfs-mode=999\" for \"--mount\" flag: invalid value for tmpfs-mode: 999")]
    [InlineData("type=volume,target=/d,volume-opt=novalue", "invalid argument \"type=volume,target=/d,volume-opt=novalue\" for \"--mount\" flag: invalid value for volume-opt: novalue")]
    [InlineData("type=nfs,target=/d", "invalid mount config for type \"nfs\": mount type unknown")]
    [InlineData("type=bind,src=/s", "invalid mount config for type \"bind\": field Target must not be empty")]
    [InlineData("type=bind,src=/s,target=d", "invalid mount config for type \"bind\": invalid mount path: 'd' mount path must be absolute")]
    [InlineData("type=bind,src=/s,target=/", "invalid mount config for type \"bind\": invalid specification: destination can't be '/'")]
    [InlineData("type=bind,target=/d", "invalid mount config for type \"bind\": field Source must not be empty")]
    [InlineData("type=bind,src=rel,target=/d", "invalid mount config for type \"bind\": invalid mount path: 'rel' mount path must be absolute")]
    [InlineData("type=bind,src=/s,target=/d,volume-nocopy", "invalid mount config for type \"bind\": field VolumeOptions must not be specified")]
    [InlineData("type=bind,src=/s,target=/d,tmpfs-size=1m", "invalid mount config for type \"bind\": field TmpfsOptions must not be specified")]
    [InlineData("type=volume,target=/d,bind-propagation=shared", "invalid mount config for type \"volume\": field BindOptions must not be specified")]
    [InlineData("type=volume,target=/d,tmpfs-mode=700", "invalid mount config for type \"volume\": field TmpfsOptions must not be specified")]
    [InlineData("type=tmpfs,src=x,target=/d", "invalid mount config for type \"tmpfs\": field Source must not be specified")]
    [InlineData("type=tmpfs,target=/d,bind-propagation=shared", "invalid mount config for type \"tmpfs\": field BindOptions must not be specified")]
    [InlineData("type=tmpfs,target=/d,volume-label=a=b", "invalid mount config for type \"tmpfs\": field VolumeOptions must not be specified")]
    [InlineData("type=volume,src=/abs,target=/d", "create /abs: \"/abs\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path")]
    public void Mount_Errors(string raw, string message) =>
        Assert.Equal(message, Assert.Throws<RunConfigException>(() => MountFlags.ParseMount(raw)).Message);

    [Theory]
    [InlineData("web", "web", "")]
    [InlineData("web:ro", "web", "ro")]
    [InlineData("web:rw", "web", "rw")]
    public void VolumesFrom_Forms(string raw, string container, string mode) =>
        Assert.Equal((container, mode), MountFlags.ParseVolumesFrom(raw));

    [Fact]
    public void VolumesFrom_BadMode() =>
        Assert.Equal("invalid mode: rx", Assert.Throws<RunConfigException>(() => MountFlags.ParseVolumesFrom("web:rx")).Message);

    [Theory]
    [InlineData("ro", true)]
    [InlineData("rw,z,rprivate,nocopy", true)]
    [InlineData("z,Z", false)]
    [InlineData("shared,slave", false)]
    [InlineData("exec", false)]
    public void IsValidMode(string mode, bool valid) => Assert.Equal(valid, MountFlags.IsValidMode(mode));
}
