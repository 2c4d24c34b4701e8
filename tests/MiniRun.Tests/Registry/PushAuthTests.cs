// PushAuthTests: `minirun push` to registries that want credentials: htpasswd Basic auth and
// bearer tokens from TokenServer with push scopes. Without `login` the push is refused with
// "unauthorized: authentication required"; a user the token server grants only pull gets
// "denied: requested access to the resource is denied"; after `login` the push works (the token
// asked for repository:NAME:pull,push) and a mount between two repositories asks for pull on the
// source too. Nothing becomes visible under a refused tag.
//
// Why: pushing is where credentials matter most; a company registry, GitLab and Docker Hub all
// use one of these two schemes.
// Follows: distribution spec/auth/token.md and scope.md ("repository:NAME:pull,push"), OCI
// distribution-spec v1.1 "Mounting a blob from another repository", docker-push(1), docker-login(1).
namespace MiniRun.Tests.Registry;

public sealed class PushBasicRegistry : IDisposable
{
    public RegistryServer Registry { get; } = RegistryServer.WithBasicAuth("alice", "s3cret");
    public void Dispose() => Registry.Dispose();
}

public sealed class PushBasicAuthTests : IClassFixture<PushBasicRegistry>
{
    private readonly RegistryServer registry;

    public PushBasicAuthTests(PushBasicRegistry fx) => registry = fx.Registry;

    [Fact]
    public void Push_without_login_is_unauthorized_and_after_login_works()
    {
        using var root = PushTests.WithBusybox();
        string image = $"{registry.Host}/team/pushed:v1";
        root.Ok("tag", "busybox", image);

        var anonymous = root.Run("push", image);
        Assert.Equal(1, anonymous.ExitCode);
        Assert.Equal("unauthorized: authentication required", anonymous.Stderr.Trim());
        Assert.NotEqual(0, Tool.Run("/usr/bin/skopeo", ["inspect", "--tls-verify=false", "--creds", registry.Creds!, "docker://" + image]).ExitCode);

        root.Ok("login", "-u", "alice", "-p", "s3cret", registry.Host);
        var push = root.Ok("push", image);
        Assert.Contains(": Pushed\n", push.Stdout);
        Assert.Equal(PushTests.StoreManifestDigest(root, image), PushTests.SkopeoDigest(image, registry.Creds));

        using var fresh = new MiniRunRoot();
        fresh.Ok("login", "-u", "alice", "-p", "s3cret", registry.Host);
        fresh.Ok("pull", image);
        Assert.Equal(root.ImageIds(), fresh.ImageIds());
    }
}

public sealed class PushTokenRegistry : IDisposable
{
    public TokenServer Tokens { get; }
    public RegistryServer Registry { get; }

    public PushTokenRegistry()
    {
        Tokens = new TokenServer(new Dictionary<string, string> { ["bob"] = "hunter2", ["reader"] = "letmein" },
        [
            new TokenGrant("bob", "private/", ["pull", "push"]),
            new TokenGrant("reader", "private/", ["pull"]),
            new TokenGrant(null, "public/", ["pull"]),
        ]);
        try { Registry = RegistryServer.WithTokenAuth(Tokens); }
        catch { Tokens.Dispose(); throw; }
    }

    public void Dispose()
    {
        Registry.Dispose();
        Tokens.Dispose();
    }
}

public sealed class PushTokenAuthTests : IClassFixture<PushTokenRegistry>
{
    private readonly PushTokenRegistry fx;

    public PushTokenAuthTests(PushTokenRegistry fx) => this.fx = fx;

    private string Ref(string repoTag) => $"{fx.Registry.Host}/{repoTag}";

    [Fact]
    public void Anonymous_push_is_unauthorized()
    {
        using var root = PushTests.WithBusybox();
        root.Ok("tag", "busybox", Ref("public/anon:1"));
        var push = root.Run("push", Ref("public/anon:1"));
        Assert.Equal(1, push.ExitCode);
        Assert.Equal("unauthorized: authentication required", push.Stderr.Trim());
    }

    [Fact]
    public void A_user_with_pull_only_is_denied_and_the_tag_stays_absent()
    {
        using var root = PushTests.WithBusybox();
        root.Ok("tag", "busybox", Ref("private/readonly:1"));
        root.Ok("login", "-u", "reader", "-p", "letmein", fx.Registry.Host);
        var push = root.Run("push", Ref("private/readonly:1"));
        Assert.Equal(1, push.ExitCode);
        Assert.Equal("denied: requested access to the resource is denied", push.Stderr.Trim());
        Assert.NotEqual(0, Tool.Run("/usr/bin/skopeo", ["inspect", "--tls-verify=false", "--creds", "bob:hunter2", "docker://" + Ref("private/readonly:1")]).ExitCode);
    }

    [Fact]
    public void Push_with_a_push_scoped_token_then_mount_with_pull_on_the_source()
    {
        using var root = PushTests.WithBusybox();
        root.Ok("tag", "busybox", Ref("private/one:1"));
        root.Ok("tag", "busybox", Ref("private/two:1"));
        root.Ok("login", "-u", "bob", "-p", "hunter2", fx.Registry.Host);
        lock (fx.Tokens)
        {
            fx.Tokens.ResetCounters();
            Assert.Contains(": Pushed\n", root.Ok("push", Ref("private/one:1")).Stdout);
            Assert.True(fx.Tokens.TokensIssuedFor("repository:private/one:pull,push") >= 1);
            Assert.All(fx.Tokens.Requests, r => Assert.Equal("bob", r.User));

            var mount = root.Ok("push", Ref("private/two:1"));
            Assert.Contains(": Mounted from private/one\n", mount.Stdout);
            Assert.Contains(fx.Tokens.Requests, r => r.Status == 200
                && r.Scopes.Contains("repository:private/two:pull,push") && r.Scopes.Contains("repository:private/one:pull"));
        }
        Assert.Equal(PushTests.SkopeoDigest(Ref("private/one:1"), "bob:hunter2"), PushTests.SkopeoDigest(Ref("private/two:1"), "bob:hunter2"));
    }
}
