// SpecMountOptionsTests: config.json's filesystem fields through the kernel fake - every mount
// option family (bind/rbind, ro/rw, nosuid, nodev, noexec, atime words, sync, propagation,
// filesystem data), the bind remount that keeps the mount's own flags, targets behind symlinks,
// linux.rootfsPropagation, root.readonly and linux.devices: exact calls, exact order.
using MiniRun.Init;
using MiniRun.Kernel;
using MiniRun.Spec;
using MiniRun.Trace;

namespace MiniRun.Tests.Init;

public sealed class SpecMountOptionsTests : IDisposable
{
    private readonly string _bundle = Directory.CreateTempSubdirectory("minirun-mountopts-").FullName;
    private string Rootfs => Path.Combine(_bundle, "rootfs");

    public SpecMountOptionsTests() => Directory.CreateDirectory(Rootfs);
    public void Dispose() => Directory.Delete(_bundle, recursive: true);

    private (FakeKernel Kernel, InitContext Context) Make(RuntimeSpec? spec = null)
    {
        var k = new FakeKernel();
        spec ??= new RuntimeSpec { Process = { Args = ["true"] } };
        return (k, new InitContext { Spec = spec, BundleDir = _bundle, Kernel = k, Trace = NullTrace.Instance });
    }

    /// <summary>The calls for one mount, without the mkdirs that make its target.</summary>
    private List<string> MountCalls(SpecMount m, Action<FakeKernel>? setup = null)
    {
        var (k, c) = Make();
        k.Directories.Add("/host/dir");
        setup?.Invoke(k);
        SpecMountSteps.MountOne(c, m);
        return k.Calls.Where(x => !x.StartsWith("mkdir ", StringComparison.Ordinal)).ToList();
    }

    private static SpecMount Tmpfs(params string[] options) =>
        new() { Destination = "/data", Type = "tmpfs", Source = "tmpfs", Options = [.. options] };

    private SpecMount Bind(params string[] options) =>
        new() { Destination = "/data", Source = "/host/dir", Options = [.. options] };

    [Theory]
    [InlineData(new[] { "ro" }, "MS_RDONLY")]
    [InlineData(new[] { "nosuid", "nodev", "noexec" }, "MS_NOSUID|MS_NODEV|MS_NOEXEC")]
    [InlineData(new[] { "nosuid", "suid" }, "0")]
    [InlineData(new[] { "noatime" }, "MS_NOATIME")]
    [InlineData(new[] { "relatime" }, "MS_RELATIME")]
    [InlineData(new[] { "strictatime" }, "MS_STRICTATIME")]
    [InlineData(new[] { "noatime", "relatime" }, "MS_RELATIME")]
    [InlineData(new[] { "nodiratime", "relatime" }, "MS_NODIRATIME|MS_RELATIME")]
    [InlineData(new[] { "sync", "dirsync" }, "MS_SYNCHRONOUS|MS_DIRSYNC")]
    [InlineData(new[] { "ro", "rw", "dev", "exec" }, "0")]
    public void NonBindFlagsGoIntoTheOneMountCall(string[] options, string flags) =>
        Assert.Equal([$"mount tmpfs {Rootfs}/data tmpfs {flags} NULL"], MountCalls(Tmpfs(options)));

    [Fact]
    public void FilesystemDataIsPassedThroughInOrder() =>
        Assert.Equal([$"mount tmpfs {Rootfs}/data tmpfs MS_NOSUID size=1m,mode=1777,uid=5,gid=6"],
            MountCalls(Tmpfs("size=1m", "nosuid", "mode=1777", "uid=5", "gid=6")));

    [Theory]
    [InlineData("private", "MS_PRIVATE")] [InlineData("rprivate", "MS_REC|MS_PRIVATE")]
    [InlineData("shared", "MS_SHARED")] [InlineData("rshared", "MS_REC|MS_SHARED")]
    [InlineData("slave", "MS_SLAVE")] [InlineData("rslave", "MS_REC|MS_SLAVE")]
    [InlineData("unbindable", "MS_UNBINDABLE")] [InlineData("runbindable", "MS_REC|MS_UNBINDABLE")]
    public void PropagationIsASecondCallAfterTheMount(string word, string flags) =>
        Assert.Equal([$"mount tmpfs {Rootfs}/data tmpfs MS_NOEXEC NULL", $"mount NULL {Rootfs}/data NULL {flags} NULL"],
            MountCalls(Tmpfs("noexec", word)));

