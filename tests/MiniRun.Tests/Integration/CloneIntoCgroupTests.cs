// CloneIntoCgroupTests: the container's first process is born in its cgroup (clone3 with
// CLONE_INTO_CGROUP), and on a kernel that refuses that (here: a seccomp filter answering ENOSYS
// to clone3, no_clone3.c) it is cloned as before and moved through cgroup.procs - either way it
// runs in the container's own cgroup, and rm leaves no cgroup behind. Needs a cgroup2 mount (this
// host's side hierarchy, or the VM's); without one there is no cgroup and nothing to check.
//
// Follows: clone(2) (clone3, CLONE_INTO_CGROUP), cgroups(7) /proc/PID/cgroup.
using System.Diagnostics;
using MiniRun.Cgroups;

namespace MiniRun.Tests.Integration;

public sealed class CloneIntoCgroupTests : IClassFixture<ContainerFactsTests.Host>
{
    private static readonly Lazy<string> NoClone3 = new(() => CompileProbe("no_clone3.c"));
    private readonly MiniRunHost _m;
    private readonly string? _mount = CgroupV2Host.Detect().MountPoint;

    public CloneIntoCgroupTests(ContainerFactsTests.Host host) => _m = host.MiniRun;

    [Fact]
    public void Init_is_born_in_its_cgroup_and_rm_removes_it() => DetachedContainerIsInItsCgroup(clone3: true);

    [Fact]
    public void Without_clone3_init_is_moved_into_its_cgroup_and_rm_removes_it() => DetachedContainerIsInItsCgroup(clone3: false);

    [Fact]
    public void Without_clone3_the_trace_says_so_and_shows_the_move()
    {
        if (_mount is null) return;   // no cgroup2 anywhere: the container has no cgroup
        var r = RunWithoutClone3("run", "--rm", "--trace", "busybox", "cat", "/proc/self/cgroup");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("clone(CLONE_NEWPID|CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWNET|SIGCHLD) = ", r.Stderr);
        Assert.Contains("clone3(CLONE_INTO_CGROUP): Function not implemented (ENOSYS) on this kernel", r.Stderr);
        Assert.Matches(@"write \S+/cgroup\.procs = \d+", r.Stderr);
        Assert.Equal("0::/", r.Stdout.Trim().Split('\n')[^1]);   // inside its own cgroup namespace, rooted at its cgroup
    }

    private void DetachedContainerIsInItsCgroup(bool clone3)
    {
        if (_mount is null) return;
        string name = "incg-" + (clone3 ? "born" : "moved");
        string[] args = ["run", "-d", "--name", name, "busybox", "sleep", "60"];
        var r = clone3 ? _m.Run(args) : RunWithoutClone3(args);
        Assert.True(r.ExitCode == 0, r.Stderr);
        string id = r.Stdout.Trim();
        try
        {
            int pid = _m.Record(name).GetProperty("State").GetProperty("Pid").GetInt32();
            string line = File.ReadAllLines($"/proc/{pid}/cgroup").Single(l => l.StartsWith("0::", StringComparison.Ordinal));
            Assert.EndsWith("/" + id, line);   // the host's view of init's cgroup v2 path
            string dir = _mount + line[3..];
            Assert.True(Directory.Exists(dir), dir);
            Assert.Equal(0, _m.Run("rm", "-f", name).ExitCode);
            Assert.False(Directory.Exists(dir), $"{dir} is left behind");
        }
        finally
        {
            _m.Run("rm", "-f", name);
        }
    }

    private RunResult RunWithoutClone3(params string[] args)
    {
        var psi = new ProcessStartInfo(NoClone3.Value) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])[MiniRunHost.Binary, "--root", _m.Root, .. args]) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"no_clone3 minirun {string.Join(' ', args)} did not finish in 60 s");
        }
        p.WaitForExit();
        return new RunResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    private static string CompileProbe(string source)
    {
        string dir = Directory.CreateTempSubdirectory("minirun-probe-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(dir, recursive: true); } catch (IOException) { } };
        string output = Path.Combine(dir, Path.GetFileNameWithoutExtension(source));
        var psi = new ProcessStartInfo("gcc") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["-O2", "-Wall", "-Werror", "-o", output, Path.Combine(MiniRunHost.RepoRoot, "tests/MiniRun.Tests/Integration", source)])
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"gcc {source} failed: {err}");
        return output;
    }
}
