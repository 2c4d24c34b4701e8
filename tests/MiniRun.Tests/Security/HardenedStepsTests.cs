// HardenedStepsTests: the init steps that close runc's escapes, through the kernel fake - which
// descriptor-based call each makes, and that each refuses what it must refuse before any mount
// or write happens. The integration tests beside this file show the same in real containers.
using MiniRun.Init;
using MiniRun.Kernel;
using MiniRun.Spec;
using MiniRun.Tests.Init;
using MiniRun.Trace;

namespace MiniRun.Tests.Security;

public sealed class HardenedStepsTests : IDisposable
{
    private readonly string _bundle = Directory.CreateTempSubdirectory("minirun-hardened-").FullName;
    private string Rootfs => Path.Combine(_bundle, "rootfs");

    public HardenedStepsTests() => Directory.CreateDirectory(Rootfs);
    public void Dispose() => Directory.Delete(_bundle, recursive: true);

    private (FakeKernel Kernel, InitContext Context) Make(RuntimeSpec? spec = null)
    {
        var k = new FakeKernel();
        spec ??= new RuntimeSpec { Process = { Args = ["true"] } };
        return (k, new InitContext { Spec = spec, BundleDir = _bundle, Kernel = k, Trace = NullTrace.Instance });
    }

    private static RuntimeSpec Masking() => new()
    {
        Process = { Args = ["true"] },
        Linux = new SpecLinux { MaskedPaths = ["/proc/kcore", "/proc/acpi"] },
    };

    [Fact]
    public void Masks_bind_the_verified_null_device_by_descriptor()
    {
        var (k, c) = Make(Masking());
        k.Paths.Add("/proc/kcore");
        k.Directories.Add("/proc/acpi");
        MaskPathsStep.Run(c);
        Assert.Equal(["/dev/null"], k.NoFollowOpens);   // opened once, without following a symlink
        Assert.Equal(["mount /dev/null /proc/kcore NULL MS_BIND NULL", "mount tmpfs /proc/acpi tmpfs MS_RDONLY NULL"], k.Calls);
        Assert.Empty(k.OpenFds);                         // and closed again
    }

    [Theory]
    [InlineData(0xa1ffu, 0u, 0u, "a symlink")]
    [InlineData(0x81a4u, 0u, 0u, "a regular file")]
    [InlineData(0x21b6u, 1u, 5u, "the character device 1:5")]
    [InlineData(0x61b0u, 8u, 0u, "the block device 8:0")]
    public void Masks_refuse_a_dev_null_that_is_not_the_null_device(uint mode, uint major, uint minor, string what)
    {
        var (k, c) = Make(Masking());
        k.Paths.Add("/proc/kcore");
        k.Nodes["/dev/null"] = (mode, major, minor);
        var e = Assert.Throws<InvalidDataException>(() => MaskPathsStep.Run(c));
        Assert.Equal($"mask paths: /dev/null in the container is {what}, not the null device (character 1:3): refusing to mask with it", e.Message);
        Assert.DoesNotContain(k.Calls, x => x.StartsWith("mount ", StringComparison.Ordinal));
        Assert.Empty(k.OpenFds);
    }

    [Fact]
    public void Mounts_are_made_on_descriptors_resolved_inside_the_rootfs()
    {
        var (k, c) = Make();
        k.Directories.Add("/host/dir");
        SpecMountSteps.MountOne(c, new SpecMount { Destination = "/data", Type = "bind", Source = "/host/dir", Options = ["bind", "ro"] });
        // The mount and its read-only remount each act on a fresh openat2(RESOLVE_IN_ROOT) descriptor.
        Assert.Equal([$"{Rootfs} {Rootfs}/data", $"{Rootfs} {Rootfs}/data"], k.OpenedInRoot);
        Assert.Equal([$"mkdir {Rootfs}/data", $"mount /host/dir {Rootfs}/data NULL MS_BIND NULL", $"statvfs {Rootfs}/data 0",
            $"mount NULL {Rootfs}/data NULL MS_RDONLY|MS_REMOUNT|MS_BIND NULL"], k.Calls);
        Assert.Empty(k.OpenFds);
    }

    [Theory]
    [InlineData("proc", "/proc")]
    [InlineData("sysfs", "/sys")]
    public void Procfs_and_sysfs_are_refused_on_a_symlink(string type, string destination)
    {
        var (k, c) = Make();
        k.Nodes[Rootfs + destination] = (0xa1ff, 0, 0);
        var e = Assert.Throws<InvalidDataException>(() =>
            SpecMountSteps.MountOne(c, new SpecMount { Destination = destination, Type = type, Source = type }));
        Assert.Equal($"mount {type} on {destination}: {destination} in the rootfs is a symlink; " +
            $"{type} is mounted only on a real directory (a symlink would move it where the image chose)", e.Message);
        Assert.Empty(k.Calls);
        Assert.Empty(k.OpenFds);
    }

    [Fact]
    public void Procfs_on_a_missing_directory_creates_it()
    {
        var (k, c) = Make();
        k.FailOn = "never";
        SpecMountSteps.MountOne(c, new SpecMount { Destination = "/proc", Type = "proc", Source = "proc" });
        Assert.Equal([$"mkdir {Rootfs}/proc", $"mount proc {Rootfs}/proc proc 0 NULL"], k.Calls.Select(x => x.Replace("MS_NOSUID|MS_NODEV|MS_NOEXEC", "0")));
    }

    [Fact]
    public void Sysctls_and_oom_score_adj_go_through_the_private_procfs()
    {
        var spec = new RuntimeSpec
        {
            Process = { Args = ["true"], OomScoreAdj = 100 },
            Linux = new SpecLinux
            {
                Namespaces = [new SpecNamespace { Type = "network" }],
                Sysctl = new Dictionary<string, string> { ["net.ipv4.ip_forward"] = "1" },
            },
        };
        var (k, c) = Make(spec);
        SysctlStep.Run(c);
        ProcessLimitsStep.Run(c);
        Assert.Equal(["/proc/sys/net/ipv4/ip_forward", "/proc/self/oom_score_adj"], k.ProcWrites);
    }

    [Fact]
    public void A_working_directory_outside_the_root_stops_the_start()
    {
        var spec = new RuntimeSpec { Process = { Args = ["true"], Cwd = "/proc/self/fd/7" } };
        var (k, c) = Make(spec);
        k.Cwd = null;   // getcwd: "(unreachable)/sys/fs/cgroup"
        var e = Assert.Throws<InitFailure>(() => WorkdirSteps.ChangeDirectory(c));
        Assert.Equal(126, e.ExitCode);
        Assert.Equal("chdir to cwd (\"/proc/self/fd/7\") set in config.json failed: the directory is outside the container's root", e.Message);
        Assert.Equal(["chdir /proc/self/fd/7"], k.Calls);
    }

    [Fact]
    public void Proc_paths_are_spelled_without_symlinks()
    {
        int pid = Environment.ProcessId;
        Assert.Equal("sys/net/ipv4/ip_forward", PrivateProc.Relative("/proc/sys/net/ipv4/ip_forward"));
        Assert.Equal($"{pid}/oom_score_adj", PrivateProc.Relative("/proc/self/oom_score_adj"));
        Assert.StartsWith($"{pid}/task/", PrivateProc.Relative("/proc/thread-self/attr/apparmor/exec"));
        Assert.Throws<ArgumentException>(() => PrivateProc.Relative("/etc/passwd"));
    }
}
