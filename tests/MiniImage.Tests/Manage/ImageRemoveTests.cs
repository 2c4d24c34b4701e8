// ImageRemoveTests: `rmi` semantics (untag vs delete, container conflicts, -f), garbage collection
// of blobs and layer directories (shared ones kept, ones a container mounts kept), `tag` and
// `image prune`, against a temporary store with images built by TestLayout.
//
// Why: removal is the one store operation that deletes data; it must never delete what a
// remaining image or a container still needs, and must print Docker's lines.
// Follows: docker-rmi(1), docker-tag(1), docker-image-prune(1); moby image_delete.go rules.
using MiniImage.Oci;
using MiniImage.Store;
using MiniImage.Tests.Store;

namespace MiniImage.Tests.Manage;

public sealed class ImageRemoveTests : IDisposable
{
    private readonly TestDirs _dirs = new();
    private static readonly TestLayer Base = TestLayer.Create(("bin/sh", "shell"));
    private static readonly IReadOnlyList<ContainerUse> NoContainers = [];

    public void Dispose() => _dirs.Dispose();

    private string Blobs => Path.Combine(_dirs.Root, "blobs", "sha256");
    private string Layers => Path.Combine(_dirs.Root, "layers");
    private bool HasBlob(string digest) => File.Exists(Path.Combine(Blobs, Digest.Parse(digest).Hex));
    private bool HasLayer(string diffId) => Directory.Exists(Path.Combine(Layers, Digest.Parse(diffId).Hex));

    /// <summary>Loads `image` as `name` and unpacks its layers.</summary>
    private ImageSummary Load(ImageStore store, TestImage image, string name)
    {
        string layout = LayoutWriter.WriteNamed(_dirs.NewDir("layout-" + Guid.NewGuid().ToString("N")), image, name);
        var s = Assert.Single(store.Load(layout));
        store.PrepareLayers(s);
        return s;
    }

    private static string Line(RemovalEvent e) => (e.Deleted ? "Deleted: " : "Untagged: ") + e.Subject;

    [Fact]
    public void RmiOfOneOfTwoTags_OnlyUntags()
    {
        var store = new ImageStore(_dirs.Root);
        var image = TestImage.Create("sh", Base);
        Load(store, image, "docker.io/library/busybox:latest");
        store.Tag("busybox", "busybox:1.36");

        var r = store.Remove("busybox:latest", false, () => NoContainers);

        Assert.Equal(["Untagged: busybox:latest"], r.Events.Select(Line));
        Assert.NotNull(store.Resolve("busybox:1.36"));
        Assert.Null(store.Resolve("busybox:latest"));
        Assert.True(HasBlob(image.ConfigDigest));
    }

