// CapabilitiesStep: give the container's process exactly the capabilities config.json lists, in
// two steps around the user switch.
//
// Why: root inside a container is still root on the host's kernel; capabilities(7) split root's
// power so the container keeps only what it needs (Docker keeps 14, e.g. CAP_CHOWN and
// CAP_NET_BIND_SERVICE, but not CAP_SYS_ADMIN or CAP_SYS_MODULE).
//   - bounding: the ceiling for everything after; a capability dropped from it never comes back,
//     not even through a setuid-root program. For a root process the bounding set is what
//     execve gives it, so this is the set that matters most.
//   - effective / permitted / inheritable: set with capset(2); permitted is what the process may
//     use, effective what it uses now, inheritable what may pass through execve.
//   - ambient: how a NON-root user keeps capabilities across execve (each must also be permitted
//     and inheritable).
// When config.json has no process.capabilities nothing here runs: the process keeps what it
// inherited, which is what `run` gives today.
//
// Order constraints:
//   1. before the user switch: PR_SET_KEEPCAPS (else setresuid to a non-zero uid empties the
//      permitted set), then PR_CAPBSET_DROP for every capability not in bounding (this needs
//      CAP_SETPCAP, which the user switch may take away);
//   2. after setresuid: capset with the three sets (setresuid cleared the effective set), then
//      clear the ambient set and raise the listed ones (raising needs them permitted and
//      inheritable, so it follows capset).
// Every name is checked before the first call: an unknown one stops the start with its name.
// A known capability the running kernel lacks (above /proc/sys/kernel/cap_last_cap) is skipped
// with a note - the same config.json works on an older kernel.
//
// Follows: capabilities(7) ("Transformation of capabilities during execve()", "Ambient capability
// set"), capset(2), prctl(2) PR_SET_KEEPCAPS / PR_CAPBSET_DROP / PR_CAP_AMBIENT,
// runtime-spec config.md "Linux Process" (capabilities).
using MiniRun.Kernel;
using MiniRun.Spec;

using MiniRun.Trace;

namespace MiniRun.Init;

public static class CapabilitiesStep
{
    /// <summary>The five sets as bit masks (bit N = capability N), limited to the running kernel's capabilities.</summary>
    public sealed record Sets(ulong Bounding, ulong Effective, ulong Permitted, ulong Inheritable, ulong Ambient, int LastCap);

    /// <summary>Step 1, before the user switch: keep the permitted set across setresuid, shrink the bounding set.</summary>
    public static void LimitBoundingSet(InitContext c)
    {
        var caps = c.Spec.Process.Capabilities;
        if (caps is null) return;
        c.BeginStep(Messages.CapsBoundingTitle, Messages.CapsBoundingWhy);
        var sets = Resolve(c, caps, noteSkipped: true);
        c.Trace.Note(Messages.CapsKeeping.With(Count(sets.Bounding), sets.LastCap + 1, CapabilityNames.Format(sets.Bounding)));
        c.Trace.Fact(TraceFact.Capabilities, Messages.FactCapabilities.With(Count(sets.Bounding), sets.LastCap + 1, CapabilityNames.Format(sets.Bounding)).Text);
        if (sets.Permitted != 0)
            c.Kernel.KeepCapabilities();
        for (int cap = 0; cap <= sets.LastCap; cap++)
            if ((sets.Bounding & (1UL << cap)) == 0)
                c.Kernel.DropBoundingCapability(cap);
    }

    /// <summary>Step 2, after setresuid: the effective, permitted and inheritable sets, then the ambient set.</summary>
    public static void SetSets(InitContext c)
    {
        var caps = c.Spec.Process.Capabilities;
        if (caps is null) return;
        c.BeginStep(Messages.CapsSetTitle, Messages.CapsSetWhy);
        var sets = Resolve(c, caps, noteSkipped: false);
        c.Kernel.SetCapabilities(sets.Effective, sets.Permitted, sets.Inheritable);
        c.Kernel.ClearAmbientCapabilities();
        for (int cap = 0; cap <= sets.LastCap; cap++)
            if ((sets.Ambient & (1UL << cap)) != 0)
                c.Kernel.RaiseAmbientCapability(cap);
    }

