// Tests of RegistryClient authentication against FakeRegistry: the anonymous bearer flow, token
// caching and expiry, several scopes, Basic auth, stored credentials, wrong credentials, access
// denied, login, and Docker Hub's shape (registry-1.docker.io, realm on another host, library/).
// Follows: distribution spec/auth/token.md; ../shared/notes/registry-token-auth.md.
using MiniImage.Oci;
using MiniImage.Reference;
using MiniImage.Registry;

namespace MiniImage.Tests.Registry;

public sealed class RegistryClientAuthTests : IDisposable
{
    private const string OciManifestJson =
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:0000000000000000000000000000000000000000000000000000000000000000\",\"size\":2},\"layers\":[]}";

    private readonly FakeRegistry _reg = new();
    private readonly ManualClock _clock = new();
    private readonly MemoryCredentialStore _creds = new();

    public void Dispose() => _reg.Dispose();

    private RegistryClient Client(HttpMessageHandler? handler = null, ICredentialStore? creds = null) => new(new RegistryOptions
    {
        Credentials = creds ?? _creds, Clock = _clock, Handler = handler, DelayForTests = new DelayRecorder().Delay,
    });

    private ImageReference Ref(string repo) => ImageReference.Parse($"{_reg.Registry.HostPort}/{repo}");

    private void Publish(string repo, bool isPublic = true)
    {
        _reg.AddManifest(repo, "1.0", MediaTypes.OciManifest, OciManifestJson);
        if (isPublic) _reg.PublicRepositories.Add(repo);
    }

    [Fact]
    public async Task Anonymous_bearer_flow_then_token_is_cached()
    {
        _reg.Auth = FakeAuth.Bearer;
        Publish("team/app");
        using var client = Client();

        var m = await client.GetManifestAsync(Ref("team/app"), "1.0", default);
        Assert.Equal(MediaTypes.OciManifest, m.MediaType);
        var token = Assert.Single(_reg.TokenServer.Requests);
        Assert.Equal(["fake-registry"], token.QueryValues("service"));
        Assert.Equal(["repository:team/app:pull"], token.QueryValues("scope"));
        Assert.Null(token.Header("Authorization"));   // anonymous
        var manifestRequests = _reg.Registry.RequestsTo("/v2/team/app/manifests/");
        Assert.Equal(2, manifestRequests.Count);       // 401, then with the token
        Assert.Null(manifestRequests[0].Header("Authorization"));
        Assert.StartsWith("Bearer tok1.", manifestRequests[1].Header("Authorization"));

        await client.GetManifestAsync(Ref("team/app"), "1.0", default);
        Assert.Single(_reg.TokenServer.Requests);     // no second token request
        var third = _reg.Registry.RequestsTo("/v2/team/app/manifests/")[2];
        Assert.Equal(manifestRequests[1].Header("Authorization"), third.Header("Authorization"));   // sent up front
        Assert.Equal(3, _reg.Registry.RequestsTo("/v2/team/app/manifests/").Count);
    }

    [Fact]
    public async Task Token_is_fetched_again_after_expiry_default_60s()
    {
        _reg.Auth = FakeAuth.Bearer;
        _reg.TokenExpiresIn = null;   // client assumes 60 s
        _reg.TokenIssuedAt = _clock.Now;
        Publish("team/app");
        using var client = Client();

        await client.GetManifestAsync(Ref("team/app"), "1.0", default);
        _clock.Now += TimeSpan.FromSeconds(30);
        await client.GetManifestAsync(Ref("team/app"), "1.0", default);
        Assert.Equal(1, _reg.TokensIssued);
        _clock.Now += TimeSpan.FromSeconds(30);   // 60 s: past expiry minus the margin
        await client.GetManifestAsync(Ref("team/app"), "1.0", default);
        Assert.Equal(2, _reg.TokensIssued);
        // the new token was fetched before the request, not after a 401
        Assert.Equal(4, _reg.Registry.RequestsTo("/v2/team/app/manifests/").Count);
    }

