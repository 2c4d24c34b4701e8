// HealthMonitor: the supervisor's health-check loop for one running container.
//
// Why: Docker runs a container's health check from the daemon; in MiniRun the supervisor is the
// only process that lives as long as the container, so it runs the probes: every interval it
// execs the check inside the container (the same way `minirun exec` does), gives it `timeout`
// to finish, and records the result in the container's record (State.Health) so `ps` and
// `inspect` show starting/healthy/unhealthy with the last results.
//
// The probe itself is passed in (a delegate), so tests run the loop with a fake probe and the
// supervisor wires in the real exec. Each run of the container gets a new monitor: a restart
// starts from "starting" again, as in Docker.
//
// Follows: docker-run(1) --health-*; Dockerfile reference, HEALTHCHECK.
using MiniRun.Containers;

namespace MiniRun.Health;

/// <summary>Runs one probe: the command, its timeout, and a token that ends the wait early.</summary>
public delegate HealthResult HealthProbe(IReadOnlyList<string> command, TimeSpan timeout, CancellationToken stop);

public sealed class HealthMonitor : IDisposable
{
    private readonly HealthConfig _config;
    private readonly HealthProbe _probe;
    private readonly Action<HealthState> _publish;
    private readonly DateTimeOffset _startedAt;
    private readonly CancellationTokenSource _stop = new();
    private readonly HealthState _state = HealthTracker.Initial();
    private Thread? _thread;

    /// <param name="publish">Stores a copy of the state (the supervisor writes it to the record).</param>
    public HealthMonitor(HealthConfig config, DateTimeOffset startedAt, HealthProbe probe, Action<HealthState> publish)
    {
        _config = config;
        _startedAt = startedAt;
        _probe = probe;
        _publish = publish;
    }

    /// <summary>The record's writer for the usual case: State.Health of the container, under its lock.</summary>
    public static Action<HealthState> RecordWriter(ContainerStore store, string id) =>
        state => StateRecorder.Health(store, id, state);

    public void Start()
    {
        _publish(Copy(_state));   // "starting" is visible from the first moment
        _thread = new Thread(Loop) { IsBackground = true, Name = "health" };
        _thread.Start();
    }

    private void Loop()
    {
        var command = HealthSettings.Command(_config);
        var interval = GoDuration.ToTimeSpan(_config.Interval);
        var timeout = GoDuration.ToTimeSpan(_config.Timeout);
        while (!_stop.Token.WaitHandle.WaitOne(interval))
        {
            HealthResult result;
            try { result = _probe(command, timeout, _stop.Token); }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The check could not even start (e.g. the container is stopping): Docker records
                // such a probe as a failure with the error as its output.
                var now = DateTimeOffset.UtcNow;
                result = new HealthResult { Start = now, End = now, ExitCode = -1, Output = e.Message };
            }
            if (_stop.IsCancellationRequested) return;
            HealthTracker.Apply(_state, _config, result, _startedAt);
            try { _publish(Copy(_state)); }
            catch (Exception e) when (e is ContainerNotFoundException or IOException) { return; }   // removed meanwhile
        }
    }

    private static HealthState Copy(HealthState s) =>
        new() { Status = s.Status, FailingStreak = s.FailingStreak, Log = s.Log.ToList() };

    /// <summary>Stops probing (the container exited); waits for a running probe to notice.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        _thread?.Join(TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }
}
