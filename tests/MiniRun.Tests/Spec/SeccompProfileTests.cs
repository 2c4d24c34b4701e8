// SeccompProfileTests: linux.seccomp checked and mapped to libseccomp's numbers without libseccomp:
// every action, operator, architecture and flag name; the errno rules; one-line errors naming the
// field and the value; NOTIFY and listenerPath refused; podman's real default profile compiles.
using MiniRun.Spec;

namespace MiniRun.Tests.Spec;

public sealed class SeccompProfileTests
{
    public const string PodmanProfile = "/usr/share/containers/seccomp.json";

    /// <summary>A linux.seccomp object (JSON text) read as config.json's reader reads it.</summary>
    public static SpecSeccomp Read(string seccomp) =>
        RuntimeSpecReader.Parse(System.Text.Encoding.UTF8.GetBytes("{\"linux\": {\"seccomp\": " + seccomp + "}}")).Linux.Seccomp!;

    private static SeccompProfile Compile(SpecSeccomp spec, bool nnp = false) => SeccompProfile.Compile(spec, nnp);

    private static SpecSeccomp Rule(string action, uint? errnoRet = null, params SpecSeccompArg[] args) => new()
    {
        DefaultAction = "SCMP_ACT_ALLOW",
        Syscalls = [new SpecSyscall { Names = ["mkdir"], Action = action, ErrnoRet = errnoRet, Args = [.. args] }],
    };

    [Theory]
    [InlineData("SCMP_ACT_KILL", 0x00000000u)]
    [InlineData("SCMP_ACT_KILL_THREAD", 0x00000000u)]
    [InlineData("SCMP_ACT_KILL_PROCESS", 0x80000000u)]
    [InlineData("SCMP_ACT_TRAP", 0x00030000u)]
    [InlineData("SCMP_ACT_LOG", 0x7ffc0000u)]
    [InlineData("SCMP_ACT_ERRNO", 0x00050001u)]   // EPERM when errnoRet is absent
    [InlineData("SCMP_ACT_TRACE", 0x7ff00001u)]
    public void ActionsMapToLibseccompValues(string action, uint value)
    {
        var rule = Compile(Rule(action)).Rules.Single();
        Assert.Equal(value, rule.Action);
        Assert.Equal("mkdir", rule.Syscall);
    }

    [Fact]
    public void ErrnoRetIsCarriedInTheLowBits()
    {
        Assert.Equal(0x00050026u, Compile(Rule("SCMP_ACT_ERRNO", 38)).Rules.Single().Action);
        Assert.Equal("SCMP_ACT_ERRNO(ENOSYS)", Compile(Rule("SCMP_ACT_ERRNO", 38)).Rules.Single().ActionText);
        Assert.Equal(0x7ff00005u, Compile(Rule("SCMP_ACT_TRACE", 5)).Rules.Single().Action);
        var p = Compile(new SpecSeccomp { DefaultAction = "SCMP_ACT_ERRNO", DefaultErrnoRet = 38 });
        Assert.Equal(0x00050026u, p.DefaultAction);
        Assert.Equal(0x00050001u, Compile(new SpecSeccomp { DefaultAction = "SCMP_ACT_ERRNO" }).DefaultAction);
        Assert.Equal(SeccompProfile.SCMP_ACT_ALLOW, Compile(new SpecSeccomp { DefaultAction = "SCMP_ACT_ALLOW" }).DefaultAction);
    }

    [Theory]
    [InlineData("SCMP_CMP_NE", 1)]
    [InlineData("SCMP_CMP_LT", 2)]
    [InlineData("SCMP_CMP_LE", 3)]
    [InlineData("SCMP_CMP_EQ", 4)]
    [InlineData("SCMP_CMP_GE", 5)]
    [InlineData("SCMP_CMP_GT", 6)]
    [InlineData("SCMP_CMP_MASKED_EQ", 7)]
    public void OperatorsMapToScmpCompare(string op, int value)
    {
        var c = Compile(Rule("SCMP_ACT_ERRNO", null, new SpecSeccompArg { Index = 2, Value = 9, ValueTwo = 3, Op = op })).Rules.Single().Conditions.Single();
        Assert.Equal((2u, value, 9ul, 3ul), (c.Index, c.Op, c.Value, c.ValueTwo));
    }

    [Fact]
    public void ArgumentsOfOneRuleAreAndedButARepeatedIndexSplitsTheRule()
    {
        var and = Compile(Rule("SCMP_ACT_ERRNO", null,
            new SpecSeccompArg { Index = 0, Value = 1, Op = "SCMP_CMP_EQ" }, new SpecSeccompArg { Index = 1, Value = 2, Op = "SCMP_CMP_EQ" }));
        Assert.Equal(2, and.Rules.Single().Conditions.Count);
        var or = Compile(Rule("SCMP_ACT_ERRNO", null,
            new SpecSeccompArg { Index = 0, Value = 1, Op = "SCMP_CMP_EQ" }, new SpecSeccompArg { Index = 0, Value = 2, Op = "SCMP_CMP_EQ" }));
        Assert.Equal([1ul, 2ul], or.Rules.Select(r => r.Conditions.Single().Value));
    }

