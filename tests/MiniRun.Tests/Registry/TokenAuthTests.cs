// TokenAuthTests: a registry with bearer-token auth and TokenServer as its realm: an anonymous
// token for a public repository (Docker Hub's flow); a private repository refused anonymously and
// pulled after `login`; a token fetched once per scope and reused for the manifest, config and
// layer requests; wrong credentials refused by the token server at login.
//
// Why: Docker Hub, ghcr.io, quay.io and GitLab all use this flow; the token server here issues
// exactly what distribution 2.8 verifies (see TokenSigner).
// Follows: distribution spec/auth/token.md, docker-login(1), registry-token-auth.md (project notes).
namespace MiniRun.Tests.Registry;

public sealed class TokenAuthRegistry : IDisposable
{
    public TokenServer Tokens { get; }
    public RegistryServer Registry { get; }

    public TokenAuthRegistry()
    {
        Tokens = new TokenServer(new Dictionary<string, string> { ["bob"] = "hunter2" },
        [
            new TokenGrant("bob", "private/", ["pull", "push"]),
            new TokenGrant("bob", "public/", ["pull", "push"]),
            new TokenGrant(null, "public/", ["pull"]),
        ]);
        try
        {
            Registry = RegistryServer.WithTokenAuth(Tokens);
            TestImages.Skopeo(Registry, TestImages.BusyboxLayout, "latest", "private/busybox:latest", "bob:hunter2");
            TestImages.Skopeo(Registry, TestImages.BusyboxLayout, "latest", "public/busybox:latest", "bob:hunter2");
        }
        catch
        {
            Registry?.Dispose();
            Tokens.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Registry.Dispose();
        Tokens.Dispose();
    }
}

public sealed class TokenAuthTests : IClassFixture<TokenAuthRegistry>
{
    private readonly TokenAuthRegistry fx;

    public TokenAuthTests(TokenAuthRegistry fx) => this.fx = fx;

    private string Private => $"{fx.Registry.Host}/private/busybox:latest";

    [Fact]
    public void Anonymous_token_pulls_a_public_repository()
    {
        using var root = new MiniRunRoot();
        root.Ok("pull", $"{fx.Registry.Host}/public/busybox:latest");
        Assert.Contains(fx.Tokens.Requests, r => r.User is null && r.Status == 200 && r.Scopes.Contains("repository:public/busybox:pull"));
    }

    [Fact]
    public void Private_repository_is_refused_anonymously_and_pulled_after_login_with_one_token()
    {
        using var root = new MiniRunRoot();
        var anonymous = root.Run("pull", Private);
        Assert.Equal(1, anonymous.ExitCode);
        Assert.Matches("(?i)denied|unauthorized|authentication required|insufficient_scope|does not exist", anonymous.Stderr);
        Assert.Empty(root.Blobs());

        Assert.Contains("Login Succeeded", root.Ok("login", "-u", "bob", "-p", "hunter2", fx.Registry.Host).Stdout);

        lock (fx.Tokens) // the counters are shared by the class; xunit runs a class's tests one at a time anyway
        {
            fx.Tokens.ResetCounters();
            root.Ok("pull", Private);
            // Manifest, config and layer all need repository:private/busybox:pull; one token serves them all.
            Assert.Equal(1, fx.Tokens.TokensIssuedFor("repository:private/busybox:pull"));
            Assert.All(fx.Tokens.Requests.Where(r => r.Status == 200), r => Assert.Equal("bob", r.User));
        }
        Assert.Equal("ok\n", root.Ok("run", "--rm", Private, "echo", "ok").Stdout);
    }

    [Fact]
    public void Wrong_password_is_refused_at_login()
    {
        using var root = new MiniRunRoot();
        var login = root.Run("login", "-u", "bob", "-p", "wrong", fx.Registry.Host);
        Assert.Equal(1, login.ExitCode);
        Assert.NotEmpty(login.Stderr);
    }

    [Fact]
    public void Logout_makes_the_private_repository_unreachable_again()
    {
        using var root = new MiniRunRoot();
        root.Ok("login", "-u", "bob", "-p", "hunter2", fx.Registry.Host);
        root.Ok("logout", fx.Registry.Host);
        Assert.Equal(1, root.Run("pull", Private).ExitCode);
    }
}
