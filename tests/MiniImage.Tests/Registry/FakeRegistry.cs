// FakeRegistry: a registry (distribution API v2 subset), its token server and a blob "CDN", each a
// FakeHttpServer on its own loopback address, behaving like distribution 2.8 and Docker Hub where
// the client can tell: 401 challenges, token grants per scope, error bodies, Range, blob redirects.
//
// Why: the client's auth, redirect and error handling can only be tested against a peer that
// answers like the real ones; Docker Hub itself is unreachable from the test machines.
// Follows: OCI distribution-spec v1.1 (endpoints, error codes), distribution spec/auth/token.md,
// ../shared/notes/registry-token-auth.md (exact challenge format of distribution 2.8).
using System.Security.Cryptography;
using System.Text;
using MiniImage.Oci;

namespace MiniImage.Tests.Registry;

public enum FakeAuth { None, Bearer, Basic }

public sealed class FakeRegistry : IDisposable
{
    public FakeHttpServer Registry { get; }
    public FakeHttpServer TokenServer { get; }
    public FakeHttpServer Cdn { get; }

    public FakeAuth Auth { get; set; } = FakeAuth.None;
    public string Service { get; set; } = "fake-registry";
    public Dictionary<string, string> Users { get; } = new() { ["alice"] = "s3cret" };
    /// <summary>Repositories readable without credentials (bearer mode).</summary>
    public HashSet<string> PublicRepositories { get; } = [];
    /// <summary>expires_in of issued tokens; null: omitted (client assumes 60 s).</summary>
    public int? TokenExpiresIn { get; set; } = 300;
    public DateTimeOffset TokenIssuedAt { get; set; } = DateTimeOffset.UtcNow;
    /// <summary>Send only "access_token" (as some OAuth-style servers do).</summary>
    public bool OnlyAccessToken { get; set; }
    public bool RedirectBlobsToCdn { get; set; }
    /// <summary>Runs before normal handling of registry requests; a non-null answer replaces it.</summary>
    public Func<FakeRequest, FakeResponse?>? Intercept { get; set; }

    /// <summary>(repository, tag or digest) -> (media type, body).</summary>
    public Dictionary<(string, string), (string MediaType, byte[] Body)> Manifests { get; } = new();
    public Dictionary<string, byte[]> Blobs { get; } = new();
    public HashSet<string> Repositories { get; } = [];

    private readonly Dictionary<string, HashSet<string>> _grants = new();   // token -> repositories
    private int _tokenCount;

    public FakeRegistry(string tokenAddress = "127.0.0.1", string cdnAddress = "127.0.0.2")
    {
        Registry = new FakeHttpServer("127.0.0.1");
        TokenServer = new FakeHttpServer(tokenAddress);
        Cdn = new FakeHttpServer(cdnAddress);
        Registry.Handler = HandleRegistry;
        TokenServer.Handler = HandleToken;
        Cdn.Handler = r => ServeBlob(r, r.Path["/blobs/".Length..]);
    }

    public string Realm => $"{TokenServer.BaseUrl}/token";

    /// <summary>Adds a manifest under a tag (and its digest); returns the digest.</summary>
    public Digest AddManifest(string repository, string tag, string mediaType, string json)
    {
        byte[] body = Encoding.UTF8.GetBytes(json);
        Digest d = Digest.Compute(body);
        Repositories.Add(repository);
        Manifests[(repository, tag)] = (mediaType, body);
        Manifests[(repository, d.ToString())] = (mediaType, body);
        return d;
    }

    public Digest AddBlob(string repository, byte[] content)
    {
        Repositories.Add(repository);
        Digest d = Digest.Compute(content);
        Blobs[d.ToString()] = content;
        return d;
    }

    public int TokensIssued => _tokenCount;

    private FakeResponse HandleRegistry(FakeRequest r)
    {
        if (Intercept?.Invoke(r) is { } replaced) return replaced;
        if (!r.Path.StartsWith("/v2/", StringComparison.Ordinal)) return Error(404, "NOT_FOUND", "not found");
        if (r.Path == "/v2/") return Authorized(r, null) ?? FakeResponse.Json(200, "{}");

        string rest = r.Path["/v2/".Length..];
        int m = rest.IndexOf("/manifests/", StringComparison.Ordinal);
        int b = rest.IndexOf("/blobs/", StringComparison.Ordinal);
        string repo = m >= 0 ? rest[..m] : b >= 0 ? rest[..b] : rest;
        if (Authorized(r, repo) is { } denied) return denied;
        if (!Repositories.Contains(repo)) return Error(404, "NAME_UNKNOWN", "repository name not known to registry");

        if (m >= 0)
        {
            string reference = rest[(m + "/manifests/".Length)..];
            if (!Manifests.TryGetValue((repo, reference), out var manifest)) return Error(404, "MANIFEST_UNKNOWN", "manifest unknown");
            return FakeResponse.Bytes(200, manifest.Body, manifest.MediaType, ("Docker-Content-Digest", Digest.Compute(manifest.Body).ToString()));
        }
        if (b >= 0)
        {
            string digest = rest[(b + "/blobs/".Length)..];
            if (!Blobs.ContainsKey(digest)) return Error(404, "BLOB_UNKNOWN", "blob unknown to registry");
            if (RedirectBlobsToCdn)
                return new FakeResponse { Status = 307, Headers = [("Location", $"{Cdn.BaseUrl}/blobs/{digest}?signature=abc")] };
            return ServeBlob(r, digest);
        }
        return Error(404, "NOT_FOUND", "not found");
    }

