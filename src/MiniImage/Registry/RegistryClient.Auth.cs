// RegistryClient authentication: answers a registry's 401 challenge (Bearer token flow or Basic),
// remembers the challenge per registry so later requests authenticate up front, and fetches and
// caches bearer tokens.
//
// Why: Docker Hub, ghcr.io and a distribution registry with `auth: token` all use the same flow:
// 401 with `WWW-Authenticate: Bearer realm,service,scope` -> GET realm?service=..&scope=.. (with the
// user's Basic credentials if there are any, anonymous otherwise) -> retry with the token. A
// registry with htpasswd auth asks for Basic instead. Remembering the challenge saves the extra 401
// round trip on every layer of a pull. A push asks for "repository:NAME:pull,push" (and pull on
// the source repository of a mount); tokens and remembered challenge scopes are kept per scope the
// operation needs, so pull and push of one repository never share a token too narrow for one of them.
// Follows: distribution spec/auth/token.md and scope.md (token request, one scope parameter per scope, "token"
// or "access_token", expires_in default 60, issued_at), RFC 7617 (Basic), RFC 6750 (Bearer).
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace MiniImage.Registry;

public sealed partial class RegistryClient
{
    private const int MaxTokenResponseBytes = 1024 * 1024;

    private readonly ConcurrentDictionary<string, AuthChallenge> _challenges = new();          // origin -> last challenge
    // (origin, the scope the operation needs) -> the scope the registry asked for in its challenge.
    // Keyed by the needed scope, not the repository: a push of a repository that was pulled before
    // needs "pull,push", and must not reuse the pull's scope (and its pull-only token).
    private readonly ConcurrentDictionary<(string Origin, string Needed), string> _scopes = new();
    private readonly TokenCache _tokens = new();
    private readonly SemaphoreSlim _tokenLock = new(1, 1);

    private static string OriginKey(Uri origin) => origin.GetLeftPart(UriPartial.Authority).ToLowerInvariant();

    private Credential? CredentialFor(RequestContext ctx) => ctx.ExplicitCredential ?? _options.Credentials?.Get(ctx.Domain);

    private static string BasicHeader(Credential c) =>
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{c.Username}:{c.Secret}"));

    /// <summary>The Authorization value for a request to the registry, from the challenge it sent before; null: anonymous.</summary>
    private async Task<string?> AuthorizationAsync(RequestContext ctx, CancellationToken cancel)
    {
        if (!_challenges.TryGetValue(OriginKey(ctx.Origin), out var challenge)) return null;
        if (challenge.IsBasic)
        {
            ctx.BasicChallenged = true;
            if (CredentialFor(ctx) is not { } credential) return null;
            ctx.CredentialsSent = true;
            return BasicHeader(credential);
        }
        if (challenge.IsBearer && challenge.Realm is not null)
            return "Bearer " + await TokenAsync(ctx, challenge, ScopeFor(ctx), cancel).ConfigureAwait(false);
        return null;
    }

    private string ScopeFor(RequestContext ctx) =>
        ctx.Repository is null ? "" : _scopes.GetValueOrDefault((OriginKey(ctx.Origin), ctx.DefaultScope), ctx.DefaultScope);

    /// <summary>Records the challenge of a 401; true when repeating the request with authentication can help.</summary>
    private bool PrepareAuthentication(RequestContext ctx, IReadOnlyList<AuthChallenge> challenges, string? sentAuthorization)
    {
        var challenge = challenges.FirstOrDefault(c => c.IsBearer && !string.IsNullOrEmpty(c.Realm))
                        ?? challenges.FirstOrDefault(c => c.IsBasic);
        if (challenge is null) return false;
        string origin = OriginKey(ctx.Origin);

        if (challenge.IsBasic)
        {
            _challenges[origin] = challenge;
            ctx.BasicChallenged = true;
            bool alreadySent = sentAuthorization?.StartsWith("Basic ", StringComparison.Ordinal) == true;
            return !alreadySent && CredentialFor(ctx) is not null;
        }

        // A token we sent was refused (expired early, revoked, too narrow): forget it so a new one is fetched.
        if (sentAuthorization?.StartsWith("Bearer ", StringComparison.Ordinal) == true
            && _challenges.TryGetValue(origin, out var previous) && previous.Realm is not null)
            _tokens.Invalidate(previous.Realm, previous.Service, ScopeFor(ctx), sentAuthorization["Bearer ".Length..]);

        _challenges[origin] = challenge;
        if (ctx.Repository is not null)
            _scopes[(origin, ctx.DefaultScope)] = MergeScopes(ctx.DefaultScope, challenge.Scope);
        return true;
    }

