// CapabilityPolicy: which capabilities a new container's process gets - Docker's 14 by default,
// changed by --cap-add / --cap-drop, every one the host kernel knows with --privileged - and how
// that list goes into config.json's process.capabilities.
//
// Why: root in a container is root on the host's kernel; capabilities(7) split root's power into
// ~41 pieces and a container keeps only the 14 Docker keeps (it can chown, bind port 80, kill its
// own processes, but not mount, load modules, set the clock or reboot). The runtime core applies
// whatever config.json says (Init/CapabilitiesStep.cs); the policy is the engine's, decided here.
//
// Docker's rules, followed exactly:
//   - names are upper-cased and get "CAP_" when they lack it (`net_admin` = CAP_NET_ADMIN); "ALL"
//     is the whole list; a name the host kernel does not have is an error:
//     `invalid CapAdd: unknown capability: "CAP_FOO"` (exit 125, before anything is created).
//   - "everything" is every capability the kernel has (cap_last_cap) that MiniRun itself holds in
//     its bounding set (Docker assumes a full set; MiniRun may run where root lacks some).
//   - order of evaluation: --privileged gives everything (add/drop ignored); else --cap-add ALL
//     gives everything but what --cap-drop names; else --cap-drop ALL gives only what --cap-add
//     names; else the defaults minus --cap-drop, plus --cap-add.
//   - root (uid 0): bounding = effective = permitted = the list; inheritable and ambient empty.
//     Any other user: only the bounding set - effective and permitted empty, as execve(2) would
//     leave them for a non-root uid anyway; file capabilities and setuid-root programs still work,
//     up to the bounding set.
//   - MiniRun resolves user names inside the container (init, UserResolver), after config.json
//     is written; so "root" is decided from the -u text: empty, "root" or "0" (with any group) is
//     root, any other name or uid is not. A name that /etc/passwd maps to uid 0 still gets every
//     bounding capability at execve (the kernel gives uid 0 its bounding set), so the difference
//     only shows before the command runs.
//
// Follows: capabilities(7); docker-run(1) "Runtime privilege and Linux capabilities"; moby
// oci/caps (NormalizeLegacyCapabilities, TweakCapabilities, DefaultCapabilities) and oci.SetCapabilities.
using MiniRun.Kernel;

namespace MiniRun.Security;

public static class CapabilityPolicy
{
    /// <summary>Docker's default set, in Docker's order.</summary>
    public static readonly IReadOnlyList<string> DockerDefaults =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ];

    private const string All = "ALL";

    /// <summary>
    /// Every capability the host kernel knows (0 .. cap_last_cap), by name, in number order; with
    /// <paramref name="usable"/>, only those in that mask (the engine's own bounding set: a
    /// runtime cannot give what it does not have - on a host whose root lacks CAP_SYS_RESOURCE,
    /// "all" means all but that one, or capset(2) would fail with EPERM).
    /// </summary>
    public static IReadOnlyList<string> AllOf(int lastCap, ulong? usable = null) =>
        Enumerable.Range(0, Math.Min(lastCap, CapabilityNames.Last) + 1)
            .Where(c => usable is not ulong mask || (mask & (1UL << c)) != 0).Select(CapabilityNames.Name).ToList();

    /// <summary>This process's bounding set (CapBnd in /proc/self/status), or null when it cannot be read.</summary>
    public static ulong? OwnBoundingSet()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("CapBnd:", StringComparison.Ordinal))
                    return ulong.Parse(line[7..].Trim(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { }
        return null;
    }

    /// <summary>/proc/sys/kernel/cap_last_cap, or the newest capability MiniRun knows when it cannot be read.</summary>
    public static int HostLastCap()
    {
        try { return int.Parse(File.ReadAllText("/proc/sys/kernel/cap_last_cap").Trim(), System.Globalization.CultureInfo.InvariantCulture); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { return CapabilityNames.Last; }
    }

    /// <summary>
    /// --cap-add / --cap-drop values as Docker stores them: upper case, "CAP_" added, "ALL" kept.
    /// <paramref name="field"/> names the list in the error (CapAdd, CapDrop).
    /// </summary>
    public static List<string> Normalize(IEnumerable<string> names, string field, int lastCap)
    {
        var known = AllOf(lastCap);
        var result = new List<string>();
        foreach (string raw in names)
        {
            string name = raw.ToUpperInvariant();
            if (name != All && !name.StartsWith("CAP_", StringComparison.Ordinal)) name = "CAP_" + name;
            if (name != All && !known.Contains(name))
                throw new MiniRun.Spec.RunConfigException($"invalid {field}: unknown capability: {GoQuote.Quote(name)}");
            result.Add(name);
        }
        return result;
    }

    /// <summary>The container's capability list by Docker's order of evaluation (see the header).</summary>
    public static List<string> Resolve(IReadOnlyList<string> capAdd, IReadOnlyList<string> capDrop, bool privileged, int lastCap,
        ulong? usable = null)
    {
        var all = AllOf(lastCap, usable);
        if (privileged) return all.ToList();
        var add = Normalize(capAdd, "CapAdd", lastCap);
        var drop = Normalize(capDrop, "CapDrop", lastCap);
        if (add.Contains(All)) return all.Where(c => !drop.Contains(c)).ToList();
        if (drop.Contains(All)) return add.Distinct().ToList();
        var caps = DockerDefaults.Where(c => !drop.Contains(c)).ToList();
        foreach (var c in add)
            if (!caps.Contains(c)) caps.Add(c);
        return caps;
    }

    /// <summary>process.capabilities for the list: root gets bounding, effective and permitted; any other user only bounding.</summary>
    public static MiniRun.Spec.SpecCapabilities ForUser(IReadOnlyList<string> caps, bool root) => root
        ? new() { Bounding = caps.ToList(), Effective = caps.ToList(), Permitted = caps.ToList() }
        : new() { Bounding = caps.ToList() };

    /// <summary>
    /// `exec --privileged`: the container's process attributes (no_new_privs, rlimits, umask)
    /// with every capability the host knows in bounding, effective and permitted - Docker's
    /// execSetPlatformOpt. The container's seccomp filter still applies, as under Docker (runc
    /// loads the container's filter into every exec'd process).
    /// </summary>
    public static MiniRun.Spec.SpecProcess PrivilegedExec(MiniRun.Spec.SpecProcess container, int lastCap, ulong? usable = null)
    {
        var all = AllOf(lastCap, usable);
        return new MiniRun.Spec.SpecProcess
        {
            User = container.User, Args = container.Args, Env = container.Env, Cwd = container.Cwd,
            NoNewPrivileges = container.NoNewPrivileges, Rlimits = container.Rlimits, OomScoreAdj = container.OomScoreAdj,
            ApparmorProfile = container.ApparmorProfile,   // Docker: exec --privileged keeps the container's AppArmor profile
            Capabilities = new() { Bounding = all.ToList(), Effective = all.ToList(), Permitted = all.ToList() },
        };
    }

    /// <summary>
    /// Whether a -u / image User value means uid 0 before the rootfs is looked at: "", "root", "0",
    /// with or without ":GROUP". Any other name or number is taken as non-root (see the header).
    /// </summary>
    public static bool IsRootUser(string? user)
    {
        if (string.IsNullOrEmpty(user)) return true;
        string name = user.Split(':', 2)[0];
        return name is "" or "root" || (uint.TryParse(name, out uint uid) && uid == 0);
    }
}
