// ImageStoreCommitTests: ImageStore.Commit stores a new layer, config and manifest on top of a
// base image, tags it, and a container of the new image sees the changes; a commit that fails
// half-way leaves no image, no tag and no temporary files.
//
// Why: `minirun commit` must give an image that runs, and must never leave a half-written one.
// Follows: OCI image-spec v1.1 config.md (diff_ids, history), layer.md (whiteouts).
using MiniImage.Layers;
using MiniImage.Store;
using MiniImage.Tests.Store;

namespace MiniImage.Tests.Commit;

public sealed class ImageStoreCommitTests : IDisposable
{
    private readonly TestDirs _dirs = new();

    public void Dispose() => _dirs.Dispose();

    private (ImageStore Store, ImageSummary Base) LoadBase()
    {
        var image = TestImage.Create("sh", TestLayer.Create(("bin/ls", "ls"), ("etc/motd", "hello")));
        var store = new ImageStore(_dirs.Root);
        var s = store.Load(LayoutWriter.WriteNamed(_dirs.NewDir("layout"), image, "base"))[0];
        return (store, s);
    }

    /// <summary>An overlay upper dir as a container leaves it: a new file and a deleted lower file.</summary>
    private string Upper()
    {
        string upper = _dirs.NewDir("upper");
        File.WriteAllText(Path.Combine(upper, "new"), "hi\n");
        Directory.CreateDirectory(Path.Combine(upper, "bin"));
        Assert.Equal(0, Native.mknod(Path.Combine(upper, "bin/ls"), 0x2000, 0));
        return upper;
    }

    [Fact]
    public void Commit_AddsLayerConfigHistoryAndTag()
    {
        var (store, baseImage) = LoadBase();
        string upper = Upper();

        var summary = store.Commit(new CommitRequest
        {
            BaseImageId = baseImage.ImageId,
            WriteLayer = s => LayerWriter.WriteTree(upper, s, new LayerWriterOptions { OverlayWhiteouts = true }),
            CreatedBy = "sh -c echo hi > /new",
            Comment = "my change",
            Author = "Ann <ann@example.com>",
            Configure = c => c.Cmd = ["/bin/echo", "committed"],
            Tag = "mine:v1",
        });

        Assert.StartsWith("sha256:", summary.ImageId);
        Assert.Equal(("mine", "v1"), (summary.Repository, summary.Tag));
        Assert.Equal(summary.ImageId, store.Resolve("mine:v1")!.ImageId);
        Assert.Contains(store.List(), i => i.Repository == "mine" && i.Tag == "v1");

        var config = store.ReadConfig(summary);
        var baseConfig = store.ReadConfig(baseImage);
        Assert.Equal(baseConfig.RootFs.DiffIds.Count + 1, config.RootFs.DiffIds.Count);
        Assert.Equal(["/bin/echo", "committed"], config.Config!.Cmd);
        Assert.Equal(baseConfig.Config!.Env, config.Config.Env);
        Assert.Equal(["sh"], store.ReadConfig(baseImage).Config!.Cmd); // the base is untouched
        var last = config.History![^1];
        Assert.Equal(("sh -c echo hi > /new", "my change", "Ann <ann@example.com>"), (last.CreatedBy, last.Comment, last.Author));
        Assert.Equal("Ann <ann@example.com>", config.Author);

        // The new layer unpacks with its whiteout: the merged view has /new and no /bin/ls.
        var layers = store.PrepareLayers(summary);
        Assert.Equal(2, layers.Count);
        Assert.Equal("hi\n", File.ReadAllText(Path.Combine(layers[1], "new")));
        Assert.True(Native.IsWhiteout(Path.Combine(layers[1], "bin/ls")));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(store.Root, "tmp")));
    }

    [Fact]
    public void Commit_WithoutTag_IsDangling()
    {
        var (store, baseImage) = LoadBase();
        var summary = store.Commit(new CommitRequest
        {
            BaseImageId = baseImage.ImageId,
            WriteLayer = s => LayerWriter.WriteTree(Upper(), s, new LayerWriterOptions { OverlayWhiteouts = true }),
        });
        Assert.True(summary.IsDangling);
        Assert.Equal(summary.ImageId, store.Resolve(summary.ImageId)!.ImageId);
    }

    [Fact]
    public void FailedCommit_LeavesNoImageAndNoTemporaryFiles()
    {
        var (store, baseImage) = LoadBase();
        string imagesJson = File.ReadAllText(Path.Combine(store.Root, "images.json"));
        var blobs = Directory.GetFiles(Path.Combine(store.Root, "blobs/sha256")).Order().ToList();

        var e = Assert.Throws<MiniImageException>(() => store.Commit(new CommitRequest
        {
            BaseImageId = baseImage.ImageId,
            WriteLayer = s => { s.Write(new byte[4096]); throw new IOException("disk full (simulated)"); },
            Tag = "broken:latest",
        }));

        Assert.Contains("disk full", e.Message);
        Assert.Equal(imagesJson, File.ReadAllText(Path.Combine(store.Root, "images.json")));
        Assert.Equal(blobs, Directory.GetFiles(Path.Combine(store.Root, "blobs/sha256")).Order().ToList());
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(store.Root, "tmp")));
        Assert.Null(store.Resolve("broken:latest"));
    }

    [Fact]
    public void Commit_BadTag_FailsBeforeWriting()
    {
        var (store, baseImage) = LoadBase();
        bool wrote = false;
        Assert.Throws<MiniImageException>(() => store.Commit(new CommitRequest
        {
            BaseImageId = baseImage.ImageId,
            WriteLayer = _ => wrote = true,
            Tag = "Bad Name",
        }));
        Assert.False(wrote);
    }
}

internal static unsafe partial class Native
{
    [System.Runtime.InteropServices.LibraryImport("libc", SetLastError = true, StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8)]
    public static partial int mknod(string path, uint mode, ulong dev);

    [System.Runtime.InteropServices.LibraryImport("libc", SetLastError = true, StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8)]
    private static partial int lstat(string path, byte* buf);

    /// <summary>A character device 0:0 (x86-64 struct stat: st_mode at 24, st_rdev at 40).</summary>
    public static bool IsWhiteout(string path)
    {
        byte* buf = stackalloc byte[256];
        if (lstat(path, buf) != 0) return false;
        uint mode = *(uint*)(buf + 24);
        ulong rdev = *(ulong*)(buf + 40);
        return (mode & 0xf000) == 0x2000 && rdev == 0;
    }
}
