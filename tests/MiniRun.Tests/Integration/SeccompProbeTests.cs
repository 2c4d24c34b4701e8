// SeccompProbeTests: linux.seccomp in real containers (plain bundles with a static busybox, run by
// BundleRunner through the runtime core). A rule makes mkdir/mkdirat fail with EPERM while
// everything else is allowed: inside, `mkdir` says "Operation not permitted" and
// /proc/self/status shows "Seccomp: 2" (filter mode); podman's deny-by-default profile still lets
// init finish and the shell run; with --init, minirun init (PID 1) is filtered too, as tini is under Docker; --trace lists the filter as PFC; a non-root user without
// noNewPrivileges cannot load a filter (EACCES, explained), with noNewPrivileges it can.
// Harmless if the protection fails: the worst case is a directory made in the temporary rootfs.
using MiniRun.Spec;
using MiniRun.Tests.Spec;

namespace MiniRun.Tests.Integration;

public sealed class SeccompProbeTests
{
    private const string Probe = "mkdir /tmp/x 2>&1; grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status; test -d /tmp/x && echo made || echo absent";

    private static SpecSeccomp NoMkdir() => new()
    {
        DefaultAction = "SCMP_ACT_ALLOW",
        Syscalls = [new SpecSyscall { Names = ["mkdir", "mkdirat"], Action = "SCMP_ACT_ERRNO", ErrnoRet = 1 }],
    };