    [Fact]
    public void OnePropagationTypePerCallTheLastWins() =>
        Assert.Equal($"mount NULL {Rootfs}/data NULL MS_REC|MS_SLAVE NULL", MountCalls(Tmpfs("shared", "rslave")).Last());

    [Theory]
    [InlineData(new[] { "rro", "rnosuid" }, "MOUNT_ATTR_RDONLY|MOUNT_ATTR_NOSUID", "0")]
    [InlineData(new[] { "rro", "rrw" }, "0", "MOUNT_ATTR_RDONLY")]
    [InlineData(new[] { "rnodev", "rnoexec", "rnodiratime", "rnosymfollow" }, "MOUNT_ATTR_NODEV|MOUNT_ATTR_NOEXEC|MOUNT_ATTR_NODIRATIME|MOUNT_ATTR_NOSYMFOLLOW", "0")]
    [InlineData(new[] { "rsuid", "rdev", "rexec" }, "0", "MOUNT_ATTR_NOSUID|MOUNT_ATTR_NODEV|MOUNT_ATTR_NOEXEC")]
    [InlineData(new[] { "rnoatime" }, "MOUNT_ATTR_NOATIME", "MOUNT_ATTR__ATIME")]
    [InlineData(new[] { "rnoatime", "rstrictatime" }, "MOUNT_ATTR_STRICTATIME", "MOUNT_ATTR__ATIME")]
    [InlineData(new[] { "rnoatime", "rrelatime" }, "0", "MOUNT_ATTR__ATIME")]
    public void RecursiveWordsAreOneMountSetattrOverTheSubtreeBeforePropagation(string[] words, string set, string clear)
    {
        var calls = MountCalls(Bind(["rbind", .. words, "rslave"]));
        Assert.Equal([
            $"mount /host/dir {Rootfs}/data NULL MS_BIND|MS_REC NULL",
            $"mount_setattr {Rootfs}/data AT_RECURSIVE set={set} clr={clear}",
            $"mount NULL {Rootfs}/data NULL MS_REC|MS_SLAVE NULL",
        ], calls);
    }

    [Fact]
    public void PlainBindIsOneCallWithoutRemount() =>
        Assert.Equal([$"mount /host/dir {Rootfs}/data NULL MS_BIND NULL"], MountCalls(Bind("bind")));

    [Fact]
    public void RbindIsRecursiveAndTypeBindIsABindWithoutTheWord()
    {
        Assert.Equal([$"mount /host/dir {Rootfs}/data NULL MS_BIND|MS_REC NULL"], MountCalls(Bind("rbind")));
        var typed = new SpecMount { Destination = "/data", Type = "bind", Source = "/host/dir" };
        Assert.Equal([$"mount /host/dir {Rootfs}/data NULL MS_BIND NULL"], MountCalls(typed));
    }

    [Fact]
    public void ReadOnlyBindIsRemountedWithTheFlagsTheMountAlreadyHas()
    {
        // The source is on a nosuid,nodev,relatime filesystem: the remount keeps those, adds ro.
        var calls = MountCalls(Bind("rbind", "ro", "rprivate"), k => k.MountFlagsOf[$"{Rootfs}/data"] = Libc.MS_NOSUID | Libc.MS_NODEV | Libc.MS_RELATIME);
        Assert.Equal([
            $"mount /host/dir {Rootfs}/data NULL MS_BIND|MS_REC NULL",
            $"statvfs {Rootfs}/data MS_NOSUID|MS_NODEV|MS_RELATIME",
            $"mount NULL {Rootfs}/data NULL MS_RDONLY|MS_NOSUID|MS_NODEV|MS_REMOUNT|MS_BIND|MS_RELATIME NULL",
            $"mount NULL {Rootfs}/data NULL MS_REC|MS_PRIVATE NULL",
        ], calls);
    }

