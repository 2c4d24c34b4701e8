// SeccompProfile: linux.seccomp from config.json, checked and turned into the numbers libseccomp
// takes - before anything is given to the kernel.
//
// What seccomp is: a filter (a small BPF program) the kernel runs on every system call of the
// process and its descendants. It sees the call's number, architecture and six arguments and
// answers with an action: allow it, fail it with an errno, kill the thread or the process, send
// SIGSYS (trap), hand it to a tracer, or log it. Once loaded it can never be removed. Docker and
// podman load a default profile that fails ~50 dangerous calls (kexec_load, init_module, bpf, ...)
// with EPERM; config.json carries it as linux.seccomp.
//
// Why a pure compiler step: every name in the spec (SCMP_ACT_*, SCMP_ARCH_*, SCMP_CMP_*,
// SECCOMP_FILTER_FLAG_*) is checked here and mapped to libseccomp's constant, so a typo is a
// one-line error naming the field and the value, and the mapping is unit-tested without libseccomp.
// Only the system call names are left to libseccomp (Kernel/LinuxKernel.Seccomp.cs): they depend on
// the architecture, and names this libseccomp does not know are skipped there, as runc and crun do
// (Docker's and podman's profiles list calls newer than many kernels).
//
// Rules:
// - errnoRet / defaultErrnoRet: only for SCMP_ACT_ERRNO and SCMP_ACT_TRACE (the spec says the runtime
//   MUST fail otherwise); EPERM (1) when absent.
// - A rule whose action equals the default action is dropped (it would change nothing; libseccomp
//   refuses such a rule).
// - All args of a rule must hold at once (AND). libseccomp accepts one comparison per argument in a
//   rule, so when a rule compares the same argument twice, each comparison becomes its own rule (OR):
//   what runc and crun do with such profiles.
// - SCMP_ACT_NOTIFY and listenerPath are refused: they hand calls to a seccomp agent over a unix
//   socket, and MiniRun has no agent support.
// - The filter sets no_new_privs itself only when process.noNewPrivileges asks (libseccomp would set it
//   by default: SCMP_FLTATR_CTL_NNP is turned off otherwise, so setuid programs keep working).
//
// Follows: OCI runtime-spec v1.2 config-linux.md "Seccomp"; seccomp(2); seccomp_init(3),
// seccomp_rule_add(3), seccomp_attr_set(3), seccomp_arch_add(3) (libseccomp 2.5).
using MiniRun.Trace;

namespace MiniRun.Spec;

/// <summary>One comparison of a system call argument: SCMP_A{Index}(Op, Value[, ValueTwo]).</summary>
public sealed record SeccompCondition(uint Index, int Op, string OpName, ulong Value, ulong ValueTwo)
{
    public override string ToString() =>
        $"arg{Index} {OpName.Replace("SCMP_CMP_", "")} {Value}{(Op == SeccompProfile.SCMP_CMP_MASKED_EQ ? $" == {ValueTwo}" : "")}";
}

/// <summary>One libseccomp rule: this call, when every condition holds, gets this action.</summary>
public sealed record SeccompRule(string Syscall, uint Action, string ActionText, IReadOnlyList<SeccompCondition> Conditions);

/// <summary>A filter attribute for seccomp_attr_set (SCMP_FLTATR_*).</summary>
public sealed record SeccompAttribute(int Attribute, string Name, uint Value);

/// <summary>linux.seccomp, validated and in libseccomp's numbers.</summary>
public sealed class SeccompProfile
{
    // libseccomp's actions (seccomp.h); ERRNO and TRACE carry a 16-bit value in the low bits.
    public const uint SCMP_ACT_KILL_PROCESS = 0x80000000, SCMP_ACT_KILL_THREAD = 0x00000000, SCMP_ACT_TRAP = 0x00030000,
        SCMP_ACT_NOTIFY = 0x7fc00000, SCMP_ACT_ERRNO = 0x00050000, SCMP_ACT_TRACE = 0x7ff00000,
        SCMP_ACT_LOG = 0x7ffc0000, SCMP_ACT_ALLOW = 0x7fff0000;

    // enum scmp_compare
    public const int SCMP_CMP_NE = 1, SCMP_CMP_LT = 2, SCMP_CMP_LE = 3, SCMP_CMP_EQ = 4, SCMP_CMP_GE = 5,
        SCMP_CMP_GT = 6, SCMP_CMP_MASKED_EQ = 7;

    // enum scmp_filter_attr
    public const int SCMP_FLTATR_CTL_NNP = 3, SCMP_FLTATR_CTL_TSYNC = 4, SCMP_FLTATR_CTL_LOG = 6, SCMP_FLTATR_CTL_SSB = 7;

