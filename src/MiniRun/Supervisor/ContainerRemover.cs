// ContainerRemover: removes a container completely: its processes, its cgroup, its directory
// (record, log, socket, overlay upper/work) and its name.
//
// Why one place: `rm -f` and the supervisor's --rm must leave exactly the same nothing behind,
// also when the supervisor was killed with -9 or the machine rebooted. Every pid is checked by its
// start time before it is signalled. The supervisor goes first (so no restart policy brings the
// container back), then the runtime core's forced delete (Containers/ContainerRuntime.cs): PID 1
// (the kernel then kills the rest of its PID namespace), the cgroup (cgroup.kill catches anything
// that escaped) and the core's state, and the cgroup `run` reserved if the start never reached
// the core (Containers/CgroupReservation.cs Release: its path as `run` noted it); then its network (ports, veth, lease, the namespace's bind
// mount: Network/ContainerNetwork.cs Detach, which a killed supervisor never ran). Other mounts
// need nothing: they all live in the container's mount namespace, which ends with its last process.
// Anonymous volumes go too with `rm -v` and `run --rm` (RemoveAnonymousVolumes: read from the
// container's mounts.json once its directory is out of the store, before its files are deleted);
// named volumes always stay.
//
// Follows: docker-rm(1) (-v, --volumes); docker-run(1) "--rm"; kill(2); cgroups(7) cgroup.kill.
using MiniRun.Containers;
using MiniRun.Kernel;
using MiniRun.Runtime;
using MiniRun.Trace;

namespace MiniRun.Supervisor;

public static class ContainerRemover
{
    /// <summary>
    /// SIGKILL to the supervisor (unless it is the caller), then the core's forced delete: PID 1 and
    /// everything in its cgroup killed, the cgroup and the core's state removed.
    /// </summary>
    /// <param name="networkReleased">The caller released the network already (the supervisor's end): a second Detach
    /// would delete the veth it deferred, synchronously, before `run --rm` hears the exit code.</param>
    /// <param name="cgroupHost">The host's cgroups as the caller detected them (detected here when not given).</param>
    public static void KillProcesses(ContainerStore store, ContainerRecord c, bool includingSupervisor, ITrace? trace = null,
        bool networkReleased = false, MiniRun.Cgroups.CgroupV2Host? cgroupHost = null)
    {
        trace ??= NullTrace.Instance;
        var s = c.State;
        if (includingSupervisor && s.SupervisorPid > 0 && s.SupervisorPid != Environment.ProcessId &&
            ProcessIdentity.IsAlive(s.SupervisorPid, s.SupervisorStartTime))
        {
            trace.Step(Messages.RmSupervisorTitle, Messages.RmSupervisorWhy);
            Libc.kill(s.SupervisorPid, 9);
            trace.Call($"kill({s.SupervisorPid}, SIGKILL)", Messages.ResultSupervisorKilled.Text);
            ProcessIdentity.WaitGone(s.SupervisorPid, s.SupervisorStartTime, TimeSpan.FromSeconds(5));
        }
        ContainerRuntime.Delete(store, c.Id, force: true, trace);
        CgroupReservation.Release(store, c.Id, (cgroupHost ?? MiniRun.Cgroups.CgroupV2Host.Detect()).MountPoint);   // one `run` made and the core never started
        if (networkReleased) return;
        if (trace.Enabled && MiniRun.Network.ContainerNetworkFile.IsBridged(store.DirOf(c.Id)))
            trace.Step(Messages.RmNetworkTitle, Messages.RmNetworkWhy);
        MiniRun.Network.ContainerNetwork.Detach(Path.GetDirectoryName(store.Root)!, c.Id, store.DirOf(c.Id), trace);
    }

    /// <summary>Everything: processes, cgroup, directory and name.</summary>
    public static void Remove(ContainerStore store, ContainerRecord c, bool includingSupervisor = true)
    {
        KillProcesses(store, c, includingSupervisor);
        store.Delete(c);
    }

    /// <summary>
    /// The same, except that the directory is only moved out of the store (ContainerStore.Retire):
    /// the caller answers first and deletes the files afterwards (ContainerStore.DeleteRetired).
    /// </summary>
    public static string? Retire(ContainerStore store, ContainerRecord c, bool includingSupervisor = true, bool networkReleased = false,
        MiniRun.Cgroups.CgroupV2Host? cgroupHost = null)
    {
        KillProcesses(store, c, includingSupervisor, networkReleased: networkReleased, cgroupHost: cgroupHost);
        return store.Retire(c);
    }

    /// <summary>
    /// The anonymous volumes of the container whose (retired) directory is <paramref name="containerDir"/>,
    /// unless another container still mounts them (--volumes-from); named volumes stay. Never throws:
    /// the container is gone already, a volume left behind is for `volume prune`.
    /// </summary>
    public static void RemoveAnonymousVolumes(ContainerStore store, string containerDir, string id, ITrace? trace = null)
    {
        try
        {
            var points = MiniRun.Volumes.ContainerMounts.Read(containerDir).Points;
            trace?.Step(Messages.RmVolumesTitle, Messages.RmVolumesWhy.With(points.Count));
            MiniRun.Volumes.ContainerMounts.RemoveAnonymous(Path.GetDirectoryName(store.Root)!, points, exceptContainer: id);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ContainerException or KernelException) { }
    }
}
