// RootfsSharedPropagationTests: linux.rootfsPropagation shared/rshared through the kernel fake -
// step 1 keeps the copied mounts shared (MS_REC|MS_SHARED, never private first), step 1b makes
// the mount holding the rootfs private (read from a mountinfo text) before the rootfs is mounted,
// only when it is shared, pivot_root slaves the old root from inside it (not the new root), and
// the whole init run keeps that order.
// Follows: runtime-spec config-linux.md "Rootfs Mount Propagation", mount_namespaces(7),
// pivot_root(2) (EINVAL with a shared parent), proc(5) mountinfo.
using MiniRun.Init;
using MiniRun.Spec;
using MiniRun.Trace;

namespace MiniRun.Tests.Init;

public sealed class RootfsSharedPropagationTests : IDisposable
{
    private readonly string _bundle = Directory.CreateTempSubdirectory("minirun-rshared-").FullName;
    private string Rootfs => Path.Combine(_bundle, "rootfs");

    public RootfsSharedPropagationTests() => Directory.CreateDirectory(Rootfs);
    public void Dispose() => Directory.Delete(_bundle, recursive: true);

    private sealed class RecordingTrace : ITrace
    {
        public List<string> Lines { get; } = new();
        public bool Enabled => true;
        public void Step(Narration title, Narration why) => Lines.Add("step " + title.En);
        public void Call(string call, string result) => Lines.Add($"{call} = {result}");
        public void Note(Narration narration) => Lines.Add(narration.En);
        public void Listing(string text) => Lines.Add(text);
        public void Fact(TraceFact fact, string value) { }
    }

    private (FakeKernel Kernel, InitContext Context, RecordingTrace Trace) Make(string? propagation, params string[] mountinfo)
    {
        var k = new FakeKernel();
        if (mountinfo.Length > 0) k.Files["/proc/self/mountinfo"] = string.Join('\n', mountinfo) + "\n";
        var spec = new RuntimeSpec { Process = { Args = ["true"] }, Root = { Path = "rootfs" }, Linux = { RootfsPropagation = propagation } };
        var trace = new RecordingTrace();
        return (k, new InitContext { Spec = spec, BundleDir = _bundle, Kernel = k, Trace = trace }, trace);
    }

    private const string Root = "20 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw";
    private string Bundle(string optional) => $"30 20 0:40 / {_bundle} rw,relatime {optional}- tmpfs tmpfs rw";

    [Theory]
    [InlineData("shared")]
    [InlineData("rshared")]
    public void Step1_KeepsTheCopiedMountsShared(string propagation)
    {
        var (k, c, trace) = Make(propagation);
        RootfsSteps.MakeMountsPrivate(c);
        Assert.Equal(["mount NULL / NULL MS_REC|MS_SHARED NULL"], k.Calls);
        Assert.Equal("step make / recursively shared", trace.Lines.Single());
    }

    [Fact]
    public void Step1b_MakesTheSharedMountHoldingTheRootfsPrivate()
    {
        var (k, c, trace) = Make("rshared", Root, Bundle("shared:7 "));
        RootMountSteps.MakeRootfsParentPrivate(c);
        Assert.Equal([$"mount NULL {_bundle} NULL MS_PRIVATE NULL"], k.Calls);
        Assert.Equal($"step make {_bundle}, the mount holding the rootfs, private", trace.Lines.Single());
    }

    [Fact]
    public void Step1b_TheHoldingMountIsTheLongestParent_EvenWhenItIsSlash()
    {
        var (k, c, _) = Make("shared", Root, "31 20 0:41 / /srv rw shared:8 - tmpfs tmpfs rw");
        RootMountSteps.MakeRootfsParentPrivate(c);
        Assert.Equal(["mount NULL / NULL MS_PRIVATE NULL"], k.Calls);
    }

    [Fact]
    public void Step1b_ANotSharedHoldingMountIsLeftAlone_WithANote()
    {
        var (k, c, trace) = Make("rshared", Root, Bundle("master:3 "));
        RootMountSteps.MakeRootfsParentPrivate(c);
        Assert.Empty(k.Calls);
        Assert.Equal($"{_bundle}, the mount holding the rootfs, is not shared: nothing to cut", trace.Lines.Single());
    }

