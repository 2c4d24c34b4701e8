// RegistryClient transport: one request as the registry protocol needs it (GET and HEAD for a
// pull; POST, PATCH and PUT for a push) - retried with backoff on 429/5xx and dropped connections,
// redirects followed by hand, and a 401 answered once by authenticating (RegistryClient.Auth.cs)
// and repeating the request. A request with a body gets a fresh HttpContent for every attempt.
//
// Why: redirects are followed here, not by HttpClient, because the Authorization header must only
// ever reach the registry's own origin (Docker Hub sends blobs to a CDN that must not see the token).
// Retries cover the transient failures public registries produce (rate limits, 503 from a load
// balancer, a connection reset); they stop at the response headers: a broken body is resumed by the
// caller with a Range request.
// Follows: RFC 9110 sections 15.4 (redirects), 10.2.3 (Retry-After), 11.6.1 (WWW-Authenticate);
// OCI distribution-spec "Pulling blobs" (307 redirects to blob storage).
using System.Net.Http.Headers;

namespace MiniImage.Registry;

public sealed partial class RegistryClient
{
    private const int MaxRedirects = 10;

    /// <summary>GET `uri` for `ctx`: redirects followed, Authorization only to ctx.Origin, one
    /// authentication round on 401. Returns the final response whatever its status.</summary>
    private Task<HttpResponseMessage> GetAsync(RequestContext ctx, Uri uri, Action<HttpRequestMessage>? configure, CancellationToken cancel) =>
        SendAsync(ctx, HttpMethod.Get, uri, configure, null, retry: true, cancel);

    /// <summary>`method` on `uri` for `ctx`, as GetAsync. `content` makes the body for each attempt
    /// (null: no body). A request with a body follows only 307 and 308, which keep method and body.
    /// `retry` false: one attempt per request (an upload's PATCH is not idempotent: its caller decides
    /// how to go on after a dropped connection).</summary>
    private async Task<HttpResponseMessage> SendAsync(RequestContext ctx, HttpMethod method, Uri uri, Action<HttpRequestMessage>? configure,
        Func<HttpContent>? content, bool retry, CancellationToken cancel)
    {
        bool authRetried = false;
        for (int redirects = 0; ;)
        {
            bool toRegistry = RegistryHosts.SameOrigin(uri, ctx.Origin);
            string? authorization = toRegistry ? await AuthorizationAsync(ctx, cancel).ConfigureAwait(false) : null;
            Uri target = uri;
            var response = await SendWithRetriesAsync(() =>
            {
                var request = NewRequest(method, target);
                if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
                if (content is not null) request.Content = content();
                configure?.Invoke(request);
                return request;
            }, ctx.Operation, cancel, retry ? _options.MaxAttempts : 1).ConfigureAwait(false);

            int status = (int)response.StatusCode;
            bool followable = content is null ? status is 301 or 302 or 303 or 307 or 308 : status is 307 or 308;
            if (followable)
            {
                Uri? location = response.Headers.Location;
                response.Dispose();
                if (location is null)
                    throw new RegistryException($"{ctx.Operation}: {method} {target}: HTTP {status} redirect without a Location header", status);
                if (++redirects > MaxRedirects)
                    throw new RegistryException($"{ctx.Operation}: {method} {target}: more than {MaxRedirects} redirects", status);
                uri = location.IsAbsoluteUri ? location : new Uri(target, location);
                if (uri.Scheme is not ("http" or "https"))
                    throw new RegistryException($"{ctx.Operation}: {method} {target}: redirect to unsupported URL {uri}", status);
                continue;
            }
            if (status == 401 && toRegistry && !authRetried)
            {
                var challenges = response.Headers.NonValidated.TryGetValues("WWW-Authenticate", out var values)
                    ? AuthChallenge.Parse(values)
                    : [];
                if (PrepareAuthentication(ctx, challenges, authorization))
                {
                    authRetried = true;
                    response.Dispose();
                    continue;
                }
            }
            return response;
        }
    }

    private HttpRequestMessage NewGet(Uri uri) => NewRequest(HttpMethod.Get, uri);

    private HttpRequestMessage NewRequest(HttpMethod method, Uri uri)
    {
        var request = new HttpRequestMessage(method, uri);
        request.Headers.TryAddWithoutValidation("User-Agent", _options.UserAgent);
        return request;
    }

