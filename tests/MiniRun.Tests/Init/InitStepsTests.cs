// InitStepsTests: the init stage's kernel calls, in order, through the replaceable seam.
using MiniRun.Init;
using MiniRun.Kernel;
using MiniRun.Spec;
using MiniRun.Trace;

namespace MiniRun.Tests.Init;

public sealed class InitStepsTests : IDisposable
{
    private readonly string _bundle = Directory.CreateTempSubdirectory("minirun-init-").FullName;
    public void Dispose() => Directory.Delete(_bundle, recursive: true);

    private RuntimeSpec Spec(bool terminal = false, string user = "", string cwd = "/")
    {
        var image = new MiniImage.Oci.ImageConfig { Config = new MiniImage.Oci.ContainerConfig { Cmd = ["sh"], Env = ["PATH=/usr/bin:/bin"] } };
        var spec = SpecGenerator.Generate(image, new RunOptions { Image = "busybox", Tty = terminal, User = user, Workdir = cwd },
            new string('a', 64), ["/store/layers/base", "/store/layers/top"], _bundle, _ => null, appArmor: MiniRun.Security.NoAppArmorHost.Instance);
        return spec;
    }

    private (FakeKernel Kernel, InitContext Context) Make(RuntimeSpec spec)
    {
        var k = new FakeKernel();
        k.Files["/etc/passwd"] = "root:x:0:0:root:/root:/bin/sh\nstudent:x:1000:1000::/home/student:/bin/sh\n";
        k.Files["/etc/group"] = "root:x:0:\nstaff:x:50:student\nstudent:x:1000:\n";
        k.Executables.Add("/bin/sh");
        k.Paths.Add("/bin/sh");
        var c = new InitContext { Spec = spec, BundleDir = _bundle, Kernel = k, Trace = NullTrace.Instance, Env = new(spec.Process.Env) };
        return (k, c);
    }

    private static int IndexOf(FakeKernel k, string prefix)
    {
        int i = k.Calls.FindIndex(c => c.StartsWith(prefix, StringComparison.Ordinal));
        Assert.True(i >= 0, $"no call starting with \"{prefix}\" in:\n{string.Join('\n', k.Calls)}");
        return i;
    }

    [Fact]
    public void StepsRunInTheDocumentedOrder()
    {
        var (k, c) = Make(Spec());
        k.Paths.Add("/proc/kcore");
        Assert.Throws<FakeKernel.ExecReached>(() => InitProcess.Run(c));
        string rootfs = Path.Combine(_bundle, "rootfs");
        Assert.Equal("unshare CLONE_NEWCGROUP", k.Calls[0]);
        Assert.Equal("mount NULL / NULL MS_REC|MS_PRIVATE NULL", k.Calls[1]);
        Assert.Equal($"mount overlay {rootfs} overlay 0 lowerdir=/store/layers/top:/store/layers/base,upperdir={_bundle}/upper,workdir={_bundle}/work", k.Calls[2]);
        int proc = IndexOf(k, $"mount proc {rootfs}/proc proc MS_NOSUID|MS_NODEV|MS_NOEXEC");
        int sys = IndexOf(k, $"mount sysfs {rootfs}/sys sysfs MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC");
        int dev = IndexOf(k, $"mount tmpfs {rootfs}/dev tmpfs");
        int pts = IndexOf(k, $"mount devpts {rootfs}/dev/pts devpts MS_NOSUID|MS_NOEXEC newinstance,ptmxmode=0666,mode=0620,gid=5");
        int hosts = IndexOf(k, $"mount {_bundle}/hosts {rootfs}/etc/hosts NULL MS_BIND");
        int nullDev = IndexOf(k, $"mknod {rootfs}/dev/null 1:3");
        int chdir = IndexOf(k, $"chdir {rootfs}");
        int pivot = IndexOf(k, "pivot_root . .");
        int fchdir = IndexOf(k, "fchdir /");   // the old root, opened before pivot_root
        int slave = IndexOf(k, "mount NULL . NULL MS_REC|MS_SLAVE NULL");
        int umount = IndexOf(k, $"umount2 . {Libc.MNT_DETACH}");
        int mask = IndexOf(k, "mount /dev/null /proc/kcore NULL MS_BIND");
        int host = IndexOf(k, "sethostname aaaaaaaaaaaa");
        int lo = IndexOf(k, "ifup lo");
        int gid = IndexOf(k, "setresgid 0");
        int uid = IndexOf(k, "setresuid 0");
        int closeRange = IndexOf(k, "close_range 3");
        int exec = IndexOf(k, "execve /bin/sh [sh]");
        Assert.True(proc < dev && dev < pts && pts < hosts && hosts < nullDev && nullDev < chdir, "mounts, then devices, before pivot_root");
        Assert.True(sys > proc && sys < hosts);
        Assert.True(chdir < pivot && pivot < fchdir && fchdir < slave && slave < umount, "pivot_root(\".\", \".\"), into the old root, make it a slave, detach it");
        Assert.Contains("/", k.NoFollowOpens);
        Assert.True(umount < mask && mask < host && host < lo && lo < gid && gid < uid && uid < closeRange && closeRange < exec);
        Assert.Equal(exec, k.Calls.Count - 1);
    }

