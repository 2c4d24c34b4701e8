// ContainerFactsTests: what a student can observe inside a real container from the fixture:
// PID 1, the hostname, invisible host processes, new namespaces, only `lo`, an overlay root,
// copy-on-write, environment, working directory, users, and no leaked descriptors or mounts.
using MiniRun.Cgroups;

namespace MiniRun.Tests.Integration;

public sealed class ContainerFactsTests : IClassFixture<ContainerFactsTests.Host>
{
    public sealed class Host : IDisposable
    {
        public MiniRunHost MiniRun { get; } = new();
        public void Dispose() => MiniRun.Dispose();
    }

    private readonly MiniRunHost _m;
    public ContainerFactsTests(Host host) => _m = host.MiniRun;

    private string Sh(string script, params string[] flags)
    {
        var r = _m.Run(["run", "--rm", .. flags, "busybox", "sh", "-c", script]);
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stderr}");
        return r.Stdout.Trim();
    }

    [Fact]
    public void CommandIsPid1() => Assert.Equal("1", Sh("echo $$"));

    [Fact]
    public void HostProcessesAreInvisible()
    {
        var pids = Sh("ls /proc | grep -E '^[0-9]+$'").Split('\n');
        Assert.Contains("1", pids);
        Assert.True(pids.Length <= 3, "only the container's own processes: " + string.Join(',', pids));
        Assert.DoesNotContain(Environment.ProcessId.ToString(), pids);
    }

    [Fact]
    public void HostnameIsTheShortContainerId()
    {
        string name = "hn-" + Guid.NewGuid().ToString("N")[..8];
        var r = _m.Run("run", "--name", name, "busybox", "hostname");
        Assert.Equal(0, r.ExitCode);
        string id = _m.Record(name).GetProperty("Id").GetString()!;
        Assert.Equal(id[..12], r.Stdout.Trim());
        Assert.Equal(0, _m.Run("rm", name).ExitCode);
        Assert.NotEqual(id[..12], System.Net.Dns.GetHostName());
    }

    [Fact]
    public void FlagsAfterTheImageBelongToTheCommand()
    {
        // -t, -i, --rm and -e are run's own flags before the image, the command's after it.
        var r = _m.Run("run", "--rm", "busybox", "sh", "-c", "echo \"$@\"", "sh", "-t", "-i", "--rm", "-e", "x");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("-t -i --rm -e x", r.Stdout.Trim());
    }

    [Fact]
    public void HostnameFlagIsUsed() => Assert.Equal("web01", Sh("hostname", "--hostname", "web01"));

    [Theory]
    [InlineData("pid")] [InlineData("mnt")] [InlineData("uts")] [InlineData("ipc")] [InlineData("net")] [InlineData("cgroup")]
    public void NamespacesDifferFromTheHost(string ns)
    {
        string inside = Sh($"readlink /proc/self/ns/{ns}");
        string host = new FileInfo($"/proc/self/ns/{ns}").LinkTarget!;
        Assert.StartsWith(ns + ":[", inside);
        Assert.NotEqual(host, inside);
    }

    [Fact]
    public void OnlyLoopbackExistsAndIsUp()
    {
        Assert.Equal("lo", Sh("ls /sys/class/net"));
        Assert.Contains("UP", Sh("ip link show lo"));
    }

    [Fact]
    public void RootIsOverlay() => Assert.Equal("overlay", Sh("awk '$2 == \"/\" { print $3 }' /proc/mounts | tail -1"));

    /// <summary>--rm: the upper dir is thrown away, so the overlay skips syncing it (cheaper exit); without --rm it is a normal mount.</summary>
    [Fact]
    public void OnlyRmContainersMountTheirOverlayVolatile()
    {
        const string rootOptions = "awk '$2 == \"/\" { print $4 }' /proc/mounts | tail -1";
        // Newer kernels show the option as fsync=volatile, older ones as volatile.
        static bool IsVolatile(string options) => options.Trim().Split(',').Any(o => o is "volatile" or "fsync=volatile");
        Assert.True(IsVolatile(Sh(rootOptions)), Sh(rootOptions));
        string name = "novol" + Environment.ProcessId;
        var r = _m.Run("run", "--name", name, "busybox", "sh", "-c", rootOptions);
        Assert.Equal(0, r.ExitCode);
        Assert.False(IsVolatile(r.Stdout), r.Stdout);
        Assert.Equal(0, _m.Run("rm", name).ExitCode);
    }

    [Fact]
    public void ProcIsMountedNosuidNoexecNodevAndSysReadOnly()
    {
        string proc = Sh("awk '$2 == \"/proc\" { print $4 }' /proc/mounts");
        Assert.Contains("nosuid", proc); Assert.Contains("nodev", proc); Assert.Contains("noexec", proc);
        Assert.StartsWith("ro", Sh("awk '$2 == \"/sys\" { print $4 }' /proc/mounts"));
    }

    [Fact]
    public void DevHasOnlyTheDefaultNodes()
    {
        var entries = Sh("ls /dev").Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        foreach (var n in new[] { "null", "zero", "full", "random", "urandom", "tty", "pts", "ptmx", "shm", "mqueue", "fd", "stdin", "stdout", "stderr" })
            Assert.Contains(n, entries);
        Assert.DoesNotContain("sda", entries);
        Assert.DoesNotContain("vda", entries);
        Assert.Equal("hello", Sh("echo hello > /dev/null && head -c 5 /dev/zero | tr '\\0' x >/dev/null && echo hello"));
    }

    [Fact]
    public void WritesStayInTheContainersUpperDirectory()
    {
        string marker = "marker-" + Guid.NewGuid().ToString("N")[..8];
        string name = "cow-" + marker;
        Assert.Equal(0, _m.Run("run", "--name", name, "busybox", "touch", "/" + marker).ExitCode);
        var second = _m.Run("run", "--rm", "busybox", "ls", "/" + marker);
        Assert.NotEqual(0, second.ExitCode);   // a new container does not see the first one's file
        string id = _m.Record(name).GetProperty("Id").GetString()!;
        Assert.True(File.Exists(Path.Combine(_m.Root, "containers", id, "upper", marker)));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_m.Root, "layers"), marker, SearchOption.AllDirectories));
        Assert.Equal(0, _m.Run("rm", name).ExitCode);
        Assert.False(Directory.Exists(Path.Combine(_m.Root, "containers", id)));
    }

    [Fact]
    public void EnvironmentComesFromImageAndFlags()
    {
        string envFile = Path.Combine(_m.Root, "env.list");
        File.WriteAllText(envFile, "# comment\nFROMFILE=yes\nBOTH=file\n");
        var env = Sh("env", "-e", "FOO=bar", "-e", "BOTH=flag", "--env-file", envFile).Split('\n');
        Assert.Contains("FOO=bar", env);
        Assert.Contains("FROMFILE=yes", env);
        Assert.Contains("BOTH=flag", env);
        Assert.Contains("HOME=/root", env);
        Assert.Contains(env, e => e.StartsWith("PATH=/usr/local/sbin:"));
        Assert.Contains(env, e => e.StartsWith("HOSTNAME="));
    }

    [Fact]
    public void WorkdirIsCreatedAndEntered() => Assert.Equal("/srv/app", Sh("pwd", "-w", "/srv/app"));

    [Theory]
    [InlineData("student", "uid=1000(student) gid=1000(student)")]
    [InlineData("nobody", "uid=65534(nobody) gid=65534(nogroup)")]
    [InlineData("1234:5678", "uid=1234 gid=5678")]
    [InlineData("student:staff", "uid=1000(student) gid=50(staff)")]
    public void UserSwitching(string user, string expectedPrefix) =>
        Assert.StartsWith(expectedPrefix, Sh("id", "-u", user));

    [Fact]
    public void StudentGetsSupplementaryGroupsAndHome()
    {
        string id = Sh("id; echo $HOME", "-u", "student");
        Assert.Contains("groups=", id);
        Assert.Contains("50(staff)", id);
        Assert.EndsWith("/home/student", id);
    }

    [Fact]
    public void NoHostDescriptorLeaks()
    {
        // ls opens the directory it lists, which is descriptor 3; nothing else may be open.
        Assert.Equal("0 1 2 3", string.Join(' ', Sh("ls /proc/self/fd").Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public void HostMountTableIsUnchanged()
    {
        var before = MiniRunHost.HostMounts();
        Sh("true");
        Assert.Equal(before, MiniRunHost.HostMounts());
    }

    [Fact]
    public void KernelIsShared() => Assert.Equal(File.ReadAllText("/proc/sys/kernel/osrelease").Trim(), Sh("uname -r"));

    [Fact]
    public void StdinIsPipedWithDashI() => Assert.Equal("hi", _m.RunWith("hi\n", null, "run", "--rm", "-i", "busybox", "cat").Stdout.Trim());

    [Fact]
    public void StdinIsNotConnectedWithoutDashI() => Assert.Equal("", _m.RunWith("hi\n", null, "run", "--rm", "busybox", "cat").Stdout);

    [Fact]
    public void PsListsExitedContainersAndRmRemovesThem()
    {
        string name = "ps-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(3, _m.Run("run", "--name", name, "busybox", "sh", "-c", "exit 3").ExitCode);
        var ps = _m.Run("ps", "-a");
        Assert.StartsWith("CONTAINER ID", ps.Stdout);
        var line = ps.Stdout.Split('\n').Single(l => l.EndsWith(name));
        Assert.Contains("Exited (3)", line);
        Assert.Contains("\"sh -c 'exit 3'\"".Replace("'", ""), line.Replace("'", ""));
        Assert.DoesNotContain(name, _m.Run("ps").Stdout);
        Assert.Equal(0, _m.Run("rm", name).ExitCode);
        Assert.DoesNotContain(name, _m.Run("ps", "-a").Stdout);
    }

    [Fact]
    public void RmRefusesUnknownContainer()
    {
        var r = _m.Run("rm", "no-such-container");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("No such container: no-such-container", r.Stderr);
    }

    [Fact]
    public void ImagesListsTheFixture()
    {
        var lines = _m.Run("images").Stdout.Split('\n');
        Assert.StartsWith("REPOSITORY", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("busybox ") && l.Contains("latest"));
    }

    [Fact]
    public void ParallelRunsShareTheLayersAndLeaveNothingBehind()
    {
        int Containers() => Directory.Exists(Path.Combine(_m.Root, "containers"))
            ? Directory.EnumerateDirectories(Path.Combine(_m.Root, "containers")).Count(d => !Path.GetFileName(d).StartsWith('.')) : 0;
        int before = Containers();
        var codes = new int[12];
        Parallel.For(0, codes.Length, new ParallelOptions { MaxDegreeOfParallelism = 6 },
            i => codes[i] = _m.Run("run", "--rm", "busybox", "sh", "-c", $"echo {i} > /tmp/me; test $(cat /tmp/me) = {i}").ExitCode);
        Assert.All(codes, c => Assert.Equal(0, c));
        Assert.Single(Directory.EnumerateDirectories(Path.Combine(_m.Root, "layers")));
        Assert.Equal(before, Containers());
    }

    [Fact]
    public void CgroupNamespaceRootIsTheContainersOwnCgroupAndIsMountedReadOnly()
    {
        // The unified (v2) line; a hybrid host (the development machine) lists its v1 hierarchies too.
        Assert.Contains("0::/", Sh("cat /proc/self/cgroup").Split('\n'));
        string mount = Sh("awk '$2 == \"/sys/fs/cgroup\" { print $3, $4 }' /proc/mounts");
        Assert.StartsWith("cgroup2 ro,", mount);
    }

    [Fact]
    public void TraceCanBeTurnedOnFromTheEnvironment()
    {
        var r = _m.RunWith(null, new Dictionary<string, string> { ["MINIRUN_TRACE"] = "1" }, "run", "--rm", "busybox", "true");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("pivot_root(\".\", \".\") = 0", r.Stderr);
    }

    [Fact]
    public void TraceNarratesTheSteps()
    {
        var r = _m.Run("run", "--rm", "--trace", "busybox", "true");
        Assert.Equal(0, r.ExitCode);
        // Born in its cgroup where there is one (a cgroup2 mount: this host's, or the VM's), else a plain clone.
        // (a call wider than the trace's 100 columns is wrapped: compared without blanks)
        string calls = System.Text.RegularExpressions.Regex.Replace(r.Stderr, @"\s+", "");
        if (CgroupV2Host.Detect().MountPoint is null)
            Assert.Contains("clone(CLONE_NEWPID|CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWNET|SIGCHLD)=", calls);
        else
        {
            Assert.Matches(@"clone3\(CLONE_NEWPID\|CLONE_NEWNS\|CLONE_NEWUTS\|CLONE_NEWIPC\|CLONE_NEWNET\|SIGCHLD,CLONE_INTO_CGROUPfd\d+\)=", calls);
            Assert.DoesNotMatch(@"write \S+/cgroup\.procs", r.Stderr);   // nothing moved afterwards
        }
        Assert.Contains("unshare(CLONE_NEWCGROUP) = 0", r.Stderr);
        Assert.Contains("mount(NULL, \"/\", NULL, MS_REC|MS_PRIVATE, NULL) = 0", r.Stderr);
        Assert.Contains("mount(\"overlay\", ", r.Stderr);
        Assert.Contains("pivot_root(\".\", \".\") = 0", r.Stderr);
        Assert.Contains("umount2(\".\", MNT_DETACH) = 0", r.Stderr);
        Assert.Contains("sethostname(", r.Stderr);
        Assert.Contains("execve(\"/bin/true\"", r.Stderr);
        Assert.Matches(@"pid +namespace: \d+ \(host: \d+\) new", r.Stderr);
        Assert.Equal("", r.Stdout);
    }
}
