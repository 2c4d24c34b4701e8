// DeviceFilterKernelTests: the device filter against the real kernel. The verifier accepts the
// programs DeviceFilter compiles; a rejected program and a target that is no cgroup fail with one
// line naming the bpf command and errno (and the verifier's reason); and in a cgroup this test
// creates (at the cgroup2 mount: /sys/fs/cgroup on a pure v2 host, /sys/fs/cgroup/unified on the
// hybrid development machine, which has no v2 controllers but runs cgroup BPF programs all the
// same), a shell moved into it cannot open a denied device node, and attaching again replaces
// the program. Device nodes are made in a temporary directory with the experimental major 240,
// which no driver owns: an access the filter lets through ends in ENXIO, one it denies in EPERM.
// No real device is ever opened.
//
// Needs: root; the bpf(2) syscall with cgroup BPF (built into the host's 6.18 and the VM's 6.1).
using System.Diagnostics;
using MiniRun.Cgroups;
using MiniRun.Kernel;
using MiniRun.Spec;

namespace MiniRun.Tests.Cgroups;

public sealed class DeviceFilterKernelTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "minirun-devfilter-" + Guid.NewGuid().ToString("N")[..10]);
    private readonly string? _cgroup;

    public DeviceFilterKernelTests()
    {
        Directory.CreateDirectory(_dir);
        if (CgroupV2Host.Detect().MountPoint is { } mount)
        {
            _cgroup = Path.Combine(mount, "minirun-devtest-" + Guid.NewGuid().ToString("N")[..10]);
            Directory.CreateDirectory(_cgroup);   // ours alone: removed in Dispose, its programs go with it
        }
    }

    public void Dispose()
    {
        if (_cgroup is not null && Directory.Exists(_cgroup))
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (File.ReadAllText(Path.Combine(_cgroup, "cgroup.procs")).Trim().Length > 0 && DateTime.UtcNow < deadline) Thread.Sleep(20);
            Directory.Delete(_cgroup);
        }
        Directory.Delete(_dir, recursive: true);
    }

    private static SpecDeviceCgroup Rule(bool allow, string? type, long? major, long? minor, string access) =>
        new() { Allow = allow, Type = type, Major = major, Minor = minor, Access = access };

    [Fact]
    public void The_verifier_accepts_the_compiled_programs()
    {
        List<SpecDeviceCgroup>[] lists =
        [
            DeviceFilterTests.DockerDefault,
            [Rule(true, null, null, null, "rwm")],
            [Rule(false, null, null, null, "rwm")],
            [Rule(true, "c", 240, null, "r"), Rule(false, "b", null, 3, "wm"), Rule(true, "a", 1, null, "m")],
        ];
        foreach (var list in lists)
        {
            var program = DeviceFilter.Compile(DeviceFilter.Rules(list), [new SpecDevice { Path = "/dev/x", Type = "c", Major = 240, Minor = 7 }]);
            int fd = Bpf.LoadDeviceProgram(program.Instructions.Select(i => i.Encode()).ToArray(), "minirun_test");
            Assert.True(fd >= 0);
            Libc.close(fd);
        }
        // No helper is called, so the kernel does not ask for a GPL-compatible license.
        var docker = DeviceFilter.Compile(DeviceFilter.Rules(DeviceFilterTests.DockerDefault));
        int apache = Bpf.LoadDeviceProgram(docker.Instructions.Select(i => i.Encode()).ToArray(), "minirun_test", "Apache-2.0");
        Assert.True(apache >= 0);
        Libc.close(apache);
    }

    [Fact]
    public void A_rejected_program_is_reported_with_the_command_the_errno_and_the_verifiers_reason()
    {
        // exit without setting r0: the verifier refuses to return an uninitialised register.
        var e = Assert.Throws<KernelException>(() => Bpf.LoadDeviceProgram([new BpfInsn(BpfInsn.Exit, 0, 0, 0, 0).Encode()], "minirun_bad"));
        Assert.Equal(Errno.EACCES, e.Errno);
        Assert.StartsWith("bpf(BPF_PROG_LOAD, cgroup device filter) (verifier: ", e.Message);
        Assert.Contains("R0 !read_ok", e.Message);
        Assert.EndsWith("Permission denied (EACCES)", e.Message);
    }

    [Fact]
    public void Attaching_to_a_directory_that_is_no_cgroup_fails_naming_it()
    {
        var program = DeviceFilter.Compile(DeviceFilter.Rules([Rule(false, null, null, null, "rwm")]));
        var e = Assert.Throws<KernelException>(() => DeviceFilter.Attach(_dir, program, null));
        Assert.StartsWith($"bpf(BPF_PROG_QUERY, {_dir}, BPF_CGROUP_DEVICE): ", e.Message);
    }

    /// <summary>A shell in the test cgroup opens <paramref name="node"/> read-write: its error text, "" when it opened.</summary>
    private string OpenInCgroup(string node)
    {
        var psi = new ProcessStartInfo("/bin/sh", ["-c", $"echo $$ > '{_cgroup}/cgroup.procs' && exec 3<> '{node}'"]) { RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode == 0 ? "" : err;
    }

    private string Node(string name, int minor)
    {
        string path = Path.Combine(_dir, name);
        Assert.Equal(0, Libc.mknod(path, Libc.S_IFCHR | 0x1b6, Libc.Makedev(240, (uint)minor)));
        return path;
    }

    [Fact]
    public void A_process_in_the_cgroup_cannot_open_a_denied_node_and_attaching_again_replaces_the_filter()
    {
        Assert.NotNull(_cgroup);
        string one = Node("one", 1), two = Node("two", 2);
        Assert.Contains("No such device or address", OpenInCgroup(one));   // no filter yet: the open reaches the (absent) driver

        DeviceFilter.Attach(_cgroup!, DeviceFilter.Compile(DeviceFilter.Rules([Rule(false, null, null, null, "rwm"), Rule(true, "c", 240, 2, "rw")])), null);
        Assert.Contains("Operation not permitted", OpenInCgroup(one));
        Assert.Contains("No such device or address", OpenInCgroup(two));
        Assert.Equal("", OpenInCgroup("/dev/null"));                         // a default device stays usable

        var trace = new ListTrace();
        DeviceFilter.Attach(_cgroup!, DeviceFilter.Compile(DeviceFilter.Rules([Rule(false, null, null, null, "rwm"), Rule(true, "c", 240, 1, "rw")])), trace);
        Assert.Equal(["bpf(BPF_PROG_QUERY", "bpf(BPF_PROG_LOAD", "bpf(BPF_PROG_ATTACH", "bpf(BPF_PROG_DETACH"], trace.Calls.Select(c => c.Split(',')[0]));
        Assert.Contains("  2. allow c 240:1 rw", trace.Lines);
        Assert.All(trace.Lines, l => Assert.True(l.Length <= 120, l));
        int dir = Libc.open(_cgroup!, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        try { Assert.Single(Bpf.Query(dir, _cgroup!)); }                  // the first program was detached
        finally { Libc.close(dir); }
        Assert.Contains("No such device or address", OpenInCgroup(one));
        Assert.Contains("Operation not permitted", OpenInCgroup(two));
    }

    private sealed class ListTrace : MiniRun.Trace.ITrace
    {
        public List<string> Lines { get; } = [];
        public List<string> Calls { get; } = [];
        public bool Enabled => true;
        public void Step(MiniRun.Trace.Narration title, MiniRun.Trace.Narration why) => Lines.Add(title.En);
        public void Call(string call, string result) { Calls.Add(call); Lines.Add($"[n] {call} = {result}"); }
        public void Note(MiniRun.Trace.Narration narration) { string text = narration.En; Lines.Add(text); }
        public void Listing(string text) => Lines.Add(text);
        public void Fact(MiniRun.Trace.TraceFact fact, string value) { }
    }
}
