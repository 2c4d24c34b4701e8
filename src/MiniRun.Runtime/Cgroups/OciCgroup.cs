// OciCgroup: the container's cgroup as config.json's linux.cgroupsPath names it, with the limits
// of linux.resources written before the container runs a single step.
//
// Why: an engine decides where its containers' cgroups live (containerd: /default/ID or
// /k8s.io/ID, podman: machine.slice/libpod-ID); the runtime creates exactly that directory in
// the cgroup2 hierarchy, enables the controllers the limits need top-down along the path (as
// runc does: the engine named the path), writes the limits (SpecResourceMap -> CgroupFileMap),
// and puts the container's first process in it before init runs a single step (so everything
// the container starts is born inside and limited). It is removed on delete.
//   - A bare cgroupsPath with no limits needs no controllers, so it works even where cgroup v2 is
//     only a side hierarchy (hybrid hosts such as the development machine: /sys/fs/cgroup/unified).
//   - Limits need a pure cgroup v2 host with their controllers; elsewhere Plan refuses them in one
//     line naming the field and the host, before anything exists.
//   - Limits without a cgroupsPath: as runc on cgroup v2, the cgroup is ID beside the runtime's
//     own cgroup (the parent of /proc/self/cgroup's path: the runtime's own cgroup has processes,
//     so cgroup v2 would not let it hand controllers to a child).
//   - No limits and no cgroupsPath: no cgroup (the container stays in the caller's). Device rules
//     alone on a host with no cgroup2 filesystem: no cgroup either; init keeps them with nodev
//     mounts (Cgroups/DeviceAllowList.cs).
//   - Values that only ask for a cgroup's defaults (cpu.shares 1024, which containerd writes into
//     every bundle; -1 for "no limit") are no limits a host without the controller fails to give:
//     there they are left unwritten, with a --trace note (SpecResourceMap.WithoutKernelDefaults).
// Born inside: create makes the cgroup and writes its limits before the container's first process
// exists, which is then cloned into it (clone3 CLONE_INTO_CGROUP, Runtime/ContainerStarter.cs). An
// engine that clones that process before the bundle exists (`minirun run`) makes the same cgroup
// empty beforehand (CreateEmpty, at the path Plan will name: PathFor); create then adopts it
// (Adopt: controllers, limits) before init is handed its bundle, so before it runs a step.
// Parents the path names are created when missing and left in place afterwards (other
// containers share them); only the container's own directory is removed. The systemd form
// "slice:prefix:name" needs a systemd cgroup driver, which MiniRun does not have: it is refused.
//
// Follows: runtime-spec config-linux.md "Cgroups Path", "Control groups" ("the runtime MUST
// generate an error" for a controller that is absent); Documentation/admin-guide/cgroup-v2.rst
// ("Enabling and Disabling", "No Internal Process Constraint").
using MiniRun.Runtime;
using MiniRun.Spec;
using MiniRun.Trace;

namespace MiniRun.Cgroups;

/// <summary>What create will make: the cgroup (null: none), its limits, the host it was checked on,
/// and a note for --trace when config.json asked only for defaults this host cannot write.</summary>
public sealed record OciCgroupPlan(string? RelativePath, ResourceLimits Limits, CgroupV2Host Host, Narration? Note = null);

public static class OciCgroup
{
    /// <summary>The cgroup v2 controllers MiniRun writes limits for.</summary>
    private static readonly string[] Known = ["cpu", "cpuset", "io", "memory", "pids"];