    /// <summary>
    /// SCMP_ARCH_* = the kernel's AUDIT_ARCH_* values (linux/audit.h): the ELF machine number, |0x80000000
    /// for 64-bit, |0x40000000 for little-endian (x32 and the MIPS n32 ABIs add their own bits).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, uint> Architectures = new Dictionary<string, uint>
    {
        ["SCMP_ARCH_X86"] = 0x40000003, ["SCMP_ARCH_X86_64"] = 0xC000003E, ["SCMP_ARCH_X32"] = 0x4000003E,
        ["SCMP_ARCH_ARM"] = 0x40000028, ["SCMP_ARCH_AARCH64"] = 0xC00000B7,
        ["SCMP_ARCH_MIPS"] = 0x00000008, ["SCMP_ARCH_MIPS64"] = 0x80000008, ["SCMP_ARCH_MIPS64N32"] = 0xA0000008,
        ["SCMP_ARCH_MIPSEL"] = 0x40000008, ["SCMP_ARCH_MIPSEL64"] = 0xC0000008, ["SCMP_ARCH_MIPSEL64N32"] = 0xE0000008,
        ["SCMP_ARCH_PPC"] = 0x00000014, ["SCMP_ARCH_PPC64"] = 0x80000015, ["SCMP_ARCH_PPC64LE"] = 0xC0000015,
        ["SCMP_ARCH_S390"] = 0x00000016, ["SCMP_ARCH_S390X"] = 0x80000016,
        ["SCMP_ARCH_PARISC"] = 0x0000000F, ["SCMP_ARCH_PARISC64"] = 0x8000000F, ["SCMP_ARCH_RISCV64"] = 0xC00000F3,
    };

    private static readonly Dictionary<string, int> Ops = new()
    {
        ["SCMP_CMP_NE"] = SCMP_CMP_NE, ["SCMP_CMP_LT"] = SCMP_CMP_LT, ["SCMP_CMP_LE"] = SCMP_CMP_LE, ["SCMP_CMP_EQ"] = SCMP_CMP_EQ,
        ["SCMP_CMP_GE"] = SCMP_CMP_GE, ["SCMP_CMP_GT"] = SCMP_CMP_GT, ["SCMP_CMP_MASKED_EQ"] = SCMP_CMP_MASKED_EQ,
    };

    /// <summary>seccomp(2)'s SECCOMP_FILTER_FLAG_* as the libseccomp attribute that sets each.</summary>
    private static readonly Dictionary<string, int> Flags = new()
    {
        ["SECCOMP_FILTER_FLAG_TSYNC"] = SCMP_FLTATR_CTL_TSYNC,        // filter every thread of the process, not only the caller
        ["SECCOMP_FILTER_FLAG_LOG"] = SCMP_FLTATR_CTL_LOG,            // log every action but ALLOW to the audit log
        ["SECCOMP_FILTER_FLAG_SPEC_ALLOW"] = SCMP_FLTATR_CTL_SSB,     // keep speculative store bypass mitigation off
    };

    public uint DefaultAction { get; private init; }
    public string DefaultActionText { get; private init; } = "";
    /// <summary>Architectures added besides the native one (whose token seccomp_init adds itself).</summary>
    public IReadOnlyList<(string Name, uint Token)> ExtraArchitectures { get; private init; } = [];
    public IReadOnlyList<SeccompAttribute> Attributes { get; private init; } = [];
    public IReadOnlyList<SeccompRule> Rules { get; private init; } = [];
    /// <summary>What the compiler dropped and why (narrated by --trace).</summary>
    public IReadOnlyList<MiniRun.Trace.Narration> Notes { get; private init; } = [];