    /// <summary>
    /// The sets as masks. Throws for a name Linux does not have (naming it and its set); skips,
    /// with a note when asked, a capability above the running kernel's cap_last_cap.
    /// </summary>
    public static Sets Resolve(InitContext c, SpecCapabilities caps, bool noteSkipped)
    {
        string? text = c.Kernel.ReadFile("/proc/sys/kernel/cap_last_cap");
        int last = LastCap(text);
        if (noteSkipped && ParsedLastCap(text) is null)
            c.Trace.Note(Messages.CapsLastCapUnreadable.With(CapabilityNames.Last, CapabilityNames.Name(CapabilityNames.Last)));
        var sets = Masks(caps, last, out var skipped);
        if (noteSkipped && skipped.Count > 0)
            c.Trace.Note(Messages.CapsSkipped.With(last, string.Join(", ", skipped)));
        return sets;
    }

    /// <summary>
    /// The sets as masks for a kernel whose highest capability is <paramref name="last"/> (pure: also
    /// what exec hands its native stage). Throws for a name Linux does not have; a known name above
    /// <paramref name="last"/> is left out and listed in <paramref name="skipped"/>.
    /// </summary>
    public static Sets Masks(SpecCapabilities caps, int last, out IReadOnlyCollection<string> skipped)
    {
        var left = new SortedSet<string>(StringComparer.Ordinal);
        ulong Mask(List<string>? names, string set)
        {
            ulong mask = 0;
            foreach (var name in names ?? [])
            {
                int cap = CapabilityNames.Number(name)
                    ?? throw new InvalidDataException($"unknown capability {GoQuote.Quote(name)} in process.capabilities.{set}");
                if (cap > last) left.Add(name);
                else mask |= 1UL << cap;
            }
            return mask;
        }
        ulong permitted = Mask(caps.Permitted, "permitted"), inheritable = Mask(caps.Inheritable, "inheritable");
        // An ambient capability must also be permitted and inheritable, or PR_CAP_AMBIENT_RAISE
        // fails with EPERM (capabilities(7)). runtime-spec: a capability that cannot be granted is
        // a warning, not a failure; runc leaves such ambient capabilities out too (`runc spec`'s
        // own config.json lists ambient capabilities without an inheritable set).
        var sets = new Sets(Mask(caps.Bounding, "bounding"), Mask(caps.Effective, "effective"), permitted,
            inheritable, Mask(caps.Ambient, "ambient") & permitted & inheritable, last);
        skipped = left;
        return sets;
    }

    /// <summary>The ambient capabilities of <paramref name="caps"/> that are not both permitted and inheritable (left out by Masks).</summary>
    public static IReadOnlyList<string> AmbientNotGrantable(SpecCapabilities caps)
    {
        var granted = new HashSet<string>((caps.Permitted ?? []).Intersect(caps.Inheritable ?? []), StringComparer.Ordinal);
        return (caps.Ambient ?? []).Where(a => !granted.Contains(a)).Distinct().ToList();
    }

    /// <summary>The kernel's highest capability number from cap_last_cap's text; the highest MiniRun knows when it does not say.</summary>
    public static int LastCap(string? capLastCapText) =>
        ParsedLastCap(capLastCapText) is int last
            ? Math.Min(last, 63)   // a newer kernel's unnamed capabilities are dropped too ("capability 41")
            : CapabilityNames.Last;

    private static int? ParsedLastCap(string? text) => int.TryParse(text?.Trim(), out int last) && last >= 0 ? last : null;

    private static int Count(ulong mask) => System.Numerics.BitOperations.PopCount(mask);
}
