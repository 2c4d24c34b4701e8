// PullRunTests: `minirun pull` and `minirun run` of images from a real registry on 127.0.0.1:
// OCI and Docker schema-2 media types; gzip, zstd and uncompressed layers; the run-time pull
// (`Unable to find image ... locally`); `pull -q`; `run --pull never`; Docker's output lines.
//
// Why: these are the paths a student takes with `docker pull alpine` / `docker run alpine`; each
// test starts from an empty MiniRun root so every blob really comes over HTTP.
// Follows: docker-pull(1) (Digest:, Status: Downloaded newer image for / Image is up to date,
// -q prints the reference), docker-run(1) (--pull missing|always|never, exit 125 when the
// image cannot be had), OCI image-spec media-types.md.
namespace MiniRun.Tests.Registry;

public sealed class PullRunTests : IClassFixture<PublishedRegistry>
{
    private readonly PublishedRegistry reg;

    public PullRunTests(PublishedRegistry reg) => this.reg = reg;

    [Fact]
    public void Oci_image_pulls_with_dockers_output_and_runs()
    {
        using var root = new MiniRunRoot();
        string image = $"{reg.Host}/busybox:latest";
        var pull = root.Ok("pull", image);
        Assert.Contains($"Digest: {reg.Images.BusyboxManifest}", pull.Stdout);
        Assert.Contains($"Status: Downloaded newer image for {image}", pull.Stdout);
        Assert.Contains(reg.Images.BusyboxLayer.Blob.Hex[..12] + ": Pull complete", pull.Stdout);
        Assert.Equal([reg.Images.BusyboxId], root.ImageIds());
        Assert.Equal("ok\n", root.Ok("run", "--rm", image, "echo", "ok").Stdout);

        var again = root.Ok("pull", image);
        Assert.Contains($"Status: Image is up to date for {image}", again.Stdout);
        root.AssertConsistent();
    }

    [Fact]
    public void Docker_schema2_image_pulls_and_runs()
    {
        using var root = new MiniRunRoot();
        string image = $"{reg.Host}/busybox-docker";
        var pull = root.Ok("pull", image);
        Assert.Contains($"Status: Downloaded newer image for {image}:latest", pull.Stdout);
        Assert.Single(root.ImageIds());
        Assert.Equal("docker\n", root.Ok("run", "--rm", image, "echo", "docker").Stdout);
        root.AssertConsistent();
    }

    [Theory]
    [InlineData("zstd")]
    [InlineData("plain")]
    public void Zstd_and_uncompressed_layers_pull_and_run(string repo)
    {
        using var root = new MiniRunRoot();
        string image = $"{reg.Host}/{repo}:latest";
        root.Ok("pull", image);
        var manifest = repo == "zstd" ? reg.Images.Zstd : reg.Images.Plain;
        Assert.Equal([reg.Images.ConfigOf(manifest)], root.ImageIds());
        Assert.Equal("BusyBox\n", root.Ok("run", "--rm", image, "sh", "-c", "busybox 2>&1 | head -n1 | cut -d' ' -f1").Stdout);
        root.AssertConsistent();
    }

    [Fact]
    public void Run_pulls_a_missing_image_first()
    {
        using var root = new MiniRunRoot();
        string image = $"{reg.Host}/zstd:latest";
        var run = root.Ok("run", "--rm", image, "echo", "hi");
        Assert.Contains($"Unable to find image '{image}' locally", run.Stderr);
        Assert.Equal("hi\n", run.Stdout);
        Assert.Single(root.ImageIds());
    }

    [Fact]
    public void Run_with_pull_never_fails_with_125_when_the_image_is_missing()
    {
        using var root = new MiniRunRoot();
        var run = root.Run("run", "--rm", "--pull", "never", $"{reg.Host}/busybox:latest", "true");
        Assert.Equal(125, run.ExitCode);
        Assert.Empty(root.Blobs());
    }

    [Fact]
    public void Pull_without_a_tag_says_it_uses_latest()
    {
        using var root = new MiniRunRoot();
        var pull = root.Ok("pull", $"{reg.Host}/busybox");
        Assert.StartsWith("Using default tag: latest\n", pull.Stdout); // docker pull prints this first, on stdout
    }

    [Fact]
    public void Image_pull_is_the_same_command()
    {
        using var root = new MiniRunRoot();
        var pull = root.Ok("image", "pull", "-q", $"{reg.Host}/busybox");
        Assert.Equal($"{reg.Host}/busybox:latest\n", pull.Stdout);
    }

    [Fact]
    public void Pull_quiet_prints_only_the_reference()
    {
        using var root = new MiniRunRoot();
        var pull = root.Ok("pull", "-q", $"{reg.Host}/busybox");
        Assert.Equal($"{reg.Host}/busybox:latest\n", pull.Stdout);
    }

    [Fact]
    public void Pull_by_digest_gets_that_manifest()
    {
        using var root = new MiniRunRoot();
        root.Ok("pull", $"{reg.Host}/multi@{reg.Images.MultiArm64.Digest}");
        Assert.Equal([reg.Images.ConfigOf(reg.Images.MultiArm64)], root.ImageIds());
    }
}
