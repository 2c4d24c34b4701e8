// MissingImageTests: a repository or tag the registry does not have: `pull` exits 1 and `run`
// exits 125, each with Docker's message naming the reference; nothing is stored.
//
// Why: a typo in an image name is the most common pull error a student meets.
// Follows: docker-pull(1)/docker-run(1) exit codes; Docker's wording "manifest for REF not found:
// manifest unknown" (distribution answers 404 MANIFEST_UNKNOWN for both a missing tag and, in
// 2.8, a missing repository).
namespace MiniRun.Tests.Registry;

public sealed class MissingImageTests : IClassFixture<PublishedRegistry>
{
    private readonly PublishedRegistry reg;

    public MissingImageTests(PublishedRegistry reg) => this.reg = reg;

    [Theory]
    [InlineData("busybox:nosuchtag")]
    [InlineData("nosuchrepo:latest")]
    public void Pull_exits_1_naming_the_reference(string name)
    {
        using var root = new MiniRunRoot();
        var pull = root.Run("pull", $"{reg.Host}/{name}");
        Assert.Equal(1, pull.ExitCode);
        Assert.StartsWith("Error response from daemon: ", pull.Stderr);   // the daemon's error, as docker pull prints it
        Assert.Contains($"{reg.Host}/{name}", pull.Stderr);
        Assert.Matches("(?i)not found|manifest unknown|does not exist", pull.Stderr);
        Assert.Empty(root.Blobs());
    }

    [Theory]
    [InlineData("busybox:nosuchtag")]
    [InlineData("nosuchrepo:latest")]
    public void Run_exits_125_after_saying_it_is_not_local(string name)
    {
        using var root = new MiniRunRoot();
        var run = root.Run("run", "--rm", $"{reg.Host}/{name}", "true");
        Assert.Equal(125, run.ExitCode);
        Assert.Contains($"Unable to find image '{reg.Host}/{name}' locally", run.Stderr);
        Assert.Matches("(?i)not found|manifest unknown|does not exist", run.Stderr);
    }

    [Fact]
    public void Stopped_registry_is_a_clean_error()
    {
        using var own = new RegistryServer();
        TestImages.Skopeo(own, TestImages.BusyboxLayout, "latest", "busybox:latest", null);
        own.Stop();
        using var root = new MiniRunRoot();
        var pull = root.Run("pull", $"{own.Host}/busybox:latest");
        Assert.Equal(1, pull.ExitCode);
        Assert.Contains(own.Host, pull.Stderr);
        root.AssertConsistent();
    }
}
