// TestLayout: builds small OCI image layouts by hand for the store tests: gzip tar layers made
// with System.Formats.Tar, a config with their diff ids, a manifest, index.json and oci-layout,
// in a temporary directory that Dispose removes (with the store root the test uses).
//
// Why: the tests must not depend on network, docker or fixtures built elsewhere, and must be able
// to produce broken layouts (wrong digest, missing blob) on purpose.
// Follows: OCI image-spec v1.1 image-layout.md, manifest.md, config.md.
using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using MiniImage.Oci;

namespace MiniImage.Tests.Store;

internal sealed record TestLayer(byte[] Blob, string Digest, string DiffId)
{
    /// <summary>A gzip layer holding the given files (path -> content).</summary>
    public static TestLayer Create(params (string Path, string Content)[] files)
    {
        var tar = new MemoryStream();
        using (var w = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (path, content) in files)
            {
                var e = new PaxTarEntry(TarEntryType.RegularFile, path)
                {
                    DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
                    Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                    ModificationTime = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero),
                };
                w.WriteEntry(e);
            }
        }
        byte[] raw = tar.ToArray();
        var gz = new MemoryStream();
        using (var z = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true)) z.Write(raw);
        byte[] blob = gz.ToArray();
        return new TestLayer(blob, MiniImage.Oci.Digest.Compute(blob).ToString(), MiniImage.Oci.Digest.Compute(raw).ToString());
    }
}

internal sealed class TestImage
{
    public required byte[] Config { get; init; }
    public required byte[] Manifest { get; init; }
    public required IReadOnlyList<TestLayer> Layers { get; init; }
    public string ConfigDigest => Digest.Compute(Config).ToString();
    public string ManifestDigest => Digest.Compute(Manifest).ToString();

    public static TestImage Create(string cmd, params TestLayer[] layers)
    {
        var config = new ImageConfig
        {
            Created = new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero),
            Architecture = Platform.Host.Architecture,
            Os = "linux",
            Config = new ContainerConfig { Cmd = [cmd], Env = ["PATH=/bin"] },
            RootFs = new RootFs { DiffIds = layers.Select(l => l.DiffId).ToList() },
        };
        byte[] configJson = config.ToJson();
        var manifest = new ImageManifest
        {
            SchemaVersion = 2,
            MediaType = MediaTypes.OciManifest,
            Config = new Descriptor { MediaType = MediaTypes.OciConfig, Digest = Digest.Compute(configJson).ToString(), Size = configJson.Length },
            Layers = layers.Select(l => new Descriptor { MediaType = MediaTypes.OciLayerGzip, Digest = l.Digest, Size = l.Blob.Length }).ToList(),
        };
        return new TestImage { Config = configJson, Manifest = manifest.ToJson(), Layers = layers };
    }

    public Descriptor Descriptor(Dictionary<string, string>? annotations = null) => new()
    {
        MediaType = MediaTypes.OciManifest,
        Digest = ManifestDigest,
        Size = Manifest.Length,
        Annotations = annotations,
        Platform = new Platform { Os = "linux", Architecture = MiniImage.Oci.Platform.Host.Architecture },
    };
}

/// <summary>A temp directory holding a store root and any number of layouts; removed on Dispose.</summary>
internal sealed class TestDirs : IDisposable
{
    public string Base { get; } = Directory.CreateTempSubdirectory("miniimage-store-test-").FullName;
    public string Root => Path.Combine(Base, "root");

    public string NewDir(string name)
    {
        string dir = Path.Combine(Base, name);
        Directory.CreateDirectory(dir);
        return dir;
    }

    public void Dispose()
    {
        try { Directory.Delete(Base, recursive: true); } catch (DirectoryNotFoundException) { }
    }
}

internal static class LayoutWriter
{
    public static void WriteBlob(string layout, string digest, byte[] data)
    {
        string dir = Path.Combine(layout, "blobs", "sha256");
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, Digest.Parse(digest).Hex), data);
    }

    /// <summary>Writes all blobs of the images plus index.json (with the given descriptors) and oci-layout.</summary>
    public static string Write(string layout, IEnumerable<TestImage> images, IEnumerable<Descriptor> indexEntries)
    {
        Directory.CreateDirectory(layout);
        foreach (var image in images)
        {
            WriteBlob(layout, image.ManifestDigest, image.Manifest);
            WriteBlob(layout, image.ConfigDigest, image.Config);
            foreach (var l in image.Layers) WriteBlob(layout, l.Digest, l.Blob);
        }
        WriteIndex(layout, indexEntries);
        File.WriteAllBytes(Path.Combine(layout, "oci-layout"), new OciLayout().ToJson());
        return layout;
    }

    public static void WriteIndex(string layout, IEnumerable<Descriptor> entries)
    {
        var index = new ImageIndex { SchemaVersion = 2, MediaType = MediaTypes.OciIndex, Manifests = entries.ToList() };
        File.WriteAllBytes(Path.Combine(layout, "index.json"), index.ToJson());
    }

    /// <summary>One image named by io.containerd.image.name.</summary>
    public static string WriteNamed(string layout, TestImage image, string name) =>
        Write(layout, [image], [image.Descriptor(new() { [Annotations.ContainerdImageName] = name })]);

    /// <summary>Packs a layout directory into a tar (entries "oci-layout", "index.json", "blobs/sha256/..."), optionally gzip.</summary>
    public static string Tar(string layout, string tarPath, bool gzip = false)
    {
        using var file = File.Create(tarPath);
        using Stream output = gzip ? new GZipStream(file, CompressionLevel.Fastest) : file;
        using var w = new TarWriter(output, TarEntryFormat.Pax);
        // Blobs first, index.json last, as docker save does: the reader must cope with either order.
        foreach (string f in Directory.EnumerateFiles(Path.Combine(layout, "blobs"), "*", SearchOption.AllDirectories).Order())
            w.WriteEntry(f, Path.GetRelativePath(layout, f));
        w.WriteEntry(Path.Combine(layout, "oci-layout"), "oci-layout");
        w.WriteEntry(Path.Combine(layout, "index.json"), "index.json");
        return tarPath;
    }
}
