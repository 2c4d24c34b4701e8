// NodevDeviceStepsTests: the device list kept without a cgroup (Init/NodevDeviceSteps.cs), through
// the kernel fake: the overlay rootfs and every spec mount but devpts get MS_NODEV, each default
// node and each allowed linux.devices node becomes a bind mount of its own remounted without
// MS_NODEV, a denied node stays where mknod put it, and in a user namespace a denied host node
// is remounted nodev. Without the "N" message (a cgroup carries the filter) nothing changes.
using MiniRun.Init;
using MiniRun.Kernel;
using MiniRun.Spec;
using MiniRun.Trace;

namespace MiniRun.Tests.Init;

public sealed class NodevDeviceStepsTests : IDisposable
{
    private readonly string _bundle = Directory.CreateTempSubdirectory("minirun-nodev-").FullName;
    private string Rootfs => Path.Combine(_bundle, "rootfs");

    public NodevDeviceStepsTests() => Directory.CreateDirectory(Path.Combine(Rootfs, "dev"));
    public void Dispose() => Directory.Delete(_bundle, recursive: true);

    private static SpecDeviceCgroup Rule(bool allow, string? type, long? major, long? minor, string access) =>
        new() { Allow = allow, Type = type, Major = major, Minor = minor, Access = access };

    private (FakeKernel Kernel, InitContext Context) Make(bool nodev, bool userNamespace = false)
    {
        var spec = new RuntimeSpec { Process = { Args = ["true"] } };
        spec.Linux.Overlay = new SpecOverlay { LowerDirs = ["/l/1"], UpperDir = "/c/upper", WorkDir = "/c/work" };
        spec.Linux.Devices =
        [
            new SpecDevice { Path = "/dev/probe-allowed", Type = "c", Major = 240, Minor = 2 },
            new SpecDevice { Path = "/dev/probe-denied", Type = "c", Major = 240, Minor = 1 },
        ];
        spec.Linux.Resources = new SpecResources { Devices = [Rule(false, null, null, null, "rwm"), Rule(true, "c", 240, 2, "rw")] };
        if (userNamespace) spec.Linux.Namespaces.Add(new SpecNamespace { Type = "user" });
        var k = new FakeKernel();
        k.Directories.Add(Path.Combine(Rootfs, "dev"));
        return (k, new InitContext { Spec = spec, BundleDir = _bundle, Kernel = k, Trace = NullTrace.Instance, NodevDevices = nodev });
    }

    [Fact]
    public void The_rootfs_is_mounted_nodev()
    {
        var (k, c) = Make(nodev: true);
        RootfsSteps.MountRootfs(c);
        Assert.Equal([$"mount overlay {Rootfs} overlay MS_NODEV lowerdir=/l/1,upperdir=/c/upper,workdir=/c/work"], k.Calls);
    }

    [Fact]
    public void A_plain_bundle_rootfs_is_bound_then_remounted_nodev()
    {
        var (k, c) = Make(nodev: true);
        c.Spec.Linux.Overlay = null;
        k.MountFlagsOf[Rootfs] = Libc.MS_NOSUID;
        RootfsSteps.MountRootfs(c);
        Assert.Equal([$"mount {Rootfs} {Rootfs} NULL MS_BIND|MS_REC NULL", $"statvfs {Rootfs} MS_NOSUID", $"mount NULL {Rootfs} NULL MS_NOSUID|MS_NODEV|MS_REMOUNT|MS_BIND NULL"],
            k.Calls.ToList());
    }

