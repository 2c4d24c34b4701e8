// IdmappedRootfsTests: the runtime's idmapped rootfs (Runtime/IdmappedRootfs.cs) through the
// FakeKernel - the exact open_tree / mount_setattr / move_mount / mount / umount2 sequence, the
// one-line errors of a kernel without idmapped mounts - and the init steps that meet it:
// MountRootfs leaves an already mounted rootfs alone, CredentialsStep narrates both views.
using MiniRun.Init;
using MiniRun.Kernel;
using MiniRun.Runtime;
using MiniRun.Spec;
using MiniRun.Trace;

namespace MiniRun.Tests.Init;

public sealed class IdmappedRootfsTests : IDisposable
{
    private readonly string _bundle = Directory.CreateTempSubdirectory("minirun-idmap-").FullName;
    public void Dispose() => Directory.Delete(_bundle, recursive: true);

    private sealed class RecordingTrace : ITrace
    {
        public List<string> Lines { get; } = new();
        public bool Enabled => true;
        public void Step(MiniRun.Trace.Narration title, MiniRun.Trace.Narration why) => Lines.Add("step " + title.En);
        public void Call(string call, string result) => Lines.Add($"{call} = {result}");
        public void Note(MiniRun.Trace.Narration narration) { string text = narration.En; Lines.Add(text); }
        public void Listing(string text) => Lines.Add(text);
        public void Fact(MiniRun.Trace.TraceFact fact, string value) { }
    }

    private static SpecOverlay Overlay(bool @volatile = false) => new()
    {
        LowerDirs = ["/l/top", "/l/base"], UpperDir = "/c/upper", WorkDir = "/c/work", Volatile = @volatile ? true : null,
    };

    private RuntimeSpec Spec(bool userns)
    {
        var image = new MiniImage.Oci.ImageConfig { Config = new MiniImage.Oci.ContainerConfig { Cmd = ["sh"] } };
        var spec = SpecGenerator.Generate(image, new RunOptions { Image = "busybox" }, new string('c', 64), ["/l/base", "/l/top"], _bundle, _ => null, appArmor: MiniRun.Security.NoAppArmorHost.Instance);
        if (userns)
        {
            spec.Linux.Namespaces.Add(new SpecNamespace { Type = "user" });
            spec.Linux.UidMappings = [new SpecIdMapping { ContainerId = 0, HostId = 100000, Size = 65536 }];
            spec.Linux.GidMappings = [new SpecIdMapping { ContainerId = 0, HostId = 100000, Size = 65536 }];
        }
        return spec;
    }

    [Fact]
    public void Each_layer_is_cloned_idmapped_and_attached_over_its_path_then_overlayfs_then_the_layers_leave_again()
    {
        var k = new FakeKernel();
        IdmappedRootfs.Mount(k, NullTrace.Instance, Overlay(), "/c/rootfs", usernsFd: 9);
        Assert.Equal(new[]
        {
            "open_tree /l/top OPEN_TREE_CLONE", "mount_setattr 200 MOUNT_ATTR_IDMAP userns=9", "move_mount 200 /l/top", "close 200",
            "open_tree /l/base OPEN_TREE_CLONE", "mount_setattr 201 MOUNT_ATTR_IDMAP userns=9", "move_mount 201 /l/base", "close 201",
            "mount overlay /c/rootfs overlay 0 lowerdir=/l/top:/l/base,upperdir=/c/upper,workdir=/c/work",
            "umount2 /l/top 2", "umount2 /l/base 2",
        }, k.Calls);
    }

    [Fact]
    public void Identity_maps_mount_the_overlay_without_idmapping_any_layer()
    {
        var spec = new RuntimeSpec();
        spec.Linux.UidMappings = [new SpecIdMapping { ContainerId = 0, HostId = 0, Size = 65536 }];
        spec.Linux.GidMappings = [new SpecIdMapping { ContainerId = 0, HostId = 0, Size = 65536 }];
        Assert.True(IdmappedRootfs.IsIdentity(spec));
        spec.Linux.GidMappings = [new SpecIdMapping { ContainerId = 0, HostId = 100000, Size = 65536 }];
        Assert.False(IdmappedRootfs.IsIdentity(spec));

        var k = new FakeKernel();
        IdmappedRootfs.Mount(k, NullTrace.Instance, Overlay(), "/c/rootfs", usernsFd: -1);
        Assert.Equal(new[] { "mount overlay /c/rootfs overlay 0 lowerdir=/l/top:/l/base,upperdir=/c/upper,workdir=/c/work" }, k.Calls);
    }

