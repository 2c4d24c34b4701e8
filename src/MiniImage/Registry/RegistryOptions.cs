// RegistryOptions: how RegistryClient talks to registries - which hosts may use plain HTTP, where
// credentials come from, retry limits, and (for tests) the HTTP handler and the clock.
//
// Why: the pull logic, `minirun login` and the tests all build a RegistryClient; the policy knobs
// live in one immutable object instead of constructor parameters that grow with every feature.
// Follows: Docker's daemon options (insecure-registries) and the OCI distribution-spec; retry and
// Retry-After behaviour per RFC 9110 section 10.2.3.
namespace MiniImage.Registry;

public sealed class RegistryOptions
{
    /// <summary>Registries (host or host:port) allowed over plain HTTP besides localhost, 127.0.0.0/8 and [::1].
    /// An entry without a port matches that host on every port.</summary>
    public IReadOnlyCollection<string> InsecureRegistries { get; init; } = [];

    /// <summary>Where stored credentials come from; null: always anonymous.</summary>
    public ICredentialStore? Credentials { get; init; }

    /// <summary>The HTTP handler; tests inject one. It must not follow redirects itself (RegistryClient
    /// follows them so that credentials never reach another host). Default: a SocketsHttpHandler with
    /// AllowAutoRedirect=false. RegistryClient disposes only the handler it created.</summary>
    public HttpMessageHandler? Handler { get; init; }

    /// <summary>Attempts per request for 429, 500, 502, 503, 504 and connections that fail before the
    /// response headers (1 = no retry).</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>Delay before the first retry; doubles each retry. A Retry-After header replaces it.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Upper bound of one retry delay, including one asked for by Retry-After.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long to wait for the response headers of one attempt before it counts as dropped.</summary>
    public TimeSpan HeadersTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public string UserAgent { get; init; } = "minirun/0.1";

    /// <summary>The clock for token expiry; tests move it forward.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>Tests replace the retry sleep to record delays instead of waiting.</summary>
    internal Func<TimeSpan, CancellationToken, Task>? DelayForTests { get; init; }
}
