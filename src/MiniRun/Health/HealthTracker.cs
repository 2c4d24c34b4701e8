// HealthTracker: how one health probe's result changes a container's health (Docker's rules).
//
// Why: the state shown by `ps` ("Up 5 minutes (healthy)") and `inspect` (State.Health) follows
// from the sequence of probe results, not from the last one alone:
//   - a new container starts as "starting";
//   - a probe that exits 0 makes it "healthy" and resets the failing streak;
//   - a failing probe (exit != 0, or a timeout) during the start period changes nothing while the
//     container is still "starting" (slow starters get time);
//   - otherwise it adds one to the failing streak; at `retries` consecutive failures the
//     container is "unhealthy" (it stays running: Docker does not act on health by itself);
//   - the last 5 results are kept, each output cut to 4096 bytes.
// Pure logic, so unit tests drive it with made-up results and clocks.
//
// Follows: Docker's health check semantics (docker-run(1) --health-*, Dockerfile HEALTHCHECK).
using MiniRun.Containers;

namespace MiniRun.Health;

public static class HealthTracker
{
    public const string Starting = "starting", Healthy = "healthy", Unhealthy = "unhealthy";
    public const int MaxLogEntries = 5, MaxOutputBytes = 4096;

    /// <summary>The health a container has before its first probe.</summary>
    public static HealthState Initial() => new() { Status = Starting };

    /// <summary>Applies one probe result; <paramref name="startedAt"/> is when the container started.</summary>
    public static void Apply(HealthState state, HealthConfig config, HealthResult result, DateTimeOffset startedAt)
    {
        result.Output = Truncate(result.Output);
        state.Log.Add(result);
        if (state.Log.Count > MaxLogEntries) state.Log.RemoveRange(0, state.Log.Count - MaxLogEntries);

        if (result.ExitCode == 0)
        {
            state.Status = Healthy;
            state.FailingStreak = 0;
            return;
        }
        bool inStartPeriod = result.Start < startedAt + GoDuration.ToTimeSpan(config.StartPeriod);
        if (inStartPeriod && state.Status == Starting) return;   // not counted yet
        state.FailingStreak++;
        if (state.FailingStreak >= Math.Max(config.Retries, 1)) state.Status = Unhealthy;
    }

    /// <summary>The suffix `ps` appends to "Up ...": " (healthy)", " (health: starting)", " (unhealthy)".</summary>
    public static string PsSuffix(HealthState? state) => state?.Status switch
    {
        null => "",
        Starting => " (health: starting)",
        var s => $" ({s})",
    };

    /// <summary>The result Docker records for a probe that ran past its timeout.</summary>
    public static HealthResult TimedOut(DateTimeOffset start, DateTimeOffset end, long timeoutNs) => new()
    {
        Start = start,
        End = end,
        ExitCode = -1,
        Output = $"Health check exceeded timeout ({GoDuration.Format(timeoutNs)})",
    };

    private static string Truncate(string output)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(output) <= MaxOutputBytes) return output;
        var bytes = System.Text.Encoding.UTF8.GetBytes(output);
        return System.Text.Encoding.UTF8.GetString(bytes, 0, MaxOutputBytes);
    }
}
