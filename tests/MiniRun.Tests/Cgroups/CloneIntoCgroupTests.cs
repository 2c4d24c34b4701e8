// CloneIntoCgroupTests (unit): where the runtime puts the container's first process after the
// clone, on a fake cgroupfs - nothing is written when it was born in the container's cgroup
// (clone3 CLONE_INTO_CGROUP); its pid goes to cgroup.procs when the kernel refused clone3 or it
// was born in another cgroup (which, empty then, is removed); and what --trace says in each case.
// The clone itself is native code: tests/MiniRun.Tests/Integration/CloneIntoCgroupTests.cs.
using MiniRun.Cgroups;
using MiniRun.Runtime;
using MiniRun.Spec;

namespace MiniRun.Tests.Cgroups;

public sealed class CloneIntoCgroupTests : IDisposable
{
    private readonly FakeCgroupFs _fs = new("memory", "pids");
    private readonly RecordingTrace _trace = new();
    private const int Pid = int.MaxValue;   // no such process: nothing here may signal a real one

    public void Dispose() => _fs.Dispose();

    private Cgroup Made(string name) => Cgroup.Create(_fs.Root, name, [], "minirun", _fs, _trace);

    private static ClonedInit Init(Cgroup? bornIn)
    {
        var (parent, child) = SyncChannel.CreatePair();
        child.Dispose();
        return new ClonedInit(Pid, 0, parent, bornIn);
    }

    private static StartRequest Request(Cgroup? cgroup) => new("/bundle", new RuntimeSpec(), "/minirun", false, Cgroup: cgroup);

    private int ProcsWrites() => _fs.Writes.Count(w => w.Path.EndsWith("/cgroup.procs", StringComparison.Ordinal));

    [Fact]
    public void Born_in_the_container_s_cgroup_nothing_is_moved()
    {
        var cgroup = Made("c1");
        using var init = Init(cgroup);
        ContainerStarter.PlaceInCgroup(init, Request(Cgroup.Open(_fs.Root, "minirun/c1", _fs)));
        Assert.Equal(0, ProcsWrites());
    }

    [Fact]
    public void Refused_by_the_kernel_the_pid_is_written_to_cgroup_procs()
    {
        var cgroup = Made("c1");
        using var init = Init(null);   // clone3 refused: cloned in the caller's cgroup
        ContainerStarter.PlaceInCgroup(init, Request(cgroup));
        Assert.Equal([(_fs.P("minirun/c1/cgroup.procs"), $"{Pid}")], _fs.Writes.Where(w => w.Path.EndsWith("/cgroup.procs", StringComparison.Ordinal)));
    }

    [Fact]
    public void Born_in_another_cgroup_it_is_moved_and_that_cgroup_goes()
    {
        var other = Made("early");
        var cgroup = Made("c1");
        using var init = Init(other);
        ContainerStarter.PlaceInCgroup(init, Request(cgroup));
        Assert.Equal(1, ProcsWrites());
        Assert.False(Directory.Exists(other.Path));
        Assert.True(Directory.Exists(cgroup.Path));
    }

    [Fact]
    public void Born_in_a_cgroup_the_container_does_not_have_is_refused()
    {
        using var init = Init(Made("early"));
        Assert.Throws<InvalidOperationException>(() => ContainerStarter.PlaceInCgroup(init, Request(null)));
    }

    [Fact]
    public void The_trace_names_clone3_and_its_descriptor_or_says_why_not()
    {
        var cgroup = Made("c1");
        const int flags = Namespaces.CLONE_NEWPID | Namespaces.CLONE_NEWNS;
        ContainerStarter.NarrateClone(_trace, flags, cgroup, 7, new CloneCgroup(true, 0), "99");
        Assert.Contains("clone3(CLONE_NEWPID|CLONE_NEWNS|SIGCHLD, CLONE_INTO_CGROUP fd 7) = 99", _trace.Lines);
        _trace.Lines.Clear();
        ContainerStarter.NarrateClone(_trace, flags, cgroup, 7, new CloneCgroup(true, 38 /*ENOSYS*/), "99");
        Assert.Equal("clone(CLONE_NEWPID|CLONE_NEWNS|SIGCHLD) = 99", _trace.Lines[0]);
        Assert.StartsWith("note clone3(CLONE_INTO_CGROUP): Function not implemented (ENOSYS) on this kernel", _trace.Lines[1]);
        _trace.Lines.Clear();
        ContainerStarter.NarrateClone(_trace, flags, null, -1, default, "99");
        Assert.Equal(["clone(CLONE_NEWPID|CLONE_NEWNS|SIGCHLD) = 99", "note no cgroup for this container: it stays in its parent's cgroup"], _trace.Lines);
        Assert.All(_trace.Lines, l => Assert.True(l.Length <= 120, l));
    }
}
