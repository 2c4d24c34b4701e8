// RuntimeSpecReaderTests: what the serializer writes (RuntimeSpec.Save), the reader that init
// uses (RuntimeSpec.Load) reads back identically - every field, including MiniRun's extensions;
// comments, nulls and unknown fields are accepted, and a value of the wrong type is a one-line
// InvalidDataException naming the file.
using MiniRun.Spec;

namespace MiniRun.Tests.Spec;

public sealed class RuntimeSpecReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("minirun-specread-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static RuntimeSpec Full()
    {
        var image = new MiniImage.Oci.ImageConfig { Config = new MiniImage.Oci.ContainerConfig { Cmd = ["sh"], Env = ["PATH=/bin"], User = "student" } };
        var spec = SpecGenerator.Generate(image, new RunOptions { Image = "busybox", Tty = true, ConsoleWidth = 120, ConsoleHeight = 40, Workdir = "/srv", Name = "x" },
            new string('c', 64), ["/l/base", "/l/top"], "/bundle", _ => null);
        spec.Root.Readonly = true;
        spec.Process.NoNewPrivileges = true;
        spec.Process.User.Uid = 7; spec.Process.User.Gid = 8; spec.Process.User.Umask = 18; spec.Process.User.AdditionalGids = [1, 2];
        spec.Process.Rlimits = [new SpecRlimit { Type = "RLIMIT_NOFILE", Soft = 1024, Hard = 4096 }];
        spec.Linux.Namespaces.Add(new SpecNamespace { Type = "user", Path = "/proc/1/ns/user" });
        spec.Linux.UidMappings = [new SpecIdMapping { ContainerId = 0, HostId = 100000, Size = 65536 }];
        spec.Linux.GidMappings = [new SpecIdMapping { ContainerId = 0, HostId = 200000, Size = 1 }];
        spec.Linux.CgroupsPath = "/minirun/x";
        spec.Linux.RootfsPropagation = "rprivate";
        spec.Linux.Overlay!.Volatile = true;
        spec.Linux.Devices = [new SpecDevice { Type = "c", Path = "/dev/fuse", Major = 10, Minor = 229, FileMode = 438, Uid = 0, Gid = 0 },
            new SpecDevice { Type = "p", Path = "/run/fifo" }];
        return spec;
    }

    [Fact]
    public void EveryFieldSurvivesSaveThenLoad()
    {
        var spec = Full();
        string path = Path.Combine(_dir, "config.json");
        spec.Save(path);
        var back = RuntimeSpec.Load(path);
        Assert.Equal(spec.ToJson(), back.ToJson());
        Assert.Equal(["/l/top", "/l/base"], back.Linux.Overlay!.LowerDirs);
        Assert.True(back.Linux.Overlay.Volatile);
        Assert.Equal(120u, back.Process.ConsoleSize!.Width);
        Assert.Equal("student", back.Process.User.Username);
        Assert.Equal(229, back.Linux.Devices![0].Minor);
        Assert.Null(back.Linux.Devices[1].Major);
        Assert.Null(back.Unread);   // every field MiniRun writes is one it reads
    }

    [Fact]
    public void UnknownFieldsAndNullsAreAccepted()
    {
        string path = Path.Combine(_dir, "config.json");
        File.WriteAllText(path, """
            {"ociVersion":"1.0.2","future":{"a":[1,2,{"b":null}]},"process":{"args":["true"],"cwd":"/","user":{"uid":0,"gid":0,"umask":null},"capabilities":{"bounding":["CAP_KILL"]}},
             "root":{"path":"rootfs"},"hostname":null,"linux":{"namespaces":[{"type":"pid"}],"seccomp":{"defaultAction":"SCMP_ACT_ALLOW"}},"mounts":null}
            """);
        var spec = RuntimeSpec.Load(path);
        Assert.Equal(["true"], spec.Process.Args);
        Assert.Null(spec.Hostname);
        Assert.Null(spec.Process.User.Umask);
        Assert.Equal("pid", spec.Linux.Namespaces.Single().Type);
        Assert.Empty(spec.Mounts);
    }

    [Fact]
    public void MalformedSpecIsAOneLineError()
    {
        string path = Path.Combine(_dir, "config.json");
        File.WriteAllText(path, """{"process": {"args": "not-a-list"}}""");
        var e = Assert.Throws<InvalidDataException>(() => RuntimeSpec.Load(path));
        Assert.StartsWith($"read runtime spec {path}: ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("""{"process": {"terminal": "yes"}}""")]
    [InlineData("""{"process": {"user": {"uid": -1}}}""")]
    [InlineData("""{"process": {"rlimits": [{"soft": 1.5}]}}""")]
    [InlineData("""{"process": {"args": [1]}}""")]
    [InlineData("""{"linux": {"uidMappings": [{"size": "1"}]}}""")]
    [InlineData("""{"annotations": {"k": []}}""")]
    [InlineData("""{"root": []}""")]
    public void AValueOfTheWrongTypeIsAOneLineError(string json)
    {
        string path = Path.Combine(_dir, "config.json");
        File.WriteAllText(path, json);
        var e = Assert.Throws<InvalidDataException>(() => RuntimeSpec.Load(path));
        Assert.StartsWith($"read runtime spec {path}: ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void CommentsAndNullListItemsAreAccepted()
    {
        var spec = RuntimeSpecReader.Parse("""
            // written by hand
            {"process": {"args": ["sh", null], "env": null, "consoleSize": null}, /* x */ "annotations": {"k": null}, "mounts": [null]}
            """u8);
        Assert.Equal(["sh", ""], spec.Process.Args);
        Assert.Empty(spec.Process.Env);
        Assert.NotNull(spec.Process.ConsoleSize);
        Assert.Equal("", spec.Annotations!["k"]);
        Assert.Equal("", spec.Mounts.Single().Destination);
    }
}
