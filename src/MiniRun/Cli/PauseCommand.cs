// PauseCommand: `minirun pause` / `minirun unpause`: freeze and thaw every process of a container
// through its cgroup's cgroup.freeze, by the runtime core's pause and resume.
//
// Why: the cgroup v2 freezer stops the processes where they are without a signal they could see
// or handle (SIGSTOP would show in their parents' waitpid and can be noticed); the kernel reports
// in cgroup.events "frozen 1" once every task has stopped, and Cgroup.Freeze waits for that. The
// freeze and the "paused" status are done under the container's lock (ContainerStore.Update), so
// a concurrent exit recorded by the supervisor is not overwritten.
//
// Follows: docker-pause(1), docker-unpause(1) and the daemon's messages ("Container ID is not
// running", "Container ID is already paused", "Container ID is not paused"); cgroup-v2.rst
// (cgroup.freeze, cgroup.events "frozen"); docs/lifecycle.md (State.Status "paused"/"running").
using MiniRun.Cgroups;
using MiniRun.Containers;

namespace MiniRun.Cli;

public static class PauseCommand
{
    public static int Run(string root, IReadOnlyList<string> names, bool pause)
    {
        RunCommand.RequireRoot(pause ? "pause" : "unpause");
        var store = new ContainerStore(root);
        CgroupV2Host? host = null;
        int status = 0;
        foreach (var name in names)
        {
            try
            {
                var found = store.Find(name);
                var runtime = ContainerRuntime.For(store);   // the core's pause / resume: cgroup.freeze
                StateRecorder.Paused(store, found.Id, pause, check: r =>
                {
                    if (!ContainerLiveness.HasLiveProcess(r)) throw new CliError($"Container {r.Id} is not running", 1);
                    if (pause && r.State.Status == ContainerStatus.Paused) throw new CliError($"Container {r.Id} is already paused", 1);
                    if (!pause && r.State.Status != ContainerStatus.Paused) throw new CliError($"Container {r.Id} is not paused", 1);
                    host ??= CgroupV2Host.Detect();
                    if (r.State.CgroupPath is not { } rel || !host.Usable)
                        throw new CliError($"{(pause ? "pause" : "unpause")} needs the cgroup v2 freezer (cgroup.freeze) and container {r.Id} " +
                            $"has no cgroup; this host: {host.Description}", 1);
                }, freeze: () =>
                {
                    if (pause) runtime.Pause(found.Id); else runtime.Resume(found.Id);
                });
                Console.WriteLine(name);
            }
            catch (Exception e) when (e is CliError or ContainerNotFoundException or MiniRun.Runtime.RuntimeException or MiniRun.Kernel.KernelException or IOException)
            {
                Console.Error.WriteLine($"minirun: Error response from daemon: {e.Message}");
                status = 1;
            }
        }
        return status;
    }
}