    /// <summary>Checks and maps linux.seccomp; RunConfigException (one line, naming the field) on a bad value.</summary>
    public static SeccompProfile Compile(SpecSeccomp spec, bool noNewPrivileges)
    {
        if (spec.ListenerPath is { Length: > 0 })
            throw new RunConfigException($"linux.seccomp.listenerPath {GoQuote.Quote(spec.ListenerPath)}: seccomp agents (SCMP_ACT_NOTIFY) are not supported by MiniRun");
        if (spec.DefaultAction.Length == 0)
            throw new RunConfigException("linux.seccomp.defaultAction: missing");
        var (defaultAction, defaultText) = Action(spec.DefaultAction, spec.DefaultErrnoRet, "linux.seccomp.defaultAction", "defaultErrnoRet");

        var archs = new List<(string, uint)>();
        foreach (var name in spec.Architectures ?? [])
        {
            if (!Architectures.TryGetValue(name, out uint token))
                throw new RunConfigException($"linux.seccomp.architectures: unknown architecture {GoQuote.Quote(name)}");
            if (!archs.Contains((name, token))) archs.Add((name, token));
        }

        var attributes = new List<SeccompAttribute> { new(SCMP_FLTATR_CTL_NNP, "SCMP_FLTATR_CTL_NNP", noNewPrivileges ? 1u : 0u) };
        foreach (var flag in spec.Flags ?? [])
        {
            if (!Flags.TryGetValue(flag, out int attribute))
                throw new RunConfigException($"linux.seccomp.flags: unknown or unsupported flag {GoQuote.Quote(flag)}");
            if (attributes.All(a => a.Attribute != attribute))
                attributes.Add(new SeccompAttribute(attribute, AttributeName(attribute), 1));
        }

        var rules = new List<SeccompRule>();
        var notes = new List<MiniRun.Trace.Narration>();
        var syscalls = spec.Syscalls ?? [];
        for (int i = 0; i < syscalls.Count; i++)
        {
            var call = syscalls[i];
            string field = $"linux.seccomp.syscalls[{i}]";
            if (call.Names.Count == 0 || call.Names.Any(n => n.Length == 0))
                throw new RunConfigException($"{field}.names: at least one non-empty system call name is required");
            var (action, actionText) = Action(call.Action, call.ErrnoRet, $"{field}.action", "errnoRet");
            var conditions = new List<SeccompCondition>();
            var args = call.Args ?? [];
            for (int j = 0; j < args.Count; j++)
            {
                var a = args[j];
                if (!Ops.TryGetValue(a.Op, out int op))
                    throw new RunConfigException($"{field}.args[{j}].op: unknown operator {GoQuote.Quote(a.Op)}");
                if (a.Index > 5)
                    throw new RunConfigException($"{field}.args[{j}].index: {a.Index} is not an argument (a system call has 6: 0-5)");
                conditions.Add(new SeccompCondition(a.Index, op, a.Op, a.Value, a.ValueTwo ?? 0));
            }
            if (action == defaultAction)
            {
                notes.Add(MiniRun.Trace.Messages.SeccompRuleDropped.With(string.Join(", ", call.Names), actionText));
                continue;
            }
            bool repeated = conditions.Select(c => c.Index).Distinct().Count() != conditions.Count;
            foreach (var name in call.Names)
            {
                if (repeated)
                    rules.AddRange(conditions.Select(c => new SeccompRule(name, action, actionText, [c])));
                else
                    rules.Add(new SeccompRule(name, action, actionText, conditions));
            }
        }
        return new SeccompProfile
        {
            DefaultAction = defaultAction, DefaultActionText = defaultText, ExtraArchitectures = archs,
            Attributes = attributes, Rules = rules, Notes = notes,
        };
    }

    /// <summary>An SCMP_ACT_* name (with its errno, for ERRNO and TRACE) as libseccomp's value and as text.</summary>
    private static (uint Value, string Text) Action(string name, uint? errnoRet, string field, string errnoField)
    {
        uint? simple = name switch
        {
            "SCMP_ACT_KILL" or "SCMP_ACT_KILL_THREAD" => SCMP_ACT_KILL_THREAD,
            "SCMP_ACT_KILL_PROCESS" => SCMP_ACT_KILL_PROCESS,
            "SCMP_ACT_TRAP" => SCMP_ACT_TRAP,
            "SCMP_ACT_ALLOW" => SCMP_ACT_ALLOW,
            "SCMP_ACT_LOG" => SCMP_ACT_LOG,
            _ => null,
        };
        if (simple is uint value)
        {
            if (errnoRet is not null)
                throw new RunConfigException($"{field}: {name} returns no errno, but {errnoField} is {errnoRet}");
            return (value, name);
        }
        if (name is "SCMP_ACT_ERRNO" or "SCMP_ACT_TRACE")
        {
            uint errno = errnoRet ?? 1;   // EPERM
            if (errno > 0xffff)
                throw new RunConfigException($"{field}: {errnoField} {errno} does not fit the filter's 16 bits");
            uint code = (name == "SCMP_ACT_ERRNO" ? SCMP_ACT_ERRNO : SCMP_ACT_TRACE) | errno;
            string shown = name == "SCMP_ACT_ERRNO" ? MiniRun.Kernel.Errno.Name((int)errno) : errno.ToString();
            return (code, $"{name}({shown})");
        }
        if (name == "SCMP_ACT_NOTIFY")
            throw new RunConfigException($"{field}: SCMP_ACT_NOTIFY needs a seccomp agent (listenerPath), which MiniRun does not support");
        throw new RunConfigException($"{field}: unknown action {GoQuote.Quote(name)}");
    }

    private static string AttributeName(int attribute) => attribute switch
    {
        SCMP_FLTATR_CTL_TSYNC => "SCMP_FLTATR_CTL_TSYNC",
        SCMP_FLTATR_CTL_LOG => "SCMP_FLTATR_CTL_LOG",
        SCMP_FLTATR_CTL_SSB => "SCMP_FLTATR_CTL_SSB",
        _ => "SCMP_FLTATR_CTL_NNP",
    };

    /// <summary>One line for --trace: "default SCMP_ACT_ALLOW, 2 rules, flags TSYNC".</summary>
    public string Summary() =>
        $"default {DefaultActionText}, {Rules.Count} rule{(Rules.Count == 1 ? "" : "s")} for {Rules.Select(r => r.Syscall).Distinct().Count()} system calls" +
        (ExtraArchitectures.Count > 0 ? $", architectures {string.Join(" ", ExtraArchitectures.Select(a => a.Name.Replace("SCMP_ARCH_", "")))}" : "") +
        $", {string.Join(" ", Attributes.Select(a => $"{a.Name.Replace("SCMP_FLTATR_", "")}={a.Value}"))}";
}