    [Fact]
    public void NosuidNodevNoexecBindIsRemounted() =>
        Assert.Equal($"mount NULL {Rootfs}/data NULL MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_REMOUNT|MS_BIND NULL",
            MountCalls(Bind("bind", "nosuid", "nodev", "noexec")).Last());

    [Fact]
    public void AnAtimeWordReplacesTheMountsAtimeMode() =>
        Assert.Equal($"mount NULL {Rootfs}/data NULL MS_NOSUID|MS_REMOUNT|MS_NOATIME|MS_BIND NULL",
            MountCalls(Bind("bind", "noatime"), k => k.MountFlagsOf[$"{Rootfs}/data"] = Libc.MS_NOSUID | Libc.MS_RELATIME).Last());

    [Fact]
    public void RwOnAReadOnlySourceIsRemountedWritable() =>
        Assert.Equal($"mount NULL {Rootfs}/data NULL MS_NODEV|MS_REMOUNT|MS_BIND NULL",
            MountCalls(Bind("bind", "rw"), k => k.MountFlagsOf[$"{Rootfs}/data"] = Libc.MS_RDONLY | Libc.MS_NODEV).Last());

    [Fact]
    public void FlagsTheMountAlreadyHasNeedNoRemount() =>
        Assert.Equal([$"mount /host/dir {Rootfs}/data NULL MS_BIND NULL", $"statvfs {Rootfs}/data MS_RDONLY|MS_NOSUID"],
            MountCalls(Bind("bind", "ro", "nosuid"), k => k.MountFlagsOf[$"{Rootfs}/data"] = Libc.MS_RDONLY | Libc.MS_NOSUID));

    [Fact]
    public void BindSourceRelativeToTheBundleAndFileTargetsAreTouched()
    {
        var calls = MountCalls(new SpecMount { Destination = "/etc/motd", Source = "files/motd", Options = ["bind", "ro"] });
        Assert.Equal($"touch {Rootfs}/etc/motd", calls[0]);
        Assert.Equal($"mount {_bundle}/files/motd {Rootfs}/etc/motd NULL MS_BIND NULL", calls[1]);
        Assert.Equal($"mount NULL {Rootfs}/etc/motd NULL MS_RDONLY|MS_REMOUNT|MS_BIND NULL", calls[3]);
    }

    [Fact]
    public void ADirectorySourceGetsADirectoryTarget()
    {
        var (k, c) = Make();
        k.Directories.Add("/host/dir");
        k.Paths.Add(Rootfs);
        SpecMountSteps.MountOne(c, Bind("bind"));
        Assert.Equal([$"mkdir {Rootfs}/data", $"mount /host/dir {Rootfs}/data NULL MS_BIND NULL"], k.Calls);
    }

    [Fact]
    public void ATargetBehindASymlinkLeavingTheRootfsStaysInside()
    {
        // The image's /data is a symlink to the host's /tmp: the mount lands on rootfs/tmp/x.
        File.CreateSymbolicLink(Path.Combine(Rootfs, "data"), "/../../../../../tmp");
        var calls = MountCalls(new SpecMount { Destination = "/data/x", Type = "tmpfs", Source = "tmpfs" });
        Assert.Equal([$"mount tmpfs {Rootfs}/tmp/x tmpfs 0 NULL"], calls);
    }

    [Fact]
    public void ARelativeDestinationIsRefusedEvenPastTheValidator()
    {
        var (k, c) = Make();
        Assert.Throws<InvalidDataException>(() => SpecMountSteps.MountOne(c, new SpecMount { Destination = "data", Type = "tmpfs" }));
        Assert.Empty(k.Calls);
    }

    // ---- linux.rootfsPropagation, root.readonly ----

    private static RuntimeSpec RootSpec(string? propagation = null, bool readOnly = false) => new()
    {
        Process = { Args = ["true"] },
        Root = { Path = "rootfs", Readonly = readOnly },
        Linux = { RootfsPropagation = propagation },
    };

