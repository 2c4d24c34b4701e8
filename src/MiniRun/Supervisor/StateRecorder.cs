// StateRecorder: the record changes a container's start and end make, always through
// ContainerStore.Update (the per-container flock), so `stop`, `rm -f` and the supervisor never
// lose each other's writes.
//
// Why here: every start is recorded by the supervisor - on the fast path of `run` when `run` says
// init has exec'd ('r'), for restarts and `start` after its own handshake - and every end too.
//
// Follows: docs/lifecycle.md "State"; Docker's State fields (inspect).
using MiniRun.Containers;
using MiniRun.Runtime;

namespace MiniRun.Supervisor;

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
}
