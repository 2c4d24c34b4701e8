// RegistryTestSupport: the small doubles the registry client tests share - an in-memory credential
// store, a settable clock, a recorder of retry delays, and a handler that sends Docker Hub's host
// to a local fake.
//
// Why: tests must not wait for real backoff delays or token lifetimes (no timed assertions) and must
// never contact a real host.
// Follows: no spec; System.TimeProvider and HttpMessageHandler extension points.
using System.Collections.Concurrent;
using MiniImage.Registry;

namespace MiniImage.Tests.Registry;

public sealed class MemoryCredentialStore : ICredentialStore
{
    private readonly ConcurrentDictionary<string, Credential> _entries = new();
    public string? Helper { get; set; }
    public Credential? Get(string registry) => _entries.GetValueOrDefault(registry);
    public void Save(string registry, Credential credential) => _entries[registry] = credential;
    public bool Remove(string registry) => _entries.TryRemove(registry, out _);
    public string? UnsupportedHelperFor(string registry) => Helper;
}

public sealed class ManualClock : TimeProvider
{
    public DateTimeOffset Now { get; set; } = DateTimeOffset.UtcNow;
    public override DateTimeOffset GetUtcNow() => Now;
}

public sealed class DelayRecorder
{
    private readonly ConcurrentQueue<TimeSpan> _delays = new();
    public IReadOnlyList<TimeSpan> Delays => _delays.ToList();
    public Task Delay(TimeSpan delay, CancellationToken cancel) { _delays.Enqueue(delay); return Task.CompletedTask; }
}

/// <summary>Sends requests for https://registry-1.docker.io to a local fake over plain HTTP; everything else
/// must be a loopback address (the test fails rather than contact a real host).</summary>
public sealed class DockerHubRedirectingHandler(string localHostPort) : DelegatingHandler(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false })
{
    public List<Uri> Seen { get; } = [];

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Uri uri = request.RequestUri!;
        lock (Seen) Seen.Add(uri);
        if (uri.Host == "registry-1.docker.io")
            request.RequestUri = new UriBuilder(uri) { Scheme = "http", Host = localHostPort.Split(':')[0], Port = int.Parse(localHostPort.Split(':')[1]) }.Uri;
        else if (!uri.IsLoopback)
            throw new InvalidOperationException($"test tried to contact {uri}");
        return base.SendAsync(request, cancellationToken);
    }
}