    [Theory]
    [InlineData(null, "MS_REC|MS_PRIVATE")] [InlineData("private", "MS_REC|MS_PRIVATE")] [InlineData("shared", "MS_REC|MS_SHARED")]
    [InlineData("slave", "MS_REC|MS_SLAVE")] [InlineData("rslave", "MS_REC|MS_SLAVE")]
    public void TheCopiedMountsAreCutFromTheHostAsTheRootPropagationNeeds(string? propagation, string flags)
    {
        var (k, c) = Make(RootSpec(propagation));
        RootfsSteps.MakeMountsPrivate(c);
        Assert.Equal([$"mount NULL / NULL {flags} NULL"], k.Calls);
    }

    [Theory]
    [InlineData("shared", "MS_SHARED")] [InlineData("rshared", "MS_REC|MS_SHARED")]
    [InlineData("slave", "MS_SLAVE")] [InlineData("rslave", "MS_REC|MS_SLAVE")]
    [InlineData("private", "MS_PRIVATE")] [InlineData("rprivate", "MS_REC|MS_PRIVATE")]
    [InlineData("unbindable", "MS_UNBINDABLE")] [InlineData("runbindable", "MS_REC|MS_UNBINDABLE")]
    public void RootfsPropagationIsSetOnTheNewRootAfterPivotRoot(string propagation, string flags)
    {
        var (k, c) = Make(RootSpec(propagation));
        PivotRootStep.Run(c);
        RootMountSteps.SetPropagation(c);
        Assert.Equal($"mount NULL / NULL {flags} NULL", k.Calls.Last());
        Assert.True(k.Calls.IndexOf("pivot_root . .") < k.Calls.Count - 1);
    }

    [Fact]
    public void NoRootfsPropagationNoCall()
    {
        var (k, c) = Make(RootSpec());
        RootMountSteps.SetPropagation(c);
        RootMountSteps.MakeReadonly(c);
        Assert.Empty(k.Calls);
    }

    [Fact]
    public void ReadonlyRootIsRemountedKeepingItsFlags()
    {
        var (k, c) = Make(RootSpec(readOnly: true));
        k.MountFlagsOf["/"] = Libc.MS_NOSUID | Libc.MS_NODEV | Libc.MS_RELATIME;
        RootMountSteps.MakeReadonly(c);
        Assert.Equal(["statvfs / MS_NOSUID|MS_NODEV|MS_RELATIME", "mount NULL / NULL MS_RDONLY|MS_NOSUID|MS_NODEV|MS_REMOUNT|MS_BIND|MS_RELATIME NULL"], k.Calls);
    }

    [Fact]
    public void InTheFullStepListTheReadonlyRemountFollowsTheWorkdirAndPrecedesTheUserSwitch()
    {
        var spec = RootSpec("rshared", readOnly: true);
        spec.Process.Cwd = "/work";
        var (k, c) = Make(spec);
        k.Executables.Add("/bin/true");
        k.Paths.Add("/bin/true");
        k.Files["/etc/passwd"] = "root:x:0:0:root:/root:/bin/sh\n";
        k.Files["/etc/group"] = "root:x:0:\n";
        k.Files["/proc/self/mountinfo"] = "20 1 8:1 / / rw shared:1 - ext4 /dev/sda1 rw\n";   // rshared: step 1b reads it
        c.Env = ["PATH=/bin"];
        Assert.Throws<FakeKernel.ExecReached>(() => InitProcess.Run(c));
        int pivot = k.Calls.IndexOf("pivot_root . ."), shared = k.Calls.LastIndexOf("mount NULL / NULL MS_REC|MS_SHARED NULL");
        int mkdir = k.Calls.IndexOf("mkdir /work"), ro = k.Calls.FindIndex(x => x.StartsWith("mount NULL / NULL MS_RDONLY"));
        int uid = k.Calls.FindIndex(x => x.StartsWith("setresuid"));
        Assert.True(pivot < shared && shared < mkdir && mkdir < ro && ro < uid, string.Join('\n', k.Calls));
    }