    /// <summary>Sends a fresh request from `build` up to MaxAttempts times while the answer is 429, 500,
    /// 502, 503 or 504 or the connection fails before the headers. Returns the last response.</summary>
    private async Task<HttpResponseMessage> SendWithRetriesAsync(Func<HttpRequestMessage> build, string operation, CancellationToken cancel,
        int? maxAttempts = null)
    {
        int attempts = Math.Max(1, maxAttempts ?? _options.MaxAttempts);
        for (int attempt = 1; ; attempt++)
        {
            var request = build();
            HttpResponseMessage? response = null;
            Exception? failure = null;
            using (var headersTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancel))
            {
                headersTimeout.CancelAfter(_options.HeadersTimeout);
                try
                {
                    response = await _invoker.SendAsync(request, headersTimeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
                {
                    failure = new TimeoutException($"no response headers within {_options.HeadersTimeout.TotalSeconds:0} s");
                }
                catch (HttpRequestException e) { failure = e; }
                catch (IOException e) { failure = e; }
            }

            if (response is not null)
            {
                int status = (int)response.StatusCode;
                if (status is not (429 or 500 or 502 or 503 or 504) || attempt >= attempts) return response;
                TimeSpan delay = RetryAfter(response) ?? Backoff(attempt);
                response.Dispose();
                await DelayAsync(delay, cancel).ConfigureAwait(false);
                continue;
            }

            if (attempt >= attempts)
                throw new RegistryException(
                    $"{operation}: {request.Method} {request.RequestUri?.GetLeftPart(UriPartial.Path)}: {RegistryErrors.OneLine(Describe(failure!))}"
                    + (attempts > 1 ? $" (gave up after {attempts} attempts)" : ""),
                    inner: failure);
            await DelayAsync(Backoff(attempt), cancel).ConfigureAwait(false);
        }
    }

    private static string Describe(Exception e)
    {
        string text = e.InnerException is { } inner && !e.Message.Contains(inner.Message, StringComparison.Ordinal) ? $"{e.Message} ({inner.Message})" : e.Message;
        return ErrnoName(e) is { } errno ? $"{text} ({errno})" : text;
    }

    /// <summary>The errno name behind a failed connection ("ECONNREFUSED"), when a SocketException says it.</summary>
    internal static string? ErrnoName(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            if (e is System.Net.Sockets.SocketException s)
                return s.SocketErrorCode switch
                {
                    System.Net.Sockets.SocketError.ConnectionRefused => "ECONNREFUSED",
                    System.Net.Sockets.SocketError.ConnectionReset => "ECONNRESET",
                    System.Net.Sockets.SocketError.ConnectionAborted => "ECONNABORTED",
                    System.Net.Sockets.SocketError.HostUnreachable => "EHOSTUNREACH",
                    System.Net.Sockets.SocketError.NetworkUnreachable => "ENETUNREACH",
                    System.Net.Sockets.SocketError.TimedOut => "ETIMEDOUT",
                    System.Net.Sockets.SocketError.AddressNotAvailable => "EADDRNOTAVAIL",
                    System.Net.Sockets.SocketError.HostNotFound => "EAI_NONAME",
                    _ => null,
                };
        return null;
    }

    /// <summary>InitialBackoff doubled per retry already made.</summary>
    private TimeSpan Backoff(int attempt)
    {
        double factor = Math.Pow(2, Math.Min(attempt - 1, 30));
        return TimeSpan.FromTicks((long)Math.Min(_options.InitialBackoff.Ticks * factor, TimeSpan.MaxValue.Ticks / 2));
    }

    /// <summary>The Retry-After delay (seconds or HTTP date), if the response has one.</summary>
    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        RetryConditionHeaderValue? retry = response.Headers.RetryAfter;
        if (retry?.Delta is { } delta) return delta;
        if (retry?.Date is { } date)
        {
            TimeSpan wait = date - _options.Clock.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }
        return null;
    }

    private Task DelayAsync(TimeSpan delay, CancellationToken cancel)
    {
        if (delay > _options.MaxBackoff) delay = _options.MaxBackoff;
        if (delay < TimeSpan.Zero) delay = TimeSpan.Zero;
        return _options.DelayForTests is { } hook ? hook(delay, cancel) : Task.Delay(delay, cancel);
    }

    /// <summary>The body, refusing more than `limit` bytes (a manifest or token is small; a huge body is an error or an attack).</summary>
    private static async Task<byte[]> ReadLimitedAsync(HttpContent content, int limit, string operation, CancellationToken cancel)
    {
        if (content.Headers.ContentLength is > 0 and var declared && declared > limit)
            throw new RegistryException($"{operation}: response of {declared} bytes is larger than the limit of {limit}");
        await using var stream = await content.ReadAsStreamAsync(cancel).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[16384];
        int n;
        while ((n = await stream.ReadAsync(chunk, cancel).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + n > limit)
                throw new RegistryException($"{operation}: response larger than the limit of {limit} bytes");
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }
}
