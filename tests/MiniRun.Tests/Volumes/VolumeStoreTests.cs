// VolumeStoreTests: the volume store and the engine's volume logic against a temporary root:
// create (named, anonymous, idempotent, bad names), ls and its filters, rm (missing, in use,
// -f), prune (anonymous only, -a), and ContainerMounts' pieces that need no container: Resolve
// (binds made or refused, symlinked sources resolved, image VOLUMEs, duplicates, --volumes-from),
// the spec mounts, mounts.json, and the removal of anonymous volumes.
using System.Text.Json;
using MiniImage.Oci;
using MiniRun.Containers;
using MiniRun.Engine;
using MiniRun.Spec;
using MiniRun.Volumes;

namespace MiniRun.Tests.Volumes;

public sealed class VolumeStoreTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("minirun-volstore-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private VolumeStore Store => new(_root);

    /// <summary>A fake container directory whose mounts.json lists <paramref name="points"/>.</summary>
    private string FakeContainer(string id, params MountPoint[] points)
    {
        string dir = Path.Combine(_root, "containers", id);
        Directory.CreateDirectory(dir);
        ContainerMounts.Write(dir, new ContainerMountSet { Points = points.ToList() });
        return dir;
    }

    private static MountPoint VolumePoint(Volume v, string dest = "/x") =>
        new() { Type = MountTypes.Volume, Name = v.Name, Source = v.Mountpoint, Destination = dest, Driver = "local", Anonymous = v.Anonymous };

    [Fact]
    public void Create_Named_MakesDataAndMetadata_AndIsIdempotent()
    {
        var (v, created) = Store.Ensure("data", new Dictionary<string, string> { ["team"] = "a" });
        Assert.True(created);
        Assert.Equal(Path.Combine(_root, "volumes", "data", "_data"), v.Mountpoint);
        Assert.True(Directory.Exists(v.Mountpoint));
        var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(_root, "volumes", "data", "volume.json"))).RootElement;
        Assert.Equal("data", doc.GetProperty("Name").GetString());
        Assert.Equal("local", doc.GetProperty("Driver").GetString());
        Assert.Equal("a", doc.GetProperty("Labels").GetProperty("team").GetString());
        Assert.False(v.Anonymous);
        var (again, createdAgain) = Store.Ensure("data");
        Assert.False(createdAgain);
        Assert.Equal(v.CreatedAt, again.CreatedAt);
        Assert.Equal("a", again.Labels["team"]);
    }

    [Fact]
    public void Create_Anonymous_Has64HexNameAndLabel()
    {
        var (v, _) = Store.Ensure(null);
        Assert.Matches("^[0-9a-f]{64}$", v.Name);
        Assert.True(v.Anonymous);
        Assert.True(Store.Find(v.Name)!.Anonymous);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("-x")]
    [InlineData("has space")]
    [InlineData("../up")]
    public void Create_BadName_Refused(string name)
    {
        var e = Assert.Throws<ContainerException>(() => Store.Ensure(name));
        Assert.StartsWith($"create {name}: \"{name}\" includes invalid characters for a local volume name", e.Message);
        Assert.Empty(Store.List());
    }

    [Fact]
    public void Create_OtherDriver_Refused() =>
        Assert.Contains("plugin \"nfs\" not found", Assert.Throws<ContainerException>(() => Store.Ensure("v1", driver: "nfs")).Message);

    [Fact]
    public void Create_UnknownOption_Refused() =>
        Assert.Equal("create v1: invalid option: \"bogus\"",
            Assert.Throws<ContainerException>(() => Store.Ensure("v1", options: new Dictionary<string, string> { ["bogus"] = "1" })).Message);

    [Fact]
    public void VolumeCreate_WithoutName_GivesRandomName()
    {
        var v = VolumeCommands.Create(_root, null, new Dictionary<string, string>(), new Dictionary<string, string>(), "local");
        Assert.Matches("^[0-9a-f]{64}$", v.Name);
        Assert.False(v.Anonymous);   // `volume create` without a name is not anonymous (prune without -a keeps it)
    }

    [Fact]
    public void List_SortedWithFilters()
    {
        Store.Ensure("zeta");
        Store.Ensure("alpha", new Dictionary<string, string> { ["env"] = "prod" });
        var (used, _) = Store.Ensure("used-one");
        FakeContainer(new string('c', 64), VolumePoint(used));
        Assert.Equal(["alpha", "used-one", "zeta"], VolumeCommands.List(_root, []).Select(v => v.Name));
        Assert.Equal(["alpha", "zeta"], VolumeCommands.List(_root, ["dangling=true"]).Select(v => v.Name));
        Assert.Equal(["used-one"], VolumeCommands.List(_root, ["dangling=false"]).Select(v => v.Name));
        Assert.Equal(["alpha"], VolumeCommands.List(_root, ["label=env=prod"]).Select(v => v.Name));
        Assert.Equal(["alpha"], VolumeCommands.List(_root, ["label=env"]).Select(v => v.Name));
        Assert.Equal(["used-one", "zeta"], VolumeCommands.List(_root, ["name=e"]).Select(v => v.Name).Where(n => n != "alpha"));
        Assert.Equal("invalid filter 'colour'",
            Assert.Throws<ContainerException>(() => VolumeCommands.List(_root, ["colour=red"])).Message);
    }

    [Fact]
    public void Remove_Missing_Refused_UnlessForced()
    {
        Assert.Equal("get nope: no such volume",
            Assert.Throws<ContainerException>(() => VolumeCommands.Remove(_root, "nope", force: false)).Message);
        VolumeCommands.Remove(_root, "nope", force: true);
    }

    [Fact]
    public void Remove_InUse_RefusedWithContainerIds_EvenForced()
    {
        var (v, _) = Store.Ensure("shared");
        string id = new string('a', 64);
        FakeContainer(id, VolumePoint(v));
        foreach (bool force in new[] { false, true })
        {
            var e = Assert.Throws<ContainerException>(() => VolumeCommands.Remove(_root, "shared", force));
            Assert.Equal($"remove shared: volume is in use - [{id}]", e.Message);
            Assert.Equal(1, e.ExitCode);
        }
        Directory.Delete(Path.Combine(_root, "containers", id), recursive: true);
        VolumeCommands.Remove(_root, "shared", force: false);
        Assert.Null(Store.Find("shared"));
        Assert.False(Directory.Exists(Path.Combine(_root, "volumes", "shared")));
    }

    [Fact]
    public void Prune_AnonymousOnly_ThenAll_KeepsUsed()
    {
        var (anon, _) = Store.Ensure(null);
        File.WriteAllText(Path.Combine(anon.Mountpoint, "f"), "12345");
        var (anonUsed, _) = Store.Ensure(null);
        Store.Ensure("named");
        FakeContainer(new string('b', 64), VolumePoint(anonUsed));
        var (removed, bytes) = VolumeCommands.Prune(_root, all: false, []);
        Assert.Equal([anon.Name], removed);
        Assert.Equal(5, bytes);
        Assert.NotNull(Store.Find("named"));
        (removed, _) = VolumeCommands.Prune(_root, all: true, []);
        Assert.Equal(["named"], removed);
        Assert.NotNull(Store.Find(anonUsed.Name));
    }

    [Fact]
    public void RemoveAnonymous_SkipsNamedAndVolumesUsedElsewhere()
    {
        var (anon, _) = Store.Ensure(null);
        var (shared, _) = Store.Ensure(null);
        var (named, _) = Store.Ensure("keep");
        string me = new string('1', 64), other = new string('2', 64);
        FakeContainer(me, VolumePoint(anon, "/a"), VolumePoint(shared, "/s"), VolumePoint(named, "/n"));
        FakeContainer(other, VolumePoint(shared, "/s"));
        var removed = ContainerMounts.RemoveAnonymous(_root, ContainerMounts.Read(Path.Combine(_root, "containers", me)).Points, me);
        Assert.Equal([anon.Name], removed);
        Assert.Null(Store.Find(anon.Name));
        Assert.NotNull(Store.Find(shared.Name));
        Assert.NotNull(Store.Find("keep"));
    }

    [Fact]
    public void MountsJson_RoundTrips()
    {
        var set = new ContainerMountSet
        {
            Binds = ["/h:/c:ro"], VolumesFrom = ["web:ro"],
            Mounts = [MountFlags.ParseMount("type=tmpfs,target=/t,tmpfs-size=1k,tmpfs-mode=700"), MountFlags.ParseMount("src=v1,target=/v,volume-nocopy,volume-label=a=b")],
            Points =
            [
                new MountPoint { Type = MountTypes.Bind, Source = "/h", Destination = "/c", Mode = "ro", RW = false, Propagation = "rprivate" },
                new MountPoint { Type = MountTypes.Tmpfs, Destination = "/t", TmpfsOptions = ["noexec", "size=1024"] },
                new MountPoint { Type = MountTypes.Volume, Name = "v1", Source = "/r/v1/_data", Destination = "/v", Driver = "local", Anonymous = true },
            ],
        };
        string dir = Directory.CreateTempSubdirectory("minirun-mountsjson-").FullName;
        try
        {
            ContainerMounts.Write(dir, set);
            var back = ContainerMounts.Read(dir);
            Assert.Equal(set.Binds, back.Binds);
            Assert.Equal(set.VolumesFrom, back.VolumesFrom);
            var none = new List<string>();   // records compare lists by reference: the same empty one on both sides
            Assert.Equal(set.Points.Select(p => p with { TmpfsOptions = none }), back.Points.Select(p => p with { TmpfsOptions = none }));
            Assert.Equal(["noexec", "size=1024"], back.Points[1].TmpfsOptions);
            Assert.Equal(1024, back.Mounts[0].TmpfsSize);
            Assert.Equal(0x1c0u, back.Mounts[0].TmpfsMode);
            Assert.True(back.Mounts[1].NoCopy);
            Assert.Equal("b", back.Mounts[1].VolumeLabels["a"]);
            Assert.Empty(ContainerMounts.Read(Path.Combine(dir, "missing")).Points);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    private static ImageConfig ImageWithVolumes(params string[] paths) => new()
    {
        Config = new ContainerConfig { Volumes = paths.ToDictionary(p => p, _ => JsonDocument.Parse("{}").RootElement) },
    };

    [Fact]
    public void Resolve_VolumeFlag_MakesMissingHostDir_MountFlagRefusesIt()
    {
        string missing = Path.Combine(_root, "host", "made");
        var set = ContainerMounts.Resolve(_root, new RunOptions { Volumes = [missing + ":/data:ro"] }, new ImageConfig(), new ContainerStore(_root));
        Assert.True(Directory.Exists(missing));
        var p = Assert.Single(set.Points);
        Assert.Equal((MountTypes.Bind, missing, "/data", false, "rprivate", "ro"), (p.Type, p.Source, p.Destination, p.RW, p.Propagation, p.Mode));
        Assert.Equal([missing + ":/data:ro"], set.Binds);

        string other = Path.Combine(_root, "host", "absent");
        var e = Assert.Throws<RunConfigException>(() => ContainerMounts.Resolve(_root,
            new RunOptions { Mounts = [$"type=bind,source={other},target=/data"] }, new ImageConfig(), new ContainerStore(_root)));
        Assert.Equal($"invalid mount config for type \"bind\": bind source path does not exist: {other}", e.Message);
        Assert.False(Directory.Exists(other));
    }

    [Fact]
    public void Resolve_SymlinkedBindSource_IsResolvedOnTheHost()
    {
        string real = Directory.CreateDirectory(Path.Combine(_root, "real")).FullName;
        string link = Path.Combine(_root, "link");
        File.CreateSymbolicLink(link, real);
        var set = ContainerMounts.Resolve(_root, new RunOptions { Volumes = [link + ":/data"] }, new ImageConfig(), new ContainerStore(_root));
        Assert.Equal(real, set.Points[0].Source);
    }

    [Fact]
    public void Resolve_ImageVolumes_AnonymousUnlessCovered()
    {
        var set = ContainerMounts.Resolve(_root, new RunOptions { Volumes = ["named1:/covered"] },
            ImageWithVolumes("/covered", "/fresh/"), new ContainerStore(_root));
        Assert.Equal(2, set.Points.Count);
        Assert.Equal(("named1", false), (set.Points[0].Name, set.Points[0].Anonymous));
        Assert.Equal("/fresh", set.Points[1].Destination);
        Assert.True(set.Points[1].Anonymous);
        Assert.True(set.Points[1].CopyUp);
        Assert.True(Store.Find(set.Points[1].Name)!.Anonymous);
    }

    [Fact]
    public void Resolve_DuplicateMountPoint_Refused_NothingLeft()
    {
        var e = Assert.Throws<RunConfigException>(() => ContainerMounts.Resolve(_root,
            new RunOptions { Volumes = ["/anon"], Mounts = ["type=tmpfs,target=/anon"] }, new ImageConfig(), new ContainerStore(_root)));
        Assert.Equal("Duplicate mount point: /anon", e.Message);
        e = Assert.Throws<RunConfigException>(() => ContainerMounts.Resolve(_root,
            new RunOptions { Volumes = ["v2:/t"], Tmpfs = ["/t:size=1m"] }, new ImageConfig(), new ContainerStore(_root)));
        Assert.Equal("Duplicate mount point: /t", e.Message);
        Assert.Empty(Store.List());
    }

    [Fact]
    public void Resolve_FailureLater_RemovesTheAnonymousVolumesItMade()
    {
        Assert.Throws<RunConfigException>(() => ContainerMounts.Resolve(_root,
            new RunOptions { Volumes = ["/anon"], Mounts = [$"type=bind,source={_root}/absent,target=/b"] }, new ImageConfig(), new ContainerStore(_root)));
        Assert.Empty(Store.List());
    }

    [Fact]
    public void Resolve_VolumesFrom_CopiesBindsAndVolumes_ModeOverride_ExplicitWins()
    {
        var containers = new ContainerStore(_root);
        var source = containers.Create("web", r => r);
        string dir = containers.DirOf(source.Id);
        var (v, _) = Store.Ensure("webdata");
        ContainerMounts.Write(dir, new ContainerMountSet
        {
            Points =
            [
                VolumePoint(v, "/data"),
                new MountPoint { Type = MountTypes.Bind, Source = "/srv", Destination = "/srv", Propagation = "rprivate" },
                new MountPoint { Type = MountTypes.Tmpfs, Destination = "/tmp" },
            ],
        });
        var set = ContainerMounts.Resolve(_root, new RunOptions { VolumesFrom = ["web:ro"], Volumes = ["other:/srv"] }, new ImageConfig(), containers);
        Assert.Equal(["/srv", "/data"], set.Points.Select(p => p.Destination));
        Assert.Equal("other", set.Points[0].Name);
        Assert.Equal(("webdata", false, false), (set.Points[1].Name, set.Points[1].RW, set.Points[1].CopyUp));
        Assert.Equal(["web:ro"], set.VolumesFrom);

        var e = Assert.Throws<RunConfigException>(() => ContainerMounts.Resolve(_root, new RunOptions { VolumesFrom = ["ghost"] }, new ImageConfig(), containers));
        Assert.Equal("No such container: ghost", e.Message);
    }

    [Fact]
    public void ApplyToSpec_BindOptions_ReplacesDefault_ParentsFirst()
    {
        var spec = new RuntimeSpec { Mounts = SpecGenerator.DefaultMounts("/c") };
        ContainerMounts.ApplyToSpec(spec, new ContainerMountSet
        {
            Points =
            [
                new MountPoint { Type = MountTypes.Bind, Source = "/h/deep", Destination = "/a/b/c", RW = false, Propagation = "rshared" },
                new MountPoint { Type = MountTypes.Volume, Name = "v", Source = "/r/v/_data", Destination = "/a" },
                new MountPoint { Type = MountTypes.Bind, Source = "/h/hosts", Destination = "/etc/hosts", Propagation = "rprivate" },
                new MountPoint { Type = MountTypes.Tmpfs, Destination = "/scratch", TmpfsOptions = ["noexec", "size=1024"] },
            ],
        });
        var deep = spec.Mounts.Single(m => m.Destination == "/a/b/c");
        Assert.Equal(("bind", "/h/deep"), (deep.Type, deep.Source));
        Assert.Equal(["rbind", "ro", "rshared"], deep.Options);
        Assert.Equal(["rbind", "rw", "rprivate"], spec.Mounts.Single(m => m.Destination == "/a").Options);
        Assert.Equal("/h/hosts", Assert.Single(spec.Mounts, m => m.Destination == "/etc/hosts").Source);
        var tmp = spec.Mounts.Single(m => m.Destination == "/scratch");
        Assert.Equal(("tmpfs", "tmpfs"), (tmp.Type, tmp.Source));
        var order = spec.Mounts.Select(m => m.Destination).ToList();
        Assert.True(order.IndexOf("/a") < order.IndexOf("/a/b/c"));
        Assert.True(order.IndexOf("/dev") < order.IndexOf("/dev/pts"));
        Assert.True(order.IndexOf("/sys") < order.IndexOf("/sys/fs/cgroup"));
    }
}
