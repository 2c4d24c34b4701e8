// ImageStoreLoadTests: `load` of OCI layouts (directory, tar, tar.gz), naming rules, tag moves,
// List and Resolve, and that broken layouts (bad digest, wrong size, missing blob) change nothing.
//
// Why: the store must never accept a blob whose bytes do not match its name, and a failed load
// must leave blobs/, tmp/ and images.json exactly as before.
// Follows: OCI image-spec v1.1 image-layout.md; docker-load(1)/docker-images(1) behaviour.
using MiniImage.Oci;
using MiniImage.Store;

namespace MiniImage.Tests.Store;

public sealed class ImageStoreLoadTests : IDisposable
{
    private readonly TestDirs _dirs = new();

    public void Dispose() => _dirs.Dispose();

    private static TestImage Busybox() => TestImage.Create("sh",
        TestLayer.Create(("bin/sh", "shell")), TestLayer.Create(("etc/hostname", "box")));

    [Fact]
    public void LoadDirectory_ListShowsFamiliarNameTagAndId()
    {
        var image = Busybox();
        string layout = LayoutWriter.WriteNamed(_dirs.NewDir("layout"), image, "docker.io/library/busybox:latest");
        var store = new ImageStore(_dirs.Root);
        var lines = new List<string>();

        var loaded = store.Load(layout, lines.Add);

        var s = Assert.Single(loaded);
        Assert.Equal(("busybox", "latest", image.ConfigDigest, image.ManifestDigest), (s.Repository, s.Tag, s.ImageId, s.ManifestDigest));
        Assert.Equal(new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero), s.Created);
        Assert.Equal(store.PrepareLayers(s).Sum(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length)),
            s.Size);   // unpacked at load: the real size from the start
        Assert.Contains("Loaded image: busybox:latest", lines);
        var listed = Assert.Single(store.List());
        Assert.Equal(s, listed);
        // 2 layers + config + manifest, nothing left in tmp/
        Assert.Equal(4, Directory.GetFiles(Path.Combine(_dirs.Root, "blobs", "sha256")).Length);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(_dirs.Root, "tmp")));
        Assert.Equal("sh", store.ReadConfig(s).Config!.Cmd![0]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LoadTar_SameResultAsDirectory(bool gzip)
    {
        var image = Busybox();
        string layout = LayoutWriter.WriteNamed(_dirs.NewDir("layout"), image, "docker.io/user/app:1");
        string tar = LayoutWriter.Tar(layout, Path.Combine(_dirs.Base, gzip ? "app.tar.gz" : "app.tar"), gzip);
        var store = new ImageStore(_dirs.Root);

        var s = Assert.Single(store.Load(tar));

        Assert.Equal(("user/app", "1", image.ConfigDigest), (s.Repository, s.Tag, s.ImageId));
        Assert.Equal(4, Directory.GetFiles(Path.Combine(_dirs.Root, "blobs", "sha256")).Length);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(_dirs.Root, "tmp")));
    }

    [Fact]
    public void LoadTar_IndexBeforeBlobsAndDotSlashNames()
    {
        var image = Busybox();
        string layout = LayoutWriter.WriteNamed(_dirs.NewDir("layout"), image, "localhost:5000/x:v2");
        string tar = Path.Combine(_dirs.Base, "x.tar");
        using (var file = File.Create(tar))
        using (var w = new System.Formats.Tar.TarWriter(file))
        {
            w.WriteEntry(Path.Combine(layout, "index.json"), "./index.json");
            w.WriteEntry(Path.Combine(layout, "oci-layout"), "./oci-layout");
            foreach (string f in Directory.EnumerateFiles(Path.Combine(layout, "blobs", "sha256")))
                w.WriteEntry(f, "./blobs/sha256/" + Path.GetFileName(f));
        }

        var s = Assert.Single(new ImageStore(_dirs.Root).Load(tar));

        Assert.Equal(("localhost:5000/x", "v2"), (s.Repository, s.Tag));
    }

    [Fact]
    public void Resolve_ByNameTagFullReferenceIdAndPrefix()
    {
        var image = Busybox();
        var store = new ImageStore(_dirs.Root);
        store.Load(LayoutWriter.WriteNamed(_dirs.NewDir("layout"), image, "docker.io/library/busybox:latest"));
        string hex = image.ConfigDigest[7..];

        foreach (string r in new[] { "busybox", "busybox:latest", "docker.io/library/busybox:latest", "library/busybox",
                                     image.ConfigDigest, hex, hex[..12], "sha256:" + hex[..12],
                                     "busybox@" + image.ManifestDigest })
        {
            var s = store.Resolve(r);
            Assert.True(s is not null, $"Resolve(\"{r}\") found nothing");
            Assert.Equal(image.ConfigDigest, s!.ImageId);
            Assert.Equal(("busybox", "latest"), (s.Repository, s.Tag));
        }
        Assert.Null(store.Resolve("busybox:1.0"));
        Assert.Null(store.Resolve("alpine"));
        Assert.Null(store.Resolve(hex[..11]));            // too short for an ID prefix, and no such tag
        Assert.Null(new ImageStore(Path.Combine(_dirs.Base, "empty-root")).Resolve("busybox"));
        Assert.Empty(new ImageStore(Path.Combine(_dirs.Base, "empty-root")).List());
    }

    [Fact]
    public void LoadingExistingTag_MovesTag_OldImageBecomesDangling()
    {
        var store = new ImageStore(_dirs.Root);
        var v1 = TestImage.Create("one", TestLayer.Create(("a", "1")));
        var v2 = TestImage.Create("two", TestLayer.Create(("a", "2")));
        store.Load(LayoutWriter.WriteNamed(_dirs.NewDir("l1"), v1, "app:latest"));
        var lines = new List<string>();
        store.Load(LayoutWriter.WriteNamed(_dirs.NewDir("l2"), v2, "app:latest"), lines.Add);

        var list = store.List();
        Assert.Equal(2, list.Count);
        Assert.Contains(list, s => s is { Repository: "app", Tag: "latest" } && s.ImageId == v2.ConfigDigest);
        Assert.Contains(list, s => s is { Repository: "<none>", Tag: "<none>" } && s.ImageId == v1.ConfigDigest);
        Assert.Contains(lines, l => l.Contains("untagged") && l.Contains(v1.ConfigDigest));
        Assert.Equal(v2.ConfigDigest, store.Resolve("app")!.ImageId);
        Assert.Equal(v1.ConfigDigest, store.Resolve(v1.ConfigDigest)!.ImageId);
    }

    [Fact]
    public void Naming_RefNameTagUsesFileName_FullRefNameIsUsed_NoAnnotationIsDangling()
    {
        var a = TestImage.Create("a", TestLayer.Create(("a", "a")));
        var b = TestImage.Create("b", TestLayer.Create(("b", "b")));
        var c = TestImage.Create("c", TestLayer.Create(("c", "c")));
        string layout = LayoutWriter.Write(Path.Combine(_dirs.Base, "MyTool.oci"), [a, b, c],
        [
            a.Descriptor(new() { [Annotations.RefName] = "v1" }),
            b.Descriptor(new() { [Annotations.RefName] = "ghcr.io/org/b:2" }),
            c.Descriptor(),
        ]);
        var lines = new List<string>();

        var loaded = new ImageStore(_dirs.Root).Load(layout, lines.Add);

        Assert.Equal(3, loaded.Count);
        Assert.Equal(("mytool", "v1"), (loaded[0].Repository, loaded[0].Tag));
        Assert.Equal(("ghcr.io/org/b", "2"), (loaded[1].Repository, loaded[1].Tag));
        Assert.True(loaded[2].IsDangling);
        Assert.Contains($"Loaded image ID: {c.ConfigDigest}", lines);
    }

    [Fact]
    public void NestedIndex_PicksHostPlatform_SkipsOthers()
    {
        var host = TestImage.Create("host", TestLayer.Create(("h", "h")));
        var other = TestImage.Create("other", TestLayer.Create(("o", "o")));
        var hostDesc = host.Descriptor();
        var otherDesc = other.Descriptor();
        otherDesc.Platform = new Platform { Os = "linux", Architecture = "mips64" };
        var nested = new ImageIndex { SchemaVersion = 2, MediaType = MediaTypes.OciIndex, Manifests = [otherDesc, hostDesc] };
        byte[] nestedJson = nested.ToJson();
        string layout = _dirs.NewDir("multi");
        string nestedDigest = Digest.Compute(nestedJson).ToString();
        LayoutWriter.Write(layout, [host, other],
        [
            new Descriptor
            {
                MediaType = MediaTypes.OciIndex, Digest = nestedDigest, Size = nestedJson.Length,
                Annotations = new() { [Annotations.ContainerdImageName] = "docker.io/library/multi:1" },
            },
        ]);
        LayoutWriter.WriteBlob(layout, nestedDigest, nestedJson);

        var s = Assert.Single(new ImageStore(_dirs.Root).Load(layout));

        Assert.Equal(("multi", "1", host.ConfigDigest), (s.Repository, s.Tag, s.ImageId));
        // only the host image's blobs were stored (manifest, config, 1 layer)
        Assert.Equal(3, Directory.GetFiles(Path.Combine(_dirs.Root, "blobs", "sha256")).Length);
    }

    [Fact]
    public void BlobNotMatchingDigest_Throws_StoreUnchanged()
    {
        var store = new ImageStore(_dirs.Root);
        var good = TestImage.Create("good", TestLayer.Create(("g", "g")));
        store.Load(LayoutWriter.WriteNamed(_dirs.NewDir("good"), good, "good:1"));
        string imagesJson = File.ReadAllText(Path.Combine(_dirs.Root, "images.json"));
        var blobsBefore = Directory.GetFiles(Path.Combine(_dirs.Root, "blobs", "sha256")).Order().ToList();

        var bad = TestImage.Create("bad", TestLayer.Create(("x", "1")), TestLayer.Create(("y", "2")));
        string layout = LayoutWriter.WriteNamed(_dirs.NewDir("bad"), bad, "bad:1");
        var layer = bad.Layers[1];
        byte[] tampered = (byte[])layer.Blob.Clone();
        tampered[^5] ^= 0xff; // same size, different content
        LayoutWriter.WriteBlob(layout, layer.Digest, tampered);

        foreach (string input in new[] { layout, LayoutWriter.Tar(layout, Path.Combine(_dirs.Base, "bad.tar")) })
        {
            var e = Assert.Throws<MiniImageException>(() => store.Load(input));
            Assert.Contains("expected " + layer.Digest, e.Message);
            Assert.Contains("got sha256:", e.Message);
            Assert.DoesNotContain('\n', e.Message);
            Assert.Equal(blobsBefore, Directory.GetFiles(Path.Combine(_dirs.Root, "blobs", "sha256")).Order().ToList());
            Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(_dirs.Root, "tmp")));
            Assert.Equal(imagesJson, File.ReadAllText(Path.Combine(_dirs.Root, "images.json")));
        }
    }

    [Fact]
    public void SizeNotMatchingDescriptor_Throws()
    {
        var image = TestImage.Create("s", TestLayer.Create(("s", "s")));
        string layout = LayoutWriter.WriteNamed(_dirs.NewDir("layout"), image, "s:1");
        var layer = image.Layers[0];
        LayoutWriter.WriteBlob(layout, layer.Digest, [.. layer.Blob, 0]); // one byte too many

        var store = new ImageStore(_dirs.Root);
        var e = Assert.Throws<MiniImageException>(() => store.Load(layout));
        Assert.Contains(layer.Digest, e.Message);
        Assert.Contains("larger than", e.Message);
        var e2 = Assert.Throws<MiniImageException>(() => store.Load(LayoutWriter.Tar(layout, Path.Combine(_dirs.Base, "s.tar"))));
        Assert.Contains(layer.Digest, e2.Message); // in a tar the name is the digest: the content no longer matches it
        Assert.Empty(Directory.GetFiles(Path.Combine(_dirs.Root, "blobs", "sha256")));
        Assert.Empty(store.List());
    }

    [Fact]
    public void DescriptorSizeWrong_ContentRight_Throws()
    {
        var image = TestImage.Create("s", TestLayer.Create(("s", "s")));
        var desc = image.Descriptor(new() { [Annotations.ContainerdImageName] = "s:1" });
        desc.Size += 1; // index.json lies about the manifest's size; the manifest bytes are intact
        string layout = LayoutWriter.Write(_dirs.NewDir("layout"), [image], [desc]);
        var store = new ImageStore(_dirs.Root);

        var e = Assert.Throws<MiniImageException>(() => store.Load(layout));
        Assert.Contains($"blob {image.ManifestDigest} has {image.Manifest.Length} bytes, its descriptor says {image.Manifest.Length + 1}", e.Message);
        var e2 = Assert.Throws<MiniImageException>(() => store.Load(LayoutWriter.Tar(layout, Path.Combine(_dirs.Base, "s.tar"))));
        Assert.Contains($"size {image.Manifest.Length + 1} in its descriptor", e2.Message);
        Assert.Empty(Directory.GetFiles(Path.Combine(_dirs.Root, "blobs", "sha256")));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(_dirs.Root, "tmp")));
    }

    [Fact]
    public void MissingBlob_ThrowsNamingIt()
    {
        var image = TestImage.Create("m", TestLayer.Create(("m", "m")));
        string layout = LayoutWriter.WriteNamed(_dirs.NewDir("layout"), image, "m:1");
        File.Delete(Path.Combine(layout, "blobs", "sha256", image.Layers[0].Digest[7..]));
        var store = new ImageStore(_dirs.Root);

        var e = Assert.Throws<MiniImageException>(() => store.Load(layout));
        Assert.Contains(image.Layers[0].Digest, e.Message);
        Assert.Contains("missing", e.Message);
        var e2 = Assert.Throws<MiniImageException>(() => store.Load(LayoutWriter.Tar(layout, Path.Combine(_dirs.Base, "m.tar"))));
        Assert.Contains("missing", e2.Message);
        Assert.Empty(Directory.GetFiles(Path.Combine(_dirs.Root, "blobs", "sha256")));
        Assert.False(File.Exists(Path.Combine(_dirs.Root, "images.json")));
    }

    [Fact]
    public void NotALayout_ClearErrors()
    {
        var store = new ImageStore(_dirs.Root);
        string empty = _dirs.NewDir("empty");
        Assert.Contains("no \"oci-layout\"", Assert.Throws<MiniImageException>(() => store.Load(empty)).Message);
        Assert.Contains("no such file", Assert.Throws<MiniImageException>(() => store.Load(Path.Combine(_dirs.Base, "nope"))).Message);
        string notTar = Path.Combine(_dirs.Base, "x.tar");
        File.WriteAllText(notTar, "this is not a tar file at all, it is text that goes on for a while " + new string('x', 600));
        Assert.StartsWith($"load {notTar}", Assert.Throws<MiniImageException>(() => store.Load(notTar)).Message);
    }

    [Fact]
    public void StaleTmpEntries_AreRemovedByNextLoad()
    {
        var store = new ImageStore(_dirs.Root);
        string tmp = Path.Combine(_dirs.Root, "tmp");
        Directory.CreateDirectory(Path.Combine(tmp, "load-crashed", "sub"));
        File.WriteAllText(Path.Combine(tmp, "load-crashed", "sub", "half"), "x");
        File.WriteAllText(Path.Combine(tmp, "images.json-crashed"), "{");

        store.Load(LayoutWriter.WriteNamed(_dirs.NewDir("layout"), Busybox(), "busybox"));

        Assert.Empty(Directory.GetFileSystemEntries(tmp));
        Assert.Single(store.List());
    }
}
