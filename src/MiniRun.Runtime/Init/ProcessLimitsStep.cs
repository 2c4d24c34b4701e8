// ProcessLimitsStep: the per-process limits config.json asks for - resource limits (rlimits)
// and the OOM killer's score adjustment - set by init on itself, so the command inherits them.
//
// Why: `ulimit -n` inside a container is whatever the runtime set: the kernel keeps rlimits per
// process and passes them on through fork and execve. RLIMIT_NOFILE caps open descriptors,
// RLIMIT_NPROC the processes of a user, RLIMIT_CORE core dumps. oom_score_adj (-1000..1000)
// tells the OOM killer whom to prefer when memory runs out (1000: this one first).
//
// Order constraints: before the user switch and the capability steps, while init still has the
// privileges these may need: raising a hard limit needs CAP_SYS_RESOURCE, and so does lowering
// oom_score_adj below its current value. (On a host without CAP_SYS_RESOURCE, such as the
// course machine, only lowering hard limits and raising oom_score_adj work: the error then names
// the limit and the errno.) Each rlimit type may appear once; an unknown type stops the start.
//
// Follows: setrlimit(2), proc(5) /proc/PID/oom_score_adj, runtime-spec config.md "POSIX
// process" (rlimits) and "Linux Process" (oomScoreAdj).
using MiniRun.Kernel;

using MiniRun.Trace;

namespace MiniRun.Init;

public static class ProcessLimitsStep
{
    public static void Run(InitContext c)
    {
        var rlimits = c.Spec.Process.Rlimits ?? [];
        int? oom = c.Spec.Process.OomScoreAdj;
        if (rlimits.Count == 0 && oom is null) return;
        c.BeginStep(Messages.ProcessLimitsTitle, Messages.ProcessLimitsWhy);
        foreach (var (resource, soft, hard) in Resolve(rlimits))
            c.Kernel.SetRlimit(resource, soft, hard);
        if (oom is int adj)
            c.Kernel.WriteProcFile("/proc/self/oom_score_adj", adj.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>process.rlimits as RLIMIT_* numbers (also what exec hands its native stage); an unknown or repeated type throws.</summary>
    public static List<(int Resource, ulong Soft, ulong Hard)> Resolve(IReadOnlyList<MiniRun.Spec.SpecRlimit> rlimits)
    {
        var resolved = new List<(int Resource, ulong Soft, ulong Hard)>();
        foreach (var l in rlimits)
        {
            int resource = RlimitNames.Number(l.Type) ?? throw new InvalidDataException($"unknown rlimit type {GoQuote.Quote(l.Type)} in process.rlimits");
            if (resolved.Any(r => r.Resource == resource))
                throw new InvalidDataException($"rlimit type {GoQuote.Quote(l.Type)} appears twice in process.rlimits");
            resolved.Add((resource, l.Soft, l.Hard));
        }
        return resolved;
    }
}
