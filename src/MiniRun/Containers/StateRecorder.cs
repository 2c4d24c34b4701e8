// StateRecorder: the engine's one writer of a container's State (container.json): start, end,
// failed start, restart, pause, a manual stop, the cgroup's place, health, a supervisor's failure
// and the machine's restart - always through ContainerStore.Update (the per-container flock), so
// `stop`, `rm -f` and the supervisor never lose each other's writes.
//
// Why one place: which fields change together is a rule (an end clears Pid and its start time, a
// machine restart clears the supervisor too); written in one file it cannot drift between the
// supervisor, `boot`, `pause` and `stop`. Every start is recorded by the supervisor - on the fast
// path of `run` when `run` says init has exec'd ('r'), for restarts and `start` after its own
// start - and every end too. (The runtime core keeps its own state.json: Runtime/OciState.cs.)
//
// Follows: docs/lifecycle.md "State"; Docker's State fields (inspect).
using MiniRun.Runtime;

namespace MiniRun.Containers;

public static class StateRecorder
{
    public static ContainerRecord Running(ContainerStore store, string id, int pid, int supervisorPid) =>
        store.Update(id, r =>
        {
            var s = r.State;
            s.Status = ContainerStatus.Running;
            s.Pid = pid;
            s.PidStartTime = ProcessIdentity.StartTime(pid) ?? 0;
            s.StartedAt = DateTimeOffset.UtcNow;
            s.SupervisorPid = supervisorPid;
            s.SupervisorStartTime = ProcessIdentity.StartTime(supervisorPid) ?? 0;
            s.Error = null;
            s.ExitCode = 0;
            s.OOMKilled = false;
        });

    /// <summary>
    /// PID 1 ended: "restarting" (the policy starts it again) or "exited". <paramref name="startedAt"/>:
    /// set when PID 1 ended before its start was recorded (start and end go in one write).
    /// </summary>
    public static ContainerRecord Ended(ContainerStore store, string id, int exitCode, bool oomKilled, bool restarting, string? error = null,
        DateTimeOffset? startedAt = null) =>
        store.Update(id, r =>
        {
            var s = r.State;
            if (startedAt is not null) s.StartedAt = startedAt;
            s.Status = restarting ? ContainerStatus.Restarting : ContainerStatus.Exited;
            s.ExitCode = exitCode;
            s.OOMKilled = oomKilled;
            s.FinishedAt = DateTimeOffset.UtcNow;
            s.Pid = 0;
            s.PidStartTime = 0;
            s.Error = error;
            if (!restarting) { s.SupervisorPid = 0; s.SupervisorStartTime = 0; }
        });

    /// <summary>Init failed before exec (126/127/125): the container stays "created", as in Docker.</summary>
    public static ContainerRecord FailedStart(ContainerStore store, string id, int exitCode, string? error) =>
        store.Update(id, r =>
        {
            var s = r.State;
            if (s.Status != ContainerStatus.Restarting) s.Status = s.StartedAt is null ? ContainerStatus.Created : ContainerStatus.Exited;
            else s.Status = ContainerStatus.Exited;
            s.ExitCode = exitCode;
            s.Error = error;
            s.Pid = 0;
            s.PidStartTime = 0;
            s.FinishedAt = DateTimeOffset.UtcNow;
            s.SupervisorPid = 0;
            s.SupervisorStartTime = 0;
        });

    /// <summary>`stop`/`kill` set it before signalling, so the restart policy never undoes them; `start` clears it.</summary>
    public static ContainerRecord ManuallyStopped(ContainerStore store, string id, bool stopped) =>
        store.Update(id, r => r.State.ManuallyStopped = stopped);

    /// <summary>`pause` / `unpause`, with the freeze itself done inside the same locked update.</summary>
    public static ContainerRecord Paused(ContainerStore store, string id, bool paused, Action<ContainerRecord> check, Action freeze) =>
        store.Update(id, r =>
        {
            check(r);
            freeze();
            r.State.Status = paused ? ContainerStatus.Paused : ContainerStatus.Running;
        });

    /// <summary>`create`: where the runtime core will make the container's cgroup (relative to the cgroup2 mount).</summary>
    public static ContainerRecord CgroupPath(ContainerStore store, string id, string relative) =>
        store.Update(id, r => r.State.CgroupPath = relative);

    /// <summary>The health checks' latest state.</summary>
    public static ContainerRecord Health(ContainerStore store, string id, HealthState? health) =>
        store.Update(id, r => r.State.Health = health);

    /// <summary>The supervisor itself failed (an exception it could not handle): said in State.Error.</summary>
    public static ContainerRecord SupervisorFailed(ContainerStore store, string id, string error) =>
        store.Update(id, r => r.State.Error = error);

    /// <summary>`boot`: a container that was up when the machine went down has exited with <paramref name="exitCode"/>.</summary>
    public static ContainerRecord DiedWithMachine(ContainerStore store, string id, int exitCode) =>
        store.Update(id, r =>
        {
            r.State.Status = ContainerStatus.Exited;
            r.State.ExitCode = exitCode;
            r.State.Error = "the machine restarted while the container was running";
            r.State.FinishedAt ??= DateTimeOffset.UtcNow;
            r.State.Pid = 0;
            r.State.SupervisorPid = 0;
        });
}
