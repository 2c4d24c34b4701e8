// OciModelTests: Digest validation, media type classification and the JSON of index, manifest
// and oci-layout (parse, round trip, and refusal of wrong schema versions or media types).
//
// Why: these models gate what the store accepts; a digest that is not 64 lowercase hex would
// become a path under blobs/.
// Follows: OCI image-spec v1.1 descriptor.md, image-index.md, manifest.md, image-layout.md.
using System.Text;
using MiniImage.Oci;

namespace MiniImage.Tests.Oci;

public sealed class OciModelTests
{
    private const string Hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    [Fact]
    public void Digest_ParsesAndComputes()
    {
        var d = Digest.Parse("sha256:" + Hex);
        Assert.Equal(Hex, d.Hex);
        Assert.Equal("sha256:" + Hex, d.ToString());
        Assert.Equal(d, Digest.Compute([]));           // sha256 of nothing
        Assert.Equal("sha256:e3b0c44298fc", d.Short);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData(Hex, "expected <algorithm>:<hex>")]
    [InlineData("sha512:" + Hex, "unsupported algorithm \"sha512\"")]
    [InlineData("sha256:" + "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", "64 lowercase hex")]
    [InlineData("sha256:abc", "64 lowercase hex")]
    [InlineData("sha256:../../../../etc/passwd", "64 lowercase hex")]
    public void Digest_RejectsInvalid(string input, string expected)
    {
        var e = Assert.Throws<MiniImageException>(() => Digest.Parse(input));
        Assert.Contains(expected, e.Message);
        Assert.False(Digest.TryParse(input, out _));
    }

    [Fact]
    public void MediaTypes_Classify()
    {
        Assert.True(MediaTypes.IsIndex(MediaTypes.OciIndex));
        Assert.True(MediaTypes.IsIndex(MediaTypes.DockerManifestList));
        Assert.True(MediaTypes.IsManifest(MediaTypes.DockerManifest));
        Assert.True(MediaTypes.IsConfig(MediaTypes.DockerConfig));
        Assert.True(MediaTypes.IsLayer(MediaTypes.DockerLayerGzip));
        Assert.True(MediaTypes.IsLayer(MediaTypes.OciLayerZstd));
        Assert.False(MediaTypes.IsLayer(MediaTypes.OciConfig));
        Assert.False(MediaTypes.IsManifest(MediaTypes.OciIndex));
    }

    [Fact]
    public void Index_ParsesDescriptorsWithPlatformAndAnnotations()
    {
        string json = $$$"""
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
              {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{{{Hex}}}","size":7,
               "annotations":{"org.opencontainers.image.ref.name":"latest"},
               "platform":{"architecture":"arm64","os":"linux","variant":"v8","os.features":["x"]}}]}
            """;
        var index = ImageIndex.Parse(Encoding.UTF8.GetBytes(json), "index.json");
        var d = Assert.Single(index.Manifests);
        Assert.Equal(7, d.Size);
        Assert.Equal("latest", d.Annotation(Annotations.RefName));
        Assert.Equal("linux/arm64/v8", d.Platform!.ToString());
        Assert.False(d.Platform.RunsOn(new Platform { Os = "linux", Architecture = "amd64" }));
        Assert.Equal(Hex, d.ParsedDigest("test").Hex);
        var again = ImageIndex.Parse(index.ToJson(), "round trip");
        Assert.Equal("x", again.Manifests[0].Platform!.OsFeatures![0]);
    }

    [Theory]
    [InlineData("""{"schemaVersion":1,"manifests":[]}""", "schemaVersion 1")]
    [InlineData("""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","manifests":[]}""", "is not an image index")]
    [InlineData("""{"schemaVersion":2,"manifests":[""", "parse index.json")]
    public void Index_Rejects(string json, string expected)
    {
        var e = Assert.Throws<MiniImageException>(() => ImageIndex.Parse(Encoding.UTF8.GetBytes(json), "index.json"));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Manifest_ParsesDockerAndRejectsArtifacts()
    {
        string docker = $$"""
            {"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
             "config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:{{Hex}}","size":1},
             "layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":"sha256:{{Hex}}","size":2}]}
            """;
        var m = ImageManifest.Parse(Encoding.UTF8.GetBytes(docker), "m");
        Assert.Equal(2, Assert.Single(m.Layers).Size);

        string artifact = docker.Replace("application/vnd.docker.container.image.v1+json", "application/vnd.example.sbom+json");
        Assert.Contains("is not an image config", Assert.Throws<MiniImageException>(() => ImageManifest.Parse(Encoding.UTF8.GetBytes(artifact), "m")).Message);
        string badLayer = docker.Replace("application/vnd.docker.image.rootfs.diff.tar.gzip", "text/plain");
        Assert.Contains("unsupported mediaType \"text/plain\"", Assert.Throws<MiniImageException>(() => ImageManifest.Parse(Encoding.UTF8.GetBytes(badLayer), "m")).Message);
    }

    [Fact]
    public void OciLayout_ChecksVersion()
    {
        Assert.Equal("1.0.0", OciLayout.Parse("""{"imageLayoutVersion":"1.0.0"}"""u8, "oci-layout").ImageLayoutVersion);
        Assert.Contains("unsupported imageLayoutVersion \"2.0.0\"",
            Assert.Throws<MiniImageException>(() => OciLayout.Parse("""{"imageLayoutVersion":"2.0.0"}"""u8, "oci-layout")).Message);
    }
}
