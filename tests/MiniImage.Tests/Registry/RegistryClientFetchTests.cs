// Tests of RegistryClient manifest and blob fetching against FakeRegistry: Accept negotiation,
// schema 1 refusal, digest checks, error mapping, Range/206, redirects without credentials, and
// retries (429 + Retry-After, 503, dropped connections).
// Follows: OCI distribution-spec v1.1 (pulling manifests and blobs, error codes); RFC 9110.
using System.Text;
using MiniImage.Oci;
using MiniImage.Reference;
using MiniImage.Registry;

namespace MiniImage.Tests.Registry;

public sealed class RegistryClientFetchTests : IDisposable
{
    private const string IndexJson =
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[]}";
    private const string Schema1Json =
        "{\"schemaVersion\":1,\"name\":\"team/old\",\"tag\":\"1.0\",\"architecture\":\"amd64\",\"fsLayers\":[],\"history\":[]}";

    private readonly FakeRegistry _reg = new();
    private readonly DelayRecorder _delays = new();

    public void Dispose() => _reg.Dispose();

    private RegistryClient Client(int maxAttempts = 5) => new(new RegistryOptions
    {
        DelayForTests = _delays.Delay, MaxAttempts = maxAttempts,
        InitialBackoff = TimeSpan.FromMilliseconds(100), MaxBackoff = TimeSpan.FromSeconds(5),
    });

    private ImageReference Ref(string repo) => ImageReference.Parse($"{_reg.Registry.HostPort}/{repo}");
    private string Name(string repo) => $"{_reg.Registry.HostPort}/{repo}";

    [Fact]
    public async Task Manifest_fetch_sends_the_four_accept_types_and_returns_the_digest()
    {
        Digest d = _reg.AddManifest("team/app", "1.0", MediaTypes.OciIndex, IndexJson);
        using var client = Client();
        var m = await client.GetManifestAsync(Ref("team/app"), "1.0", default);
        Assert.Equal(MediaTypes.OciIndex, m.MediaType);
        Assert.Equal(d, m.Digest);
        Assert.Equal(IndexJson, Encoding.UTF8.GetString(m.Content));

        var request = Assert.Single(_reg.Registry.Requests);
        Assert.Equal("/v2/team/app/manifests/1.0", request.Path);
        string[] accept = request.Header("Accept")!.Split(',', StringSplitOptions.TrimEntries);
        Assert.Equal([
            "application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.list.v2+json", "application/vnd.docker.distribution.manifest.v2+json",
        ], accept);
        Assert.Equal("minirun/0.1", request.Header("User-Agent"));
    }

    [Fact]
    public async Task By_digest_the_body_is_verified()
    {
        Digest d = _reg.AddManifest("team/app", "1.0", MediaTypes.OciIndex, IndexJson);
        using var client = Client();
        var ok = await client.GetManifestAsync(Ref("team/app"), d.ToString(), default);
        Assert.Equal(d, ok.Digest);

        // the registry answers a digest request with other content
        Digest other = Digest.Compute("something else"u8);
        _reg.Manifests[("team/app", other.ToString())] = (MediaTypes.OciIndex, Encoding.UTF8.GetBytes(IndexJson));
        var e = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(Ref("team/app"), other.ToString(), default));
        Assert.Equal($"pull {Name("team/app")}@{other}: manifest digest mismatch: expected {other}, got {d}", e.Message);
    }

    [Fact]
    public async Task Docker_content_digest_must_match_the_body()
    {
        _reg.AddManifest("team/app", "1.0", MediaTypes.OciIndex, IndexJson);
        Digest lie = Digest.Compute("x"u8);
        _reg.Intercept = r => FakeResponse.Bytes(200, Encoding.UTF8.GetBytes(IndexJson), MediaTypes.OciIndex, ("Docker-Content-Digest", lie.ToString()));
        using var client = Client();
        var e = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(Ref("team/app"), "1.0", default));
        Assert.Contains($"Docker-Content-Digest {lie} does not match", e.Message);
    }

    [Theory]
    [InlineData("application/vnd.docker.distribution.manifest.v1+prettyjws")]
    [InlineData("application/vnd.docker.distribution.manifest.v1+json")]
    [InlineData("application/json")]
    public async Task Schema1_is_refused(string contentType)
    {
        _reg.AddManifest("team/old", "1.0", contentType, Schema1Json);
        using var client = Client();
        var e = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(Ref("team/old"), "1.0", default));
        Assert.StartsWith($"pull {Name("team/old")}:1.0: the image uses the old Docker schema 1 manifest format, which MiniRun (like current Docker) does not support", e.Message);
    }

    [Fact]
    public async Task Generic_content_type_falls_back_to_the_body()
    {
        _reg.AddManifest("team/app", "1.0", "application/json", IndexJson);
        using var client = Client();
        var m = await client.GetManifestAsync(Ref("team/app"), "1.0", default);
        Assert.Equal(MediaTypes.OciIndex, m.MediaType);
    }

    [Fact]
    public async Task Unknown_manifest_and_repository_are_named()
    {
        _reg.AddManifest("team/app", "1.0", MediaTypes.OciIndex, IndexJson);
        using var client = Client();
        var e1 = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(Ref("team/app"), "nope", default));
        Assert.Equal($"manifest for {Name("team/app")}:nope not found: manifest unknown", e1.Message);
        Assert.Equal("MANIFEST_UNKNOWN", e1.ErrorCode);
        Assert.Equal(404, e1.StatusCode);

        var e2 = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(Ref("team/missing"), "1.0", default));
        Assert.Equal($"repository {Name("team/missing")} not found: name unknown", e2.Message);
        Assert.Equal("NAME_UNKNOWN", e2.ErrorCode);

        var e3 = await Assert.ThrowsAsync<RegistryException>(() => client.OpenBlobAsync(Ref("team/app"), Digest.Compute("x"u8), 0, default));
        Assert.Equal($"pull {Name("team/app")} blob {Digest.Compute("x"u8)}: blob {Digest.Compute("x"u8)} not found in repository {Name("team/app")}: blob unknown", e3.Message);
        Assert.Equal("BLOB_UNKNOWN", e3.ErrorCode);
    }

    [Fact]
    public async Task Other_errors_are_one_line_with_code_and_status()
    {
        _reg.Intercept = r => FakeRegistry.Error(403, "DENIED", "requested access to the resource is denied");
        using var client = Client();
        var e = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(Ref("team/app"), "1.0", default));
        Assert.Equal($"pull {Name("team/app")}:1.0: denied: requested access to the resource is denied", e.Message);

        _reg.Intercept = r => FakeResponse.Json(400, "{\"errors\":[{\"code\":\"UNSUPPORTED\",\"message\":\"line one\\nline two\"}]}");
        var e2 = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(Ref("team/app"), "1.0", default));
        Assert.Equal($"pull {Name("team/app")}:1.0: unsupported: line one line two (HTTP 400)", e2.Message);
    }

    [Fact]
    public async Task Range_request_gets_206_and_is_partial()
    {
        byte[] content = Encoding.ASCII.GetBytes("0123456789abcdef");
        Digest d = _reg.AddBlob("team/app", content);
        using var client = Client();

        using (var whole = await client.OpenBlobAsync(Ref("team/app"), d, 0, default))
        {
            Assert.False(whole.IsPartial);
            Assert.Equal(16, whole.Length);
        }
        Assert.Null(_reg.Registry.Requests[^1].Header("Range"));

        using var part = await client.OpenBlobAsync(Ref("team/app"), d, 10, default);
        Assert.True(part.IsPartial);
        Assert.Equal(6, part.Length);
        Assert.Equal("bytes=10-", _reg.Registry.Requests[^1].Header("Range"));
        Assert.Equal("abcdef", await new StreamReader(part.Content).ReadToEndAsync());
    }

    [Fact]
    public async Task Range_ignored_by_the_server_is_not_partial()
    {
        byte[] content = Encoding.ASCII.GetBytes("0123456789");
        Digest d = _reg.AddBlob("team/app", content);
        _reg.Intercept = r => r.Path.Contains("/blobs/") ? FakeResponse.Bytes(200, content, "application/octet-stream") : null;
        using var client = Client();
        using var blob = await client.OpenBlobAsync(Ref("team/app"), d, 4, default);
        Assert.False(blob.IsPartial);
        Assert.Equal(10, blob.Length);
    }

    [Fact]
    public async Task Blob_redirect_to_another_host_drops_authorization_registry_keeps_it()
    {
        _reg.Auth = FakeAuth.Bearer;
        _reg.PublicRepositories.Add("team/app");
        _reg.RedirectBlobsToCdn = true;
        byte[] content = "compressed layer"u8.ToArray();
        Digest d = _reg.AddBlob("team/app", content);
        using var client = Client();

        using (var blob = await client.OpenBlobAsync(Ref("team/app"), d, 0, default))
        {
            var copy = new MemoryStream();
            await blob.Content.CopyToAsync(copy);
            Assert.Equal(content, copy.ToArray());
        }
        var toRegistry = _reg.Registry.RequestsTo("/v2/team/app/blobs/");
        Assert.StartsWith("Bearer ", toRegistry[^1].Header("Authorization"));
        var cdn = Assert.Single(_reg.Cdn.Requests);
        Assert.Equal("127.0.0.2", _reg.Cdn.Address);
        Assert.Null(cdn.Header("Authorization"));
        Assert.Equal($"/blobs/{d}", cdn.Path);

        // resumed download through the redirect: the Range header travels, Authorization does not
        using var part = await client.OpenBlobAsync(Ref("team/app"), d, 5, default);
        Assert.True(part.IsPartial);
        Assert.Equal("bytes=5-", _reg.Cdn.Requests[^1].Header("Range"));
        Assert.Null(_reg.Cdn.Requests[^1].Header("Authorization"));
    }

    [Fact]
    public async Task Redirect_to_same_host_other_port_is_another_origin()
    {
        _reg.Auth = FakeAuth.Basic;
        using var samehost = new FakeHttpServer("127.0.0.1");
        samehost.Handler = _ => FakeResponse.Bytes(200, "x"u8.ToArray(), "application/octet-stream");
        Digest d = _reg.AddBlob("team/app", "x"u8.ToArray());
        _reg.Intercept = r => r.Path.Contains("/blobs/") && r.Header("Authorization") is not null
            ? new FakeResponse { Status = 302, Headers = [("Location", $"{samehost.BaseUrl}/b")] }
            : null;
        var creds = new MemoryCredentialStore();
        creds.Save(_reg.Registry.HostPort, new Credential("alice", "s3cret"));
        using var client = new RegistryClient(new RegistryOptions { Credentials = creds, DelayForTests = _delays.Delay });
        using var blob = await client.OpenBlobAsync(Ref("team/app"), d, 0, default);
        Assert.Null(Assert.Single(samehost.Requests).Header("Authorization"));
    }

    [Fact]
    public async Task Status_429_with_retry_after_then_200()
    {
        _reg.AddManifest("team/app", "1.0", MediaTypes.OciIndex, IndexJson);
        int calls = 0;
        _reg.Intercept = r => Interlocked.Increment(ref calls) == 1
            ? FakeRegistry.Error(429, "TOOMANYREQUESTS", "slow down", ("Retry-After", "3"))
            : null;
        using var client = Client();
        await client.GetManifestAsync(Ref("team/app"), "1.0", default);
        Assert.Equal(2, _reg.Registry.Requests.Count);
        Assert.Equal([TimeSpan.FromSeconds(3)], _delays.Delays);
    }

    [Fact]
    public async Task Retry_after_is_capped()
    {
        _reg.AddManifest("team/app", "1.0", MediaTypes.OciIndex, IndexJson);
        int calls = 0;
        _reg.Intercept = r => Interlocked.Increment(ref calls) == 1
            ? new FakeResponse { Status = 429, Headers = [("Retry-After", "3600")] }
            : null;
        using var client = Client();
        await client.GetManifestAsync(Ref("team/app"), "1.0", default);
        Assert.Equal([TimeSpan.FromSeconds(5)], _delays.Delays);
    }

    [Fact]
    public async Task Status_503_twice_then_200_with_doubling_backoff()
    {
        _reg.AddManifest("team/app", "1.0", MediaTypes.OciIndex, IndexJson);
        int calls = 0;
        _reg.Intercept = r => Interlocked.Increment(ref calls) <= 2 ? new FakeResponse { Status = 503 } : null;
        using var client = Client();
        await client.GetManifestAsync(Ref("team/app"), "1.0", default);
        Assert.Equal(3, _reg.Registry.Requests.Count);
        Assert.Equal([TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200)], _delays.Delays);
    }

    [Fact]
    public async Task Connection_cut_inside_the_headers_then_success()
    {
        byte[] content = "data"u8.ToArray();
        Digest d = _reg.AddBlob("team/app", content);
        int calls = 0;
        _reg.Intercept = r => Interlocked.Increment(ref calls) == 1 ? FakeResponse.Truncate : null;
        using var client = Client();
        using var blob = await client.OpenBlobAsync(Ref("team/app"), d, 0, default);
        Assert.Equal(4, blob.Length);
        Assert.Equal(2, _reg.Registry.Requests.Count);
        Assert.Equal([TimeSpan.FromMilliseconds(100)], _delays.Delays);
    }

    [Fact]
    public async Task Connection_dropped_without_answer_then_success()
    {
        // SocketsHttpHandler itself retries a request whose connection closed before any byte came
        // back (a few times); more drops than that reach RegistryClient's own retry.
        byte[] content = "data"u8.ToArray();
        Digest d = _reg.AddBlob("team/app", content);
        int calls = 0;
        _reg.Intercept = r => Interlocked.Increment(ref calls) <= 6 ? FakeResponse.Drop : null;
        using var client = Client(maxAttempts: 10);
        using var blob = await client.OpenBlobAsync(Ref("team/app"), d, 0, default);
        Assert.Equal(4, blob.Length);
        Assert.Equal(7, _reg.Registry.Requests.Count);
        Assert.NotEmpty(_delays.Delays);
    }

    [Fact]
    public async Task Attempts_are_bounded()
    {
        _reg.Intercept = r => new FakeResponse { Status = 502 };
        using var client = Client(maxAttempts: 3);
        var e = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(Ref("team/app"), "1.0", default));
        Assert.Equal(3, _reg.Registry.Requests.Count);
        Assert.Equal(502, e.StatusCode);
        Assert.Contains("HTTP 502", e.Message);

        _reg.Intercept = r => FakeResponse.Truncate;
        var e2 = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(Ref("team/app"), "1.0", default));
        Assert.Contains("gave up after 3 attempts", e2.Message);
        Assert.DoesNotContain('\n', e2.Message);
    }

    [Fact]
    public async Task Invalid_tag_or_digest_is_refused_before_any_request()
    {
        using var client = Client();
        await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(Ref("team/app"), "sha256:abc", default));
        await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(Ref("team/app"), "-bad", default));
        Assert.Empty(_reg.Registry.Requests);
    }
}
