// ManyLayersTests: an image of 125 layers (Docker's limit) runs under a 150-character MiniRun root,
// and sees a file of its lowest and of its highest layer; one of 126 layers is refused at `run`
// with "too many layers" naming the count and the limit.
//
// Why: with absolute lowerdirs the overlay mount data passed one page at ~43 layers and the mount
// failed with a misleading ENOENT. The images are written here as OCI layouts: busybox's layer at
// the bottom (the shell), then one tiny layer per file /layers/N.
// Follows: the kernel's overlayfs.rst (mount options fit one page); moby's layer store limit of
// 125 layers ("max depth exceeded").
using System.Text.Json;
using MiniRun.Tests.Integration;
using MiniRun.Tests.Registry;

namespace MiniRun.Tests.Images;

public sealed class ManyLayersTests : IDisposable
{
    private readonly string _base = Directory.CreateTempSubdirectory("minirun-layers-").FullName;
    private readonly MiniRunHost _host;

    public ManyLayersTests()
    {
        string root = _base + "/" + new string('r', 150 - _base.Length - 1);
        Assert.Equal(150, root.Length);
        _host = new MiniRunHost(root);
    }

    public void Dispose()
    {
        _host.Dispose();
        Directory.Delete(_base, recursive: true);
    }

    /// <summary>An OCI layout with busybox's layer, then layers 2..count each holding /layers/N; loaded as `tag`.</summary>
    private void LoadLayers(string tag, int count)
    {
        string fixture = MiniRunHost.FixtureLayout;
        var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(fixture, "index.json"))).RootElement;
        string Blob(string digest) => Path.Combine(fixture, "blobs", "sha256", digest[7..]);
        var manifest = JsonDocument.Parse(File.ReadAllText(Blob(index.GetProperty("manifests")[0].GetProperty("digest").GetString()!))).RootElement;
        var config = JsonDocument.Parse(File.ReadAllText(Blob(manifest.GetProperty("config").GetProperty("digest").GetString()!))).RootElement;
        var busyboxLayer = manifest.GetProperty("layers")[0];

        var layout = new OciLayoutWriter(Path.Combine(_base, tag));
        var layers = new List<LayerBlob>
        {
            new(layout.AddBlob(File.ReadAllBytes(Blob(busyboxLayer.GetProperty("digest").GetString()!)), busyboxLayer.GetProperty("mediaType").GetString()!),
                config.GetProperty("rootfs").GetProperty("diff_ids")[0].GetString()!),
        };
        for (int n = 2; n <= count; n++)
            layers.Add(layout.AddLayer(new LayerTar().Dir("layers").File($"layers/{n}", $"layer {n}\n").ToTar(), LayerCompression.Gzip));
        layout.Tag(layout.AddImage(layers, cmd: ["sh"]), tag + ":latest").Save();   // a full reference: a bare tag takes its repository from the file name
        var load = _host.Run("load", "-i", layout.Dir);
        Assert.True(load.ExitCode == 0, load.Stderr);
    }

    [Fact]
    public void HundredTwentyFiveLayers_Run_SeeTheLowestAndTheHighestLayer()
    {
        LoadLayers("layers125", 125);
        var r = _host.Run("run", "--rm", "--trace", "layers125", "sh", "-c", "test -x /bin/busybox && echo lowest; cat /layers/2 /layers/125");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("lowest\nlayer 2\nlayer 125\n", r.Stdout);
        // --trace says which form the mount data took, with the named roots.
        MiniRun.Tests.Trace.TraceText.Contains("125 layers: absolute lowerdirs would make the mount data", r.Stderr);
        Assert.Contains("chdir(\"$LINKS\")", r.Stderr);
        MiniRun.Tests.Trace.TraceText.Matches("mount\\(\"overlay\",\"\\$ROOTFS\",\"overlay\",[^,]*,\"lowerdir=[0-9a-f]{12}:", r.Stderr);
        // The links live in the store, one per layer, each pointing at its layer directory.
        var links = Directory.GetFileSystemEntries(Path.Combine(_host.Root, "l"));
        Assert.Equal(125, links.Length);   // busybox's own image shares the lowest layer
        Assert.All(links, l => Assert.Matches("^\\.\\./layers/[0-9a-f]{64}$", new FileInfo(l).LinkTarget!));
    }

    [Fact]
    public void HundredTwentySixLayers_RefusedAtRun_NamingTheCountAndTheLimit()
    {
        LoadLayers("layers126", 126);
        var r = _host.Run("run", "--rm", "layers126", "true");
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("too many layers: 126, more than the 125", r.Stderr);
        Assert.Empty(_host.ContainerIds());
    }
}