    [Fact]
    public void Every_spec_mount_but_devpts_gets_nodev_even_when_it_asks_for_dev()
    {
        var (k, c) = Make(nodev: true);
        SpecMountSteps.MountOne(c, new SpecMount { Destination = "/dev", Type = "tmpfs", Source = "tmpfs", Options = ["nosuid", "mode=755"] });
        SpecMountSteps.MountOne(c, new SpecMount { Destination = "/dev/pts", Type = "devpts", Source = "devpts", Options = ["nosuid", "noexec"] });
        SpecMountSteps.MountOne(c, new SpecMount { Destination = "/data", Type = "tmpfs", Source = "tmpfs", Options = ["dev"] });
        var mounts = k.Calls.Where(x => x.StartsWith("mount ", StringComparison.Ordinal)).ToList();
        Assert.Equal([
            $"mount tmpfs {Rootfs}/dev tmpfs MS_NOSUID|MS_NODEV mode=755",
            $"mount devpts {Rootfs}/dev/pts devpts MS_NOSUID|MS_NOEXEC NULL",
            $"mount tmpfs {Rootfs}/data tmpfs MS_NODEV NULL",
        ], mounts);
    }

    [Fact]
    public void Allowed_nodes_become_their_own_bind_mounts_without_nodev_and_denied_ones_stay_on_the_nodev_dev()
    {
        var (k, c) = Make(nodev: true);
        string dev = Path.Combine(Rootfs, "dev");
        foreach (var name in new[] { "null", "zero", "full", "random", "urandom", "tty", "probe-allowed", "probe-denied" })
            k.MountFlagsOf[Path.Combine(dev, name)] = Libc.MS_NOSUID | Libc.MS_NODEV;
        DeviceSteps.CreateDevices(c);
        var calls = k.Calls.Where(x => x.StartsWith("mount ", StringComparison.Ordinal) || x.StartsWith("mknod ", StringComparison.Ordinal))
            .ToList();
        var expected = new List<string>();
        foreach (var (name, major, minor) in DeviceSteps.DefaultDevices)
            expected.AddRange([
                $"mknod {dev}/{name} {major}:{minor}",
                $"mount {dev}/{name} {dev}/{name} NULL MS_BIND NULL",
                $"mount NULL {dev}/{name} NULL MS_NOSUID|MS_REMOUNT|MS_BIND NULL",
            ]);
        expected.AddRange([
            $"mknod {dev}/probe-allowed 240:2",
            $"mount {dev}/probe-allowed {dev}/probe-allowed NULL MS_BIND NULL",
            $"mount NULL {dev}/probe-allowed NULL MS_NOSUID|MS_REMOUNT|MS_BIND NULL",
            $"mknod {dev}/probe-denied 240:1",   // no bind mount: on the nodev /dev it never opens
        ]);
        Assert.Equal(expected, calls);
    }

    [Fact]
    public void In_a_user_namespace_a_denied_host_node_is_remounted_nodev()
    {
        var (k, c) = Make(nodev: true, userNamespace: true);
        string dev = Path.Combine(Rootfs, "dev");
        k.MountFlagsOf[Path.Combine(dev, "probe-denied")] = Libc.MS_NOSUID;
        DeviceSteps.CreateDevices(c);
        var calls = k.Calls.Where(x => x.StartsWith("mount ", StringComparison.Ordinal) && x.Contains("probe")).ToList();
        Assert.Equal([
            $"mount /dev/probe-allowed {dev}/probe-allowed NULL MS_BIND NULL",
            $"mount /dev/probe-denied {dev}/probe-denied NULL MS_BIND NULL",
            $"mount NULL {dev}/probe-denied NULL MS_NOSUID|MS_NODEV|MS_REMOUNT|MS_BIND NULL",
        ], calls);
    }

    [Fact]
    public void With_a_cgroup_for_the_filter_nothing_is_added()
    {
        var (k, c) = Make(nodev: false);
        RootfsSteps.MountRootfs(c);
        SpecMountSteps.MountOne(c, new SpecMount { Destination = "/dev", Type = "tmpfs", Source = "tmpfs", Options = ["nosuid"] });
        DeviceSteps.CreateDevices(c);
        Assert.DoesNotContain(k.Calls, x => x.Contains("MS_NODEV") || x.Contains("MS_BIND"));
    }
}