    /// <summary>
    /// Decides the cgroup of container <paramref name="id"/> and checks that this host can give its
    /// limits; creates nothing. RuntimeException names the field and the host when it cannot.
    /// </summary>
    public static OciCgroupPlan Plan(RuntimeSpec spec, string id, string mountRoot = "/sys/fs/cgroup", string procRoot = "/proc")
    {
        var limits = SpecResourceMap.ToLimits(spec.Linux.Resources);
        var needs = limits.RequiredControllers();
        string? path = spec.Linux.CgroupsPath;
        Narration? note = null;
        if (!string.IsNullOrEmpty(path) && path.Contains(':'))
            throw new RuntimeException($"config.json: linux.cgroupsPath {GoQuote.Quote(path)} is in systemd's slice:prefix:name form; MiniRun manages cgroups itself (no --systemd-cgroup)");
        // Device rules need a cgroup to attach their filter to: without a cgroupsPath they get one
        // beside the runtime's own, as limits do (runc makes one for every container), rather than
        // going unapplied.
        bool devices = spec.Linux.Resources?.Devices is { Count: > 0 };
        if (string.IsNullOrEmpty(path) && needs.Count == 0 && !devices)
            return new OciCgroupPlan(null, limits, CgroupV2Host.FromMountInfo("", mountRoot));   // nothing to detect
        var host = CgroupV2Host.Detect(mountRoot, procRoot);
        if (needs.Count > 0 && MissingController(host, needs) is { } missing)
        {
            // containerd writes cpu.shares 1024 into every bundle: asking for the defaults is not
            // a limit this host fails to give. Anything else is refused.
            var real = SpecResourceMap.ToLimits(SpecResourceMap.WithoutKernelDefaults(spec.Linux.Resources));
            if (MissingController(host, real.RequiredControllers()) is { } reallyMissing)
                throw new RuntimeException($"config.json: {reallyMissing}");
            note = Messages.CgroupDefaultsOnly.With(missing);
            limits = real;
            needs = real.RequiredControllers();
        }
        if (string.IsNullOrEmpty(path) && needs.Count == 0 && !devices)
            return new OciCgroupPlan(null, limits, host, note);
        if (host.MountPoint is null && string.IsNullOrEmpty(path) && needs.Count == 0)   // device rules alone, no cgroup2 anywhere
            return new OciCgroupPlan(null, limits, host, Messages.CgroupNoDeviceFilterFs);
        if (host.MountPoint is null)
            throw new RuntimeException($"config.json: linux.cgroupsPath {GoQuote.Quote(path)} needs a cgroup2 filesystem; this host: {host.Description}");
        string relative;
        if (string.IsNullOrEmpty(path))
            relative = BesideRuntime(id, procRoot);
        else
        {
            relative = path.Trim('/');
            if (relative.Length == 0 || relative.Split('/').Any(p => p is "" or "." or ".."))
                throw new RuntimeException($"config.json: linux.cgroupsPath {GoQuote.Quote(path)} must name a cgroup below the root, without '.' or '..'");
        }
        return new OciCgroupPlan(relative, limits, host, note);
    }

    /// <summary>The first controller <paramref name="needs"/> names that this host lacks, as "linux.resources.FIELD needs ...; this host: ...".</summary>
    public static string? MissingController(CgroupV2Host host, IReadOnlyList<string> needs)
    {
        foreach (var c in needs)
            if (!host.Has(c))
                return $"{FieldsOf(c)} needs cgroup v2 with the {c} controller; this host: {host.Description}";
        return null;
    }

    /// <summary>
    /// The cgroup (relative to the cgroup2 root) that Plan names for container <paramref name="id"/>
    /// when config.json's linux.cgroupsPath is <paramref name="cgroupsPath"/> and the container has
    /// limits or device rules (every container an engine like MiniRun's makes has device rules);
    /// null where no cgroup2 filesystem is mounted. For an engine that makes the cgroup before the
    /// bundle (CreateEmpty).
    /// </summary>
    public static string? PathFor(string? cgroupsPath, string id, CgroupV2Host host, string procRoot = "/proc") =>
        host.MountPoint is null ? null : string.IsNullOrEmpty(cgroupsPath) ? BesideRuntime(id, procRoot) : cgroupsPath.Trim('/');

    /// <summary>PARENT/ID where PARENT holds this runtime's own cgroup (runc on cgroup v2 without a cgroupsPath).</summary>
    private static string BesideRuntime(string id, string procRoot) =>
        (Path.GetDirectoryName("/" + OwnCgroup(procRoot).Trim('/'))?.Trim('/') is { Length: > 0 } parent ? parent + "/" : "") + id;

