// FilesystemSpecTests: config.json's filesystem fields observed inside real containers started
// from hand-made bundles (BundleRunner.Bundle): a read-only nosuid/nodev/noexec bind mount of a host
// directory, a tmpfs with size= and mode=, a read-only root, the root's propagation in
// mountinfo, device nodes from linux.devices, a mount target behind a symlink that points out
// of the rootfs, and a refused config that creates nothing.
//
// Harmless if a protection fails: the host directory is a temp one made here, the devices are
// /dev/null's and /dev/zero's numbers under new names, inside the container's own tmpfs /dev.
using MiniRun.Spec;

namespace MiniRun.Tests.Integration;

public sealed class FilesystemSpecTests : IDisposable
{
    private readonly BundleRunner.Bundle _bundle = new();
    private readonly string _hostDir = Directory.CreateTempSubdirectory("minirun-hostdir-").FullName;

    public void Dispose()
    {
        _bundle.Dispose();
        Directory.Delete(_hostDir, recursive: true);
    }

    /// <summary>`sh -c script` in BundleRunner's default bundle spec.</summary>
    private static RuntimeSpec Spec(string script) => BundleRunner.Spec("sh", "-c", script);

    private RunResult Run(RuntimeSpec spec)
    {
        var r = _bundle.Run(spec);
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stderr}\n{r.Stdout}");
        return r;
    }

    [Fact]
    public void ReadOnlyBindMountOfAHostDirectory()
    {
        File.WriteAllText(Path.Combine(_hostDir, "f"), "host");
        var spec = Spec("cat /mnt/host/f; echo; echo changed > /mnt/host/f; echo write=$?; touch /mnt/host/new; echo touch=$?; " +
            "awk '$2 == \"/mnt/host\" { print $4 }' /proc/mounts");
        spec.Mounts.Add(new SpecMount { Destination = "/mnt/host", Type = "bind", Source = _hostDir, Options = ["rbind", "ro", "nosuid", "nodev", "noexec", "rprivate"] });
        var r = Run(spec);
        var lines = r.Stdout.Split('\n');
        Assert.Equal("host", lines[0]);
        Assert.Equal("write=1", lines[1]);
        Assert.Equal("touch=1", lines[2]);
        Assert.Contains("Read-only file system", r.Stderr);
        var options = lines[3].Split(',');
        Assert.Contains("ro", options);
        Assert.Contains("nosuid", options);
        Assert.Contains("nodev", options);
        Assert.Contains("noexec", options);
        Assert.Equal("host", File.ReadAllText(Path.Combine(_hostDir, "f")));
        Assert.Equal(["f"], Directory.GetFileSystemEntries(_hostDir).Select(Path.GetFileName));
    }

    [Fact]
    public void RroMakesEverySubmountReadOnlyWhereRoStopsAtTheTop()
    {
        // /mnt/a (tmpfs) with /mnt/a/b (tmpfs) below; two rbinds of it (source relative to the
        // bundle: rootfs/mnt/a, seen before pivot_root): one "ro", one "rro".
        var spec = Spec("for d in /mnt/ro /mnt/ro/b /mnt/rro /mnt/rro/b; do touch $d/x 2>/dev/null; echo $d=$?; done");
        spec.Mounts.Add(new SpecMount { Destination = "/mnt/a", Type = "tmpfs", Source = "tmpfs" });
        spec.Mounts.Add(new SpecMount { Destination = "/mnt/a/b", Type = "tmpfs", Source = "tmpfs" });
        spec.Mounts.Add(new SpecMount { Destination = "/mnt/ro", Source = "rootfs/mnt/a", Options = ["rbind", "ro"] });
        spec.Mounts.Add(new SpecMount { Destination = "/mnt/rro", Source = "rootfs/mnt/a", Options = ["rbind", "rro"] });
        Assert.Equal(["/mnt/ro=1", "/mnt/ro/b=0", "/mnt/rro=1", "/mnt/rro/b=1"], Run(spec).Stdout.Trim().Split('\n'));
    }

    [Fact]
    public void BindSourceRelativeToTheBundleIsWritableByDefault()
    {
        Directory.CreateDirectory(Path.Combine(_bundle.Dir, "shared"));
        var spec = Spec("echo inside > /data/out && echo ok");
        spec.Mounts.Add(new SpecMount { Destination = "/data", Source = "shared", Options = ["bind"] });
        Assert.Equal("ok", Run(spec).Stdout.Trim());
        Assert.Equal("inside\n", File.ReadAllText(Path.Combine(_bundle.Dir, "shared/out")));
    }

    [Fact]
    public void TmpfsWithSizeAndMode()
    {
        var spec = Spec("stat -c %a /scratch; awk '$2 == \"/scratch\" { print $4 }' /proc/mounts; " +
            "dd if=/dev/zero of=/scratch/f bs=1024 count=2048 2>/dev/null; echo dd=$?");
        spec.Mounts.Add(new SpecMount { Destination = "/scratch", Type = "tmpfs", Source = "tmpfs", Options = ["nosuid", "nodev", "size=1m", "mode=1770"] });
        var lines = Run(spec).Stdout.Split('\n');
        Assert.Equal("1770", lines[0]);
        Assert.Contains("size=1024k", lines[1].Split(','));
        Assert.Contains("nosuid", lines[1].Split(','));
        Assert.Equal("dd=1", lines[2]);   // 2 MiB do not fit in 1 MiB
    }

    [Fact]
    public void ReadOnlyRoot()
    {
        var spec = Spec("touch /x; echo touch=$?; awk '$2 == \"/\" { print $4 }' /proc/mounts | tail -1; echo ok > /dev/shm-test && echo dev=ok");
        spec.Root.Readonly = true;
        var r = Run(spec);
        var lines = r.Stdout.Split('\n');
        Assert.Equal("touch=1", lines[0]);
        Assert.Contains("Read-only file system", r.Stderr);
        Assert.StartsWith("ro,", lines[1]);
        Assert.Equal("dev=ok", lines[2]);   // the tmpfs /dev on top stays writable
        Assert.False(File.Exists(Path.Combine(_bundle.Rootfs, "x")));
    }

    [Theory]
    [InlineData("shared", "shared:")]
    [InlineData("rslave", "master:")]
    [InlineData("unbindable", "unbindable")]
    [InlineData("private", null)]
    public void RootfsPropagationShowsInMountinfo(string propagation, string? tag)
    {
        // mountinfo(5): field 5 is the mount point, then options, then the optional propagation fields up to "-".
        var spec = Spec("awk '$5 == \"/\" { s = \"\"; for (i = 7; $i != \"-\"; i++) s = s $i \" \"; print \"[\" s \"]\" }' /proc/self/mountinfo | tail -1");
        spec.Linux.RootfsPropagation = propagation;
        // A slave needs a master: only when the host's / is shared (systemd) does rslave show one.
        bool hostShared = File.ReadAllLines("/proc/self/mountinfo").Any(l => l.Split(' ')[4] == "/" && l.Contains(" shared:"));
        if (propagation == "rslave" && !hostShared) tag = null;
        string fields = Run(spec).Stdout.Trim();
        if (tag is null) Assert.Equal("[]", fields);
        else Assert.Contains(tag, fields);
    }

    [Fact]
    public void DevicesFromTheSpecWorkInside()
    {
        var spec = Spec("echo hello > /dev/testnull && echo null=ok; head -c 3 /dev/testzero | od -An -tx1; " +
            "stat -c '%a %u %g %t %T %F' /dev/testnull; stat -c '%a %F' /dev/fifo");
        spec.Linux.Devices =
        [
            new SpecDevice { Type = "c", Path = "/dev/testnull", Major = 1, Minor = 3, FileMode = 0x190 /*0620*/, Uid = 1000, Gid = 5 },
            new SpecDevice { Type = "c", Path = "/dev/testzero", Major = 1, Minor = 5 },
            new SpecDevice { Type = "p", Path = "/dev/fifo", FileMode = 0x180 /*0600*/ },
        ];
        var lines = Run(spec).Stdout.Split('\n').Select(l => l.Trim()).ToArray();
        Assert.Equal("null=ok", lines[0]);
        Assert.Equal("00 00 00", lines[1]);
        Assert.Equal("620 1000 5 1 3 character special file", lines[2]);
        Assert.Equal("600 fifo", lines[3]);
    }

    [Fact]
    public void AMountTargetBehindASymlinkOutOfTheRootfsStaysInside()
    {
        // The image's /escape points at the host's temp directory (absolute, and with ".."):
        // resolved inside the rootfs, the tmpfs lands on rootfs/<that path>, never on the host's.
        File.CreateSymbolicLink(Path.Combine(_bundle.Rootfs, "escape"), "/../../../.." + _hostDir);
        var spec = Spec("echo inside > /escape/sub/f && cat /escape/sub/f");
        spec.Mounts.Add(new SpecMount { Destination = "/escape/sub", Type = "tmpfs", Source = "tmpfs" });
        Assert.Equal("inside", Run(spec).Stdout.Trim());
        Assert.Empty(Directory.GetFileSystemEntries(_hostDir));
        Assert.True(Directory.Exists(Path.Combine(_bundle.Rootfs, _hostDir.TrimStart('/'), "sub")));
    }

    [Fact]
    public void ARefusedConfigCreatesNothing()
    {
        var spec = Spec("true");
        spec.Mounts.Add(new SpecMount { Destination = "relative", Type = "tmpfs" });
        var e = Assert.Throws<InvalidDataException>(() => _bundle.Run(spec));
        Assert.Equal($"config.json: mounts[{spec.Mounts.Count - 1}].destination \"relative\" is not an absolute path", e.Message);
    }

    [Fact]
    public void InAUserNamespaceRemountsKeepTheLockedFlags()
    {
        // Mounts copied into a mount namespace of a new user namespace are locked: a remount that
        // dropped their relatime or nosuid would fail with EPERM. Both remounts read the flags first.
        File.WriteAllText(Path.Combine(_hostDir, "f"), "host");
        var spec = Spec("cat /mnt/host/f; echo; touch /x; echo touch=$?; echo x > /mnt/host/f; echo write=$?; " +
            "cat /proc/self/uid_map | tr -s ' '; echo hi > /dev/null && echo null=ok");
        spec.Root.Readonly = true;
        spec.Mounts.Add(new SpecMount { Destination = "/mnt/host", Type = "bind", Source = _hostDir, Options = ["rbind", "ro", "nosuid"] });
        spec.Linux.Namespaces.Add(new SpecNamespace { Type = "user" });
        spec.Linux.UidMappings = [new SpecIdMapping { ContainerId = 0, HostId = 0, Size = 65536 }];
        spec.Linux.GidMappings = [new SpecIdMapping { ContainerId = 0, HostId = 0, Size = 65536 }];
        // mknod is refused in a user namespace: a spec device is the host's node at the same path, bind-mounted.
        spec.Linux.Devices = [new SpecDevice { Type = "c", Path = "/dev/null", Major = 1, Minor = 3 }];
        var lines = Run(spec).Stdout.Split('\n').Select(l => l.Trim()).ToArray();
        Assert.Equal(["host", "touch=1", "write=1", "0 0 65536", "null=ok"], lines[..5]);
        Assert.Equal("host", File.ReadAllText(Path.Combine(_hostDir, "f")));
    }
}
