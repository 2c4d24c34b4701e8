// StateRecorder: the record changes a container's start and end make, always through
// ContainerStore.Update (the per-container flock), so `stop`, `rm -f` and the supervisor never
// lose each other's writes.
//
// Why here: the fast path of `run` records "running" itself (it learns first that init exec'd,
// and must before it prints the id), while restarts and `start` are recorded by the supervisor;
// both write the same fields.
//
// Follows: docs/lifecycle.md "State"; Docker's State fields (inspect).
using MiniRun.Containers;

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

    /// <summary>PID 1 ended: "restarting" (the policy starts it again) or "exited".</summary>
    public static ContainerRecord Ended(ContainerStore store, string id, int exitCode, bool oomKilled, bool restarting, string? error = null) =>
        store.Update(id, r =>
        {
            var s = r.State;
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
