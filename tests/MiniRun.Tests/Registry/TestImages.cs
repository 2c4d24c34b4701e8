// TestImages: the images the registry tests pull, built once per test class in a temporary OCI
// layout, and the calls that publish them to a RegistryServer with skopeo (or the raw API).
//
// Images (tags in the layout; every config carries a label with its name, so image IDs differ):
//   three   busybox's layer + a layer that adds files + a layer with whiteouts, an opaque
//           directory, a hard link and symlinks (gzip)
//   multi   an image index: linux/amd64 and linux/arm64 (the arm64 config reuses the same layers)
//   zstd    busybox's files as one zstd layer
//   plain   busybox's files as one uncompressed layer (pushed with RawPush: skopeo would gzip it)
// and the busybox fixture itself (rootfs-fixtures/out/busybox, tag latest), pushed as OCI or,
// with `--format v2s2`, with Docker schema-2 media types.
// Why: one place that knows what each image contains, so tests assert against these facts.
// Follows: skopeo-copy(1) (oci:DIR:TAG sources, docker:// destinations, --dest-tls-verify=false,
// --dest-creds, --format v2s2, --all), OCI image-spec layer.md for the layer contents.
using System.Text.Json;
using MiniRun.Tests.Integration;

namespace MiniRun.Tests.Registry;

public sealed class TestImages : IDisposable
{
    private readonly string work;

    public string LayoutDir { get; }
    public static string BusyboxLayout => MiniRunHost.FixtureLayout;
    /// <summary>The fixture's layer (gzip) and its diff_id.</summary>
    public LayerBlob BusyboxLayer { get; }
    /// <summary>The fixture's image ID (config digest) and manifest digest.</summary>
    public string BusyboxId { get; }
    public string BusyboxManifest { get; }

    public Desc Three { get; }
    public LayerBlob ThreeAdd { get; }
    public LayerBlob ThreeDelete { get; }
    public Desc MultiIndex { get; }
    public Desc MultiAmd64 { get; }
    public Desc MultiArm64 { get; }
    public Desc Zstd { get; }
    public Desc Plain { get; }

    public TestImages()
    {
        Tool.Require("/usr/bin/skopeo", "skopeo");
        if (!Directory.Exists(BusyboxLayout))
            throw new InvalidOperationException($"{BusyboxLayout} is missing: run rootfs-fixtures/build-busybox.sh");
        work = Directory.CreateTempSubdirectory("minirun-images-").FullName;
        try
        {
            LayoutDir = Path.Combine(work, "layout");
            var w = new OciLayoutWriter(LayoutDir);

            // The fixture: index.json -> manifest -> config + one gzip layer.
            using var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(BusyboxLayout, "index.json")));
            BusyboxManifest = index.RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString()!;
            using var manifest = JsonDocument.Parse(File.ReadAllBytes(FixtureBlob(BusyboxManifest)));
            BusyboxId = manifest.RootElement.GetProperty("config").GetProperty("digest").GetString()!;
            string layerDigest = manifest.RootElement.GetProperty("layers")[0].GetProperty("digest").GetString()!;
            byte[] gz = File.ReadAllBytes(FixtureBlob(layerDigest));
            byte[] busyboxTar = LayerTar.Gunzip(gz);
            BusyboxLayer = new LayerBlob(w.AddBlob(gz, Media.OciLayerGzip), LayerTar.Sha256(busyboxTar));

            ThreeAdd = w.AddLayer(new LayerTar()
                .File("deleted", "to be deleted\n")
                .Dir("deldir").File("deldir/inside", "in a deleted directory\n")
                .Dir("opaque").File("opaque/a", "lower a\n").File("opaque/b", "lower b\n")
                .Dir("keep").File("keep/x", "lower x\n")
                .Dir("data").File("data/f", "data f\n")
                .ToTar(), LayerCompression.Gzip);
            ThreeDelete = w.AddLayer(new LayerTar()
                .Whiteout("", "deleted")
                .Whiteout("", "deldir")
                .Dir("opaque").Opaque("opaque").File("opaque/c", "upper c\n")
                .Dir("keep").File("keep/x", "upper x\n")
                .File("hard-src", "hard linked\n", (UnixFileMode)0b111_101_000, 1000, 1000)
                .Hardlink("hard", "hard-src")
                .Symlink("link", "/data/f")
                .Symlink("rel", "data/f")
                .ToTar(), LayerCompression.Gzip);
            Three = w.AddImage([BusyboxLayer, ThreeAdd, ThreeDelete], label: "three");
            w.Tag(Three, "three");

            MultiAmd64 = w.AddImage([BusyboxLayer], "amd64", label: "multi");
            MultiArm64 = w.AddImage([BusyboxLayer], "arm64", label: "multi");
            MultiIndex = w.AddIndex([MultiAmd64, MultiArm64]);
            w.Tag(MultiIndex, "multi");

            Zstd = w.AddImage([w.AddLayer(busyboxTar, LayerCompression.Zstd)], label: "zstd");
            w.Tag(Zstd, "zstd");
            Plain = w.AddImage([w.AddLayer(busyboxTar, LayerCompression.None)], label: "plain");
            w.Tag(Plain, "plain");
            w.Save();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private static string FixtureBlob(string digest) => Path.Combine(BusyboxLayout, "blobs", "sha256", digest[7..]);

    /// <summary>skopeo copy oci:SRC:TAG docker://HOST/REPO:TAG plus <paramref name="extra"/> (e.g. --format v2s2, --all).</summary>
    public static void Skopeo(RegistryServer registry, string layout, string layoutTag, string repoTag, string? creds, params string[] extra)
    {
        var args = new List<string> { "copy", "-q", "--dest-tls-verify=false" };
        if (creds is not null) { args.Add("--dest-creds"); args.Add(creds); }
        args.AddRange(extra);
        args.Add($"oci:{layout}:{layoutTag}");
        args.Add($"docker://{registry.Host}/{repoTag}");
        var r = Tool.Run("/usr/bin/skopeo", args);
        if (r.ExitCode != 0)
            throw new InvalidOperationException($"skopeo {string.Join(' ', args)}: exit {r.ExitCode}: {r.Stderr.Trim()}");
    }

    /// <summary>Publishes the standard set to an open registry: busybox (OCI), busybox-docker (v2s2), three, multi, zstd, plain.</summary>
    public void PublishAll(RegistryServer registry)
    {
        Skopeo(registry, BusyboxLayout, "latest", "busybox:latest", registry.Creds);
        Skopeo(registry, BusyboxLayout, "latest", "busybox-docker:latest", registry.Creds, "--format", "v2s2");
        Skopeo(registry, LayoutDir, "three", "three:latest", registry.Creds);
        Skopeo(registry, LayoutDir, "multi", "multi:latest", registry.Creds, "--all");
        Skopeo(registry, LayoutDir, "zstd", "zstd:latest", registry.Creds);
        RawPush.Push(registry.BaseUrl, LayoutDir, Plain, "plain", "latest");
    }

    /// <summary>The config digest (image ID) of a manifest in this layout.</summary>
    public string ConfigOf(Desc manifest)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(LayoutDir, "blobs", "sha256", manifest.Hex)));
        return doc.RootElement.GetProperty("config").GetProperty("digest").GetString()!;
    }

    public void Dispose()
    {
        try { Directory.Delete(work, recursive: true); } catch (DirectoryNotFoundException) { }
    }
}
