// ImageStoreLayerTests: PrepareLayers (unpack once, bottom layer first, shared between images,
// real size recorded) and concurrent use of one store from several threads.
//
// Why: containers start from these directories; a layer unpacked twice, half unpacked, or in the
// wrong order would give a wrong root file system. Each lock holder uses its own open file
// description, so threads exercise the same flock exclusion as separate processes.
// Follows: OCI image-spec v1.1 config.md (diff_ids order = manifest layer order, bottom first).
using MiniImage.Store;

namespace MiniImage.Tests.Store;

public sealed class ImageStoreLayerTests : IDisposable
{
    private readonly TestDirs _dirs = new();

    public void Dispose() => _dirs.Dispose();

    [Fact]
    public void PrepareLayers_UnpacksOnce_BottomFirst_SecondCallReuses()
    {
        var bottom = TestLayer.Create(("etc/os-release", "base"), ("bin/sh", "shell"));
        var top = TestLayer.Create(("app/run", "hello"));
        var image = TestImage.Create("run", bottom, top);
        var store = new ImageStore(_dirs.Root);
        var s = store.Load(LayoutWriter.WriteNamed(_dirs.NewDir("layout"), image, "app"))[0];

        var dirs = store.PrepareLayers(s);

        Assert.Equal([Path.Combine(store.Root, "layers", bottom.DiffId[7..]), Path.Combine(store.Root, "layers", top.DiffId[7..])], dirs);
        Assert.All(dirs, d => Assert.True(Path.IsPathRooted(d)));
        Assert.Equal("base", File.ReadAllText(Path.Combine(dirs[0], "etc/os-release")));
        Assert.Equal("hello", File.ReadAllText(Path.Combine(dirs[1], "app/run")));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(store.Root, "tmp")));
        // Size now is the unpacked size: 4 + 5 + 5 bytes of regular files.
        Assert.Equal(14, store.Resolve("app")!.Size);

        string marker = Path.Combine(dirs[0], "marker-from-test");
        File.WriteAllText(marker, "still here");
        var again = store.PrepareLayers(store.Resolve("app:latest")!);
        Assert.Equal(dirs, again);
        Assert.True(File.Exists(marker), "second PrepareLayers unpacked the layer again");
    }

    [Fact]
    public void TwoImagesSharingALayer_ShareItsDirectory()
    {
        var shared = TestLayer.Create(("lib/libc.so", "libc"));
        var a = TestImage.Create("a", shared, TestLayer.Create(("a", "a")));
        var b = TestImage.Create("b", shared, TestLayer.Create(("b", "b")));
        var store = new ImageStore(_dirs.Root);
        var sa = store.Load(LayoutWriter.WriteNamed(_dirs.NewDir("la"), a, "a:1"))[0];
        var sb = store.Load(LayoutWriter.WriteNamed(_dirs.NewDir("lb"), b, "b:1"))[0];

        var da = store.PrepareLayers(sa);
        var db = store.PrepareLayers(sb);

        Assert.Equal(da[0], db[0]);
        Assert.NotEqual(da[1], db[1]);
        Assert.Equal(3, Directory.GetDirectories(Path.Combine(store.Root, "layers")).Length);
    }

    [Fact]
    public void PrepareLayers_CorruptLayerBlob_ErrorAndNoHalfLayer()
    {
        var layer = TestLayer.Create(("f", "content"));
        var image = TestImage.Create("x", layer);
        var store = new ImageStore(_dirs.Root);
        var s = store.Load(LayoutWriter.WriteNamed(_dirs.NewDir("layout"), image, "x"))[0];
        // A store whose layer directory is gone (load unpacks it now; an older store did not) and
        // whose blob was damaged behind its back: the diff id check at prepare must catch it.
        Directory.Delete(Path.Combine(store.Root, "layers", layer.DiffId[7..]), recursive: true);
        string blob = Path.Combine(store.Root, "blobs", "sha256", layer.Digest[7..]);
        var other = TestLayer.Create(("f", "CONTENT"));
        File.WriteAllBytes(blob, other.Blob);

        var e = Assert.Throws<MiniImageException>(() => store.PrepareLayers(s));

        Assert.DoesNotContain('\n', e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(store.Root, "layers")));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(store.Root, "tmp")));
    }

    [Fact]
    public void Load_LayerWhoseContentIsNotItsDiffId_IsRefusedAndNothingStays()
    {
        var good = TestLayer.Create(("ok", "1"));
        var lying = TestLayer.Create(("f", "content")) with { DiffId = TestLayer.Create(("f", "other")).DiffId };
        var image = TestImage.Create("x", good, lying);
        var store = new ImageStore(_dirs.Root);

        var e = Assert.Throws<MiniImageException>(() => store.Load(LayoutWriter.WriteNamed(_dirs.NewDir("layout"), image, "liar:1")));

        Assert.Contains("layer 2/2", e.Message);
        Assert.Contains("diff id", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Empty(store.List());
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(store.Root, "layers")));   // the good layer went too
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(store.Root, "tmp")));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(store.Root, "blobs", "sha256")));
    }

    [Fact]
    public void Load_LayerWithAnEntryClimbingOut_IsRefusedAtLoad()
    {
        string evil = "minirun-evil-" + Guid.NewGuid().ToString("N");
        var image = TestImage.Create("x", TestLayer.Create(("../../" + evil, "x")));
        var store = new ImageStore(_dirs.Root);

        var e = Assert.Throws<MiniImageException>(() => store.Load(LayoutWriter.WriteNamed(_dirs.NewDir("layout"), image, "climb:1")));

        Assert.Contains("escapes the layer directory", e.Message);
        Assert.Empty(store.List());
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(_dirs.Root)!, evil)));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(store.Root, "layers")));
    }

    [Fact]
    public void Load_UnpacksTheLayers_SoTheSizeIsTheSameBeforeAndAfterARun()
    {
        var layer = TestLayer.Create(("a", "12345"), ("b", "678"));
        var store = new ImageStore(_dirs.Root);
        var s = store.Load(LayoutWriter.WriteNamed(_dirs.NewDir("layout"), TestImage.Create("x", layer), "sized:1"))[0];
        Assert.True(Directory.Exists(Path.Combine(store.Root, "layers", layer.DiffId[7..])));
        store.PrepareLayers(s);
        Assert.Equal(s.Size, Assert.Single(store.List()).Size);
    }

    [Fact]
    public void ConcurrentLoadsOfSameLayout_AllSucceed_OneSetOfBlobs()
    {
        var image = TestImage.Create("c", TestLayer.Create(("a", "1")), TestLayer.Create(("b", "2")));
        string layout = LayoutWriter.WriteNamed(_dirs.NewDir("layout"), image, "conc:1");
        string tar = LayoutWriter.Tar(layout, Path.Combine(_dirs.Base, "conc.tar"));
        var results = new IReadOnlyList<ImageSummary>[4];
        var errors = new List<Exception>();

        var threads = Enumerable.Range(0, 4).Select(i => new Thread(() =>
        {
            try { results[i] = new ImageStore(_dirs.Root).Load(i % 2 == 0 ? layout : tar); }
            catch (Exception e) { lock (errors) errors.Add(e); }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Empty(errors);
        Assert.All(results, r => Assert.Equal(image.ConfigDigest, Assert.Single(r).ImageId));
        var store = new ImageStore(_dirs.Root);
        Assert.Single(store.List());
        Assert.Equal(4, Directory.GetFiles(Path.Combine(store.Root, "blobs", "sha256")).Length);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(store.Root, "tmp")));
    }

    [Fact]
    public void ConcurrentPrepareLayers_AllGetSameDirectories()
    {
        var image = TestImage.Create("p", TestLayer.Create(("a", "1")), TestLayer.Create(("b", "2")), TestLayer.Create(("c", "3")));
        var store = new ImageStore(_dirs.Root);
        var s = store.Load(LayoutWriter.WriteNamed(_dirs.NewDir("layout"), image, "p"))[0];
        var results = new IReadOnlyList<string>[4];
        var errors = new List<Exception>();

        var threads = Enumerable.Range(0, 4).Select(i => new Thread(() =>
        {
            try { results[i] = new ImageStore(_dirs.Root).PrepareLayers(s); }
            catch (Exception e) { lock (errors) errors.Add(e); }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Empty(errors);
        Assert.All(results, r => Assert.Equal(results[0], r));
        Assert.Equal(3, Directory.GetDirectories(Path.Combine(store.Root, "layers")).Length);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(store.Root, "tmp")));
    }
}
