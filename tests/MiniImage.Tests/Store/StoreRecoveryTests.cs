// StoreRecoveryTests: garbage collection that is complete. Names of any bytes are removable
// (byte 0xff), a failed or killed operation's blobs, layers and tmp/ entries go with the next
// store operation or `image prune`, what a running operation relies on stays, and sizes are the
// unpacked ones from the start (commit included).
//
// Why: issue 15: a layer with a non-UTF-8 name left tmp/ growing on every retry and rmi printed
// "Deleted:" leaving tmp/gc-layer-*; a refused pull left blobs prune never reclaimed.
// A killed operation is simulated by its journal released without Complete (the flock a process
// holds goes when it dies); the integration test kills real processes (CrashConsistencyTests).
// Follows: unlinkat(2), flock(2); docker-image-prune(1); docker-images(1) SIZE.
using System.IO.Compression;
using System.Text;
using MiniImage.Oci;
using MiniImage.Store;

namespace MiniImage.Tests.Store;

public sealed class StoreRecoveryTests : IDisposable
{
    private static readonly IReadOnlyList<ContainerUse> NoContainers = [];
    private readonly TestDirs _dirs = new();

    public void Dispose() => _dirs.Dispose();

    private string Tmp => Path.Combine(_dirs.Root, "tmp");
    private string Layers => Path.Combine(_dirs.Root, "layers");
    private string Blobs => Path.Combine(_dirs.Root, "blobs", "sha256");

    /// <summary>A ustar archive written byte by byte, so names can hold any bytes (System.Formats.Tar writes strings).</summary>
    private static byte[] RawTar(params (byte[] Name, char Type, string Content)[] entries)
    {
        var tar = new MemoryStream();
        foreach (var (name, type, content) in entries)
        {
            byte[] data = Encoding.ASCII.GetBytes(content);
            var h = new byte[512];
            name.CopyTo(h, 0);
            void Octal(int at, int len, long value) => Encoding.ASCII.GetBytes(Convert.ToString(value, 8).PadLeft(len - 1, '0')).CopyTo(h, at);
            Octal(100, 8, type == '5' ? 0x1ed : 0x1a4);
            Octal(108, 8, 0);
            Octal(116, 8, 0);
            Octal(124, 12, data.Length);
            Octal(136, 12, 1_700_000_000);
            h[156] = (byte)type;
            Encoding.ASCII.GetBytes("ustar\u000000").CopyTo(h, 257);
            for (int i = 148; i < 156; i++) h[i] = (byte)' ';
            long sum = h.Sum(b => (long)b);
            Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(h, 148);
            tar.Write(h);
            tar.Write(data);
            tar.Write(new byte[(512 - data.Length % 512) % 512]);
        }
        tar.Write(new byte[1024]);
        return tar.ToArray();
    }

