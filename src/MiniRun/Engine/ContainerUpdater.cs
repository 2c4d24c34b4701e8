// ContainerUpdater: the engine's `minirun update`: new limits for a container, written
// into its config.json (linux.resources: what every later start applies) and, for a running
// container, into its cgroup at once by the runtime core's update.
//
// Why: cgroup v2 limits are plain files that may be rewritten while the processes run (a lower
// memory.max makes the kernel reclaim, a new pids.max applies to the next fork), which is what
// `docker update` relies on. The flags given replace the recorded ones, the result is checked
// exactly as `run` checks it (ResourceFlags.Parse), and only then written. A container that is
// not running has only its record changed, as Docker does. The record and the cgroup are changed
// under the container's lock (ContainerStore.Update), so a concurrent exit or stop is not lost.
//
// The CLI (Cli/LifecycleCommands.cs Update) loops over the names and prints.
//
// Follows: docker-update(1), docs/lifecycle.md (HostConfig.Resources, State.CgroupPath),
// cgroup-v2.rst for the files (CgroupFileMap).
using MiniRun.Cgroups;
using MiniRun.Runtime;
using MiniRun.Containers;
using MiniRun.Spec;

namespace MiniRun.Engine;

public static class ContainerUpdater
{
    /// <summary>Replaces the flags given in the container's record and config.json, and in its cgroup when it runs.</summary>
    public static void Update(ContainerStore store, ContainerRecord found, ResourceFlagValues given)
    {
        CgroupV2Host? host = null;
        store.Update(found.Id, r =>
        {
            var merged = Merge(r.HostConfig.Resources, given);
            var limits = ResourceFlags.Parse(merged, HostResources.Current());
            if (ContainerLiveness.HasLiveProcess(r))
            {
                host ??= CgroupV2Host.Detect();
                if (r.State.CgroupPath is null || !host.Usable)
                    throw new ContainerException(host.MissingFor(limits) ??
                        $"container {r.Id} has no cgroup to update (it runs without resource limits); this host: {host.Description}", 1);
                if (host.MissingFor(limits) is { } missing) throw new ContainerException(missing, 1);
            }
            // config.json is what every later start reads; a running container gets the
            // new limits from the runtime core's update at once.
            string configPath = Path.Combine(store.DirOf(r.Id), "config.json");
            var spec = RuntimeSpec.Load(configPath);
            var resources = SpecResourceMap.FromLimits(limits);
            resources.Devices = spec.Linux.Resources?.Devices;
            spec.Linux.Resources = resources;
            if (ContainerLiveness.HasLiveProcess(r))
                ContainerRuntime.For(store).Update(r.Id, SpecResourceMap.FromLimits(limits));
            spec.Save(configPath);
            r.HostConfig.Resources = merged;
        });
    }

    /// <summary>The recorded flags with every flag given on this command line replacing its old value.</summary>
    public static ResourceFlagValues Merge(ResourceFlagValues old, ResourceFlagValues given) => new()
    {
        Memory = given.Memory ?? old.Memory,
        MemoryReservation = given.MemoryReservation ?? old.MemoryReservation,
        MemorySwap = given.MemorySwap ?? old.MemorySwap,
        Cpus = given.Cpus ?? (given.CpuPeriod is null && given.CpuQuota is null ? old.Cpus : null),
        CpuPeriod = given.CpuPeriod ?? (given.Cpus is null ? old.CpuPeriod : null),
        CpuQuota = given.CpuQuota ?? (given.Cpus is null ? old.CpuQuota : null),
        CpuShares = given.CpuShares ?? old.CpuShares,
        CpusetCpus = given.CpusetCpus ?? old.CpusetCpus,
        CpusetMems = given.CpusetMems ?? old.CpusetMems,
        PidsLimit = given.PidsLimit ?? old.PidsLimit,
        BlkioWeight = given.BlkioWeight ?? old.BlkioWeight,
        DeviceReadBps = given.DeviceReadBps.Count > 0 ? given.DeviceReadBps : old.DeviceReadBps,
        DeviceWriteBps = given.DeviceWriteBps.Count > 0 ? given.DeviceWriteBps : old.DeviceWriteBps,
        DeviceReadIops = given.DeviceReadIops.Count > 0 ? given.DeviceReadIops : old.DeviceReadIops,
        DeviceWriteIops = given.DeviceWriteIops.Count > 0 ? given.DeviceWriteIops : old.DeviceWriteIops,
        OomScoreAdj = old.OomScoreAdj,
    };

    public static bool IsEmpty(ResourceFlagValues f) =>
        f.Memory is null && f.MemoryReservation is null && f.MemorySwap is null && f.Cpus is null && f.CpuPeriod is null &&
        f.CpuQuota is null && f.CpuShares is null && f.CpusetCpus is null && f.CpusetMems is null && f.PidsLimit is null &&
        f.BlkioWeight is null && f.DeviceReadBps.Count + f.DeviceWriteBps.Count + f.DeviceReadIops.Count + f.DeviceWriteIops.Count == 0;
}