    [Fact]
    public void EveryNameOfARuleGetsItsOwnRuleAndRulesLikeTheDefaultAreDropped()
    {
        var p = Compile(new SpecSeccomp
        {
            DefaultAction = "SCMP_ACT_ERRNO",
            Syscalls =
            [
                new SpecSyscall { Names = ["read", "write"], Action = "SCMP_ACT_ALLOW" },
                new SpecSyscall { Names = ["kexec_load"], Action = "SCMP_ACT_ERRNO", ErrnoRet = 1 },   // = the default
                new SpecSyscall { Names = ["ptrace"], Action = "SCMP_ACT_ERRNO", ErrnoRet = 38 },      // another errno: kept
            ],
        });
        Assert.Equal(["read", "write", "ptrace"], p.Rules.Select(r => r.Syscall));
        Assert.Contains("kexec_load: SCMP_ACT_ERRNO(EPERM) is the default action already (rule dropped)", p.Notes.Select(n => n.En));
    }

    [Fact]
    public void ArchitecturesMapToAuditArchTokens()
    {
        var p = Compile(new SpecSeccomp { DefaultAction = "SCMP_ACT_ALLOW", Architectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_X86"] });
        Assert.Equal([("SCMP_ARCH_X86_64", 0xC000003Eu), ("SCMP_ARCH_X86", 0x40000003u), ("SCMP_ARCH_X32", 0x4000003Eu)], p.ExtraArchitectures);
    }

    [Fact]
    public void ArchitectureTableAgreesWithLibseccomp()
    {
        if (!File.Exists("/usr/lib/x86_64-linux-gnu/libseccomp.so.2") && !File.Exists("/lib/x86_64-linux-gnu/libseccomp.so.2")) return;
        foreach (var (name, token) in SeccompProfile.Architectures)
        {
            uint fromLibrary = MiniRun.Kernel.Seccomp.seccomp_arch_resolve_name(name["SCMP_ARCH_".Length..].ToLowerInvariant());
            Assert.True(token == fromLibrary, $"{name}: table 0x{token:X8}, libseccomp 0x{fromLibrary:X8}");
        }
    }

    [Fact]
    public void FlagsBecomeAttributesAndNoNewPrivsFollowsTheSpec()
    {
        var p = Compile(new SpecSeccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            Flags = ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
        });
        Assert.Equal([("SCMP_FLTATR_CTL_NNP", 3, 0u), ("SCMP_FLTATR_CTL_TSYNC", 4, 1u), ("SCMP_FLTATR_CTL_LOG", 6, 1u), ("SCMP_FLTATR_CTL_SSB", 7, 1u)],
            p.Attributes.Select(a => (a.Name, a.Attribute, a.Value)));
        Assert.Equal(1u, Compile(new SpecSeccomp { DefaultAction = "SCMP_ACT_ALLOW" }, nnp: true).Attributes.Single().Value);
    }

    [Theory]
    [InlineData("""{"defaultAction": "SCMP_ACT_ALOW"}""", "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_ALOW\"")]
    [InlineData("""{}""", "linux.seccomp.defaultAction: missing")]
    [InlineData("""{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_Z80"]}""", "linux.seccomp.architectures: unknown architecture \"SCMP_ARCH_Z80\"")]
    [InlineData("""{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_NEW_LISTENER"]}""", "linux.seccomp.flags: unknown or unsupported flag \"SECCOMP_FILTER_FLAG_NEW_LISTENER\"")]
    [InlineData("""{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_LIKE"}]}]}""",
        "linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_LIKE\"")]
    [InlineData("""{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}""",
        "linux.seccomp.syscalls[0].args[0].index: 6 is not an argument (a system call has 6: 0-5)")]
    [InlineData("""{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": [], "action": "SCMP_ACT_ERRNO"}]}""",
        "linux.seccomp.syscalls[0].names: at least one non-empty system call name is required")]
    [InlineData("""{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "errnoRet": 1}]}""",
        "linux.seccomp.syscalls[0].action: SCMP_ACT_ALLOW returns no errno, but errnoRet is 1")]
    [InlineData("""{"defaultAction": "SCMP_ACT_KILL", "defaultErrnoRet": 1}""", "linux.seccomp.defaultAction: SCMP_ACT_KILL returns no errno, but defaultErrnoRet is 1")]
    [InlineData("""{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 65536}""", "linux.seccomp.defaultAction: defaultErrnoRet 65536 does not fit the filter's 16 bits")]
    [InlineData("""{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_NOTIFY"}]}""",
        "linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY needs a seccomp agent (listenerPath), which MiniRun does not support")]
    [InlineData("""{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/agent"}""",
        "linux.seccomp.listenerPath \"/run/agent\": seccomp agents (SCMP_ACT_NOTIFY) are not supported by MiniRun")]
    public void BadValuesAreOneLineErrorsNamingTheField(string seccomp, string message)
    {
        var e = Assert.Throws<RunConfigException>(() => Compile(Read(seccomp)));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void PodmansDefaultProfileCompiles()
    {
        if (!File.Exists(PodmanProfile)) return;   // podman (containers-common) not installed
        var p = Compile(Read(File.ReadAllText(PodmanProfile)));
        Assert.Equal("SCMP_ACT_ERRNO(ENOSYS)", p.DefaultActionText);
        Assert.Contains(p.Rules, r => r.Syscall == "read" && r.Action == SeccompProfile.SCMP_ACT_ALLOW);
        Assert.True(p.Rules.Count > 300, $"{p.Rules.Count} rules");
    }
}
