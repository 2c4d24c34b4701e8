// PlatformTests: pulling an image index with two platforms (linux/amd64, linux/arm64): the host's
// platform by default, `--platform linux/arm64` for the other (shown by `images` and `image
// inspect`), and an unknown platform refused with the list of platforms that exist.
//
// Why: nearly every image on Docker Hub is an index; picking the wrong entry runs a foreign binary.
// Follows: OCI image-spec image-index.md (platform.architecture/os), docker-pull(1) --platform,
// docker-image-inspect(1) (Architecture, Os).
using System.Text.Json;

namespace MiniRun.Tests.Registry;

public sealed class PlatformTests : IClassFixture<PublishedRegistry>
{
    private readonly PublishedRegistry reg;

    public PlatformTests(PublishedRegistry reg) => this.reg = reg;

    private string Image => $"{reg.Host}/multi:latest";

    [Fact]
    public void Default_platform_is_linux_amd64()
    {
        using var root = new MiniRunRoot();
        var pull = root.Ok("pull", Image);
        Assert.Contains($"Digest: {reg.Images.MultiIndex.Digest}", pull.Stdout); // Docker prints the index's digest
        Assert.Equal([reg.Images.ConfigOf(reg.Images.MultiAmd64)], root.ImageIds());
        Assert.Equal("amd64", Inspect(root).GetProperty("Architecture").GetString());
    }

    [Fact]
    public void Platform_option_selects_arm64()
    {
        using var root = new MiniRunRoot();
        root.Ok("pull", "--platform", "linux/arm64", Image);
        string id = reg.Images.ConfigOf(reg.Images.MultiArm64);
        Assert.Equal([id], root.ImageIds());
        var inspect = Inspect(root);
        Assert.Equal("arm64", inspect.GetProperty("Architecture").GetString());
        Assert.Equal("linux", inspect.GetProperty("Os").GetString());
        Assert.Equal(id, inspect.GetProperty("Id").GetString());
        var images = root.Ok("images").Stdout;
        Assert.Contains(id[7..19], images);
        Assert.Contains($"{reg.Host}/multi", images);
    }

    [Fact]
    public void Unknown_platform_names_the_platforms_that_exist()
    {
        using var root = new MiniRunRoot();
        var pull = root.Run("pull", "--platform", "linux/s390x", Image);
        Assert.Equal(1, pull.ExitCode);
        Assert.Contains("linux/s390x", pull.Stderr);
        Assert.Contains("linux/amd64", pull.Stderr);
        Assert.Contains("linux/arm64", pull.Stderr);
        Assert.Empty(root.ImageIds());
    }

    private JsonElement Inspect(MiniRunRoot root)
    {
        var doc = JsonDocument.Parse(root.Ok("image", "inspect", Image).Stdout).RootElement;
        return (doc.ValueKind == JsonValueKind.Array ? doc[0] : doc).Clone();
    }
}