    // ---- linux.devices ----

    private RuntimeSpec DeviceSpec(params SpecDevice[] devices) => new()
    {
        Process = { Args = ["true"] },
        Linux = { Devices = [.. devices] },
    };

    [Fact]
    public void SpecDevicesAreMadeWithModeAndOwnerAfterTheDefaults()
    {
        var (k, c) = Make(DeviceSpec(
            new SpecDevice { Type = "c", Path = "/dev/testnull", Major = 1, Minor = 3, FileMode = 0x1a0 /*0640*/, Uid = 1000, Gid = 5 },
            new SpecDevice { Type = "b", Path = "/dev/disk/testblk", Major = 7, Minor = 0 },
            new SpecDevice { Type = "p", Path = "/run/fifo", FileMode = 0x180 /*0600*/, Gid = 7 }));
        DeviceSteps.CreateDevices(c);
        var calls = k.Calls.SkipWhile(x => !x.Contains("testnull")).TakeWhile(x => !x.StartsWith("symlink")).ToList();
        Assert.Equal([
            $"mknod {Rootfs}/dev/testnull 1:3", $"chmod {Rootfs}/dev/testnull 640", $"chown {Rootfs}/dev/testnull 1000:5",
            $"mkdir {Rootfs}/dev/disk", $"mknod {Rootfs}/dev/disk/testblk 7:0", $"chmod {Rootfs}/dev/disk/testblk 666",
            $"mkdir {Rootfs}/run", $"mknod {Rootfs}/run/fifo 0:0", $"chmod {Rootfs}/run/fifo 600", $"chown {Rootfs}/run/fifo -1:7",
        ], calls.Where(x => !x.StartsWith($"mkdir {Rootfs}/dev ") && x != $"mkdir {Rootfs}/dev"));
        Assert.True(k.Calls.IndexOf($"mknod {Rootfs}/dev/tty 5:0") < k.Calls.IndexOf($"mknod {Rootfs}/dev/testnull 1:3"));
    }

    [Fact]
    public void ASpecDeviceAtADefaultPathReplacesTheDefault()
    {
        var (k, c) = Make(DeviceSpec(new SpecDevice { Type = "c", Path = "/dev/null", Major = 1, Minor = 5, FileMode = 0x1b6 }));
        DeviceSteps.CreateDevices(c);
        Assert.Equal([$"mknod {Rootfs}/dev/null 1:5"], k.Calls.Where(x => x.StartsWith($"mknod {Rootfs}/dev/null")));
    }

    [Fact]
    public void ADeviceOverAnExistingFileIsAnError()
    {
        Directory.CreateDirectory(Path.Combine(Rootfs, "etc"));
        var (k, c) = Make(DeviceSpec(new SpecDevice { Type = "c", Path = "/etc/passwd", Major = 1, Minor = 3 }));
        k.Paths.Add($"{Rootfs}/etc/passwd");
        var e = Assert.Throws<InvalidDataException>(() => DeviceSteps.CreateDevices(c));
        Assert.Equal("linux.devices: /etc/passwd already exists in the container", e.Message);
        Assert.DoesNotContain(k.Calls, x => x.Contains("/etc/passwd"));
    }

    [Fact]
    public void InAUserNamespaceADeviceIsTheHostsNodeBindMounted()
    {
        var spec = DeviceSpec(new SpecDevice { Type = "c", Path = "/dev/testzero", Major = 1, Minor = 5 }, new SpecDevice { Type = "p", Path = "/dev/fifo" });
        spec.Linux.Namespaces.Add(new SpecNamespace { Type = "user" });
        var (k, c) = Make(spec);
        DeviceSteps.CreateDevices(c);
        Assert.Contains($"mount /dev/testzero {Rootfs}/dev/testzero NULL MS_BIND NULL", k.Calls);
        Assert.Contains($"mknod {Rootfs}/dev/fifo 0:0", k.Calls);   // a FIFO needs no privilege
    }
}
