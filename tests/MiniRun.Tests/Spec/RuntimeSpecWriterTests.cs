// RuntimeSpecWriterTests: the hand-written config.json writer (RuntimeSpec.Save) produces exactly
// the bytes the serializer (SpecJsonContext, RuntimeSpec.ToJson) produces - every field set, every
// optional field absent, and strings that need escaping.
using System.Text;
using MiniRun.Spec;

namespace MiniRun.Tests.Spec;

public sealed class RuntimeSpecWriterTests
{
    private static string Written(RuntimeSpec spec)
    {
        using var stream = new MemoryStream();
        RuntimeSpecWriter.Write(stream, spec);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static RuntimeSpec Full()
    {
        var image = new MiniImage.Oci.ImageConfig { Config = new MiniImage.Oci.ContainerConfig { Cmd = ["sh", "-c", "echo \"a+b<c>&'d'\" é\t\\"], Env = ["PATH=/bin", "X=ü€😀"], User = "student" } };
        var spec = SpecGenerator.Generate(image, new RunOptions { Image = "busybox", Tty = true, ConsoleWidth = 120, ConsoleHeight = 40, Workdir = "/srv", Name = "x" },
            new string('c', 64), ["/l/base", "/l/top"], "/bundle", _ => null, appArmor: MiniRun.Security.NoAppArmorHost.Instance);
        spec.Hostname = "host<1>";
        spec.Annotations = new() { ["org.example/a"] = "1", ["b&c"] = "\"q\"" };
        spec.Root.Readonly = true;
        spec.Process.NoNewPrivileges = true;
        spec.Process.User.Uid = 7; spec.Process.User.Gid = 8; spec.Process.User.Umask = 18; spec.Process.User.AdditionalGids = [1, 2];
        spec.Process.Rlimits = [new SpecRlimit { Type = "RLIMIT_NOFILE", Soft = 1024, Hard = ulong.MaxValue }];
        spec.Mounts.Add(new SpecMount { Destination = "/data" });
        spec.Linux.Namespaces.Add(new SpecNamespace { Type = "user", Path = "/proc/1/ns/user" });
        spec.Linux.UidMappings = [new SpecIdMapping { ContainerId = 0, HostId = 100000, Size = 65536 }];
        spec.Linux.GidMappings = [new SpecIdMapping { ContainerId = 0, HostId = 200000, Size = 1 }];
        spec.Linux.CgroupsPath = "/minirun/x";
        spec.Linux.MaskedPaths ??= ["/proc/kcore"];
        spec.Linux.ReadonlyPaths ??= ["/proc/sys"];
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
    public void EveryFieldIsWrittenAsTheSerializerWritesIt()
    {
        var spec = Full();
        Assert.Equal(spec.ToJson(), Written(spec));
    }

    [Fact]
    public void AbsentOptionalFieldsAreOmittedAsTheSerializerOmitsThem()
    {
        var spec = new RuntimeSpec();
        Assert.Equal(spec.ToJson(), Written(spec));
        spec.Process.Args = ["true"];
        spec.Linux.Namespaces.Add(new SpecNamespace { Type = "pid" });
        spec.Linux.Overlay = new SpecOverlay();
        spec.Annotations = new();
        spec.Process.User.AdditionalGids = [];
        spec.Process.Capabilities = new SpecCapabilities();
        spec.Linux.Sysctl = new();
        Assert.Equal(spec.ToJson(), Written(spec));
    }
}
