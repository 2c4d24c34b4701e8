// Ulimits: `--ulimit NAME=SOFT[:HARD]` as config.json's process.rlimits.
//
// Why: resource limits per process (open files, processes, core size, locked memory...) that the
// container's PID 1 inherits and passes on; the core sets them with setrlimit(2) before the
// command runs (Init/ProcessLimitsStep.cs). Docker's rules: the names of go-units
// (core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime,
// sigpending, stack) become RLIMIT_<NAME>; HARD defaults to SOFT; -1 means unlimited
// (RLIM_INFINITY); SOFT may not exceed HARD; a name given twice: the last wins. Raising a hard
// limit above the runtime's own needs CAP_SYS_RESOURCE on the host (the core then fails with
// EPERM, naming the limit).
//
// Follows: docker-run(1) "--ulimit"; go-units ParseUlimit (formats, error texts); setrlimit(2).
using System.Globalization;
using MiniRun.Spec;

namespace MiniRun.Security;

/// <summary>One --ulimit as Docker records it in HostConfig.Ulimits.</summary>
public sealed record Ulimit(string Name, long Soft, long Hard);

public static class Ulimits
{
    public static readonly string[] Names =
        ["core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack"];

    public static Ulimit Parse(string value)
    {
        string Bad(string why) => $"invalid argument \"{value}\" for \"--ulimit\" flag: {why}";
        int eq = value.IndexOf('=');
        if (eq < 0) throw new RunConfigException(Bad($"invalid ulimit argument: {value}"));
        string name = value[..eq], limits = value[(eq + 1)..];
        if (!Names.Contains(name)) throw new RunConfigException(Bad($"invalid ulimit type: {name}"));
        var parts = limits.Split(':');
        if (parts.Length > 2)
            throw new RunConfigException(Bad($"too many limit value arguments - {limits}, can only have up to two, `soft[:hard]`"));
        long Number(string text) => long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n)
            ? n : throw new RunConfigException(Bad($"strconv.ParseInt: parsing {GoQuote.Quote(text)}: invalid syntax"));
        long soft = Number(parts[0]);
        long hard = parts.Length == 2 ? Number(parts[1]) : soft;
        if (soft < -1 || hard < -1) throw new RunConfigException(Bad($"invalid ulimit value: {limits} (a number, or -1 for unlimited)"));
        if (hard != -1 && (soft == -1 || soft > hard))
            throw new RunConfigException(Bad($"ulimit soft limit must be less than or equal to hard limit: {(soft == -1 ? "unlimited" : soft)} > {hard}"));
        return new Ulimit(name, soft, hard);
    }

    /// <summary>Adds process.rlimits; returns HostConfig.Ulimits (one per name, the last given).</summary>
    public static List<Ulimit> Apply(RuntimeSpec spec, RunOptions o)
    {
        var byName = new List<Ulimit>();
        foreach (var u in o.Ulimits.Select(Parse))
        {
            byName.RemoveAll(x => x.Name == u.Name);
            byName.Add(u);
        }
        if (byName.Count > 0)
            spec.Process.Rlimits = byName.Select(u => new SpecRlimit
            {
                Type = "RLIMIT_" + u.Name.ToUpperInvariant(),
                Soft = u.Soft == -1 ? ulong.MaxValue : (ulong)u.Soft,
                Hard = u.Hard == -1 ? ulong.MaxValue : (ulong)u.Hard,
            }).ToList();
        return byName;
    }
}
