// SecuritySpec: the engine's security policy for one new container, in one place: what the
// flags --privileged (its device side), --device, --read-only, --tmpfs, --ulimit, --sysctl and
// --group-add, and Docker's defaults, write into config.json - and the HostConfig fields
// `inspect` shows for them, in Docker's shapes.
//
// Why: the core (src/MiniRun.Runtime) knows no flags and no Docker; it enforces what config.json
// says. Each mechanism has its own small file here (DevicePolicy, SystemPaths, TmpfsMounts,
// Ulimits, Sysctls); this one runs them in order for SpecGenerator and collects the record.
//
// Follows: docker-run(1); Docker's HostConfig (api/types/container) field names.
using MiniRun.Containers;
using MiniRun.Spec;

namespace MiniRun.Security;

public static class SecuritySpec
{
    /// <summary>Docker's defaults and the flags into <paramref name="spec"/>; RunConfigException for a bad flag.</summary>
    public static void Apply(RuntimeSpec spec, RunOptions o)
    {
        spec.Linux.MaskedPaths = SystemPaths.MaskedForHost();
        spec.Linux.ReadonlyPaths = SystemPaths.ReadOnly.ToList();
        DevicePolicy.Apply(spec, o);
        TmpfsMounts.Apply(spec, o);
        Ulimits.Apply(spec, o);
        Sysctls.Apply(spec, o);
        if (o.GroupAdd.Count > 0) spec.Process.User.AdditionalGroups = o.GroupAdd.ToList();   // resolved in the container's /etc/group at start
    }

    /// <summary>Checks every flag that needs no host (before anything exists): RunConfigException with Docker's text.</summary>
    public static void Check(RunOptions o) => FillHostConfig(new ContainerRecordHostConfig(), o);

    /// <summary>The HostConfig fields for these flags, in Docker's shapes (parsed again: cheap, and needs no host).</summary>
    public static void FillHostConfig(ContainerRecordHostConfig h, RunOptions o)
    {
        var tmpfs = new Dictionary<string, string>();
        foreach (var (path, options) in o.Tmpfs.Select(TmpfsMounts.Split))
        {
            TmpfsMounts.MergedOptions(options);   // a bad option fails now
            tmpfs[path] = options;
        }
        var ulimits = new List<Ulimit>();
        foreach (var u in o.Ulimits.Select(Ulimits.Parse)) { ulimits.RemoveAll(x => x.Name == u.Name); ulimits.Add(u); }
        var sysctls = new Dictionary<string, string>();
        foreach (var (k, v) in o.Sysctls.Select(Sysctls.Parse)) sysctls[k] = v;
        h.Privileged = o.Privileged;
        h.ReadonlyRootfs = o.ReadOnly;
        h.Devices = o.Devices.Select(DevicePolicy.Parse).ToList();
        h.Tmpfs = tmpfs;
        h.Ulimits = ulimits;
        h.Sysctls = sysctls;
        h.GroupAdd = o.GroupAdd.ToList();
    }
}