    /// <summary>The scopes the operation needs plus those the challenge names (a registry may ask for
    /// less than a push needs when the first request was a HEAD, which only needs pull).</summary>
    internal static string MergeScopes(string needed, string? challenged)
    {
        if (string.IsNullOrWhiteSpace(challenged)) return needed;
        var all = new List<string>(needed.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        foreach (string s in challenged.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            if (!Covered(all, s)) all.Add(s);
        return string.Join(' ', all);
    }

    /// <summary>True when some scope in `list` names the same resource with every action `scope` asks for.</summary>
    private static bool Covered(List<string> list, string scope)
    {
        int cut = scope.LastIndexOf(':');
        if (cut < 0) return list.Contains(scope);
        string resource = scope[..cut];
        var wanted = scope[(cut + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries);
        return list.Any(s => s.LastIndexOf(':') is var c && c > 0 && s[..c] == resource
                             && wanted.All(a => s[(c + 1)..].Split(',').Contains(a)));
    }

    /// <summary>A bearer token for (realm, service, scope): from the cache, or from the token endpoint.</summary>
    private async Task<string> TokenAsync(RequestContext ctx, AuthChallenge challenge, string scope, CancellationToken cancel)
    {
        string realm = challenge.Realm!;
        Credential? credential = CredentialFor(ctx);
        if (credential is not null) ctx.CredentialsSent = true;
        bool useCache = ctx.ExplicitCredential is null;   // login checks the given password, never a cached token

        if (useCache && _tokens.Get(realm, challenge.Service, scope, _options.Clock.GetUtcNow()) is { } cached) return cached;
        await _tokenLock.WaitAsync(cancel).ConfigureAwait(false);
        try
        {
            if (useCache && _tokens.Get(realm, challenge.Service, scope, _options.Clock.GetUtcNow()) is { } again) return again;
            var (token, issuedAt, lifetime) = await FetchTokenAsync(ctx, challenge, scope, credential, cancel).ConfigureAwait(false);
            if (useCache) _tokens.Put(realm, challenge.Service, scope, token, issuedAt, lifetime);
            return token;
        }
        finally
        {
            _tokenLock.Release();
        }
    }

    private async Task<(string Token, DateTimeOffset IssuedAt, TimeSpan Lifetime)> FetchTokenAsync(
        RequestContext ctx, AuthChallenge challenge, string scope, Credential? credential, CancellationToken cancel)
    {
        if (!Uri.TryCreate(challenge.Realm, UriKind.Absolute, out var realm) || realm.Scheme is not ("http" or "https"))
            throw new RegistryException($"{ctx.Operation}: the registry's token realm {GoQuote.Quote(challenge.Realm)} is not an http(s) URL");

        var query = new StringBuilder();
        if (!string.IsNullOrEmpty(challenge.Service)) query.Append("service=").Append(Uri.EscapeDataString(challenge.Service));
        foreach (string s in scope.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            query.Append(query.Length > 0 ? "&" : "").Append("scope=").Append(Uri.EscapeDataString(s));
        var builder = new UriBuilder(realm);
        string existing = builder.Query.TrimStart('?');
        builder.Query = existing.Length == 0 ? query.ToString()
                      : query.Length == 0 ? existing
                      : existing + "&" + query;
        Uri tokenUri = builder.Uri;
        string endpoint = realm.GetLeftPart(UriPartial.Path);

        using var response = await SendWithRetriesAsync(() =>
        {
            var request = NewGet(tokenUri);
            if (credential is not null) request.Headers.TryAddWithoutValidation("Authorization", BasicHeader(credential));
            return request;
        }, ctx.Operation, cancel).ConfigureAwait(false);

        int status = (int)response.StatusCode;
        if (status is 401 or 403)
            throw credential is not null
                ? RegistryErrors.IncorrectCredentials(ctx, status)
                : RegistryErrors.AccessDenied(ctx, status, _options.Credentials?.UnsupportedHelperFor(ctx.Domain));
        if (!response.IsSuccessStatusCode)
            throw new RegistryException($"{ctx.Operation}: token server {endpoint} answered HTTP {status}", status);

        byte[] body = await ReadLimitedAsync(response.Content, MaxTokenResponseBytes, ctx.Operation, cancel).ConfigureAwait(false);
        TokenResponse? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize(body, RegistryJsonContext.Default.TokenResponse);
        }
        catch (JsonException e)
        {
            throw new RegistryException($"{ctx.Operation}: token server {endpoint} sent invalid JSON: {RegistryErrors.OneLine(e.Message)}", status, inner: e);
        }
        string? token = !string.IsNullOrEmpty(parsed?.Token) ? parsed.Token : parsed?.AccessToken;
        if (string.IsNullOrEmpty(token))
            throw new RegistryException($"{ctx.Operation}: token server {endpoint} answered without \"token\" or \"access_token\"", status);

        DateTimeOffset now = _options.Clock.GetUtcNow();
        DateTimeOffset issuedAt = parsed!.IssuedAt is { Length: > 0 } text
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsedTime)
            ? parsedTime : now;
        TimeSpan lifetime = parsed.ExpiresIn is > 0 and var seconds ? TimeSpan.FromSeconds(seconds) : TokenCache.DefaultLifetime;
        return (token, issuedAt, lifetime);
    }
}
