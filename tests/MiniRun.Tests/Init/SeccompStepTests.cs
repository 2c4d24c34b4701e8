// SeccompStepTests: linux.seccomp through the kernel fake - the filter is compiled before
// pivot_root (while the host's libseccomp is reachable) and loaded after the user switch and the
// PATH lookup, right before close_range and execve; the profile handed over is the spec's; a bad
// profile names the step and the field; a load refused for lack of privilege says why.
using MiniRun.Init;
using MiniRun.Kernel;
using MiniRun.Spec;
using MiniRun.Trace;

namespace MiniRun.Tests.Init;

public sealed class SeccompStepTests : IDisposable
{
    private readonly string _bundle = Directory.CreateTempSubdirectory("minirun-seccomp-").FullName;
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

    private (FakeKernel Kernel, InitContext Context, RecordingTrace Trace) Make(SpecSeccomp? seccomp, string user = "")
    {
        var image = new MiniImage.Oci.ImageConfig { Config = new MiniImage.Oci.ContainerConfig { Cmd = ["sh"], Env = ["PATH=/bin"] } };
        var spec = SpecGenerator.Generate(image, new RunOptions { Image = "busybox", User = user }, new string('b', 64), ["/l/base"], _bundle, _ => null, appArmor: MiniRun.Security.NoAppArmorHost.Instance);
        spec.Linux.Seccomp = seccomp;
        var k = new FakeKernel();
        k.Files["/etc/passwd"] = "root:x:0:0:root:/root:/bin/sh\nstudent:x:1000:1000::/home/student:/bin/sh\n";
        k.Files["/etc/group"] = "root:x:0:\nstudent:x:1000:\n";
        k.Executables.Add("/bin/sh");
        k.Paths.Add("/bin/sh");
        var trace = new RecordingTrace();
        return (k, new InitContext { Spec = spec, BundleDir = _bundle, Kernel = k, Trace = trace, Env = new(spec.Process.Env) }, trace);
    }

    private static SpecSeccomp NoMkdir() => new()
    {
        DefaultAction = "SCMP_ACT_ALLOW",
        Syscalls = [new SpecSyscall { Names = ["mkdir", "mkdirat"], Action = "SCMP_ACT_ERRNO", ErrnoRet = 1 }],
    };

    private static int IndexOf(FakeKernel k, string prefix)
    {
        int i = k.Calls.FindIndex(c => c.StartsWith(prefix, StringComparison.Ordinal));
        Assert.True(i >= 0, $"no call starting with \"{prefix}\" in:\n{string.Join('\n', k.Calls)}");
        return i;
    }

    [Fact]
    public void WithoutNoNewPrivilegesLoadedBeforeTheUidSwitchDropsCapSysAdmin()
    {
        var (k, c, _) = Make(NoMkdir(), user: "student");
        Assert.Throws<FakeKernel.ExecReached>(() => InitProcess.Run(c));
        int compile = IndexOf(k, "seccomp compile SCMP_ACT_ALLOW 2 rules");
        int load = IndexOf(k, "seccomp load");
        Assert.True(IndexOf(k, "mknod") < compile && compile < IndexOf(k, "pivot_root"), "compiled while the host's / is still visible");
        Assert.True(load < IndexOf(k, "setresuid 1000"), "loaded while CAP_SYS_ADMIN is still held (no no_new_privs)");
        var profile = k.SeccompProfiles.Single();
        Assert.Equal(["mkdir", "mkdirat"], profile.Rules.Select(r => r.Syscall));
        Assert.All(profile.Rules, r => Assert.Equal(SeccompProfile.SCMP_ACT_ERRNO | 1, r.Action));
        Assert.Equal(0u, profile.Attributes.Single(a => a.Name == "SCMP_FLTATR_CTL_NNP").Value);
    }

