// ExecSecurity: the security attributes of a process started by exec - rlimits, oom_score_adj,
// the five capability sets, umask, no_new_privs and the container's seccomp filter - decided here
// in C#, applied by the native stage (Native/exec_security.c) in the cloned child.
//
// Why: a process exec'd into a container must be confined like the container's own process, or
// `exec` would be a way around every drop the container has (runc, crun and Docker apply them to
// exec too). The attributes come from a runtime-spec process object: a process.json's own fields
// for `minirun-oci exec --process`, else the container's config.json process (OciRuntime.Exec,
// Cli/ExecCommand.cs). linux.seccomp is always the container's: a process object has none.
//
// What is decided here, with the init steps' own checks (shared with them): capability names ->
// bit masks up to the running kernel's cap_last_cap (CapabilitiesStep.Masks), rlimit names ->
// RLIMIT_* numbers (ProcessLimitsStep.Resolve), umask at most 0777, and linux.seccomp checked
// (SeccompProfile), compiled by libseccomp and exported as the raw BPF program
// (seccomp_export_bpf), with the seccomp(2) flags that libseccomp's own load would have passed.
//
// The order the native stage applies them (Plan, narrated by --trace), the container's init
// order (Init/InitSteps.cs), which runc's exec follows too:
//   helper (before setns)  prlimit, oom_score_adj - inherited by the program; set while raising
//                          them is still allowed (no user namespace joined yet)
//   program                seccomp filter, when no_new_privs is NOT set (the kernel then wants
//                          CAP_SYS_ADMIN, which the next steps may take away)
//                          PR_SET_KEEPCAPS, PR_CAPBSET_DROP (needs CAP_SETPCAP)
//                          setgroups, setresgid, setresuid; chdir
//                          capset (setresuid cleared the effective set), the ambient set
//                          umask, PR_SET_NO_NEW_PRIVS
//                          seccomp filter, when no_new_privs IS set: as late as possible
//                          execve
//
// Follows: runtime-spec config.md "Linux Process" and "POSIX process", runc-exec(8), seccomp(2),
// seccomp_export_bpf(3), capabilities(7), prctl(2), prlimit(2).
using MiniRun.Init;
using MiniRun.Kernel;
using MiniRun.Spec;
using MiniRun.Trace;

namespace MiniRun.Runtime;

public sealed class ExecSecurity
{
    /// <summary>seccomp(2)'s SECCOMP_FILTER_FLAG_* values.</summary>
    public const uint SECCOMP_FILTER_FLAG_TSYNC = 1, SECCOMP_FILTER_FLAG_LOG = 2, SECCOMP_FILTER_FLAG_SPEC_ALLOW = 4;

    public IReadOnlyList<(int Resource, ulong Soft, ulong Hard)> Rlimits { get; private init; } = [];
    public int? OomScoreAdj { get; private init; }
    /// <summary>Null: the capability sets stay as inherited (the process has no process.capabilities).</summary>
    public CapabilitiesStep.Sets? Capabilities { get; private init; }
    /// <summary>Known names above the kernel's cap_last_cap, left out.</summary>
    public IReadOnlyCollection<string> SkippedCapabilities { get; private init; } = [];
    public uint? Umask { get; private init; }
    public bool NoNewPrivileges { get; private init; }
    /// <summary>linux.seccomp, checked; the BPF program once <see cref="CompileSeccomp"/> ran.</summary>
    public SeccompProfile? Seccomp { get; private init; }
    public byte[]? SeccompFilter { get; private set; }
    public uint SeccompFlags { get; private init; }
    /// <summary>process.apparmorProfile: the native stage writes "exec PROFILE" before execve (null or "unconfined": none).</summary>
    public string? AppArmorProfile { get; private init; }

    /// <summary>
    /// Checks and resolves the process's attributes for a kernel whose highest capability is
    /// <paramref name="lastCap"/> (no system call). InvalidDataException or RunConfigException,
    /// naming the field, for a bad value.
    /// </summary>
    public static ExecSecurity Resolve(SpecProcess process, SpecSeccomp? seccomp, int lastCap)
    {
        CapabilitiesStep.Sets? caps = null;
        IReadOnlyCollection<string> skipped = [];
        if (process.Capabilities is { } c) caps = CapabilitiesStep.Masks(c, lastCap, out skipped);
        var profile = seccomp is null ? null : SeccompProfile.Compile(seccomp, process.NoNewPrivileges);
        return new ExecSecurity
        {
            Rlimits = ProcessLimitsStep.Resolve(process.Rlimits ?? []),
            OomScoreAdj = process.OomScoreAdj,
            Capabilities = caps,
            SkippedCapabilities = skipped,
            Umask = process.User.Umask is uint mask ? ExecAttributesStep.CheckUmask(mask) : null,
            NoNewPrivileges = process.NoNewPrivileges,
            Seccomp = profile,
            SeccompFlags = profile is null ? 0 : FilterFlags(profile),
            AppArmorProfile = process.ApparmorProfile is { } a && a != "unconfined" ? a : null,
        };
    }

    /// <summary>The seccomp(2) flags for the filter attributes libseccomp would pass to the kernel itself at load.</summary>
    public static uint FilterFlags(SeccompProfile profile)
    {
        uint flags = 0;
        foreach (var a in profile.Attributes.Where(a => a.Value != 0))
            flags |= a.Attribute switch
            {
                SeccompProfile.SCMP_FLTATR_CTL_TSYNC => SECCOMP_FILTER_FLAG_TSYNC,
                SeccompProfile.SCMP_FLTATR_CTL_LOG => SECCOMP_FILTER_FLAG_LOG,
                SeccompProfile.SCMP_FLTATR_CTL_SSB => SECCOMP_FILTER_FLAG_SPEC_ALLOW,
                _ => 0u,   // SCMP_FLTATR_CTL_NNP: no_new_privs is the native stage's own step
            };
        return flags;
    }

