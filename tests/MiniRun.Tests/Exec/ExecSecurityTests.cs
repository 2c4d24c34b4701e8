// ExecSecurityTests: the security attributes an exec'd process gets, decided in C# for the native
// stage - capability names to masks (limited to the kernel's cap_last_cap), rlimit names, umask,
// the seccomp(2) flags, the BPF program libseccomp exports - and the order the stage applies them
// (the seccomp filter before the user switch without no_new_privs, last with it), plus runc's
// argument form (the container's attributes, --cap added, --no-new-privs).
using MiniRun.Runtime;
using MiniRun.Spec;

namespace MiniRun.Tests.Exec;

public sealed class ExecSecurityTests
{
    private static SpecProcess Process(bool noNewPrivileges = false, SpecCapabilities? caps = null) => new()
    {
        NoNewPrivileges = noNewPrivileges,
        Capabilities = caps,
        Rlimits = [new SpecRlimit { Type = "RLIMIT_NOFILE", Soft = 500, Hard = 600 }, new SpecRlimit { Type = "RLIMIT_CORE", Soft = 0, Hard = ulong.MaxValue }],
        OomScoreAdj = 300,
        User = new SpecUser { Umask = 0x17 },
    };

    private static SpecCapabilities Caps() => new()
    {
        Bounding = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_CHECKPOINT_RESTORE"],
        Effective = ["CAP_KILL"], Permitted = ["CAP_KILL", "CAP_NET_BIND_SERVICE"], Inheritable = ["CAP_NET_BIND_SERVICE"],
        Ambient = ["CAP_NET_BIND_SERVICE"],
    };

    private static SpecSeccomp NoMkdir(params string[] flags) => new()
    {
        DefaultAction = "SCMP_ACT_ALLOW",
        Flags = flags.ToList(),
        Syscalls = [new SpecSyscall { Names = ["mkdir", "mkdirat"], Action = "SCMP_ACT_ERRNO", ErrnoRet = 1 }],
    };

    [Fact]
    public void CapabilityNamesBecomeMasksUpToTheKernelsLastCapability()
    {
        var s = ExecSecurity.Resolve(Process(caps: Caps()), null, lastCap: 39);   // a kernel without CAP_CHECKPOINT_RESTORE (40)
        var c = s.Capabilities!;
        Assert.Equal((1UL << 0) | (1UL << 5) | (1UL << 10), c.Bounding);
        Assert.Equal(1UL << 5, c.Effective);
        Assert.Equal((1UL << 5) | (1UL << 10), c.Permitted);
        Assert.Equal(1UL << 10, c.Inheritable);
        Assert.Equal(1UL << 10, c.Ambient);
        Assert.Equal(39, c.LastCap);
        Assert.Equal(["CAP_CHECKPOINT_RESTORE"], s.SkippedCapabilities);
        Assert.Equal([(7, 500UL, 600UL), (4, 0UL, ulong.MaxValue)], s.Rlimits);
        Assert.Equal(300, s.OomScoreAdj);
        Assert.Equal(0x17u, s.Umask);
    }

    [Fact]
    public void WithoutProcessCapabilitiesTheSetsAreLeftAlone()
    {
        var s = ExecSecurity.Resolve(new SpecProcess(), null, lastCap: 40);
        Assert.Null(s.Capabilities);
        Assert.Empty(s.Rlimits);
        Assert.Null(s.Umask);
        Assert.Null(s.Seccomp);
        Assert.DoesNotContain(s.Plan(0, 0, [], "/"), p => p.Call.StartsWith("capset") || p.Call.StartsWith("prctl") || p.Call.StartsWith("seccomp"));
    }

    [Fact]
    public void BadValuesAreRefusedNamingTheField()
    {
        var unknown = Assert.Throws<InvalidDataException>(() => ExecSecurity.Resolve(
            Process(caps: new SpecCapabilities { Effective = ["CAP_FLY"] }), null, 40));
        Assert.Contains("\"CAP_FLY\" in process.capabilities.effective", unknown.Message);
        var p = Process();
        p.Rlimits = [new SpecRlimit { Type = "RLIMIT_WINGS" }];
        Assert.Contains("RLIMIT_WINGS", Assert.Throws<InvalidDataException>(() => ExecSecurity.Resolve(p, null, 40)).Message);
        p = Process();
        p.User.Umask = 0x400;
        Assert.Contains("process.user.umask 2000", Assert.Throws<InvalidDataException>(() => ExecSecurity.Resolve(p, null, 40)).Message);
        var badSeccomp = new SpecSeccomp { DefaultAction = "SCMP_ACT_MAYBE" };
        Assert.Contains("linux.seccomp.defaultAction", Assert.Throws<RunConfigException>(() => ExecSecurity.Resolve(Process(), badSeccomp, 40)).Message);
    }

    [Fact]
    public void SeccompFlagsAreTheOnesLibseccompWouldPassAtLoad()
    {
        Assert.Equal(0u, ExecSecurity.Resolve(Process(noNewPrivileges: true), NoMkdir(), 40).SeccompFlags);   // NNP is the stage's own step
        var all = ExecSecurity.Resolve(Process(), NoMkdir("SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"), 40);
        Assert.Equal(ExecSecurity.SECCOMP_FILTER_FLAG_TSYNC | ExecSecurity.SECCOMP_FILTER_FLAG_LOG | ExecSecurity.SECCOMP_FILTER_FLAG_SPEC_ALLOW, all.SeccompFlags);
        Assert.Equal(ExecSecurity.SECCOMP_FILTER_FLAG_LOG, ExecSecurity.Resolve(Process(), NoMkdir("SECCOMP_FILTER_FLAG_LOG"), 40).SeccompFlags);
    }