    [Fact]
    public async Task Token_refused_by_the_registry_is_replaced_once()
    {
        _reg.Auth = FakeAuth.Bearer;
        _reg.OnlyAccessToken = true;
        Publish("team/app");
        using var client = Client();
        await client.GetManifestAsync(Ref("team/app"), "1.0", default);
        _reg.RevokeTokens();   // server-side expiry: the cached token is now invalid_token
        await client.GetManifestAsync(Ref("team/app"), "1.0", default);
        Assert.Equal(2, _reg.TokensIssued);
    }

    [Fact]
    public async Task Several_scopes_become_several_scope_parameters()
    {
        _reg.Auth = FakeAuth.Bearer;
        Publish("team/app");
        _reg.PublicRepositories.Add("team/base");
        _reg.Intercept = r => r.Header("Authorization") is null
            ? FakeRegistry.Error(401, "UNAUTHORIZED", "authentication required",
                ("WWW-Authenticate", $"Bearer realm=\"{_reg.Realm}\",service=\"fake-registry\",scope=\"repository:team/app:pull repository:team/base:pull\""))
            : null;
        using var client = Client();
        await client.GetManifestAsync(Ref("team/app"), "1.0", default);
        var token = Assert.Single(_reg.TokenServer.Requests);
        Assert.Equal(["repository:team/app:pull", "repository:team/base:pull"], token.QueryValues("scope"));
        Assert.Contains("scope=repository%3Ateam%2Fapp%3Apull&scope=repository%3Ateam%2Fbase%3Apull", token.Query);
    }

    [Fact]
    public async Task Stored_credentials_go_to_the_token_endpoint_for_a_private_repository()
    {
        _reg.Auth = FakeAuth.Bearer;
        Publish("team/private", isPublic: false);
        _creds.Save(_reg.Registry.HostPort, new Credential("alice", "s3cret"));
        using var client = Client();

        await client.GetManifestAsync(Ref("team/private"), "1.0", default);
        var token = Assert.Single(_reg.TokenServer.Requests);
        Assert.Equal("Basic " + Convert.ToBase64String("alice:s3cret"u8.ToArray()), token.Header("Authorization"));
        // the password itself never reaches the registry, only the token
        Assert.All(_reg.Registry.Requests, r => Assert.False(r.Header("Authorization")?.StartsWith("Basic") ?? false));
    }