    private static string[] Lines(RunResult r) =>
        r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => string.Join(' ', l.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))).ToArray();

    [Fact]
    public void WithoutAFilterMkdirWorksAndSeccompIsOff()
    {
        var r = BundleRunner.Run(BundleRunner.Spec("sh", "-c", Probe));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(["NoNewPrivs: 0", "Seccomp: 0", "made"], Lines(r));
    }

    [Fact]
    public void AnErrnoRuleMakesMkdirFailWithEperm()
    {
        var spec = BundleRunner.Spec("sh", "-c", Probe);
        spec.Linux.Seccomp = NoMkdir();
        var r = BundleRunner.Run(spec);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(0, r.ExitCode);
        var lines = Lines(r);
        Assert.Contains("Operation not permitted", lines[0]);
        Assert.Equal(["NoNewPrivs: 0", "Seccomp: 2", "absent"], lines[1..]);
    }

    [Fact]
    public void WithInitTheSupervisingPid1AndTheCommandAreBothFiltered()
    {
        var spec = BundleRunner.Spec("sh", "-c", "mkdir /tmp/x 2>&1; grep '^Seccomp:' /proc/1/status /proc/self/status; cat /proc/1/comm");
        spec.Annotations = new() { [MiniRun.Init.InitSupervisorStep.Annotation] = "true" };
        spec.Linux.Seccomp = NoMkdir();
        var r = BundleRunner.Run(spec);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(0, r.ExitCode);
        var lines = Lines(r);
        Assert.Contains("Operation not permitted", lines[0]);
        Assert.Equal(["/proc/1/status:Seccomp: 2", "/proc/self/status:Seccomp: 2", "minirun-init"], lines[1..]);
    }

    [Fact]
    public void PodmansDenyByDefaultProfileLetsInitFinishAndTheShellRun()
    {
        if (!File.Exists(SeccompProfileTests.PodmanProfile)) return;
        var spec = BundleRunner.Spec("sh", "-c", "echo hello; grep '^Seccomp:' /proc/self/status");
        spec.Linux.Seccomp = SeccompProfileTests.Read(File.ReadAllText(SeccompProfileTests.PodmanProfile));
        var trace = new StringWriter();
        var r = BundleRunner.Run(spec, trace: trace);   // with --trace: init still narrates after the load
        Assert.True(r.ExitCode == 0, r.Stderr + "\n" + trace);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(["hello", "Seccomp: 2"], Lines(r));
    }

    [Fact]
    public void TraceListsTheFilterAsPfc()
    {
        var spec = BundleRunner.Spec("true");
        spec.Linux.Seccomp = NoMkdir();
        var trace = new StringWriter();
        var r = BundleRunner.Run(spec, trace: trace);
        Assert.Equal(0, r.ExitCode);
        string text = trace.ToString();
        Assert.Matches(@"── \d+\. compile the seccomp filter", text);
        Assert.Contains("seccomp_init(SCMP_ACT_ALLOW) = ctx", text);
        Assert.Contains("seccomp_export_pfc(ctx, ", text);
        Assert.Contains("\"mkdirat\"", text);
        Assert.Contains("ERRNO(1)", text);
        Assert.True(text.IndexOf(". compile the seccomp filter", StringComparison.Ordinal) < text.IndexOf("pivot_root(", StringComparison.Ordinal));
        Assert.Contains("seccomp_export_bpf(ctx, ", text);   // init loads the exported program itself (as exec does; it may come from the cache)
        Assert.Matches(@"seccomp\(SECCOMP_SET_MODE_FILTER, 0, \{\d+ BPF instructions\}\) = 0", text);
        Assert.True(text.IndexOf("seccomp(SECCOMP_SET_MODE_FILTER", StringComparison.Ordinal) < text.IndexOf("execve(", StringComparison.Ordinal));
    }

    [Fact]
    public void TraceShowsTheStartOfALongFilterAndCountsTheRest()
    {
        var spec = BundleRunner.Spec("true");
        // one rule per call: far more than the 24 lines of pseudo code the trace shows
        string[] names = ["mkdir", "mkdirat", "rmdir", "unlink", "unlinkat", "rename", "renameat", "renameat2", "link", "linkat",
                          "symlink", "symlinkat", "chmod", "fchmod", "fchmodat", "chown", "fchown", "lchown", "fchownat", "truncate"];
        spec.Linux.Seccomp = new SpecSeccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            Syscalls = names.Select(n => new SpecSyscall { Names = [n], Action = "SCMP_ACT_ERRNO", ErrnoRet = 1 }).ToList(),
        };
        var trace = new StringWriter();
        var r = BundleRunner.Run(spec, trace: trace);
        Assert.Equal(0, r.ExitCode);
        string[] lines = trace.ToString().Split('\n');
        int start = Array.FindIndex(lines, l => l.Contains("seccomp_export_pfc(ctx, "));
        Assert.True(start > 0);
        Assert.Matches(@"^ +\.\.\. \d+ more lines of the same kind \(one test per rule\);", lines[start + 25]);
        int bpf = Array.FindIndex(lines, start, l => l.Contains("seccomp_export_bpf(ctx, "));
        string more = string.Join(" ", lines[(start + 25)..bpf].Select(l => l.Trim()));   // wrapped to the trace's 100 columns
        Assert.EndsWith("the rules themselves are config.json's linux.seccomp", more);
    }

    [Fact]
    public void ANonRootUserWithoutNoNewPrivilegesGetsTheFilterLoadedBeforeTheUidSwitch()
    {
        var spec = BundleRunner.Spec("sh", "-c", Probe);
        spec.Process.User = new SpecUser { Uid = 65534, Gid = 65534 };
        spec.Linux.Seccomp = NoMkdir();
        var r = BundleRunner.Run(spec);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = Lines(r);
        Assert.Contains("Operation not permitted", lines[0]);
        Assert.Equal(["NoNewPrivs: 0", "Seccomp: 2", "absent"], lines[1..]);
    }

    [Fact]
    public void ANonRootUserWithNoNewPrivilegesGetsTheFilter()
    {
        var spec = BundleRunner.Spec("sh", "-c", Probe);
        spec.Process.User = new SpecUser { Uid = 65534, Gid = 65534 };
        spec.Process.NoNewPrivileges = true;
        spec.Linux.Seccomp = NoMkdir();
        var r = BundleRunner.Run(spec);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = Lines(r);
        Assert.Contains("Operation not permitted", lines[0]);
        Assert.Equal(["NoNewPrivs: 1", "Seccomp: 2", "absent"], lines[1..]);
    }
}