    /// <summary>libseccomp builds the filter (in this process, on the host) and exports it as BPF for the native stage.</summary>
    public void CompileSeccomp(ITrace trace, SeccompFilterCache? cache = null)
    {
        if (Seccomp is null) return;
        string? key = cache is null ? null : SeccompFilterCache.Key(Seccomp);
        if (key is not null && cache!.TryRead(key, out _) is { } cached)
        {
            if (trace.Enabled) trace.Note(Messages.SeccompCached.With(cached.Length / 8, cache.PathOf(key)));
            SeccompFilter = cached;
            return;
        }
        var kernel = new LinuxKernel(trace);
        var unknown = kernel.CompileSeccomp(Seccomp);
        if (unknown.Count > 0 && trace.Enabled)
            trace.Note(Messages.SeccompUnknownNames.With(unknown.Count, string.Join(" ", unknown)));
        SeccompFilter = kernel.ExportSeccompBpf();
        if (key is not null && cache!.Write(key, SeccompFilter) is { } failed && trace.Enabled)
            trace.Note(Messages.SeccompNotCached.With(failed));
    }

    /// <summary>The helper's calls, before it joins any namespace: limits the program inherits (for --trace).</summary>
    public IReadOnlyList<(string Call, string Result)> HelperPlan()
    {
        var plan = new List<(string, string)>();
        foreach (var (resource, soft, hard) in Rlimits)
            plan.Add(($"prlimit(0, {RlimitNames.Name(resource)}, {{{RlimitNames.Value(soft)}, {RlimitNames.Value(hard)}}})", Messages.ResultInHelperInherited.Text));
        if (OomScoreAdj is int adj)
            plan.Add(($"write(\"/proc/self/oom_score_adj\", \"{adj}\")", Messages.ResultInHelperInherited.Text));
        return plan;
    }

    /// <summary>
    /// The program's calls in the native stage's order, with what each does, for --trace: its
    /// attributes around the user switch (see the header).
    /// </summary>
    public IReadOnlyList<(string Call, string Result)> Plan(uint uid, uint gid, IReadOnlyList<uint>? groups, string? cwd)
    {
        var plan = new List<(string, string)>();
        string seccomp = $"seccomp(SECCOMP_SET_MODE_FILTER, {FlagNames(SeccompFlags)}, {{{(SeccompFilter?.Length ?? 0) / 8} BPF instructions}})";
        if (Seccomp is not null && !NoNewPrivileges)
            plan.Add((seccomp, Messages.ResultSeccompBeforeNnp.Text));
        if (Capabilities is { } caps)
        {
            if (caps.Permitted != 0) plan.Add(("prctl(PR_SET_KEEPCAPS, 1)", Messages.ResultKeepCaps.Text));
            ulong dropped = ~caps.Bounding & (caps.LastCap >= 63 ? ulong.MaxValue : (1UL << (caps.LastCap + 1)) - 1);
            if (dropped != 0)
                plan.Add(($"prctl(PR_CAPBSET_DROP, ...) x {System.Numerics.BitOperations.PopCount(dropped)}", Messages.ResultBoundingKept.With(CapabilityNames.Format(caps.Bounding)).Text));
        }
        if (groups is not null) plan.Add(($"setgroups({groups.Count}, [{string.Join(", ", groups)}])", "0"));
        plan.Add(($"setresgid({gid}, {gid}, {gid})", "0"));
        plan.Add(($"setresuid({uid}, {uid}, {uid})", "0"));
        if (cwd is not null) plan.Add(($"chdir({GoQuote.Quote(cwd)})", "0"));
        if (Capabilities is { } sets)
        {
            plan.Add(($"capset(effective={CapabilityNames.Format(sets.Effective)}, permitted={CapabilityNames.Format(sets.Permitted)}, inheritable={CapabilityNames.Format(sets.Inheritable)})", "0"));
            plan.Add(("prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)", "0"));
            for (int cap = 0; cap <= sets.LastCap; cap++)
                if ((sets.Ambient & (1UL << cap)) != 0)
                    plan.Add(($"prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, {CapabilityNames.Name(cap)})", "0"));
        }
        if (Umask is uint mask) plan.Add(($"umask({Convert.ToString(mask, 8).PadLeft(4, '0')})", Messages.ResultUmaskInherited.Text));
        if (NoNewPrivileges) plan.Add(("prctl(PR_SET_NO_NEW_PRIVS, 1)", Messages.ResultNoNewPrivs.Text));
        if (Seccomp is not null && NoNewPrivileges)
            plan.Add((seccomp, Messages.ResultSeccompAfterNnp.Text));
        return plan;
    }

    private static string FlagNames(uint flags)
    {
        if (flags == 0) return "0";
        var names = new List<string>();
        if ((flags & SECCOMP_FILTER_FLAG_TSYNC) != 0) names.Add("SECCOMP_FILTER_FLAG_TSYNC");
        if ((flags & SECCOMP_FILTER_FLAG_LOG) != 0) names.Add("SECCOMP_FILTER_FLAG_LOG");
        if ((flags & SECCOMP_FILTER_FLAG_SPEC_ALLOW) != 0) names.Add("SECCOMP_FILTER_FLAG_SPEC_ALLOW");
        return string.Join('|', names);
    }
}