    /// <summary>
    /// The cgroup at <paramref name="relative"/> with every controller of the host enabled along
    /// its path, no limits written: what Create makes before the limits, for an engine that clones
    /// the container's first process into it before config.json exists. Create's errors.
    /// </summary>
    public static Cgroup CreateEmpty(CgroupV2Host host, string relative, ITrace? trace, ICgroupFs? fs = null) =>
        Make(host, relative, [], trace, fs);

    /// <summary>True when <paramref name="cgroup"/> is the one the plan names (the engine made it for this container).</summary>
    public static bool Names(OciCgroupPlan plan, Cgroup cgroup) =>
        plan.RelativePath is { } relative && plan.Host.MountPoint is { } root &&
        cgroup.Root == root.TrimEnd('/') && cgroup.RelativePath == relative;

    /// <summary>
    /// The plan's cgroup, made earlier by CreateEmpty and already holding the container's first
    /// process (born in it): the controllers the limits need, then the limits, before init runs a step.
    /// </summary>
    public static Cgroup Adopt(OciCgroupPlan plan, Cgroup existing, ITrace? trace, ICgroupFs? fs = null)
    {
        var cgroup = Cgroup.Open(existing.Root, existing.RelativePath, fs, trace);
        var needs = plan.Limits.RequiredControllers();
        trace?.Step(Messages.CgroupLimitsTitle, Messages.CgroupLimitsWhy);
        trace?.Note(Messages.CgroupBornNote.With(cgroup.Path));
        if (needs.Count == 0) return cgroup;
        cgroup.EnableControllers(needs);
        cgroup.Apply(plan.Limits);
        return cgroup;
    }

    /// <summary>The container's cgroup, created with its controllers and limits written; null when the plan has none.</summary>
    public static Cgroup? Create(OciCgroupPlan plan, ITrace? trace, ICgroupFs? fs = null)
    {
        if (plan.RelativePath is not { } relative) return null;
        var needs = plan.Limits.RequiredControllers();
        var cgroup = Make(plan.Host, relative, needs, trace, fs);
        if (needs.Count == 0) return cgroup;
        trace?.Step(Messages.CgroupLimitsTitle, Messages.CgroupLimitsWhy);
        try
        {
            cgroup.Apply(plan.Limits);
        }
        catch
        {
            try { cgroup.Remove(); } catch (Kernel.KernelException) { }
            throw;
        }
        return cgroup;
    }

    private static Cgroup Make(CgroupV2Host host, string relative, IReadOnlyList<string> needs, ITrace? trace, ICgroupFs? fs)
    {
        string? parent = Path.GetDirectoryName(relative);
        // Every controller the host offers is enabled along the path, as runc does on cgroup v2, not
        // only those the limits need: usage (memory.current, memory.events for OOM kills, cpu.stat)
        // is then readable, and a later `update` finds its controller on.
        var enable = needs.Concat(Known.Where(host.Has)).Distinct().ToList();
        return Cgroup.Create(host.MountPoint!, Path.GetFileName(relative), enable, string.IsNullOrEmpty(parent) ? "" : parent,
            fs, trace, enableInAnyParent: true);
    }

    /// <summary>This process's cgroup v2 path ("/user.slice/session-1.scope"), from /proc/self/cgroup's "0::" line.</summary>
    private static string OwnCgroup(string procRoot)
    {
        string text;
        try { text = File.ReadAllText(Path.Combine(procRoot, "self", "cgroup")); }
        catch (IOException) { return "/"; }
        foreach (var line in text.Split('\n'))
            if (line.StartsWith("0::", StringComparison.Ordinal)) return line[3..];
        return "/";
    }

    private static string FieldsOf(string controller) => controller switch
    {
        "memory" => "linux.resources.memory",
        "cpu" => "linux.resources.cpu (shares, quota, period, burst, idle)",
        "cpuset" => "linux.resources.cpu (cpus, mems)",
        "io" => "linux.resources.blockIO",
        "pids" => "linux.resources.pids",
        _ => $"linux.resources.unified ({controller}.*)",
    };
}
