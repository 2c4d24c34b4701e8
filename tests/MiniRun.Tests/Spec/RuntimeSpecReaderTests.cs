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
            new string('c', 64), ["/l/base", "/l/top"], "/bundle", _ => null, appArmor: MiniRun.Security.NoAppArmorHost.Instance);
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
        spec.Process.Capabilities = new SpecCapabilities
        {
            Bounding = ["CAP_CHOWN", "CAP_KILL"], Effective = ["CAP_KILL"], Inheritable = [], Permitted = ["CAP_CHOWN", "CAP_KILL"], Ambient = ["CAP_KILL"],
        };
        spec.Process.OomScoreAdj = -17;
        spec.Linux.Sysctl = new() { ["net.ipv4.ip_forward"] = "1", ["kernel.shmmni"] = "4000" };
        spec.Linux.Seccomp = new SpecSeccomp
        {
            DefaultAction = "SCMP_ACT_ERRNO", DefaultErrnoRet = 38, Architectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
            Flags = ["SECCOMP_FILTER_FLAG_LOG"], ListenerPath = "/run/agent.sock", ListenerMetadata = "m\"1\"",
            Syscalls =
            [
                new SpecSyscall { Names = ["read", "write"], Action = "SCMP_ACT_ALLOW" },
                new SpecSyscall { Names = ["personality"], Action = "SCMP_ACT_ERRNO", ErrnoRet = 1,
                    Args = [new SpecSeccompArg { Index = 0, Value = ulong.MaxValue, ValueTwo = 8, Op = "SCMP_CMP_MASKED_EQ" }, new SpecSeccompArg { Index = 1, Value = 0, Op = "SCMP_CMP_EQ" }] },
            ],
        };
        spec.Linux.Devices = [new SpecDevice { Type = "c", Path = "/dev/fuse", Major = 10, Minor = 229, FileMode = 438, Uid = 0, Gid = 0 },
            new SpecDevice { Type = "p", Path = "/run/fifo" }];
        spec.Hooks = new SpecHooks
        {
            Prestart = [new SpecHook { Path = "/usr/bin/old", Args = ["old", "--x=\"1\""], Env = ["A=1", "B=ü"], Timeout = 3 }],
            CreateRuntime = [new SpecHook { Path = "/bin/net" }, new SpecHook { Path = "/bin/net2", Args = [], Env = [] }],
            StartContainer = [new SpecHook { Path = "/in/container", Timeout = 1 }],
            Poststop = [],
        };
        spec.Linux.Resources = SpecResourcesSamples.Full();
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
        Assert.Equal(ulong.MaxValue, back.Linux.Seccomp!.Syscalls![1].Args![0].Value);
        Assert.Null(back.Linux.Seccomp.Syscalls[1].Args![1].ValueTwo);
        Assert.Equal(229, back.Linux.Devices![0].Minor);
        Assert.Null(back.Linux.Devices[1].Major);
        Assert.Equal(3, back.Hooks!.Prestart![0].Timeout);
        Assert.Equal(["old", "--x=\"1\""], back.Hooks.Prestart[0].Args);
        Assert.Null(back.Hooks.CreateRuntime![0].Args);
        Assert.Empty(back.Hooks.CreateRuntime[1].Env!);
        Assert.Null(back.Hooks.CreateContainer);
        Assert.Empty(back.Hooks.Poststop!);
        Assert.Equal(-1, back.Linux.Resources!.Memory!.Swap);
        Assert.Equal(ulong.MaxValue, back.Linux.Resources.Memory.Swappiness);
        Assert.Equal(300ul, back.Linux.Resources.BlockIO!.ThrottleWriteIopsDevice![0].Rate);
        Assert.Equal("64M", back.Linux.Resources.Unified!["memory.high"]);
        Assert.Null(back.Unread);   // every field MiniRun writes is one it reads
    }

    [Fact]
    public void HooksOfOtherWritersAreRead()
    {
        var spec = RuntimeSpecReader.Parse("""
            {"hooks": {"createRuntime": [{"path": "/usr/bin/netns-setup", "args": ["netns-setup", "up"], "env": ["X=1"], "timeout": 10}],
                       "poststart": null, "poststop": [{"path": "/bin/cleanup", "io.example.extra": 1}]}}
            """u8);
        var hook = spec.Hooks!.CreateRuntime!.Single();
        Assert.Equal(("/usr/bin/netns-setup", 10), (hook.Path, hook.Timeout));
        Assert.Equal(["netns-setup", "up"], hook.Args);
        Assert.Equal(["X=1"], hook.Env);
        Assert.Empty(spec.Hooks.Poststart!);   // null list: empty, as every list of the reader
        Assert.Equal("/bin/cleanup", spec.Hooks.Poststop!.Single().Path);
        Assert.Equal(["hooks[].io.example.extra"], spec.Unread);   // an extension: skipped, never refused
        Assert.Null(RuntimeSpecReader.Parse("""{"hooks": null}"""u8).Hooks);
    }

    [Fact]
    public void SeccompOfOtherWritersIsRead()
    {
        // podman's profile shape: engine-only fields (archMap, includes, comment, errno) are skipped.
        var spec = RuntimeSpecReader.Parse("""
            {"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
              "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]}],
              "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ALLOW", "comment": "", "includes": {"caps": ["CAP_X"]}, "errno": "",
                            "args": [{"index": 1, "value": 2, "valueTwo": null, "op": "SCMP_CMP_NE"}]}]}}}
            """u8);
        var s = spec.Linux.Seccomp!;
        Assert.Equal("SCMP_ACT_ERRNO", s.DefaultAction);
        Assert.Equal(1u, s.DefaultErrnoRet);
        Assert.Null(s.Architectures);
        var call = s.Syscalls!.Single();
        Assert.Equal(["mkdir"], call.Names);
        Assert.Null(call.ErrnoRet);
        Assert.Equal((1u, 2ul, (ulong?)null, "SCMP_CMP_NE"), (call.Args![0].Index, call.Args[0].Value, call.Args[0].ValueTwo, call.Args[0].Op));
        Assert.Null(RuntimeSpecReader.Parse("""{"linux": {"seccomp": null}}"""u8).Linux.Seccomp);
    }

    [Fact]
    public void ProcessLimitsCapabilitiesAndSysctlsAreReadInTheirSpecShapes()
    {
        var spec = RuntimeSpecReader.Parse("""
            {"process": {"capabilities": {"bounding": ["CAP_AUDIT_WRITE", "CAP_KILL"], "permitted": ["CAP_KILL"], "ambient": null},
                         "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 512}], "noNewPrivileges": true, "oomScoreAdj": -500,
                         "user": {"uid": 1, "gid": 2, "umask": 63, "additionalGids": [5, 6]}},
             "linux": {"sysctl": {"net.ipv4.ip_forward": "1", "kernel.shmmni": null}}}
            """u8);
        var caps = spec.Process.Capabilities!;
        Assert.Equal(["CAP_AUDIT_WRITE", "CAP_KILL"], caps.Bounding);
        Assert.Equal(["CAP_KILL"], caps.Permitted);
        Assert.Null(caps.Effective);
        Assert.Empty(caps.Ambient!);
        Assert.Equal(-500, spec.Process.OomScoreAdj);
        Assert.True(spec.Process.NoNewPrivileges);
        Assert.Equal(63u, spec.Process.User.Umask);
        Assert.Equal([5u, 6u], spec.Process.User.AdditionalGids);
        var l = spec.Process.Rlimits!.Single();
        Assert.Equal(("RLIMIT_NOFILE", 512ul, 1024ul), (l.Type, l.Soft, l.Hard));
        Assert.Equal("1", spec.Linux.Sysctl!["net.ipv4.ip_forward"]);
        Assert.Equal("", spec.Linux.Sysctl["kernel.shmmni"]);
        var none = RuntimeSpecReader.Parse("""{"process": {"args": ["true"]}}"""u8);
        Assert.Null(none.Process.Capabilities);
        Assert.Null(none.Process.OomScoreAdj);
        Assert.Null(none.Linux.Sysctl);
    }

    [Fact]
    public void UnknownFieldsAndNullsAreAccepted()
    {
        string path = Path.Combine(_dir, "config.json");
        File.WriteAllText(path, """
            {"ociVersion":"1.0.2","future":{"a":[1,2,{"b":null}]},"process":{"args":["true"],"cwd":"/","user":{"uid":0,"gid":0,"umask":null},"apparmorProfile":"x"},
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
    [InlineData("""{"process": {"capabilities": {"bounding": "CAP_KILL"}}}""")]
    [InlineData("""{"process": {"oomScoreAdj": "5"}}""")]
    [InlineData("""{"linux": {"sysctl": {"net.ipv4.ip_forward": 1}}}""")]
    [InlineData("""{"linux": {"seccomp": {"syscalls": [{"args": [{"value": -1}]}]}}}""")]
    [InlineData("""{"linux": {"seccomp": {"defaultErrnoRet": "EPERM"}}}""")]
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
