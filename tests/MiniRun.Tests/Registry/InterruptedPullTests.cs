// InterruptedPullTests: a corrupted blob in the registry (digest mismatch) and a registry that
// drops the connection in the middle of a blob (CutProxy). Either way the MiniRun store stays
// consistent (every blob hashes to its name, tmp/ empty, no partial blob kept) and the next pull
// from a healthy registry completes.
//
// Why: "an interrupted pull leaves the store consistent and the next pull completes it".
// Follows: OCI distribution-spec (blobs are content-addressed: the client must verify), RFC 9110
// Range requests (a client may resume), docker-pull(1) exit status 1.
using System.Security.Cryptography;
using Xunit.Abstractions;

namespace MiniRun.Tests.Registry;

public sealed class InterruptedPullTests : IClassFixture<PublishedRegistry>
{
    private readonly PublishedRegistry reg;
    private readonly ITestOutputHelper output;

    public InterruptedPullTests(PublishedRegistry reg, ITestOutputHelper output)
    {
        this.reg = reg;
        this.output = output;
    }

    [Fact]
    public void Corrupted_blob_fails_naming_expected_and_actual_digest_and_keeps_nothing()
    {
        using var own = new RegistryServer(); // its own: the damage must not reach other tests
        TestImages.Skopeo(own, TestImages.BusyboxLayout, "latest", "busybox:latest", null);
        string layer = reg.Images.BusyboxLayer.Blob.Digest;
        string data = own.BlobDataPath(layer);
        byte[] bad = File.ReadAllBytes(data);
        for (int i = 1000; i < 1100; i++) bad[i] ^= 0xff; // same length, different content
        File.WriteAllBytes(data, bad);
        string actual = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bad));

        using var root = new MiniRunRoot();
        var pull = root.Run("pull", $"{own.Host}/busybox:latest");
        output.WriteLine(pull.Stderr);
        Assert.Equal(1, pull.ExitCode);
        Assert.Contains(layer, pull.Stderr);
        Assert.Contains(actual, pull.Stderr);
        Assert.DoesNotContain(layer[7..], root.Blobs());
        Assert.Empty(root.ImageIds());
        root.AssertConsistent();
    }

    [Fact]
    public void Connection_dropped_once_mid_blob_resumes_or_fails_cleanly_and_the_next_pull_completes()
    {
        using var proxy = new CutProxy(reg.Registry.Port, cutAfterBytes: 200_000, cuts: 1);
        using var root = new MiniRunRoot();
        string image = $"{proxy.Host}/busybox:latest";
        var first = root.Run("pull", image);
        output.WriteLine($"first pull through the cut: exit {first.ExitCode}, {proxy.Cuts} cut(s), {proxy.BlobRequests} blob request(s)\n{first.Stderr}");
        Assert.Equal(1, proxy.Cuts);
        root.AssertConsistent();
        if (first.ExitCode != 0)
        {
            Assert.Equal(1, first.ExitCode);
            Assert.Empty(root.ImageIds());
            root.Ok("pull", image);
        }
        Assert.Equal([reg.Images.BusyboxId], root.ImageIds());
        Assert.Equal("ok\n", root.Ok("run", "--rm", image, "echo", "ok").Stdout);
        root.AssertConsistent();
    }

    [Fact]
    public void Connection_dropped_every_time_fails_cleanly_then_completes_when_the_registry_is_healthy()
    {
        using var proxy = new CutProxy(reg.Registry.Port, cutAfterBytes: 50_000, cuts: -1);
        using var root = new MiniRunRoot();
        string image = $"{proxy.Host}/busybox:latest";
        var first = root.Run("pull", image);
        output.WriteLine($"pull through a proxy that always cuts: exit {first.ExitCode}, {proxy.Cuts} cut(s), {proxy.BlobRequests} blob request(s)\n{first.Stderr}");
        Assert.True(proxy.Cuts >= 1);
        root.AssertConsistent();
        if (first.ExitCode != 0)
        {
            Assert.Equal(1, first.ExitCode);
            Assert.Contains(reg.Images.BusyboxLayer.Blob.Digest[7..19], first.Stdout + first.Stderr);
            Assert.Empty(root.ImageIds());
        }
        proxy.CutsRemaining = 0;
        root.Ok("pull", image);
        Assert.Equal([reg.Images.BusyboxId], root.ImageIds());
        Assert.Equal("ok\n", root.Ok("run", "--rm", image, "echo", "ok").Stdout);
        root.AssertConsistent();
    }
}