    [Fact]
    public void Step1b_ARootfsMountedAlready_ItsParentThenItself()
    {
        // a bundle whose rootfs is a mount point (containerd mounts it before create; MiniRun's
        // runtime with a user namespace): both the parent and the rootfs mount must not be shared
        var (k, c, _) = Make("rshared", Root, Bundle("shared:7 "), $"40 30 0:50 / {Rootfs} rw shared:9 - overlay overlay rw");
        RootMountSteps.MakeRootfsParentPrivate(c);
        Assert.Equal([$"mount NULL {_bundle} NULL MS_PRIVATE NULL", $"mount NULL {Rootfs} NULL MS_PRIVATE NULL"], k.Calls);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("rprivate")]
    [InlineData("rslave")]
    [InlineData("unbindable")]
    public void Step1b_OnlyWithSlashShared_NoMountinfoRead(string? propagation)
    {
        var (k, c, trace) = Make(propagation);   // no mountinfo in the fake: reading it would throw
        RootMountSteps.MakeRootfsParentPrivate(c);
        Assert.Empty(k.Calls);
        Assert.Empty(trace.Lines);
    }

    [Fact]
    public void Step1b_NoMountinfo_IsAnErrorNamingTheFile()
    {
        var (_, c, _) = Make("rshared");
        var e = Assert.Throws<MiniRun.Runtime.RuntimeException>(() => RootMountSteps.MakeRootfsParentPrivate(c));
        Assert.StartsWith("read /proc/self/mountinfo", e.Message);
    }

    [Fact]
    public void PivotRoot_SlavesAndDetachesTheOldRootFromItself_NotTheNewRoot()
    {
        // after pivot_root(".", ".") "." is still the new root for mount(2): MS_REC there would turn
        // the container's shared bind mounts into slaves. The old root is opened first, then fchdir.
        var (k, c, _) = Make("rshared");
        PivotRootStep.Run(c);
        Assert.Equal([$"chdir {Rootfs}", "pivot_root . .", "fchdir /", "mount NULL . NULL MS_REC|MS_SLAVE NULL",
            $"umount2 . {MiniRun.Kernel.Libc.MNT_DETACH}", "chdir /"], k.Calls);
        Assert.Equal(["/"], k.NoFollowOpens);
        Assert.Empty(k.OpenFds);   // the old root's descriptor is closed again
    }

    [Fact]
    public void TheWholeInit_SharedTree_PrivateParent_Rootfs_PivotRoot_SharedRoot()
    {
        var image = new MiniImage.Oci.ImageConfig { Config = new MiniImage.Oci.ContainerConfig { Cmd = ["sh"], Env = ["PATH=/bin"] } };
        var spec = SpecGenerator.Generate(image, new RunOptions { Image = "busybox" }, new string('b', 64), ["/l/base"], _bundle, _ => null, appArmor: MiniRun.Security.NoAppArmorHost.Instance);
        spec.Linux.Seccomp = null;
        spec.Linux.RootfsPropagation = "rshared";
        var k = new FakeKernel();
        k.Files["/proc/self/mountinfo"] = Root + "\n" + Bundle("shared:7 ") + "\n";
        k.Files["/etc/passwd"] = "root:x:0:0:root:/root:/bin/sh\n";
        k.Files["/etc/group"] = "root:x:0:\n";
        k.Executables.Add("/bin/sh");
        k.Paths.Add("/bin/sh");
        var c = new InitContext { Spec = spec, BundleDir = _bundle, Kernel = k, Trace = NullTrace.Instance, Env = new(spec.Process.Env) };
        Assert.Throws<FakeKernel.ExecReached>(() => InitProcess.Run(c));

        int shared = k.Calls.IndexOf("mount NULL / NULL MS_REC|MS_SHARED NULL");
        int parent = k.Calls.IndexOf($"mount NULL {_bundle} NULL MS_PRIVATE NULL");
        int overlay = k.Calls.FindIndex(x => x.StartsWith($"mount overlay {Rootfs} overlay", StringComparison.Ordinal));
        int pivot = k.Calls.IndexOf("pivot_root . .");
        int rootShared = k.Calls.LastIndexOf("mount NULL / NULL MS_REC|MS_SHARED NULL");
        Assert.True(shared >= 0 && shared < parent && parent < overlay && overlay < pivot && pivot < rootShared,
            string.Join('\n', k.Calls));
        Assert.DoesNotContain("mount NULL / NULL MS_REC|MS_PRIVATE NULL", k.Calls);   // never cut from the host first
    }
}
