// BootRecovery: the engine's `minirun boot`, run once when the machine starts (the minirun-boot systemd unit):
// brings back the containers whose restart policy asks for it.
//
// Why: a supervisor dies with the machine, so nothing is left to apply the restart policy. Docker's
// daemon does it when it starts; MiniRun has no daemon, so a one-shot unit runs this verb at boot:
//   1. every record that still says running/paused/restarting belongs to a container that died
//      with the machine: it is marked exited (code 255, "the machine restarted"), as ps would
//      show it anyway, and its network is released (Network/ContainerNetwork.cs Detach: the IPAM
//      lease and endpoint files outlive the machine; the veth, rules and namespace did not);
//   2. containers with --restart always, unless-stopped (not stopped by hand), or on-failure (that
//      were running when the machine went down and have retries left) are started again.
// A container that was stopped with `stop`/`kill` stays stopped, as in Docker. First it deletes
// what a `--rm` removal left half-done (containers/.removed-ID directories) and the cgroup notes
// of `run`s that never wrote their record (containers/.cgroup-ID), and unmounts volumes whose
// users are all gone (Volumes/VolumeMounts.cs Repair).
//
// Which container starts again is decided by the one restart rule (Supervisor/RestartRules.cs,
// ShouldStartAtBoot), the same file the supervisor asks after each exit.
//
// Follows: docker-run(1) "Restart policies"; systemd.service(5) (Type=oneshot).
using MiniRun.Containers;
using MiniRun.Supervisor;

namespace MiniRun.Engine;

public static class BootRecovery
{
    /// <summary>Applies the restart policies; <paramref name="start"/> starts one container by id (the `start` verb's code).</summary>
    public static int Run(string root, Action<string> start, TextWriter output)
    {
        var store = new ContainerStore(root);
        // Files of containers removed just before the machine went down (ContainerStore.Retire).
        foreach (var retired in store.LeftoverRetired())
            try { ContainerStore.DeleteRetired(retired); } catch (IOException) { }
        CgroupReservation.Sweep(store, MiniRun.Cgroups.CgroupV2Host.Detect().MountPoint);   // notes of `run`s that died with the machine (their cgroups did too)
        // Volumes mounted for containers that died with the machine (if the mount survived: a bind
        // of a directory that outlived it in a persistent mount namespace) or with their supervisor.
        try { MiniRun.Volumes.VolumeMounts.Repair(root); }
        catch (Exception e) when (e is IOException or MiniRun.Kernel.KernelException or ContainerException) { output.WriteLine($"volume mounts: {e.Message}"); }
        int failures = 0;
        foreach (var c in store.List().OrderBy(c => c.Created))
        {
            bool wasUp = c.State.Status is ContainerStatus.Running or ContainerStatus.Paused or ContainerStatus.Restarting;
            if (wasUp && ContainerLiveness.IsRunning(c)) continue;   // really running (boot ran twice): leave it
            ContainerRecord record = c;
            if (wasUp)
            {
                record = StateRecorder.DiedWithMachine(store, c.Id, RestartRules.DiedWithMachine);
                try { MiniRun.Network.ContainerNetwork.Detach(root, c.Id, store.DirOf(c.Id), MiniRun.Trace.NullTrace.Instance); }
                catch (Exception e) { output.WriteLine($"{record.Name}: releasing its network failed: {e.Message}"); }
            }
            if (!RestartRules.ShouldStartAtBoot(record.HostConfig.RestartPolicy, wasUp, record.RestartCount, record.State.ManuallyStopped)) continue;
            try
            {
                start(record.Id);
                output.WriteLine($"{record.Name}: started again (restart policy {record.HostConfig.RestartPolicy.Name})");
            }
            catch (Exception e)
            {
                failures++;
                output.WriteLine($"{record.Name}: start failed: {e.Message}");
            }
        }
        return failures == 0 ? 0 : 1;
    }
}
