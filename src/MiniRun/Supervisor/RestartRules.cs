// RestartRules: Docker's restart policies and their backoff.
//
// Why: `--restart` decides whether the supervisor starts the container again after its PID 1
// ended: no (never), on-failure[:N] (non-zero exit, at most N restarts when N > 0), always and
// unless-stopped (every time). A manual `stop`/`kill` is never undone. Between restarts the
// supervisor waits: 100 ms, doubling after each quick exit, at most 1 minute, and back to 100 ms
// once the container had run for 10 s (moby's restartmanager). At machine start (`minirun boot`,
// Engine/BootRecovery.cs) the same rules decide which containers come back: always, unless-stopped
// when not stopped by hand, on-failure when it was running as the machine went down (an exit
// forced on it) and has retries left.
//
// Follows: docker-run(1) "--restart"; Docker's "Start containers automatically" documentation.
using MiniRun.Containers;

namespace MiniRun.Supervisor;

public static class RestartRules
{
    public static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan MaxDelay = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan ResetAfter = TimeSpan.FromSeconds(10);

    /// <summary>Parses --restart; throws FormatException with Docker's message for a bad value.</summary>
    public static RestartPolicy Parse(string? value)
    {
        if (string.IsNullOrEmpty(value) || value == "no") return new RestartPolicy { Name = "no" };
        string[] parts = value.Split(':', 2);
        switch (parts[0])
        {
            case "always" or "unless-stopped" when parts.Length == 1:
                return new RestartPolicy { Name = parts[0] };
            case "on-failure":
                int max = 0;
                if (parts.Length == 2 && (!int.TryParse(parts[1], out max) || max < 0))
                    throw new FormatException($"invalid restart policy format: maximum retry count must be an integer: {value}");
                return new RestartPolicy { Name = "on-failure", MaximumRetryCount = max };
            case "always" or "unless-stopped" or "no":
                throw new FormatException($"invalid restart policy format: maximum retry count cannot be used with restart policy '{parts[0]}'");
            default:
                throw new FormatException($"invalid restart policy format: unknown policy '{parts[0]}'");
        }
    }

    /// <summary>Whether the container that just ended with <paramref name="exitCode"/> is started again.</summary>
    public static bool ShouldRestart(RestartPolicy policy, int exitCode, int restartCount, bool manuallyStopped)
    {
        if (manuallyStopped) return false;
        return policy.Name switch
        {
            "always" or "unless-stopped" => true,
            "on-failure" => exitCode != 0 && (policy.MaximumRetryCount == 0 || restartCount < policy.MaximumRetryCount),
            _ => false,
        };
    }

    /// <summary>
    /// At machine start, for a container whose supervisor died with the machine: Docker's daemon
    /// start-up rule. "always" comes back even after a manual stop (Docker: "restarted when the
    /// daemon restarts"); the others as if the machine's end were an exit that failed.
    /// </summary>
    public static bool ShouldStartAtBoot(RestartPolicy policy, bool wasRunningAtShutdown, int restartCount, bool manuallyStopped) =>
        policy.Name switch
        {
            "always" => true,
            "unless-stopped" => !manuallyStopped,
            "on-failure" => wasRunningAtShutdown && ShouldRestart(policy, DiedWithMachine, restartCount, manuallyStopped),
            _ => false,
        };

    /// <summary>The exit code recorded for a container that was running when the machine went down.</summary>
    public const int DiedWithMachine = 255;
}

/// <summary>The delay before each restart: 100 ms doubling, at most a minute, reset after 10 s of running.</summary>
public sealed class RestartBackoff
{
    private TimeSpan _delay = TimeSpan.Zero;

    public TimeSpan Next(TimeSpan ranFor)
    {
        if (_delay == TimeSpan.Zero || ranFor >= RestartRules.ResetAfter) _delay = RestartRules.FirstDelay;
        else _delay = _delay * 2 > RestartRules.MaxDelay ? RestartRules.MaxDelay : _delay * 2;
        return _delay;
    }
}