    [Fact]
    public void RmiOfLastTag_DeletesImageBlobsAndLayers()
    {
        var store = new ImageStore(_dirs.Root);
        var image = TestImage.Create("sh", Base);
        Load(store, image, "docker.io/library/busybox:latest");

        var r = store.Remove("busybox", false, () => NoContainers);

        Assert.Equal(["Untagged: busybox:latest", $"Deleted: {image.ConfigDigest}", $"Deleted: {Base.DiffId}"], r.Events.Select(Line));
        Assert.Empty(store.List());
        Assert.Empty(Directory.GetFiles(Blobs));
        Assert.Empty(Directory.GetDirectories(Layers));
        Assert.True(r.ReclaimedBytes > 0);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(_dirs.Root, "tmp")));
    }

    [Fact]
    public void Rmi_KeepsBlobsAndLayersSharedWithAnotherImage()
    {
        var store = new ImageStore(_dirs.Root);
        var top = TestLayer.Create(("app", "v1"));
        var a = TestImage.Create("sh", Base);
        var b = TestImage.Create("app", Base, top);
        Load(store, a, "docker.io/library/a:1");
        Load(store, b, "docker.io/library/b:1");

        store.Remove("b:1", false, () => NoContainers);

        Assert.True(HasBlob(Base.Digest));
        Assert.True(HasLayer(Base.DiffId));
        Assert.False(HasBlob(top.Digest));
        Assert.False(HasLayer(top.DiffId));
        Assert.False(HasBlob(b.ManifestDigest));
        Assert.False(HasBlob(b.ConfigDigest));
        Assert.True(HasBlob(a.ManifestDigest));
        Assert.Equal("sh", store.ReadConfig(store.Resolve("a:1")!).Config!.Cmd![0]);
    }

    [Fact]
    public void Rmi_RefusedWhileAContainerUsesTheImage_ForcedKeepsItsLowerDirs()
    {
        var store = new ImageStore(_dirs.Root);
        var image = TestImage.Create("sh", Base);
        var s = Load(store, image, "docker.io/library/busybox:latest");
        string layerDir = Path.Combine(Layers, Digest.Parse(Base.DiffId).Hex);
        var containerId = new string('3', 64);
        IReadOnlyList<ContainerUse> uses = [new ContainerUse(containerId, s.ImageId, false, [layerDir])];

        var e = Assert.Throws<MiniImageException>(() => store.Remove("busybox", false, () => uses));
        Assert.Equal($"conflict: unable to remove repository reference \"busybox\" (must force) - container 333333333333 is using its referenced image {s.ShortId}", e.Message);
        Assert.NotNull(store.Resolve("busybox"));
        var byId = Assert.Throws<MiniImageException>(() => store.Remove(s.ShortId, false, () => uses));
        Assert.Equal($"conflict: unable to delete {s.ShortId} (must be forced) - image is being used by stopped container 333333333333", byId.Message);

        var r = store.Remove("busybox", true, () => uses);

        Assert.Equal(["Untagged: busybox:latest", $"Deleted: {image.ConfigDigest}"], r.Events.Select(Line));
        Assert.Empty(store.List());
        Assert.True(Directory.Exists(layerDir)); // the stopped container still mounts it
        Assert.False(HasBlob(Base.Digest));
    }

    [Fact]
    public void Rmi_RunningContainer_ForcedOnlyUntags_IdCannotBeForced()
    {
        var store = new ImageStore(_dirs.Root);
        var s = Load(store, TestImage.Create("sh", Base), "docker.io/library/busybox:latest");
        IReadOnlyList<ContainerUse> uses = [new ContainerUse(new string('a', 64), s.ImageId, true, [])];

        var r = store.Remove("busybox", true, () => uses);

        Assert.Equal(["Untagged: busybox:latest"], r.Events.Select(Line));
        var left = Assert.Single(store.List());
        Assert.True(left.IsDangling);
        var e = Assert.Throws<MiniImageException>(() => store.Remove(s.ImageId, true, () => uses));
        Assert.Equal($"conflict: unable to delete {s.ShortId} (cannot be forced) - image is being used by running container aaaaaaaaaaaa", e.Message);
    }

    [Fact]
    public void RmiById_WithTagsInTwoRepositories_NeedsForce()
    {
        var store = new ImageStore(_dirs.Root);
        var s = Load(store, TestImage.Create("sh", Base), "docker.io/library/busybox:latest");
        store.Tag("busybox", "localhost:5000/box:v1");

        var e = Assert.Throws<MiniImageException>(() => store.Remove(s.ShortId, false, () => NoContainers));
        Assert.Equal($"conflict: unable to delete {s.ShortId} (must be forced) - image is referenced in multiple repositories", e.Message);

        var r = store.Remove(s.ShortId, true, () => NoContainers);
        Assert.Equal(["Untagged: busybox:latest", "Untagged: localhost:5000/box:v1", $"Deleted: {s.ImageId}"], r.Events.Take(3).Select(Line));
        Assert.Empty(store.List());
    }

    [Fact]
    public void Rmi_UnknownImage_NoSuchImage()
    {
        var store = new ImageStore(_dirs.Root);
        var e = Assert.Throws<MiniImageException>(() => store.Remove("nothere", false, () => NoContainers));
        Assert.Equal("No such image: nothere:latest", e.Message);   // Docker names the tag it looked for
    }

    [Fact]
    public void Tag_ValidatesTarget_AndMovingATagLeavesTheOldImageDangling()
    {
        var store = new ImageStore(_dirs.Root);
        var one = Load(store, TestImage.Create("one", Base), "docker.io/library/app:1");
        var two = Load(store, TestImage.Create("two", Base), "docker.io/library/app:2");

        var bad = Assert.Throws<MiniImageException>(() => store.Tag("app:1", "App:x"));
        Assert.StartsWith("Error parsing reference: \"App:x\" is not a valid repository/tag: invalid reference format: ", bad.Message);
        Assert.Contains("lowercase", bad.Message);
        Assert.Contains("digest", Assert.Throws<MiniImageException>(() => store.Tag("app:1", "app@sha256:" + new string('a', 64))).Message);
        Assert.Equal("No such image: nope:1", Assert.Throws<MiniImageException>(() => store.Tag("nope:1", "x:1")).Message);

        store.Tag("app:2", "app:1");

        Assert.Equal(two.ImageId, store.Resolve("app:1")!.ImageId);
        Assert.Contains(store.List(), i => i.ImageId == one.ImageId && i.IsDangling);
        var details = store.Inspect("app:1")!;
        Assert.Equal(["app:1", "app:2"], details.RepoTags);
        Assert.True(details.LastTagTime > DateTimeOffset.UtcNow.AddMinutes(-5));
    }

    [Fact]
    public void Prune_RemovesDanglingOnly_AllRemovesUnused_KeepsImagesOfContainers()
    {
        var store = new ImageStore(_dirs.Root);
        var old = Load(store, TestImage.Create("old", Base, TestLayer.Create(("old", "1"))), "docker.io/library/app:1");
        var cur = Load(store, TestImage.Create("new", Base), "docker.io/library/app:1"); // old becomes dangling
        var used = Load(store, TestImage.Create("used", TestLayer.Create(("u", "1"))), "docker.io/library/used:1");
        IReadOnlyList<ContainerUse> uses = [new ContainerUse(new string('c', 64), used.ImageId, false, [])];

        var r = store.Prune(false, () => uses);

        Assert.Equal($"Deleted: {old.ImageId}", Line(r.Events[0]));
        Assert.True(r.ReclaimedBytes > 0);
        Assert.Equal(2, store.List().Count);

        var all = store.Prune(true, () => uses);
        Assert.Contains(all.Events, e => !e.Deleted && e.Subject == "app:1");
        Assert.Contains(all.Events, e => e.Deleted && e.Subject == cur.ImageId);
        Assert.Equal(used.ImageId, Assert.Single(store.List()).ImageId);
        Assert.True(HasLayer(used.ImageId == "" ? "" : store.Inspect("used:1")!.Config.RootFs.DiffIds[0]));
        Assert.False(HasLayer(Base.DiffId));

        Assert.Empty(store.Prune(false, () => uses).Events);
    }

    [Fact]
    public void Inspect_ReportsConfigLayersAndSizes()
    {
        var store = new ImageStore(_dirs.Root);
        var image = TestImage.Create("sh", Base);
        var s = Load(store, image, "docker.io/library/busybox:latest");

        var d = store.Inspect("busybox")!;

        Assert.Equal(s.ImageId, d.Id);
        Assert.Equal(["busybox:latest"], d.RepoTags);
        Assert.Empty(d.RepoDigests);
        Assert.Equal(image.ManifestDigest, d.ManifestDigest);
        Assert.Equal([Base.DiffId], d.Config.RootFs.DiffIds);
        Assert.Equal([Base.Blob.Length], d.LayerBlobSizes);
        Assert.NotNull(d.LayerSizes[0]);
        Assert.Equal(d.LayerSizes[0], d.Size);
        Assert.Null(store.Inspect("nothere"));
    }

    [Fact]
    public void ChainIds_FollowTheOciFormula()
    {
        string a = Digest.Compute("a"u8).ToString(), b = Digest.Compute("b"u8).ToString();
        var chains = ImageStore.ChainIds([a, b]);
        Assert.Equal(a, chains[0]);
        Assert.Equal(Digest.Compute(System.Text.Encoding.ASCII.GetBytes(a + " " + b)).ToString(), chains[1]);
    }
}