    [Fact]
    public void MaskedPathsAreSkippedWhenAbsentAndFollowMaskRules()
    {
        var (k, c) = Make(Spec());
        k.Directories.Add("/proc/acpi");
        k.Paths.Add("/proc/acpi");
        Assert.Throws<FakeKernel.ExecReached>(() => InitProcess.Run(c));
        Assert.Contains("mount tmpfs /proc/acpi tmpfs MS_RDONLY NULL", k.Calls);
        Assert.DoesNotContain(k.Calls, x => x.Contains("/proc/asound"));
    }

    [Fact]
    public void UserSwitchResolvesNamesInTheImageAndSetsHome()
    {
        var (k, c) = Make(Spec(user: "student"));
        Assert.Throws<FakeKernel.ExecReached>(() => InitProcess.Run(c));
        int groups = IndexOf(k, "setgroups [1000,50]");
        Assert.True(groups < IndexOf(k, "setresgid 1000") && IndexOf(k, "setresgid 1000") < IndexOf(k, "setresuid 1000"));
        Assert.Contains("HOME=/home/student", k.Calls.Last());
    }

    [Fact]
    public void UnknownUserIs125WithDockersWording()
    {
        var (_, c) = Make(Spec(user: "ghost"));
        var e = Assert.Throws<InitFailure>(() => InitProcess.Run(c));
        Assert.Equal(125, e.ExitCode);
        Assert.Contains("unable to find user ghost", e.Message);
    }

    [Fact]
    public void TerminalBecomesControllingTerminalAndStdio()
    {
        var (k, c) = Make(Spec(terminal: true));
        int sent = -1;
        c = new InitContext { Spec = c.Spec, BundleDir = c.BundleDir, Kernel = k, Trace = NullTrace.Instance, Env = c.Env, SendTerminalMaster = fd => sent = fd };
        Assert.Throws<FakeKernel.ExecReached>(() => InitProcess.Run(c));
        Assert.Equal(100, sent);
        int ctty = IndexOf(k, "setctty 101");
        Assert.True(IndexOf(k, "pivot_root") < IndexOf(k, "openpty"));
        Assert.True(ctty < IndexOf(k, "dup2 101 0") && IndexOf(k, "dup2 101 2") < IndexOf(k, "setresuid"));
    }

    [Fact]
    public void CommandNotInPathIs127()
    {
        var spec = Spec();
        spec.Process.Args = ["nope"];
        var (_, c) = Make(spec);
        var e = Assert.Throws<InitFailure>(() => InitProcess.Run(c));
        Assert.Equal(127, e.ExitCode);
        Assert.Equal("exec: \"nope\": executable file not found in $PATH", e.Message);
    }

    [Fact]
    public void NonExecutableFileIs126()
    {
        var spec = Spec();
        spec.Process.Args = ["/etc/passwd"];
        var (_, c) = Make(spec);
        var e = Assert.Throws<InitFailure>(() => InitProcess.Run(c));
        Assert.Equal(126, e.ExitCode);
    }

    [Fact]
    public void FailingStepIsNamedInTheError()
    {
        var (k, c) = Make(Spec());
        k.FailOn = $"mount proc";
        var e = Assert.Throws<KernelException>(() => InitProcess.Run(c));
        var (code, message) = InitProcess.Describe(e, c.CurrentStep);
        Assert.Equal(125, code);
        Assert.Equal($"init step \"mount proc on /proc\": mount proc on {_bundle}/rootfs/proc: Operation not permitted (EPERM)", message);
        Assert.DoesNotContain(k.Calls, x => x.StartsWith("pivot_root"));
    }

    [Fact]
    public void PlainBundleWithoutOverlayIsBindMountedOntoItself()
    {
        var spec = Spec();
        spec.Linux.Overlay = null;
        var (k, c) = Make(spec);
        Assert.Throws<FakeKernel.ExecReached>(() => InitProcess.Run(c));
        string rootfs = Path.Combine(_bundle, "rootfs");
        Assert.Equal($"mount {rootfs} {rootfs} NULL MS_BIND|MS_REC NULL", k.Calls[2]);
    }

    [Fact]
    public void HostnameWithoutUtsNamespaceIsRefused()
    {
        var spec = Spec();
        spec.Linux.Namespaces.RemoveAll(n => n.Type == "uts");
        var (_, c) = Make(spec);
        Assert.Throws<InvalidDataException>(() => InitProcess.Run(c));
    }

    [Fact]
    public void OverlayOptionsRefuseSeparatorsInPaths() =>
        Assert.Throws<ArgumentException>(() => RootfsSteps.OverlayData(["/a:b"], "/u", "/w"));
}