    [Fact]
    public void A_kernel_without_idmapped_mounts_is_one_line_naming_mount_setattr_the_layer_and_the_errno()
    {
        var k = new FakeKernel { FailOn = "mount_setattr", FailErrno = Errno.EINVAL };
        var e = Assert.Throws<RuntimeException>(() => IdmappedRootfs.Mount(k, NullTrace.Instance, Overlay(), "/c/rootfs", 9));
        Assert.StartsWith("mount_setattr(MOUNT_ATTR_IDMAP) on \"/l/top\": Invalid argument (EINVAL): ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("close 200", k.Calls);                       // the detached clone is not leaked
        Assert.DoesNotContain(k.Calls, c => c.StartsWith("mount overlay"));
        var nosys = Assert.Throws<RuntimeException>(() => IdmappedRootfs.Mount(new FakeKernel { FailOn = "mount_setattr", FailErrno = Errno.ENOSYS },
            NullTrace.Instance, Overlay(), "/c/rootfs", 9));
        Assert.Contains("(ENOSYS): this kernel has no mount_setattr", nosys.Message);
    }

    [Fact]
    public void An_overlayfs_refusing_idmapped_lowers_says_so_and_the_attached_layers_are_detached_again()
    {
        var k = new FakeKernel { FailOn = "mount overlay", FailErrno = Errno.EINVAL };
        var e = Assert.Throws<RuntimeException>(() => IdmappedRootfs.Mount(k, NullTrace.Instance, Overlay(), "/c/rootfs", 9));
        Assert.Contains("overlayfs takes idmapped lower layers since Linux 5.19", e.Message);
        Assert.Equal(new[] { "umount2 /l/top 2", "umount2 /l/base 2" }, k.Calls.TakeLast(2));
    }

    [Fact]
    public void Volatile_is_asked_first_and_dropped_when_the_kernel_does_not_know_it()
    {
        var k = new FakeKernel();
        IdmappedRootfs.Mount(k, NullTrace.Instance, Overlay(@volatile: true), "/c/rootfs", 9);
        Assert.Contains("mount overlay /c/rootfs overlay 0 lowerdir=/l/top:/l/base,upperdir=/c/upper,workdir=/c/work,volatile", k.Calls);
    }

    [Fact]
    public void Only_a_new_user_namespace_with_an_overlay_makes_the_runtime_mount_the_rootfs()
    {
        Assert.True(IdmappedRootfs.Applies(Spec(userns: true)));
        Assert.False(IdmappedRootfs.Applies(Spec(userns: false)));
        var joined = Spec(userns: true);
        joined.Linux.Namespaces.Single(n => n.Type == "user").Path = "/proc/1/ns/user";
        Assert.False(IdmappedRootfs.Applies(joined));
        var plain = Spec(userns: true);
        plain.Linux.Overlay = null;
        Assert.False(IdmappedRootfs.Applies(plain));
    }

    [Fact]
    public void MountRootfs_in_a_user_namespace_mounts_nothing_itself()
    {
        var k = new FakeKernel();
        var trace = new RecordingTrace();
        RootfsSteps.MountRootfs(new InitContext { Spec = Spec(userns: true), BundleDir = _bundle, Kernel = k, Trace = trace });
        Assert.Empty(k.Calls);
        Assert.Contains("step the image is mounted already", trace.Lines);

        var without = new FakeKernel();
        RootfsSteps.MountRootfs(new InitContext { Spec = Spec(userns: false), BundleDir = _bundle, Kernel = without, Trace = NullTrace.Instance });
        Assert.Single(without.Calls, c => c.StartsWith("mount overlay"));
    }

    [Fact]
    public void CredentialsStep_shows_the_ids_inside_then_asks_the_runtime_for_the_hosts_view()
    {
        var k = new FakeKernel();
        k.Files["/proc/self/status"] = "Name:\tminirun\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n";
        k.Files["/proc/self/uid_map"] = "         0     100000      65536\n";
        var trace = new RecordingTrace();
        int asked = 0;
        CredentialsStep.Run(new InitContext { Spec = Spec(userns: true), BundleDir = _bundle, Kernel = k, Trace = trace, ShowHostCredentials = () => asked++ });
        Assert.Contains("inside: uid 0 gid 0 (/proc/self/status read by init); uid_map \"0 100000 65536\" (inside host count)", trace.Lines);
        Assert.Equal(1, asked);

        // Without --trace, or without a user namespace: nothing is read or asked.
        var quiet = new FakeKernel();
        CredentialsStep.Run(new InitContext { Spec = Spec(userns: true), BundleDir = _bundle, Kernel = quiet, Trace = NullTrace.Instance, ShowHostCredentials = () => asked++ });
        CredentialsStep.Run(new InitContext { Spec = Spec(userns: false), BundleDir = _bundle, Kernel = quiet, Trace = new RecordingTrace(), ShowHostCredentials = () => asked++ });
        Assert.Equal(1, asked);
    }
}
