// HealthSettings: which health check a container runs, from `--health-*` flags and the image's
// Healthcheck (Dockerfile HEALTHCHECK), with Docker's merge rules and defaults.
//
// Why: a health check is a command the supervisor runs inside the container (through exec) every
// interval; its exit status says healthy (0) or not. The flags override the image field by field;
// `--no-healthcheck` (or an image's `HEALTHCHECK NONE`) turns it off. What is chosen is stored in
// the container's record (Config.Healthcheck), so the supervisor needs nothing else.
//
// Defaults (Docker's): interval 30s, timeout 30s, start period 0s, retries 3.
// Follows: docker-run(1) "--health-cmd" ... "--no-healthcheck"; Dockerfile reference, HEALTHCHECK.
using MiniImage.Oci;
using MiniRun.Containers;
using MiniRun.Spec;

namespace MiniRun.Health;

/// <summary>The `--health-*` flags as typed (null = not given).</summary>
public sealed record HealthFlagValues(string? Cmd = null, string? Interval = null, string? Timeout = null,
    string? StartPeriod = null, int? Retries = null, bool NoHealthcheck = false)
{
    /// <summary>An exec-form test (["CMD", "prog", "arg"...]) given by a compose file; wins over Cmd.</summary>
    public IReadOnlyList<string>? Test { get; init; }

    public bool AnyGiven => Test is not null || Cmd is not null || Interval is not null || Timeout is not null || StartPeriod is not null || Retries is not null;
}

public static class HealthSettings
{
    public const long DefaultInterval = 30_000_000_000, DefaultTimeout = 30_000_000_000;
    public const int DefaultRetries = 3;
    private const long Minimum = 1_000_000;   // Docker refuses durations below 1ms

    /// <summary>The check to run, or null when the container has none (no flags, no image healthcheck, or NONE).</summary>
    public static HealthConfig? Resolve(HealthFlagValues flags, ImageHealthcheck? image)
    {
        if (flags.NoHealthcheck)
        {
            if (flags.AnyGiven) throw new RunConfigException("--no-healthcheck conflicts with --health-* options");
            return null;
        }
        List<string>? test = flags.Test is not null ? [.. flags.Test] : flags.Cmd is not null ? ["CMD-SHELL", flags.Cmd] : image?.Test;
        if (test is null || test.Count == 0 || test[0] == "NONE") return null;
        if (test[0] is not ("CMD" or "CMD-SHELL") || test.Count < 2)
            throw new RunConfigException($"image healthcheck: Test must be [\"CMD\", args...] or [\"CMD-SHELL\", command], not [{string.Join(", ", test.Select(t => $"{GoQuote.Quote(t)}"))}]");
        var config = new HealthConfig
        {
            Test = test,
            Interval = Duration(flags.Interval, "--health-interval") ?? Positive(image?.Interval) ?? DefaultInterval,
            Timeout = Duration(flags.Timeout, "--health-timeout") ?? Positive(image?.Timeout) ?? DefaultTimeout,
            StartPeriod = Duration(flags.StartPeriod, "--health-start-period") ?? Positive(image?.StartPeriod) ?? 0,
            Retries = flags.Retries ?? (image?.Retries is > 0 ? image.Retries.Value : DefaultRetries),
        };
        if (config.Retries < 0) throw new RunConfigException("--health-retries cannot be negative");
        return config;
    }

    /// <summary>The command the supervisor execs: CMD args as they are, CMD-SHELL through /bin/sh -c.</summary>
    public static IReadOnlyList<string> Command(HealthConfig config) =>
        config.Test[0] == "CMD-SHELL" ? ["/bin/sh", "-c", config.Test[1]] : config.Test.Skip(1).ToList();

    private static long? Positive(long? value) => value is > 0 ? value : null;

    private static long? Duration(string? text, string flag)
    {
        if (text is null) return null;
        long ns;
        try { ns = GoDuration.ParseNanoseconds(text, flag); }
        catch (FormatException e) { throw new RunConfigException(e.Message); }
        if (ns == 0) return null;   // 0 = inherit (Docker)
        if (ns < Minimum) throw new RunConfigException($"{flag} cannot be less than 1ms (got {text})");
        return ns;
    }
}