    private static int IndexOf(IReadOnlyList<(string Call, string Result)> plan, string prefix)
    {
        int i = plan.ToList().FindIndex(p => p.Call.StartsWith(prefix, StringComparison.Ordinal));
        Assert.True(i >= 0, $"no call starting with \"{prefix}\" in:\n{string.Join('\n', plan.Select(p => p.Call))}");
        return i;
    }

    [Fact]
    public void WithoutNoNewPrivilegesTheFilterGoesInBeforeTheCapabilityDropAndTheUserSwitch()
    {
        var plan = ExecSecurity.Resolve(Process(caps: Caps()), NoMkdir(), 40).Plan(1000, 1000, [50], "/tmp");
        int seccomp = IndexOf(plan, "seccomp(");
        int keep = IndexOf(plan, "prctl(PR_SET_KEEPCAPS, 1)"), drop = IndexOf(plan, "prctl(PR_CAPBSET_DROP");
        int groups = IndexOf(plan, "setgroups(1, [50])"), gid = IndexOf(plan, "setresgid(1000"), uid = IndexOf(plan, "setresuid(1000");
        int chdir = IndexOf(plan, "chdir(\"/tmp\")"), capset = IndexOf(plan, "capset("), clear = IndexOf(plan, "prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL");
        int raise = IndexOf(plan, "prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE"), umask = IndexOf(plan, "umask(0027)");
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], new[] { seccomp, keep, drop, groups, gid, uid, chdir, capset, clear, raise, umask });
        Assert.DoesNotContain(plan, p => p.Call.Contains("NO_NEW_PRIVS"));
        Assert.Contains("x 37", plan[drop].Call);   // 41 capabilities, 4 kept
    }

    [Fact]
    public void WithNoNewPrivilegesTheFilterIsTheLastStep()
    {
        var plan = ExecSecurity.Resolve(Process(noNewPrivileges: true, caps: Caps()), NoMkdir(), 40).Plan(0, 0, null, null);
        Assert.Single(plan, p => p.Call.StartsWith("seccomp(", StringComparison.Ordinal));
        int nnp = IndexOf(plan, "prctl(PR_SET_NO_NEW_PRIVS, 1)"), seccomp = IndexOf(plan, "seccomp(");
        Assert.True(IndexOf(plan, "setresuid(0") < IndexOf(plan, "capset(") && IndexOf(plan, "capset(") < nnp);
        Assert.Equal(plan.Count - 2, nnp);
        Assert.Equal(plan.Count - 1, seccomp);
        Assert.DoesNotContain(plan, p => p.Call.StartsWith("setgroups"));   // null groups: kept (user namespace without groups)
    }

    [Fact]
    public void LimitsAreSetByTheHelperBeforeItJoinsAnything()
    {
        var helper = ExecSecurity.Resolve(Process(), null, 40).HelperPlan();
        Assert.Equal(["prlimit(0, RLIMIT_NOFILE, {500, 600})", "prlimit(0, RLIMIT_CORE, {0, unlimited})", "write(\"/proc/self/oom_score_adj\", \"300\")"],
            helper.Select(h => h.Call));
    }

    [Fact]
    public void LibseccompExportsTheFilterAsWholeBpfInstructions()
    {
        var s = ExecSecurity.Resolve(Process(), NoMkdir(), 40);
        s.CompileSeccomp(MiniRun.Trace.NullTrace.Instance);
        Assert.NotNull(s.SeccompFilter);
        Assert.True(s.SeccompFilter!.Length >= 4 * 8 && s.SeccompFilter.Length % 8 == 0, $"{s.SeccompFilter.Length} bytes");
        // struct sock_filter { u16 code; u8 jt, jf; u32 k; }: the last instruction returns (BPF_RET|BPF_K = 0x06).
        Assert.Equal(0x06, BitConverter.ToUInt16(s.SeccompFilter, s.SeccompFilter.Length - 8));
        // The filter mentions mkdir's number as a comparison operand (x86_64: 83, aarch64 has only mkdirat: 34).
        var operands = Enumerable.Range(0, s.SeccompFilter.Length / 8).Select(i => BitConverter.ToUInt32(s.SeccompFilter, i * 8 + 4)).ToList();
        Assert.Contains(System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64 ? 83u : 34u, operands);
    }

    [Fact]
    public void TheArgumentFormTakesTheContainersAttributesAndAddsCapabilities()
    {
        var container = Process(caps: Caps());
        var flags = new SpecProcess { Capabilities = new SpecCapabilities { Bounding = ["CAP_SYS_ADMIN", "CAP_KILL"] }, NoNewPrivileges = true };
        var a = OciRuntime.ArgumentFormAttributes(container, flags);
        Assert.Equal(["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_CHECKPOINT_RESTORE", "CAP_SYS_ADMIN"], a.Capabilities!.Bounding);
        Assert.Equal(["CAP_KILL", "CAP_SYS_ADMIN"], a.Capabilities.Effective);
        Assert.Equal(["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SYS_ADMIN"], a.Capabilities.Permitted);
        Assert.Equal(["CAP_NET_BIND_SERVICE"], a.Capabilities.Inheritable);
        Assert.True(a.NoNewPrivileges);
        Assert.Same(container.Rlimits, a.Rlimits);
        Assert.Equal(0x17u, a.User.Umask);
        Assert.Equal(300, a.OomScoreAdj);

        var plain = OciRuntime.ArgumentFormAttributes(container, new SpecProcess());
        Assert.Same(container.Capabilities, plain.Capabilities);
        Assert.False(plain.NoNewPrivileges);
    }
}
