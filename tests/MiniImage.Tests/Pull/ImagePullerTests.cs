// ImagePullerTests: ImagePuller against an in-memory registry: OCI and Docker media types,
// platform choice from an index, blobs shared between images fetched once, digest and diff_id
// mismatches leaving the store clean, resumed downloads, pull by digest, "up to date", an
// interrupted pull completed by the next one, and concurrent pulls from several threads.
//
// Why: the pull is the one writer of the store fed by untrusted network bytes; every failure
// path must leave blobs/, layers/, tmp/ and images.json consistent. Threads take the store lock
// through their own descriptors, so they exercise the same exclusion as separate processes.
// Follows: OCI distribution-spec v1.1 (pulling), OCI image-spec v1.1; docker-pull(1) behaviour.
using MiniImage.Oci;
using MiniImage.Pull;
using MiniImage.Reference;
using MiniImage.Registry;
using MiniImage.Store;
using MiniImage.Tests.Store;

namespace MiniImage.Tests.Pull;

public sealed class ImagePullerTests : IDisposable
{
    private readonly TestDirs _dirs = new();
    private readonly FakeRegistry _registry = new();
    private static readonly PullOptions Fast = new() { RetryDelay = TimeSpan.Zero };

    public void Dispose() => _dirs.Dispose();

    private ImageStore Store => new(_dirs.Root);

    private Task<PullResult> Pull(string reference, RecordingProgress? progress = null, PullOptions? options = null) =>
        new ImagePuller(Store, _registry, options ?? Fast).PullAsync(ImageReference.Parse(reference), progress, CancellationToken.None);

    private string BlobPath(Digest d) => Path.Combine(_dirs.Root, "blobs", "sha256", d.Hex);
    private string LayerPath(TestLayer l) => Path.Combine(_dirs.Root, "layers", l.DiffId[7..]);
    private string[] TmpEntries() => Directory.GetFileSystemEntries(Path.Combine(_dirs.Root, "tmp"));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Pull_ByTag_StoresBlobsUnpacksLayersAndRecordsTagAndRepoDigest(bool docker)
    {
        var base_ = TestLayer.Create(("etc/os-release", "alpine"));
        var app = TestLayer.Create(("bin/app", "hello"));
        var img = PullFixtures.Publish(_registry, "alpine", "latest", docker, [base_, app]);
        var progress = new RecordingProgress();

        var r = await Pull("alpine", progress);

        Assert.Equal("alpine", r.Image.Repository);
        Assert.Equal("latest", r.Image.Tag);
        Assert.Equal(img.ConfigDigest.ToString(), r.Image.ImageId);
        Assert.Equal(img.ManifestDigest, r.Digest);
        Assert.True(r.Updated);
        Assert.Equal(3, r.BlobsDownloaded);
        Assert.Equal("alpine", File.ReadAllText(Path.Combine(LayerPath(base_), "etc/os-release")));
        Assert.Equal("hello", File.ReadAllText(Path.Combine(LayerPath(app), "bin/app")));
        foreach (var d in new[] { img.ManifestDigest, img.ConfigDigest, img.LayerDigest(0), img.LayerDigest(1) })
            Assert.True(File.Exists(BlobPath(d)), $"blob {d} missing");
        Assert.Empty(TmpEntries());
        Assert.Equal(r.Image, Store.Resolve("alpine:latest"));
        Assert.Equal(Store.Resolve("alpine")!.ImageId, Store.ResolveRepoDigest(ImageReference.Parse($"alpine@{img.ManifestDigest}"))!.ImageId);
        Assert.Contains($"\"docker.io/library/alpine@{img.ManifestDigest}\"", File.ReadAllText(Path.Combine(_dirs.Root, "images.json")));
        // The layers can be prepared for a container without further work.
        Assert.Equal([LayerPath(base_), LayerPath(app)], Store.PrepareLayers(r.Image));

        Assert.Equal("start docker.io/library/alpine:latest", progress.Lines[0]);
        foreach (int i in new[] { 0, 1 })
        {
            string id = img.ShortId(i);
            var mine = progress.Lines.Where(l => l.StartsWith(id, StringComparison.Ordinal)).Select(l => l.Split(' ')[1]).Distinct().ToList();
            Assert.Equal(["PullingFsLayer", "Downloading", "VerifyingChecksum", "DownloadComplete", "Extracting", "PullComplete"], mine);
        }
        Assert.Equal("done", progress.Lines[^1]);
        Assert.Same(r, progress.Result);
    }