    [Fact]
    public void WithNoNewPrivilegesLoadedLastBeforeExec()
    {
        var (k, c, _) = Make(NoMkdir(), user: "student");
        c.Spec.Process.NoNewPrivileges = true;
        Assert.Throws<FakeKernel.ExecReached>(() => InitProcess.Run(c));
        int load = IndexOf(k, "seccomp load");
        Assert.True(IndexOf(k, "setresuid 1000") < load && IndexOf(k, "chdir /") < load, "loaded after the user switch and chdir");
        Assert.Equal(["close_range 3", "execve"], k.Calls.Skip(load + 1).Select(x => x.Split(' ')[0] == "execve" ? "execve" : x));
        Assert.Single(k.Calls, x => x == "seccomp load");
    }

    [Fact]
    public void NoNewPrivilegesIsHandedToLibseccomp()
    {
        var (k, c, _) = Make(NoMkdir());
        c.Spec.Process.NoNewPrivileges = true;
        Assert.Throws<FakeKernel.ExecReached>(() => InitProcess.Run(c));
        Assert.Equal(1u, k.SeccompProfiles.Single().Attributes.Single(a => a.Name == "SCMP_FLTATR_CTL_NNP").Value);
    }

    [Fact]
    public void WithoutSeccompNothingIsCompiledOrLoaded()
    {
        var (k, c, _) = Make(null);
        Assert.Throws<FakeKernel.ExecReached>(() => InitProcess.Run(c));
        Assert.DoesNotContain(k.Calls, x => x.StartsWith("seccomp", StringComparison.Ordinal));
    }

    [Fact]
    public void TheLoadComesBeforeTheInitSupervisorSoInitContainersAreFilteredToo()
    {
        var names = InitSteps.All.Select(s => s.Name).ToList();
        Assert.True(names.IndexOf("compile seccomp filter") < names.IndexOf("pivot_root"));
        Assert.True(names.IndexOf("look up command") < names.IndexOf("load seccomp filter"));
        Assert.Equal(names.IndexOf("stay PID 1 (--init)") - 1, names.IndexOf("load seccomp filter"));
    }

    [Fact]
    public void UnknownSyscallNamesAreSkippedWithATraceNote()
    {
        var seccomp = NoMkdir();
        seccomp.Syscalls![0].Names.Add("future_call");
        var (k, c, trace) = Make(seccomp);
        k.UnknownSyscalls.Add("future_call");
        Assert.Throws<FakeKernel.ExecReached>(() => InitProcess.Run(c));
        Assert.Contains("1 system call names unknown to libseccomp on this architecture, skipped as runc and crun do: future_call", trace.Lines);
        Assert.Contains("seccomp load", k.Calls);
    }

    [Fact]
    public void ABadProfileFailsItsStepBeforePivotRoot()
    {
        var seccomp = NoMkdir();
        seccomp.Syscalls![0].Action = "SCMP_ACT_EPERM";
        var (k, c, _) = Make(seccomp);
        var e = Assert.Throws<RunConfigException>(() => InitProcess.Run(c));
        var (code, message) = InitProcess.Describe(e, c.CurrentStep);
        Assert.Equal(125, code);
        Assert.Equal("init step \"compile the seccomp filter\": linux.seccomp.syscalls[0].action: unknown action \"SCMP_ACT_EPERM\"", message);
        Assert.DoesNotContain(k.Calls, x => x.StartsWith("pivot_root", StringComparison.Ordinal));
    }

    [Fact]
    public void ALoadRefusedForLackOfPrivilegeSaysWhy()
    {
        var (k, c, _) = Make(NoMkdir(), user: "student");
        k.FailOn = "seccomp load";
        k.FailErrno = Errno.EACCES;
        var e = Assert.Throws<InvalidOperationException>(() => InitProcess.Run(c));
        var (_, message) = InitProcess.Describe(e, c.CurrentStep);
        Assert.Equal("init step \"load the seccomp filter\": seccomp SECCOMP_SET_MODE_FILTER: Permission denied (EACCES): without process.noNewPrivileges the kernel accepts a seccomp filter only from a process with CAP_SYS_ADMIN, which this one no longer has", message);
        Assert.DoesNotContain(k.Calls, x => x.StartsWith("execve", StringComparison.Ordinal));
    }
}