    [Fact]
    public async Task Private_repository_without_credentials_is_access_denied_like_docker()
    {
        _reg.Auth = FakeAuth.Bearer;
        Publish("team/private", isPublic: false);
        using var client = Client();
        var e = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(Ref("team/private"), "1.0", default));
        Assert.Equal($"pull access denied for {_reg.Registry.HostPort}/team/private, repository does not exist or may require 'minirun login'", e.Message);
        Assert.Equal(401, e.StatusCode);
    }

    [Fact]
    public async Task Access_denied_mentions_an_unsupported_credential_helper()
    {
        _reg.Auth = FakeAuth.Bearer;
        Publish("team/private", isPublic: false);
        _creds.Helper = "docker-credential-pass configured in ~/.docker/config.json";
        using var client = Client();
        var e = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(Ref("team/private"), "1.0", default));
        Assert.Contains("docker-credential-pass", e.Message);
    }

    [Fact]
    public async Task Wrong_credentials_at_the_token_endpoint()
    {
        _reg.Auth = FakeAuth.Bearer;
        Publish("team/app");
        _creds.Save(_reg.Registry.HostPort, new Credential("alice", "wrong"));
        using var client = Client();
        var e = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(Ref("team/app"), "1.0", default));
        Assert.Equal($"pull {_reg.Registry.HostPort}/team/app:1.0: unauthorized: incorrect username or password for {_reg.Registry.HostPort}", e.Message);
    }

    [Fact]
    public async Task Basic_auth_sends_stored_credentials_and_remembers_the_scheme()
    {
        _reg.Auth = FakeAuth.Basic;
        Publish("team/app");
        _creds.Save(_reg.Registry.HostPort, new Credential("alice", "s3cret"));
        using var client = Client();
        await client.GetManifestAsync(Ref("team/app"), "1.0", default);
        await client.GetManifestAsync(Ref("team/app"), "1.0", default);
        var requests = _reg.Registry.Requests;
        Assert.Equal(3, requests.Count);   // 401, retry, then Basic up front
        Assert.Null(requests[0].Header("Authorization"));
        Assert.Equal("Basic YWxpY2U6czNjcmV0", requests[1].Header("Authorization"));
        Assert.Equal("Basic YWxpY2U6czNjcmV0", requests[2].Header("Authorization"));
        Assert.Empty(_reg.TokenServer.Requests);
    }

    [Fact]
    public async Task Basic_auth_with_wrong_password_or_none()
    {
        _reg.Auth = FakeAuth.Basic;
        Publish("team/app");
        using (var anonymous = Client())
        {
            var denied = await Assert.ThrowsAsync<RegistryException>(() => anonymous.GetManifestAsync(Ref("team/app"), "1.0", default));
            Assert.StartsWith("pull access denied for ", denied.Message);
        }
        _creds.Save(_reg.Registry.HostPort, new Credential("alice", "nope"));
        using var client = Client();
        var e = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(Ref("team/app"), "1.0", default));
        Assert.Contains("unauthorized: incorrect username or password", e.Message);
        Assert.Single(_reg.Registry.Requests, r => r.Header("Authorization") is not null);   // tried once, no loop
    }

    [Theory]
    [InlineData(FakeAuth.Bearer)]
    [InlineData(FakeAuth.Basic)]
    [InlineData(FakeAuth.None)]
    public async Task Login_checks_credentials_against_v2(FakeAuth auth)
    {
        _reg.Auth = auth;
        using var client = Client();
        await client.LoginAsync(_reg.Registry.HostPort, "alice", "s3cret", default);
        Assert.All(_reg.Registry.Requests, r => Assert.Equal("/v2/", r.Path));
        if (auth == FakeAuth.None) return;

        var e = await Assert.ThrowsAsync<RegistryException>(() => client.LoginAsync(_reg.Registry.HostPort, "alice", "bad", default));
        Assert.Equal($"login {_reg.Registry.HostPort}: unauthorized: incorrect username or password for {_reg.Registry.HostPort}", e.Message);
    }

    [Fact]
    public async Task Docker_hub_shape_realm_on_another_host_library_prefix_and_cdn_redirect()
    {
        using var hub = new FakeRegistry(tokenAddress: "127.0.0.3", cdnAddress: "127.0.0.2")
        {
            Auth = FakeAuth.Bearer, Service = "registry.docker.io", RedirectBlobsToCdn = true,
        };
        hub.PublicRepositories.Add("library/alpine");
        hub.AddManifest("library/alpine", "latest", MediaTypes.OciManifest, OciManifestJson);
        byte[] layer = "layer bytes"u8.ToArray();
        Digest blob = hub.AddBlob("library/alpine", layer);
        using var handler = new DockerHubRedirectingHandler(hub.Registry.HostPort);
        using var client = Client(handler);

        Assert.Equal("https://registry-1.docker.io/", client.BaseUri("docker.io").ToString());
        var image = ImageReference.Parse("alpine");
        await client.GetManifestAsync(image, "latest", default);
        using (var stream = await client.OpenBlobAsync(image, blob, 0, default))
        {
            var copy = new MemoryStream();
            await stream.Content.CopyToAsync(copy);
            Assert.Equal(layer, copy.ToArray());
        }

        Assert.Contains(handler.Seen, u => u.ToString() == "https://registry-1.docker.io/v2/library/alpine/manifests/latest");
        var token = Assert.Single(hub.TokenServer.Requests);   // on 127.0.0.3, the "auth.docker.io"
        Assert.Equal(["registry.docker.io"], token.QueryValues("service"));
        Assert.Equal(["repository:library/alpine:pull"], token.QueryValues("scope"));
        var blobRequest = Assert.Single(hub.Registry.RequestsTo("/v2/library/alpine/blobs/"));
        Assert.StartsWith("Bearer ", blobRequest.Header("Authorization"));
        var cdn = Assert.Single(hub.Cdn.Requests);
        Assert.Null(cdn.Header("Authorization"));
        Assert.Equal("signature=abc", cdn.Query);
    }
}
