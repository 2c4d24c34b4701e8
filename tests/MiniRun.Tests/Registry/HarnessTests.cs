// HarnessTests: proves the registry test harness with independent tools before MiniRun is judged
// by it: curl reads what was pushed (media types, indexes), skopeo and umoci pull and unpack the
// three-layer image, the basic-auth and token-auth registries accept and refuse as they should,
// the cut proxy truncates a blob, and a stopped registry can be started again.
//
// Why: when a pull test fails, this class tells whether the fixture or MiniRun is wrong.
// Follows: curl(1), skopeo-copy(1), skopeo-inspect(1), umoci-unpack(1), OCI distribution-spec.
using System.Security.Cryptography;
using System.Text.Json;

namespace MiniRun.Tests.Registry;

public sealed class HarnessTests : IClassFixture<PublishedRegistry>, IDisposable
{
    private const string Curl = "/usr/bin/curl";
    private const string AllTypes = "Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, " +
        "application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";
    private readonly PublishedRegistry reg;
    private readonly string work = Directory.CreateTempSubdirectory("minirun-harness-").FullName;

    public HarnessTests(PublishedRegistry reg) => this.reg = reg;

    public void Dispose() => Directory.Delete(work, recursive: true);

    private JsonElement Manifest(string repo, string reference = "latest")
    {
        string body = Tool.Check(Curl, "-sf", "-H", AllTypes, $"{reg.Registry.BaseUrl}/v2/{repo}/manifests/{reference}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    [Fact]
    public void Published_images_have_the_expected_media_types()
    {
        Assert.Equal(Media.OciManifest, Manifest("busybox").GetProperty("mediaType").GetString());
        Assert.Equal(Media.OciLayerGzip, Manifest("busybox").GetProperty("layers")[0].GetProperty("mediaType").GetString());
        Assert.Equal(Media.DockerManifest, Manifest("busybox-docker").GetProperty("mediaType").GetString());
        Assert.Equal(Media.DockerLayerGzip, Manifest("busybox-docker").GetProperty("layers")[0].GetProperty("mediaType").GetString());
        Assert.Equal(Media.OciLayerZstd, Manifest("zstd").GetProperty("layers")[0].GetProperty("mediaType").GetString());
        Assert.Equal(Media.OciLayer, Manifest("plain").GetProperty("layers")[0].GetProperty("mediaType").GetString());
        Assert.Equal(3, Manifest("three").GetProperty("layers").GetArrayLength());

        var index = Manifest("multi");
        Assert.Equal(Media.OciIndex, index.GetProperty("mediaType").GetString());
        var archs = index.GetProperty("manifests").EnumerateArray()
            .Select(m => m.GetProperty("platform").GetProperty("architecture").GetString()!).Order().ToArray();
        Assert.Equal(["amd64", "arm64"], archs);
        Assert.Equal(reg.Images.MultiArm64.Digest, index.GetProperty("manifests").EnumerateArray()
            .Single(m => m.GetProperty("platform").GetProperty("architecture").GetString() == "arm64").GetProperty("digest").GetString());
        // The arm64 manifest itself is served by digest.
        Assert.Equal(Media.OciManifest, Manifest("multi", reg.Images.MultiArm64.Digest).GetProperty("mediaType").GetString());
    }

    [Fact]
    public void Missing_tag_and_repository_are_manifest_unknown()
    {
        var tag = Tool.Run(Curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", AllTypes, $"{reg.Registry.BaseUrl}/v2/busybox/manifests/nope"]);
        Assert.Equal("404", tag.Stdout);
        var repo = Tool.Run(Curl, ["-s", "-H", AllTypes, $"{reg.Registry.BaseUrl}/v2/nosuchrepo/manifests/latest"]);
        Assert.Contains("MANIFEST_UNKNOWN", repo.Stdout);
    }

    [Fact]
    public void Three_layer_image_unpacked_by_skopeo_and_umoci_has_the_expected_files()
    {
        Tool.Require("/usr/bin/umoci", "umoci");
        string layout = Path.Combine(work, "oci"), bundle = Path.Combine(work, "bundle");
        Tool.Check("/usr/bin/skopeo", "copy", "-q", "--src-tls-verify=false", $"docker://{reg.Host}/three:latest", $"oci:{layout}:three");
        Tool.Check("/usr/bin/umoci", "unpack", "--image", $"{layout}:three", bundle);
        string rootfs = Path.Combine(bundle, "rootfs");
        Assert.True(File.Exists(Path.Combine(rootfs, "bin/busybox")), "busybox from the base layer");
        Assert.False(File.Exists(Path.Combine(rootfs, "deleted")), "whiteout .wh.deleted");
        Assert.False(Directory.Exists(Path.Combine(rootfs, "deldir")), "whiteout .wh.deldir");
        Assert.Equal(["c"], Directory.GetFileSystemEntries(Path.Combine(rootfs, "opaque")).Select(p => Path.GetFileName(p)).ToArray());
        Assert.Equal("upper x\n", File.ReadAllText(Path.Combine(rootfs, "keep/x")));
        Assert.Equal("/data/f", new FileInfo(Path.Combine(rootfs, "link")).LinkTarget);
        Assert.Equal("2", Tool.Check("/usr/bin/stat", "-c", "%h", Path.Combine(rootfs, "hard")).Trim());
        Assert.Equal("750 1000 1000", Tool.Check("/usr/bin/stat", "-c", "%a %u %g", Path.Combine(rootfs, "hard-src")).Trim());
    }

    [Fact]
    public void Basic_auth_registry_refuses_anonymous_and_accepts_its_user()
    {
        using var basic = RegistryServer.WithBasicAuth("alice", "s3cret");
        var anon = Tool.Run(Curl, ["-s", "-i", $"{basic.BaseUrl}/v2/"]);
        Assert.Contains("401", anon.Stdout.Split('\n')[0]);
        Assert.Contains("Basic realm=", anon.Stdout, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("200", Tool.Check(Curl, "-s", "-o", "/dev/null", "-w", "%{http_code}", "-u", "alice:s3cret", $"{basic.BaseUrl}/v2/"));
        Assert.Equal("401", Tool.Check(Curl, "-s", "-o", "/dev/null", "-w", "%{http_code}", "-u", "alice:wrong", $"{basic.BaseUrl}/v2/"));
        TestImages.Skopeo(basic, TestImages.BusyboxLayout, "latest", "busybox:latest", basic.Creds);
        var noCreds = Tool.Run("/usr/bin/skopeo", ["inspect", "--tls-verify=false", "--no-creds", $"docker://{basic.Host}/busybox:latest"]);
        Assert.NotEqual(0, noCreds.ExitCode);
    }

    [Fact]
    public void Token_auth_registry_accepts_tokens_from_the_token_server_only_for_granted_scopes()
    {
        using var tokens = new TokenServer(new Dictionary<string, string> { ["bob"] = "hunter2" },
            [new TokenGrant("bob", "private/", ["pull", "push"]), new TokenGrant(null, "public/", ["pull"]), new TokenGrant("bob", "public/", ["push"])]);
        using var registry = RegistryServer.WithTokenAuth(tokens);

        var challenge = Tool.Run(Curl, ["-s", "-i", $"{registry.BaseUrl}/v2/"]);
        Assert.Contains($"Bearer realm=\"{tokens.Realm}\",service=\"{tokens.Service}\"", challenge.Stdout);

        // skopeo performs the token flow itself (basic credentials to the realm, then the bearer token).
        TestImages.Skopeo(registry, TestImages.BusyboxLayout, "latest", "private/busybox:latest", "bob:hunter2");
        TestImages.Skopeo(registry, TestImages.BusyboxLayout, "latest", "public/busybox:latest", "bob:hunter2");
        Assert.True(tokens.Requests.Count(r => r.Status == 200 && r.User == "bob") > 0);

        string Inspect(string repo, params string[] creds)
        {
            var r = Tool.Run("/usr/bin/skopeo", ["inspect", "--raw", "--tls-verify=false", .. creds, $"docker://{registry.Host}/{repo}:latest"]);
            return r.ExitCode == 0 ? "ok" : r.Stderr;
        }
        Assert.Equal("ok", Inspect("public/busybox", "--no-creds"));
        Assert.NotEqual("ok", Inspect("private/busybox", "--no-creds"));
        Assert.Equal("ok", Inspect("private/busybox", "--creds", "bob:hunter2"));
        Assert.NotEqual("ok", Inspect("private/busybox", "--creds", "bob:wrong"));

        // curl: an anonymous token for the public repository works on its manifest, not on the private one.
        string tokenJson = Tool.Check(Curl, "-sf", $"{tokens.Realm}?service={tokens.Service}&scope=repository:public/busybox:pull");
        string token = JsonDocument.Parse(tokenJson).RootElement.GetProperty("token").GetString()!;
        Assert.Equal("200", Tool.Check(Curl, "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", AllTypes, "-H", $"Authorization: Bearer {token}",
            $"{registry.BaseUrl}/v2/public/busybox/manifests/latest"));
        var denied = Tool.Run(Curl, ["-s", "-i", "-H", AllTypes, "-H", $"Authorization: Bearer {token}", $"{registry.BaseUrl}/v2/private/busybox/manifests/latest"]);
        Assert.Contains("insufficient_scope", denied.Stdout);
    }

    [Fact]
    public void Cut_proxy_truncates_blob_responses_while_armed()
    {
        using var proxy = new CutProxy(reg.Registry.Port, cutAfterBytes: 100_000, cuts: 1);
        string digest = reg.Images.BusyboxLayer.Blob.Digest, file = Path.Combine(work, "blob");
        string url = $"http://{proxy.Host}/v2/busybox/blobs/{digest}";
        // Manifests pass through untouched.
        Assert.Equal("200", Tool.Check(Curl, "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", AllTypes, $"http://{proxy.Host}/v2/busybox/manifests/latest"));
        var cut = Tool.Run(Curl, ["-s", "-o", file, url]);
        Assert.Equal(18, cut.ExitCode); // CURLE_PARTIAL_FILE
        Assert.True(new FileInfo(file).Length < 100_000);
        Assert.Equal(1, proxy.Cuts);
        Tool.Check(Curl, "-sf", "-o", file, url); // the one cut is spent: whole blob
        Assert.Equal(digest, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file))));
        Assert.Equal(2, proxy.BlobRequests);
    }

    [Fact]
    public void Stopped_registry_refuses_connections_and_starts_again_with_its_content()
    {
        using var own = new RegistryServer();
        TestImages.Skopeo(own, TestImages.BusyboxLayout, "latest", "busybox:latest", null);
        own.Stop();
        Assert.NotEqual(0, Tool.Run(Curl, ["-s", "-o", "/dev/null", $"{own.BaseUrl}/v2/"]).ExitCode);
        own.Start();
        Assert.Equal("200", Tool.Check(Curl, "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", AllTypes, $"{own.BaseUrl}/v2/busybox/manifests/latest"));
    }
}
