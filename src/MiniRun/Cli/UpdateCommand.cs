// UpdateCommand: `minirun update [resource flags] CONTAINER...`: new limits for containers, written
// to a running container's cgroup files at once and kept in its record for its next start.
//
// Why: cgroup v2 limits are plain files that may be rewritten while the processes run (a lower
// memory.max makes the kernel reclaim, a new pids.max applies to the next fork), which is what
// `docker update` relies on. The flags given replace the recorded ones, the result is checked
// exactly as `run` checks it (ResourceFlags.Parse), and only then written. A container that is
// not running has only its record changed, as Docker does. The record and the cgroup are changed
// under the container's lock (ContainerStore.Update), so a concurrent exit or stop is not lost.
//
// Follows: docker-update(1) (prints each container as named; "You must provide one or more
// flags when using this command."), docs/lifecycle.md (HostConfig.Resources, State.CgroupPath),
// cgroup-v2.rst for the files (CgroupFileMap).
using MiniRun.Cgroups;
using MiniRun.Containers;
using MiniRun.Spec;

namespace MiniRun.Cli;

public static class UpdateCommand
{
    public static int Update(string root, ResourceFlagValues given, IReadOnlyList<string> names)
    {
        RunCommand.RequireRoot("update");
        if (IsEmpty(given)) throw new CliError("You must provide one or more flags when using this command.", 1);
        var store = new ContainerStore(root);
        CgroupV2Host? host = null;
        int status = 0;
        foreach (var name in names)
        {
            try
            {
                var found = store.Find(name);
                store.Update(found.Id, r =>
                {
                    var merged = Merge(r.HostConfig.Resources, given);
                    var limits = ResourceFlags.Parse(merged, HostResources.Current());
                    if (ContainerLiveness.HasLiveProcess(r))
                    {
                        host ??= CgroupV2Host.Detect();
                        if (r.State.CgroupPath is not { } rel || !host.Usable)
                            throw new CliError(host.MissingFor(limits) ??
                                $"container {r.Id} has no cgroup to update (it runs without resource limits); this host: {host.Description}", 1);
                        if (host.MissingFor(limits) is { } missing) throw new CliError(missing, 1);
                        Cgroup.Open(host.MountPoint!, rel).Apply(limits);
                    }
                    r.HostConfig.Resources = merged;
                });
                Console.WriteLine(name);
            }
            catch (Exception e) when (e is CliError or ContainerNotFoundException or RunConfigException or MiniRun.Kernel.KernelException or IOException)
            {
                Console.Error.WriteLine($"minirun: Error response from daemon: {(e is ContainerNotFoundException ? "" : $"Cannot update container {name}: ")}{e.Message}");
                status = 1;
            }
        }
        return status;
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