    private static TestLayer Layer(byte[] raw)
    {
        var gz = new MemoryStream();
        using (var z = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true)) z.Write(raw);
        return new TestLayer(gz.ToArray(), Digest.Compute(gz.ToArray()).ToString(), Digest.Compute(raw).ToString());
    }

    private static byte[] B(string s) => s.Select(c => (byte)c).ToArray();   // chars 0-255 as single bytes

    /// <summary>A layer with a directory "d\xff", a file "d\xff/f\xfe" in it and a file "g\xff".</summary>
    private static TestLayer NonUtf8Layer() =>
        Layer(RawTar((B("d\u00ff/"), '5', ""), (B("d\u00ff/f\u00fe"), '0', "12345"), (B("g\u00ff"), '0', "abc")));

    private void AssertStoreHolds(int blobs, int layers)
    {
        // A failed operation's journal goes with the recovery it runs on its way out, unless that
        // recovery took it for live: other tests of this process start programs, and a forked
        // child holds every descriptor (the journal's too, O_CLOEXEC or not) until its exec, so
        // the journal's flock looks held for that moment. The next writer's recovery removes it
        // (StoreJournal's rule); run that recovery until the moment has passed. Seen once in CI.
        var paths = new StorePaths(_dirs.Root);
        for (int i = 0; i < 100 && Directory.GetFileSystemEntries(Tmp).Any(e => Path.GetFileName(e).StartsWith(StoreJournal.Prefix)); i++)
        {
            Thread.Sleep(10);
            using var held = StoreLock.TryExclusive(_dirs.Root);
            if (held is not null) StoreRecovery.Run(paths);
        }
        Assert.Empty(Directory.GetFileSystemEntries(Tmp));
        Assert.Equal(blobs, Directory.GetFileSystemEntries(Blobs).Length);
        Assert.Equal(layers, Directory.GetFileSystemEntries(Layers).Length);
    }

    [Fact]
    public void NonUtf8Names_RmiRemovesTheLayerAndLeavesNothingInTmp()
    {
        var layer = NonUtf8Layer();
        var store = new ImageStore(_dirs.Root);
        store.Load(LayoutWriter.WriteNamed(_dirs.NewDir("layout"), TestImage.Create("x", layer), "bytes:1"));
        Assert.Equal(2, Directory.GetFileSystemEntries(Path.Combine(Layers, layer.DiffId[7..])).Length);   // "d\xff", "g\xff"
        Assert.Equal(8, store.Resolve("bytes:1")!.Size);   // 5 + 3 bytes of regular files

        var r = store.Remove("bytes:1", force: false, () => NoContainers);

        Assert.Contains(r.Events, e => e.Deleted);
        AssertStoreHolds(blobs: 0, layers: 0);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(_dirs.Root, "l")));
    }

    [Fact]
    public void NonUtf8Names_RefusedLayer_NothingStaysAfterAnyRetry()
    {
        // The names unpack, then "../escape" is refused: the half layer in tmp/ must go each time.
        var bad = Layer(RawTar((B("d\u00ff/"), '5', ""), (B("d\u00ff/f\u00fe"), '0', "12345"), (B("../escape"), '0', "x")));
        var store = new ImageStore(_dirs.Root);
        string layout = LayoutWriter.WriteNamed(_dirs.NewDir("layout"), TestImage.Create("x", bad), "bad:1");
        for (int i = 0; i < 3; i++)
        {
            Assert.Throws<MiniImageException>(() => store.Load(layout));
            AssertStoreHolds(blobs: 0, layers: 0);
        }
    }

    [Fact]
    public void KilledOperation_ItsBlobsAndLayersGoWithTheNextStoreOperation()
    {
        var store = new ImageStore(_dirs.Root);
        var kept = TestLayer.Create(("kept", "1"));
        store.Load(LayoutWriter.WriteNamed(_dirs.NewDir("keep"), TestImage.Create("k", kept), "kept:1"));
        int blobsBefore = Directory.GetFileSystemEntries(Blobs).Length;

        // What a `load` killed after moving its blobs and unpacking a layer leaves: a journal that
        // lists them (its flock gone with the process), a blob, a layer with a 0xff name, staging.
        var paths = new StorePaths(_dirs.Root);
        var orphanBlob = Digest.Compute("orphan blob"u8.ToArray());
        var orphanLayer = Digest.Compute("orphan layer"u8.ToArray());
        using (var killed = StoreJournal.Begin(paths))
        {
            killed.Blobs(orphanBlob);
            killed.Layers(orphanLayer);
        }
        File.WriteAllText(paths.Blob(orphanBlob), "orphan blob");
        string layerDir = paths.Layer(orphanLayer);
        Directory.CreateDirectory(layerDir);
        byte[] raw = RawTar((B("n\u00ff/"), '5', ""), (B("n\u00ff/z\u00fe"), '0', "zz"));
        MiniImage.Layers.LayerUnpacker.Unpack(new MemoryStream(raw), MediaTypes.OciLayer, layerDir, Digest.Compute(raw).ToString());
        Directory.CreateDirectory(Path.Combine(Tmp, "load-4242-deadbeef", "blobs"));

        // Readers see only recorded images meanwhile.
        Assert.Equal(["kept"], store.List().Select(s => s.Repository));

        // The next store operation (here a load of something else) cleans up first.
        store.Load(LayoutWriter.WriteNamed(_dirs.NewDir("other"), TestImage.Create("o", TestLayer.Create(("o", "2"))), "other:1"));

        Assert.False(File.Exists(paths.Blob(orphanBlob)));
        Assert.False(Directory.Exists(layerDir));
        AssertStoreHolds(blobs: blobsBefore + 3, layers: 2);
    }

    [Fact]
    public void LiveOperation_WhatItListsStays_UntilItEnds()
    {
        var store = new ImageStore(_dirs.Root);
        store.Load(LayoutWriter.WriteNamed(_dirs.NewDir("keep"), TestImage.Create("k", TestLayer.Create(("k", "1"))), "kept:1"));
        var paths = new StorePaths(_dirs.Root);
        var blob = Digest.Compute("being pulled"u8.ToArray());
        var running = StoreJournal.Begin(paths);
        running.Blobs(blob);
        File.WriteAllText(paths.Blob(blob), "being pulled");

        store.Prune(all: false, () => NoContainers);
        Assert.True(File.Exists(paths.Blob(blob)), "a blob a running operation listed was removed");
        Assert.True(File.Exists(running.Path));

        running.Dispose();   // the operation failed (or its process died)
        var r = store.Prune(all: false, () => NoContainers);
        Assert.False(File.Exists(paths.Blob(blob)));
        Assert.Equal("being pulled".Length, r.ReclaimedBytes);
        Assert.Empty(Directory.GetFileSystemEntries(Tmp));
    }

    [Fact]
    public void Prune_RemovesEveryUnreferencedBlobAndLayer_ButNotALayerAContainerMounts()
    {
        var store = new ImageStore(_dirs.Root);
        store.Load(LayoutWriter.WriteNamed(_dirs.NewDir("keep"), TestImage.Create("k", TestLayer.Create(("k", "1"))), "kept:1"));
        var paths = new StorePaths(_dirs.Root);
        // Left by something that kept no journal (an older MiniRun, a hand edit).
        var stray = Digest.Compute("stray"u8.ToArray());
        File.WriteAllText(paths.Blob(stray), "stray");
        string strayLayer = paths.Layer(Digest.Compute("stray layer"u8.ToArray()));
        string mountedLayer = paths.Layer(Digest.Compute("mounted layer"u8.ToArray()));
        Directory.CreateDirectory(strayLayer);
        Directory.CreateDirectory(mountedLayer);
        IReadOnlyList<ContainerUse> uses = [new ContainerUse(new string('c', 64), "sha256:" + new string('0', 64), false, [mountedLayer])];

        store.Prune(all: false, () => uses);

        Assert.False(File.Exists(paths.Blob(stray)));
        Assert.False(Directory.Exists(strayLayer));
        Assert.True(Directory.Exists(mountedLayer));
        Assert.Single(store.List());
        Assert.Equal(2, Directory.GetFileSystemEntries(Layers).Length);
    }

    [Fact]
    public void Size_IsTheUnpackedSize_BeforeAndAfterPrepare_AndForACommitAtOnce()
    {
        var store = new ImageStore(_dirs.Root);
        var layer = TestLayer.Create(("a", "12345"), ("b", "123"));
        var s = store.Load(LayoutWriter.WriteNamed(_dirs.NewDir("l"), TestImage.Create("x", layer), "sized:1"))[0];
        Assert.Equal(8, s.Size);
        Assert.Equal(8, store.Inspect("sized:1")!.Size);
        store.PrepareLayers(s);
        Assert.Equal(8, store.Resolve("sized:1")!.Size);

        var committed = store.Commit(new CommitRequest
        {
            BaseImageId = s.ImageId,
            WriteLayer = output => output.Write(RawTar((B("c"), '0', "1234567890"))),
            Tag = "sized:2",
        });
        Assert.Equal(18, committed.Size);   // the base's 8 and the new layer's 10, before any run
        Assert.Equal(18, store.Inspect("sized:2")!.Size);
        store.PrepareLayers(committed);
        Assert.Equal(18, store.Resolve("sized:2")!.Size);
        AssertStoreHolds(blobs: 3 + 3, layers: 2);
    }

    [Fact]
    public void Commit_RefusesMoreThan125Layers()
    {
        var store = new ImageStore(_dirs.Root);
        var layers = Enumerable.Range(0, 125).Select(i => TestLayer.Create(($"f{i}", $"{i}"))).ToArray();
        var s = store.Load(LayoutWriter.WriteNamed(_dirs.NewDir("l"), TestImage.Create("x", layers), "deep:1"))[0];
        var e = Assert.Throws<MiniImageException>(() => store.Commit(new CommitRequest
        {
            BaseImageId = s.ImageId,
            WriteLayer = output => output.Write(RawTar((B("c"), '0', "1"))),
        }));
        Assert.Equal("commit: too many layers: 126, more than the 125 an image may have", e.Message);
    }
}