    [Fact]
    public async Task SecondPull_IsUpToDate_FetchesNoBlob()
    {
        var img = PullFixtures.Publish(_registry, "alpine", "latest", false, [TestLayer.Create(("a", "a"))]);
        await Pull("alpine");
        int before = _registry.BlobRequests.Count;
        var progress = new RecordingProgress();

        var r = await Pull("alpine:latest", progress);

        Assert.False(r.Updated);
        Assert.Equal(0, r.BlobsDownloaded);
        Assert.Equal(before, _registry.BlobRequests.Count);
        // The image is stored whole: as Docker, no per-layer line at all (only Digest: and Status:).
        Assert.False(progress.Has(img.ShortId(0), LayerEvent.AlreadyExists));
        Assert.DoesNotContain(progress.Lines, l => l.Contains("Downloading"));
    }

    [Fact]
    public async Task NewTagForAnImageAlreadyStored_IsUpdatedWithoutDownloads()
    {
        var layer = TestLayer.Create(("a", "a"));
        var img = PullFixtures.Publish(_registry, "alpine", "latest", false, [layer]);
        _registry.AddManifest("alpine", img.Manifest, MediaTypes.OciManifest, "3.20");
        await Pull("alpine");

        var r = await Pull("alpine:3.20");

        Assert.True(r.Updated); // Docker: "Downloaded newer image for alpine:3.20" (the tag is new)
        Assert.Equal(0, r.BlobsDownloaded);
        Assert.Equal(["3.20", "latest"], Store.List().Select(s => s.Tag).Order());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Index_PicksTheHostPlatform_SkipsAttestations(bool docker)
    {
        var host = PullFixtures.Publish(_registry, "multi", null, docker, [TestLayer.Create(("arch", "host"))]);
        var other = PullFixtures.Publish(_registry, "multi", null, docker, [TestLayer.Create(("arch", "other"))], arch: OtherArch, variant: OtherVariant);
        var indexDigest = PullFixtures.PublishIndex(_registry, "multi", "latest", docker, (host, Platform.Host.Architecture, null), (other, OtherArch, OtherVariant));

        var r = await Pull("multi");

        Assert.Equal(host.ConfigDigest.ToString(), r.Image.ImageId);
        Assert.Equal(indexDigest, r.Digest);             // Docker's "Digest:" is the index's
        Assert.Equal(host.ManifestDigest, r.ManifestDigest);
        Assert.Equal(0, _registry.BlobFetches(other.LayerDigest(0)));
        Assert.Equal(host.ManifestDigest.ToString(), r.Image.ManifestDigest);
        Assert.NotNull(Store.ResolveRepoDigest(ImageReference.Parse($"multi@{indexDigest}")));
    }

    private static string OtherArch => Platform.Host.Architecture == "arm64" ? "amd64" : "arm64";
    private static string? OtherVariant => OtherArch == "arm64" ? "v8" : null;

    [Fact]
    public async Task Index_PlatformOption_PicksThatPlatform()
    {
        var amd = PullFixtures.Publish(_registry, "multi", null, false, [TestLayer.Create(("arch", "amd64"))], arch: "amd64");
        var arm = PullFixtures.Publish(_registry, "multi", null, false, [TestLayer.Create(("arch", "arm64"))], arch: "arm64", variant: "v8");
        var armv7 = PullFixtures.Publish(_registry, "multi", null, false, [TestLayer.Create(("arch", "armv7"))], arch: "arm", variant: "v7");
        PullFixtures.PublishIndex(_registry, "multi", "latest", false, (amd, "amd64", null), (arm, "arm64", "v8"), (armv7, "arm", "v7"));

        var r = await Pull("multi", options: new PullOptions { Platform = PullOptions.ParsePlatform("linux/arm64/v8"), RetryDelay = TimeSpan.Zero });
        Assert.Equal(arm.ConfigDigest.ToString(), r.Image.ImageId);

        // arm64 without a variant is arm64/v8.
        var again = await Pull("multi", options: new PullOptions { Platform = PullOptions.ParsePlatform("linux/arm64") });
        Assert.Equal(arm.ConfigDigest.ToString(), again.Image.ImageId);
    }

    [Fact]
    public async Task Index_UnknownPlatform_ErrorListsThePlatformsTheImageHas()
    {
        var amd = PullFixtures.Publish(_registry, "multi", null, false, [TestLayer.Create(("arch", "amd64"))], arch: "amd64");
        var arm = PullFixtures.Publish(_registry, "multi", null, false, [TestLayer.Create(("arch", "arm64"))], arch: "arm64", variant: "v8");
        PullFixtures.PublishIndex(_registry, "multi", "latest", false, (amd, "amd64", null), (arm, "arm64", "v8"));

        var e = await Assert.ThrowsAsync<MiniImageException>(() =>
            Pull("multi", options: new PullOptions { Platform = PullOptions.ParsePlatform("linux/s390x") }));

        Assert.Equal("pull docker.io/library/multi:latest: no matching manifest for linux/s390x in the manifest list entries (the image has: linux/amd64, linux/arm64/v8)", e.Message);
        Assert.Empty(_registry.BlobRequests);
        Assert.False(File.Exists(Path.Combine(_dirs.Root, "images.json")));
    }

    [Fact]
    public void ParsePlatform_AcceptsOsArchVariantAndAliases_RejectsOthers()
    {
        Assert.Equal("linux/arm64/v8", PullOptions.ParsePlatform("linux/arm64/v8").ToString());
        Assert.Equal("linux/amd64", PullOptions.ParsePlatform("linux/x86_64").ToString());
        Assert.Equal("linux/arm64", PullOptions.ParsePlatform("Linux/aarch64").ToString());
        var e = Assert.Throws<MiniImageException>(() => PullOptions.ParsePlatform("arm64"));
        Assert.Contains("expected os/arch[/variant]", e.Message);
    }

    [Fact]
    public async Task SharedBaseLayer_IsDownloadedOnce()
    {
        var shared = TestLayer.Create(("lib/libc.so", "libc"));
        var a = PullFixtures.Publish(_registry, "a", "1", false, [shared, TestLayer.Create(("a", "a"))], cmd: "a");
        var b = PullFixtures.Publish(_registry, "b", "1", true, [shared, TestLayer.Create(("b", "b"))], cmd: "b");
        await Pull("a:1");
        var progress = new RecordingProgress();

        var rb = await Pull("b:1", progress);

        Assert.Equal(1, _registry.BlobFetches(a.LayerDigest(0)));
        Assert.Equal(1, _registry.BlobFetches(b.LayerDigest(1)));
        Assert.Equal(2, rb.BlobsDownloaded); // config and the top layer
        Assert.True(progress.Has(b.ShortId(0), LayerEvent.AlreadyExists));
        Assert.True(progress.Has(b.ShortId(1), LayerEvent.PullComplete));
    }

    [Fact]
    public async Task BlobDigestMismatch_FailsNamingBothDigests_LeavesNothingBehind()
    {
        var good = TestLayer.Create(("ok", "ok"));
        var bad = TestLayer.Create(("bad", "bad"));
        var img = PullFixtures.Publish(_registry, "alpine", "latest", false, [good, bad]);
        byte[] corrupted = (byte[])bad.Blob.Clone();
        corrupted[^5] ^= 0xff;
        _registry.Corrupt[img.LayerDigest(1)] = corrupted;

        var e = await Assert.ThrowsAsync<MiniImageException>(() => Pull("alpine"));

        Assert.Contains($"expected {img.LayerDigest(1)}, got {Digest.Compute(corrupted)}", e.Message);
        Assert.StartsWith("pull docker.io/library/alpine:latest: layer 2/2: blob content does not match its digest", e.Message);
        Assert.False(File.Exists(BlobPath(img.LayerDigest(1))));
        Assert.False(File.Exists(BlobPath(Digest.Compute(corrupted))));
        Assert.Empty(TmpEntries());
        Assert.False(File.Exists(Path.Combine(_dirs.Root, "images.json")));
        Assert.Empty(Directory.GetDirectories(Path.Combine(_dirs.Root, "layers")));
    }

    [Fact]
    public async Task ConnectionDroppedMidBlob_ResumesFromTheBytesReceived()
    {
        var layer = TestLayer.Create(("big", new string('x', 5000) + Guid.NewGuid()));
        var img = PullFixtures.Publish(_registry, "alpine", "latest", false, [layer]);
        _registry.DropAfter[img.LayerDigest(0)] = (2, 40); // two drops, 40 bytes each time

        var r = await Pull("alpine");

        var requests = _registry.BlobRequests.Where(q => q.Digest == img.LayerDigest(0)).Select(q => q.Offset).ToList();
        Assert.Equal([0L, 40L, 80L], requests);
        Assert.Equal(layer.Blob, File.ReadAllBytes(BlobPath(img.LayerDigest(0))));
        Assert.True(Directory.Exists(LayerPath(layer)));
        Assert.Equal("alpine", r.Image.Repository);
    }

    [Fact]
    public async Task ConnectionDropped_RegistryIgnoresRange_RestartsFromZero()
    {
        var layer = TestLayer.Create(("f", new string('y', 3000) + Guid.NewGuid()));
        var img = PullFixtures.Publish(_registry, "alpine", "latest", false, [layer]);
        _registry.DropAfter[img.LayerDigest(0)] = (1, 50);
        _registry.IgnoreRange[img.LayerDigest(0)] = true;

        await Pull("alpine");

        Assert.Equal([0L, 50L], _registry.BlobRequests.Where(q => q.Digest == img.LayerDigest(0)).Select(q => q.Offset));
        Assert.Equal(layer.Blob, File.ReadAllBytes(BlobPath(img.LayerDigest(0))));
    }

    [Fact]
    public async Task ConnectionKeepsDropping_FailsAfterBoundedAttempts_LeavesNoPartialBlob()
    {
        var layer = TestLayer.Create(("f", new string('z', 3000) + Guid.NewGuid()));
        var img = PullFixtures.Publish(_registry, "alpine", "latest", false, [layer]);
        _registry.DropAfter[img.LayerDigest(0)] = (100, 10);

        var e = await Assert.ThrowsAsync<MiniImageException>(() => Pull("alpine", options: new PullOptions { MaxBlobAttempts = 3, RetryDelay = TimeSpan.Zero }));

        Assert.Contains($"download blob {img.LayerDigest(0)}: got 30 of {layer.Blob.Length} bytes after 3 attempts: Connection reset by peer", e.Message);
        Assert.Equal(3, _registry.BlobFetches(img.LayerDigest(0)));
        Assert.False(File.Exists(BlobPath(img.LayerDigest(0))));
        Assert.Empty(TmpEntries());
    }

    [Fact]
    public async Task DiffIdMismatch_FailsNamingExpectedAndGot_NoLayerNoRecord()
    {
        var layer = TestLayer.Create(("f", "content"));
        string wrong = Digest.Compute("something else"u8).ToString();
        PullFixtures.Publish(_registry, "alpine", "latest", false, [layer], diffIds: [wrong]);

        var e = await Assert.ThrowsAsync<MiniImageException>(() => Pull("alpine"));

        Assert.Contains($"diff id {layer.DiffId}, expected {wrong}", e.Message);
        Assert.StartsWith("pull docker.io/library/alpine:latest: layer 1/1: ", e.Message);
        Assert.Empty(Directory.GetDirectories(Path.Combine(_dirs.Root, "layers")));
        Assert.Empty(TmpEntries());
        Assert.False(File.Exists(Path.Combine(_dirs.Root, "images.json")));
    }

    [Fact]
    public async Task PullByDigest_RecordsNoTagButTheRepoDigest()
    {
        var img = PullFixtures.Publish(_registry, "alpine", "latest", false, [TestLayer.Create(("a", "a"))]);

        var r = await Pull($"alpine@{img.ManifestDigest}");

        Assert.Equal(ImageSummary.None, r.Image.Repository);
        Assert.Equal(ImageSummary.None, r.Image.Tag);
        Assert.True(r.Updated);
        Assert.Null(Store.Resolve("alpine:latest"));
        Assert.Equal(r.Image.ImageId, Store.Resolve($"alpine@{img.ManifestDigest}")!.ImageId);
        Assert.Equal(r.Image.ImageId, Store.ResolveRepoDigest(ImageReference.Parse($"alpine@{img.ManifestDigest}"))!.ImageId);

        var again = await Pull($"alpine@{img.ManifestDigest}");
        Assert.False(again.Updated);
    }

    [Fact]
    public async Task PullByDigest_ContentNotMatchingTheDigest_IsRefused()
    {
        var img = PullFixtures.Publish(_registry, "alpine", "latest", false, [TestLayer.Create(("a", "a"))]);
        var other = Digest.Compute("not the manifest"u8);
        _registry.ServeManifestAs("alpine", other, img.Manifest, MediaTypes.OciManifest); // bytes that do not hash to it

        var e = await Assert.ThrowsAsync<MiniImageException>(() => Pull($"alpine@{other}"));

        Assert.Contains($"expected {other}, got {img.ManifestDigest}", e.Message);
    }

    [Fact]
    public async Task MissingTag_ReportsTheRegistryError()
    {
        PullFixtures.Publish(_registry, "alpine", "latest", false, [TestLayer.Create(("a", "a"))]);

        var e = await Assert.ThrowsAsync<RegistryException>(() => Pull("alpine:nope"));

        Assert.Equal("manifest for alpine:nope not found: manifest unknown", e.Message);
    }

    [Fact]
    public async Task InterruptedPull_LeavesStoreConsistent_NextPullCompletesIt()
    {
        var l1 = TestLayer.Create(("one", "1"));
        var l2 = TestLayer.Create(("two", "2"));
        var img = PullFixtures.Publish(_registry, "alpine", "latest", false, [l1, l2]);
        _registry.Missing[img.LayerDigest(1)] = true;

        await Assert.ThrowsAsync<RegistryException>(() => Pull("alpine", options: new PullOptions { MaxConcurrentDownloads = 1, RetryDelay = TimeSpan.Zero }));
        Assert.False(File.Exists(Path.Combine(_dirs.Root, "images.json")));
        Assert.Empty(TmpEntries());
        Assert.Empty(Directory.GetDirectories(Path.Combine(_dirs.Root, "layers")));
        Assert.False(File.Exists(BlobPath(img.LayerDigest(1))));
        // Nothing the failed pull committed stays unreferenced (issue 15: prune never reclaimed it).
        Assert.False(File.Exists(BlobPath(img.LayerDigest(0))));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(_dirs.Root, "blobs", "sha256")));

