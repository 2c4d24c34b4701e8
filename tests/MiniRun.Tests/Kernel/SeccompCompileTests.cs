// SeccompCompileTests: the real LinuxKernel builds filters with the host's libseccomp - compiled,
// never loaded (a filter loaded here would filter the test host): unknown names are skipped and
// reported, the program is laid out as a binary tree, --trace shows the PFC listing, podman's whole default profile is accepted, and a
// libseccomp refusal is a one-line error naming the rule.
using MiniRun.Kernel;
using MiniRun.Spec;
using MiniRun.Tests.Spec;
using MiniRun.Trace;

namespace MiniRun.Tests.Kernel;

public sealed class SeccompCompileTests
{
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

    private static bool HaveLibseccomp =>
        File.Exists("/usr/lib/x86_64-linux-gnu/libseccomp.so.2") || File.Exists("/lib/x86_64-linux-gnu/libseccomp.so.2");

    [Fact]
    public void UnknownNamesAreSkippedAndTheFilterIsListedAsPfc()
    {
        if (!HaveLibseccomp) return;
        var trace = new RecordingTrace();
        var profile = SeccompProfile.Compile(new SpecSeccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            Syscalls =
            [
                new SpecSyscall { Names = ["mkdir", "mkdirat", "no_such_call_in_any_kernel"], Action = "SCMP_ACT_ERRNO", ErrnoRet = 1 },
                new SpecSyscall { Names = ["personality"], Action = "SCMP_ACT_ERRNO",
                    Args = [new SpecSeccompArg { Index = 0, Value = 0xffff, ValueTwo = 8, Op = "SCMP_CMP_MASKED_EQ" }] },
            ],
        }, noNewPrivileges: false);
        var skipped = new LinuxKernel(trace).CompileSeccomp(profile);
        Assert.Equal(["no_such_call_in_any_kernel"], skipped);
        string all = string.Join('\n', trace.Lines);
        Assert.Contains("seccomp_init(SCMP_ACT_ALLOW) = ctx", all);
        Assert.Contains("seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) = 0", all);
        Assert.Contains("seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) = 0", all);   // the binary-tree layout
        Assert.Contains("seccomp_rule_add_array(ctx, ...) x 3 = 0 (1 unknown system call names skipped)", all);
        Assert.Contains("libseccomp 2.", all);
        Assert.Contains("\"mkdir\"", all);       // the PFC listing names each filtered call
        Assert.Contains("\"mkdirat\"", all);
        Assert.Contains("ERRNO(1)", all);
    }

    [Fact]
    public void PodmansDefaultProfileIsAcceptedByLibseccomp()
    {
        if (!HaveLibseccomp || !File.Exists(SeccompProfileTests.PodmanProfile)) return;
        var profile = SeccompProfile.Compile(SeccompProfileTests.Read(File.ReadAllText(SeccompProfileTests.PodmanProfile)), noNewPrivileges: false);
        var skipped = new LinuxKernel().CompileSeccomp(profile);
        Assert.True(skipped.Count < profile.Rules.Count / 4, $"{skipped.Count} of {profile.Rules.Count} skipped: {string.Join(" ", skipped)}");
    }

    [Fact]
    public void ExportWithoutCompileIsRefused() =>
        Assert.Throws<InvalidOperationException>(() => new LinuxKernel().ExportSeccompBpf());

    [Fact]
    public void AProgramThatIsNotWholeInstructionsIsNeverLoaded() =>
        Assert.Throws<InvalidOperationException>(() => new LinuxKernel().LoadSeccompFilter(new byte[12], 0));

    [Fact]
    public void TheDefaultProfileCompilesAndExportsAProgramTheKernelWouldTake()
    {
        if (!HaveLibseccomp) return;
        var spec = MiniRun.Security.SeccompPolicy.Convert(MiniRun.Security.SeccompPolicy.DefaultProfileJson(),
            MiniRun.Security.CapabilityPolicy.DockerDefaults, new MiniRun.Security.SeccompHost("amd64", "SCMP_ARCH_X86_64", 6, 1))!;
        var kernel = new LinuxKernel();
        var skipped = kernel.CompileSeccomp(SeccompProfile.Compile(spec, noNewPrivileges: false));
        var program = kernel.ExportSeccompBpf();
        Assert.True(skipped.Count < 40, string.Join(" ", skipped));
        Assert.True(program.Length % 8 == 0 && program.Length / 8 is > 100 and <= SeccompFilterCache.MaxInstructions, $"{program.Length} bytes");
    }
}