    private FakeResponse ServeBlob(FakeRequest r, string digest)
    {
        if (!Blobs.TryGetValue(digest, out var content)) return Error(404, "BLOB_UNKNOWN", "blob unknown");
        if (r.Header("Range") is { } range && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
        {
            long from = long.Parse(range["bytes=".Length..^1]);
            if (from >= content.Length) return new FakeResponse { Status = 416 };
            return FakeResponse.Bytes(206, content[(int)from..], "application/octet-stream",
                ("Content-Range", $"bytes {from}-{content.Length - 1}/{content.Length}"));
        }
        return FakeResponse.Bytes(200, content, "application/octet-stream");
    }

    /// <summary>Null when the request may proceed, else the 401 answer.</summary>
    private FakeResponse? Authorized(FakeRequest r, string? repo)
    {
        string? authorization = r.Header("Authorization");
        switch (Auth)
        {
            case FakeAuth.None:
                return null;
            case FakeAuth.Basic:
                if (BasicUser(authorization) is not null) return null;
                return Error(401, "UNAUTHORIZED", "authentication required", ("WWW-Authenticate", "Basic realm=\"fake, basic\""));
            default:
                string scopePart = repo is null ? "" : $",scope=\"repository:{repo}:pull\"";
                string challenge = $"Bearer realm=\"{Realm}\",service=\"{Service}\"{scopePart}";
                if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.Ordinal))
                    return Error(401, "UNAUTHORIZED", "authentication required", ("WWW-Authenticate", challenge));
                string token = authorization["Bearer ".Length..];
                HashSet<string>? granted;
                lock (_grants) _grants.TryGetValue(token, out granted);
                if (granted is null)
                    return Error(401, "UNAUTHORIZED", "authentication required", ("WWW-Authenticate", challenge + ",error=\"invalid_token\""));
                if (repo is not null && !granted.Contains(repo))
                    return Error(401, "UNAUTHORIZED", "authentication required", ("WWW-Authenticate", challenge + ",error=\"insufficient_scope\""));
                return null;
        }
    }

    /// <summary>Forget every issued token (as if they expired on the server).</summary>
    public void RevokeTokens() { lock (_grants) _grants.Clear(); }

    private string? BasicUser(string? authorization)
    {
        if (authorization is null || !authorization.StartsWith("Basic ", StringComparison.Ordinal)) return null;
        string decoded = Encoding.UTF8.GetString(Convert.FromBase64String(authorization["Basic ".Length..]));
        int colon = decoded.IndexOf(':');
        string user = decoded[..colon], pass = decoded[(colon + 1)..];
        return Users.TryGetValue(user, out var want) && want == pass ? user : null;
    }

    private FakeResponse HandleToken(FakeRequest r)
    {
        if (r.Path != "/token") return new FakeResponse { Status = 404 };
        if (r.QueryValues("service").FirstOrDefault() != Service) return FakeResponse.Json(400, "{\"details\":\"wrong service\"}");
        string? user = null;
        if (r.Header("Authorization") is { } a)
        {
            user = BasicUser(a);
            if (user is null) return FakeResponse.Json(401, "{\"details\":\"incorrect username or password\"}");
        }
        var granted = new HashSet<string>();
        foreach (string scope in r.QueryValues("scope"))
        {
            string[] parts = scope.Split(':');
            if (parts.Length == 3 && parts[0] == "repository" && (user is not null || PublicRepositories.Contains(parts[1])))
                granted.Add(parts[1]);
        }
        int n = Interlocked.Increment(ref _tokenCount);
        string token = $"tok{n}.{Convert.ToHexString(RandomNumberGenerator.GetBytes(4))}";
        lock (_grants) _grants[token] = granted;
        string tokenFields = OnlyAccessToken ? $"\"access_token\":\"{token}\"" : $"\"token\":\"{token}\",\"access_token\":\"{token}\"";
        string expires = TokenExpiresIn is { } e ? $",\"expires_in\":{e}" : "";
        return FakeResponse.Json(200, $"{{{tokenFields}{expires},\"issued_at\":\"{TokenIssuedAt:yyyy-MM-ddTHH:mm:ssZ}\"}}");
    }

    public static FakeResponse Error(int status, string code, string message, params (string, string)[] headers) =>
        FakeResponse.Json(status, $"{{\"errors\":[{{\"code\":\"{code}\",\"message\":\"{message}\",\"detail\":null}}]}}", headers);

    public void Dispose()
    {
        Registry.Dispose();
        TokenServer.Dispose();
        Cdn.Dispose();
    }
}
