// SupervisorHealth: the supervisor runs the container's health check while it runs.
//
// Why: only the supervisor lives exactly as long as the container, so it owns the probe loop
// (Health/HealthMonitor.cs): started when the container is recorded running (after `run`'s
// handshake, or after the supervisor started it itself), stopped before PID 1's exit is
// recorded, so a probe is never reaped by the subreaper's waitpid(-1) and never writes health
// into a record that already says exited. A restart begins again from "starting", as in Docker.
//
// Follows: docker-run(1) --health-*; docs/lifecycle.md.
using MiniRun.Containers;
using MiniRun.Health;

namespace MiniRun.Supervisor;

internal sealed partial class Supervisor
{
    private HealthMonitor? _health;

    private void StartHealth()
    {
        StopHealth();
        if (_store is null || _id is null) return;
        ContainerRecord record;
        try { record = _store.Load(_id); }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or InvalidDataException) { return; }
        if (record.Config.Healthcheck is not { } config) return;
        var exec = ExecHealthProbe.For(ContainerRuntime.For(_store), _id);
        var store = _store;
        string id = _id;
        HealthProbe probe = (command, timeout, stop) =>
        {
            // minirun-default again if the kernel lost it; a failed load fails this probe in its output
            try { MiniRun.Security.AppArmor.EnsureLoadedFor(store, id); }
            catch (Exception e) when (e is MiniRun.Spec.RunConfigException or IOException or InvalidDataException)
            {
                return new HealthResult { Start = DateTimeOffset.UtcNow, End = DateTimeOffset.UtcNow, ExitCode = -1, Output = e.Message };
            }
            return exec(command, timeout, stop);
        };
        _health = new HealthMonitor(config, _startedAt, probe, HealthMonitor.RecordWriter(_store, _id));
        _health.Start();
    }

    private void StopHealth()
    {
        _health?.Dispose();
        _health = null;
    }
}
