// StoreRoundTripTests: what happens to pulled images in the store: two parallel `pull`
// processes of one image; `save -o` then `load -i` into a fresh root with identical image IDs;
// `rmi` refusing an image a container uses, then garbage-collecting blobs and layer directories
// that no image references any more while keeping the ones another image shares.
//
// Why: these are the store invariants (locking, content addressing, reference counting) that a
// registry pull puts under stress.
// Follows: docker-save(1) (a tar with manifest.json and an OCI layout), docker-load(1),
// docker-rmi(1) (refuses while a container uses the image), docker-images(1) --no-trunc -q.
using Xunit.Abstractions;

namespace MiniRun.Tests.Registry;

public sealed class StoreRoundTripTests : IClassFixture<PublishedRegistry>
{
    private readonly PublishedRegistry reg;
    private readonly ITestOutputHelper output;

    public StoreRoundTripTests(PublishedRegistry reg, ITestOutputHelper output)
    {
        this.reg = reg;
        this.output = output;
    }

    [Fact]
    public void Two_parallel_pulls_of_one_image_both_succeed_and_store_it_once()
    {
        using var root = new MiniRunRoot();
        string image = $"{reg.Host}/three:latest";
        string[] args = ["pull", image];
        using var a = root.Start(args);
        using var b = root.Start(args);
        var ra = MiniRunRoot.Finish(a, args);
        var rb = MiniRunRoot.Finish(b, args);
        output.WriteLine($"A: {ra.ExitCode}\n{ra.Stdout}{ra.Stderr}\nB: {rb.ExitCode}\n{rb.Stdout}{rb.Stderr}");
        Assert.Equal(0, ra.ExitCode);
        Assert.Equal(0, rb.ExitCode);
        Assert.Equal([reg.Images.ConfigOf(reg.Images.Three)], root.ImageIds());
        var rows = root.Ok("images").Stdout.Split('\n').Where(l => l.StartsWith($"{reg.Host}/three ", StringComparison.Ordinal)).ToArray();
        Assert.Single(rows);
        root.AssertConsistent();
        Assert.Equal("upper c\n", root.Ok("run", "--rm", image, "cat", "/opaque/c").Stdout);
    }

    [Fact]
    public void Save_then_load_into_a_fresh_root_keeps_the_image_ids()
    {
        using var source = new MiniRunRoot();
        string three = $"{reg.Host}/three:latest", docker = $"{reg.Host}/busybox-docker:latest";
        source.Ok("pull", three);
        source.Ok("pull", docker);
        string archive = Path.Combine(source.Home, "images.tar");
        source.Ok("save", "-o", archive, three, docker);

        var entries = Tool.Check("/usr/bin/tar", "-tf", archive).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("manifest.json", entries);
        Assert.Contains("index.json", entries);
        Assert.Contains("oci-layout", entries);

        using var target = new MiniRunRoot();
        target.Ok("load", "-i", archive);
        Assert.Equal(source.ImageIds(), target.ImageIds());
        var images = target.Ok("images").Stdout;
        Assert.Contains($"{reg.Host}/three ", images);
        Assert.Contains($"{reg.Host}/busybox-docker ", images);
        Assert.Equal("upper x\n", target.Ok("run", "--rm", three, "cat", "/keep/x").Stdout);
        target.AssertConsistent();
    }

    [Fact]
    public void Rmi_refuses_an_image_in_use_then_collects_unshared_blobs_and_layers()
    {
        using var root = new MiniRunRoot();
        string busybox = $"{reg.Host}/busybox:latest", three = $"{reg.Host}/three:latest";
        root.Ok("pull", busybox);
        root.Ok("pull", three);
        var img = reg.Images;
        root.Ok("run", "--rm", busybox, "true"); // layers are unpacked by now, whether at pull or first run
        root.Ok("run", "--name", "user-of-three", three, "true");

        string container = root.Ok("ps", "-a", "-q").Stdout.Trim(); // Docker names the container by its short ID
        var refused = root.Run("rmi", three);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("conflict", refused.Stderr);
        Assert.Contains(container, refused.Stderr);
        Assert.Contains(img.BusyboxLayer.Blob.Hex, root.Blobs()); // nothing was removed
        Assert.Contains(img.ThreeAdd.Blob.Hex, root.Blobs());
        root.Ok("rm", "user-of-three");

        Assert.Contains(img.ThreeAdd.DiffId[7..], root.Layers());
        root.Ok("rmi", three);
        string[] blobs = root.Blobs(), layers = root.Layers();
        Assert.DoesNotContain(img.Three.Hex, blobs);
        Assert.DoesNotContain(img.ConfigOf(img.Three)[7..], blobs);
        Assert.DoesNotContain(img.ThreeAdd.Blob.Hex, blobs);
        Assert.DoesNotContain(img.ThreeDelete.Blob.Hex, blobs);
        Assert.DoesNotContain(img.ThreeAdd.DiffId[7..], layers);
        Assert.DoesNotContain(img.ThreeDelete.DiffId[7..], layers);
        Assert.Contains(img.BusyboxLayer.Blob.Hex, blobs); // shared with busybox
        Assert.Contains(img.BusyboxLayer.DiffId[7..], layers);
        Assert.Equal([img.BusyboxId], root.ImageIds());

        root.Ok("rmi", busybox);
        Assert.Empty(root.Blobs());
        Assert.Empty(root.Layers());
        Assert.Empty(root.ImageIds());
        root.AssertConsistent();
    }
}