        _registry.Missing.Clear();
        int firstFetches = _registry.BlobFetches(img.LayerDigest(0));
        var r = await Pull("alpine");

        Assert.Equal("alpine", r.Image.Repository);
        Assert.Equal(firstFetches + 1, _registry.BlobFetches(img.LayerDigest(0))); // fetched again: the failed pull left nothing
        Assert.True(Directory.Exists(LayerPath(l1)) && Directory.Exists(LayerPath(l2)));
    }

    [Fact]
    public async Task StaleTmpFiles_AreRemovedByThePull()
    {
        PullFixtures.Publish(_registry, "alpine", "latest", false, [TestLayer.Create(("a", "a"))]);
        Directory.CreateDirectory(Path.Combine(_dirs.Root, "tmp"));
        File.WriteAllText(Path.Combine(_dirs.Root, "tmp", "pull-99999-stale"), "half a blob");

        await Pull("alpine");

        Assert.Empty(TmpEntries());
    }

    [Fact]
    public async Task ConcurrentPulls_OfTheSameAndOfOverlappingImages_AllSucceed_StoreConsistent()
    {
        var shared = TestLayer.Create(("lib/shared", "shared"));
        var a = PullFixtures.Publish(_registry, "a", "latest", false, [shared, TestLayer.Create(("a", new string('a', 20000)))], cmd: "a");
        var b = PullFixtures.Publish(_registry, "b", "latest", true, [shared, TestLayer.Create(("b", new string('b', 20000)))], cmd: "b");

        var tasks = Enumerable.Range(0, 8).Select(i => Task.Run(() => Pull(i % 2 == 0 ? "a" : "b"))).ToArray();
        var results = await Task.WhenAll(tasks);

        Assert.All(results.Where((_, i) => i % 2 == 0), r => Assert.Equal(a.ConfigDigest.ToString(), r.Image.ImageId));
        Assert.All(results.Where((_, i) => i % 2 == 1), r => Assert.Equal(b.ConfigDigest.ToString(), r.Image.ImageId));
        Assert.Equal(["a", "b"], Store.List().Select(s => s.Repository).Order());
        Assert.Empty(TmpEntries());
        Assert.Equal(3, Directory.GetDirectories(Path.Combine(_dirs.Root, "layers")).Length);
        Assert.Equal("shared", File.ReadAllText(Path.Combine(LayerPath(shared), "lib/shared")));
        foreach (string blob in Directory.GetFiles(Path.Combine(_dirs.Root, "blobs", "sha256")))
            Assert.Equal(Path.GetFileName(blob), Digest.Compute(File.ReadAllBytes(blob)).Hex);
    }
}
