// TokenServer: a small bearer-token server on 127.0.0.1 for a registry started with token auth:
// GET /token?service=S&scope=repository:NAME:ACTIONS... (optionally with basic credentials)
// answers {"token","access_token","expires_in","issued_at"} with a JWT from TokenSigner that
// grants what the test's policy allows. It counts the requests so tests can see token reuse.
//
// Why: this is the flow Docker Hub (auth.docker.io) and most private registries use; the
// registry itself only verifies tokens. A scope the policy does not allow is not an error: the
// token just lacks it and the registry answers insufficient_scope (Docker's token spec). Wrong
// credentials are a 401, which is how a client's `login` tells a bad password.
// Follows: distribution's spec/auth/token.md (request parameters, response fields, expires_in),
// /work/shared/notes/registry-token-auth.md sections 3-5, RFC 7617 (Basic credentials).
using System.Net;
using System.Text;
using System.Text.Json;

namespace MiniRun.Tests.Registry;

/// <summary>Who may do what: <paramref name="User"/> null means everyone, anonymous included;
/// <paramref name="Repository"/> is a name or a prefix ending in '/'.</summary>
public sealed record TokenGrant(string? User, string Repository, string[] Actions);

/// <summary>One request the server answered: the authenticated user (null: anonymous), the scopes asked for, the status sent.</summary>
public sealed record TokenRequest(string? User, string[] Scopes, int Status);

public sealed class TokenServer : IDisposable
{
    private HttpListener listener = new();
    private readonly TokenSigner signer = new();
    private readonly Dictionary<string, string> users;
    private readonly List<TokenGrant> grants;
    private readonly List<TokenRequest> requests = new();
    private readonly Task loop;

    public int Port { get; }
    public string Realm => $"http://127.0.0.1:{Port}/token";
    public string Service { get; } = "minirun-test-registry";
    public string Issuer { get; } = "minirun-test-token-issuer";
    public string CertificatePem => signer.CertificatePem;
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromSeconds(300);

    public TokenServer(IDictionary<string, string> users, IEnumerable<TokenGrant> grants)
    {
        this.users = new Dictionary<string, string>(users);
        this.grants = grants.ToList();
        for (int attempt = 1; ; attempt++)
        {
            // The free port may be taken by a parallel test before we bind it: try another.
            Port = RegistryServer.FreePort();
            listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
            try { listener.Start(); break; }
            catch (HttpListenerException) when (attempt < 5)
            {
                try { listener.Close(); } catch (HttpListenerException) { }
                listener = new HttpListener();
            }
        }
        loop = Task.Run(Serve);
    }

    /// <summary>Every request so far (a copy).</summary>
    public IReadOnlyList<TokenRequest> Requests { get { lock (requests) return requests.ToArray(); } }

    /// <summary>Number of tokens issued (200 answers) for a request that asked for <paramref name="scope"/>.</summary>
    public int TokensIssuedFor(string scope)
    {
        lock (requests) return requests.Count(r => r.Status == 200 && r.Scopes.Contains(scope));
    }

    public void ResetCounters() { lock (requests) requests.Clear(); }

    private async Task Serve()
    {
        while (listener.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            try { Handle(ctx); }
            catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException) { }
        }
    }

    private void Handle(HttpListenerContext ctx)
    {
        var req = ctx.Request;
        string[] scopes = req.QueryString.GetValues("scope")?.SelectMany(s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray() ?? [];
        string? user = null;
        int status;
        string body;
        if (req.Url?.AbsolutePath != "/token")
        {
            (status, body) = (404, """{"errors":[{"code":"NOT_FOUND","message":"only /token is served"}]}""");
        }
        else if (req.QueryString["service"] != Service)
        {
            (status, body) = (400, """{"errors":[{"code":"INVALID_REQUEST","message":"unknown service"}]}""");
        }
        else if (!TryAuthenticate(req.Headers["Authorization"], out user))
        {
            ctx.Response.AddHeader("WWW-Authenticate", "Basic realm=\"minirun-test-token-server\"");
            (status, body) = (401, """{"errors":[{"code":"UNAUTHORIZED","message":"invalid username or password"}]}""");
        }
        else
        {
            var access = scopes.Select(s => Grant(user, s)).OfType<AccessEntry>().ToList();
            string token = signer.Sign(Issuer, Service, user, access, Lifetime);
            status = 200;
            body = ResponseJson(token);
        }
        lock (requests) requests.Add(new TokenRequest(user, scopes, status));
        byte[] bytes = Encoding.UTF8.GetBytes(body);
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        ctx.Response.ContentLength64 = bytes.Length;
        ctx.Response.OutputStream.Write(bytes);
        ctx.Response.Close();
    }

    /// <summary>No Authorization header: anonymous. Basic with a known user and its password: that user. Anything else fails.</summary>
    private bool TryAuthenticate(string? header, out string? user)
    {
        user = null;
        if (string.IsNullOrEmpty(header)) return true;
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return false;
        string decoded;
        try { decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim())); }
        catch (FormatException) { return false; }
        int colon = decoded.IndexOf(':');
        if (colon < 0) return false;
        string name = decoded[..colon], password = decoded[(colon + 1)..];
        if (!users.TryGetValue(name, out var expected) || expected != password) return false;
        user = name;
        return true;
    }

    /// <summary>"repository:NAME:ACTIONS" -> the allowed subset, or null when nothing is allowed. NAME may contain '/' and
    /// a registry host with a port never appears in it, so the actions are after the last ':'.</summary>
    private AccessEntry? Grant(string? user, string scope)
    {
        int first = scope.IndexOf(':'), last = scope.LastIndexOf(':');
        if (first < 0 || last <= first) return null;
        string type = scope[..first], name = scope[(first + 1)..last];
        string[] wanted = scope[(last + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries);
        if (type != "repository") return null;
        var allowed = grants
            .Where(g => g.User is null || g.User == user)
            .Where(g => g.Repository == name || (g.Repository.EndsWith('/') && name.StartsWith(g.Repository, StringComparison.Ordinal)))
            .SelectMany(g => g.Actions).ToHashSet();
        string[] granted = wanted.Where(a => allowed.Contains(a) || allowed.Contains("*")).ToArray();
        return granted.Length == 0 ? null : new AccessEntry(type, name, granted);
    }

    private string ResponseJson(string token)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("token", token);
            w.WriteString("access_token", token);
            w.WriteNumber("expires_in", (long)Lifetime.TotalSeconds);
            w.WriteString("issued_at", DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"));
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    public void Dispose()
    {
        try { listener.Stop(); listener.Close(); } catch (Exception e) when (e is ObjectDisposedException or HttpListenerException) { }
        try { loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        signer.Dispose();
    }
}
