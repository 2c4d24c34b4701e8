// SaveLoadTests: `save` writes one tar that is both a Docker archive and an OCI layout; loading it
// into another store gives the same image IDs and manifest digests; skopeo reads both of its
// faces (docker-archive: and oci-archive:); Docker archives from before Docker 25
// (<id>/layer.tar, <config>.json, symlinked shared layers) and archives piped on stdin load.
//
// Why: save/load is how images move between machines without a registry; an archive other tools
// cannot read, or a load that changes IDs, breaks the course's exercises.
// Follows: docker-save(1), docker-load(1), OCI image-spec v1.1 image-layout.md, moby image/spec v1.2.
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using MiniImage.Oci;
using MiniImage.Store;
using MiniImage.Tests.Store;

namespace MiniImage.Tests.Archive;

public sealed class SaveLoadTests : IDisposable
{
    private readonly TestDirs _dirs = new();
    private static readonly TestLayer Base = TestLayer.Create(("bin/sh", "shell"));
    private static readonly TestLayer Top = TestLayer.Create(("etc/app", "config"));

    public void Dispose() => _dirs.Dispose();

    private ImageStore LoadedStore(out TestImage a, out TestImage b)
    {
        var store = new ImageStore(_dirs.Root);
        a = TestImage.Create("sh", Base);
        b = TestImage.Create("app", Base, Top);
        string layout = LayoutWriter.Write(_dirs.NewDir("layout"), [a, b],
        [
            a.Descriptor(new() { [Annotations.ContainerdImageName] = "docker.io/library/busybox:latest" }),
            b.Descriptor(new() { [Annotations.ContainerdImageName] = "localhost:5000/team/app:1.0" }),
        ]);
        store.Load(layout);
        return store;
    }

    private static Dictionary<string, byte[]> ReadTar(string path)
    {
        var result = new Dictionary<string, byte[]>();
        using var reader = new TarReader(File.OpenRead(path));
        while (reader.GetNextEntry() is { } e)
        {
            var ms = new MemoryStream();
            e.DataStream?.CopyTo(ms);
            result[e.Name] = ms.ToArray();
        }
        return result;
    }

    [Fact]
    public void Save_WritesDockerAndOciLayoutsSharingBlobs_Reproducibly()
    {
        var store = LoadedStore(out var a, out var b);
        string file = Path.Combine(_dirs.Base, "out.tar");

        store.SaveToFile(["busybox", "localhost:5000/team/app:1.0"], file);

        var entries = ReadTar(file);
        Assert.Equal(["blobs/", "blobs/sha256/"], entries.Keys.Take(2));
        Assert.Equal(["index.json", "manifest.json", "oci-layout", "repositories"], entries.Keys.TakeLast(4));
        Assert.Equal(2 + 6 + 4, entries.Count); // 2 dirs, 6 blobs (2 manifests, 2 configs, 2 distinct layers), 4 files
        using var manifest = JsonDocument.Parse(entries["manifest.json"]);
        var first = manifest.RootElement[0];
        Assert.Equal($"blobs/sha256/{Digest.Parse(a.ConfigDigest).Hex}", first.GetProperty("Config").GetString());
        Assert.Equal("busybox:latest", first.GetProperty("RepoTags")[0].GetString());
        foreach (var entry in manifest.RootElement.EnumerateArray())
        {
            Assert.True(entries.ContainsKey(entry.GetProperty("Config").GetString()!));
            foreach (var l in entry.GetProperty("Layers").EnumerateArray()) Assert.True(entries.ContainsKey(l.GetString()!));
        }
        Assert.Equal("localhost:5000/team/app:1.0", manifest.RootElement[1].GetProperty("RepoTags")[0].GetString());
        var index = ImageIndex.Parse(entries["index.json"], "index.json");
        Assert.Equal([a.ManifestDigest, b.ManifestDigest], index.Manifests.Select(m => m.Digest));
        Assert.Equal("docker.io/library/busybox:latest", index.Manifests[0].Annotation(Annotations.ContainerdImageName));
        Assert.Equal("latest", index.Manifests[0].Annotation(Annotations.RefName));
        using var repos = JsonDocument.Parse(entries["repositories"]);
        Assert.Equal(Digest.Parse(Base.Digest).Hex, repos.RootElement.GetProperty("busybox").GetProperty("latest").GetString());

        string again = Path.Combine(_dirs.Base, "again.tar");
        store.SaveToFile(["busybox", "localhost:5000/team/app:1.0"], again);
        Assert.Equal(File.ReadAllBytes(file), File.ReadAllBytes(again));
        Assert.Equal(["again.tar", "out.tar"], Directory.GetFiles(_dirs.Base).Select(f => Path.GetFileName(f)).Order().ToList());
    }

    [Fact]
    public void SaveThenLoadIntoAnotherRoot_SameIdsAndDigests_FromFileAndFromStdin()
    {
        var store = LoadedStore(out _, out _);
        string file = Path.Combine(_dirs.Base, "out.tar");
        store.SaveToFile(["busybox:latest", "localhost:5000/team/app:1.0"], file);

        var other = new ImageStore(Path.Combine(_dirs.Base, "root2"));
        other.Load(file);
        var third = new ImageStore(Path.Combine(_dirs.Base, "root3"));
        using (var input = File.OpenRead(file)) third.Load(input);

        string Key(ImageSummary s) => $"{s.Repository}:{s.Tag} {s.ImageId} {s.ManifestDigest}";
        var expected = store.List().Select(Key).Order().ToList();
        Assert.Equal(expected, other.List().Select(Key).Order().ToList());
        Assert.Equal(expected, third.List().Select(Key).Order().ToList());
        Assert.Equal(2, expected.Count);
        Assert.NotEmpty(other.PrepareLayers(other.Resolve("localhost:5000/team/app:1.0")!));
    }

    [Fact]
    public void SaveById_IsUntaggedInBothManifests()
    {
        var store = LoadedStore(out var a, out _);
        string file = Path.Combine(_dirs.Base, "id.tar");
        store.SaveToFile([Digest.Parse(a.ConfigDigest).Hex[..12]], file);
        var entries = ReadTar(file);
        using var manifest = JsonDocument.Parse(entries["manifest.json"]);
        Assert.Equal(JsonValueKind.Null, manifest.RootElement[0].GetProperty("RepoTags").ValueKind);
        Assert.Null(ImageIndex.Parse(entries["index.json"], "index.json").Manifests[0].Annotations);
        var other = new ImageStore(Path.Combine(_dirs.Base, "root2"));
        var loaded = Assert.Single(other.Load(file));
        Assert.True(loaded.IsDangling);
        Assert.Equal(a.ConfigDigest, loaded.ImageId);
    }

    [Fact]
    public void SkopeoReadsBothTheDockerArchiveAndTheOciArchive()
    {
        Assert.True(File.Exists("/usr/bin/skopeo"), "skopeo is needed (apt-get install skopeo)");
        var store = LoadedStore(out var a, out _);
        string file = Path.Combine(_dirs.Base, "busybox.tar");
        store.SaveToFile(["busybox"], file);

        using var docker = JsonDocument.Parse(Skopeo("inspect", "--raw", $"docker-archive:{file}"));
        Assert.Equal(a.ConfigDigest, docker.RootElement.GetProperty("config").GetProperty("digest").GetString());
        using var dockerInfo = JsonDocument.Parse(Skopeo("inspect", $"docker-archive:{file}"));
        Assert.Equal(Platform.Host.Architecture, dockerInfo.RootElement.GetProperty("Architecture").GetString());

        using var oci = JsonDocument.Parse(Skopeo("inspect", $"oci-archive:{file}"));
        Assert.Equal(a.ManifestDigest, oci.RootElement.GetProperty("Digest").GetString());
        Assert.Equal(Base.Digest, oci.RootElement.GetProperty("Layers")[0].GetString());
    }

    private string Skopeo(params string[] args)
    {
        var psi = new ProcessStartInfo("skopeo") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["TMPDIR"] = _dirs.Base;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"skopeo {string.Join(' ', args)}: exit {p.ExitCode}: {stderr}");
        return stdout.Result;
    }

    [Fact]
    public void LoadsAPreDocker25Archive_WithUncompressedLayerTarsAndASymlinkedSharedLayer()
    {
        byte[] baseTar = Gunzip(Base.Blob), topTar = Gunzip(Top.Blob);
        var a = TestImage.Create("sh", Base);
        var b = TestImage.Create("app", Base, Top);
        string idA = new('1', 64), idB0 = new('2', 64), idB1 = new('3', 64);
        string cfgA = Digest.Parse(a.ConfigDigest).Hex, cfgB = Digest.Parse(b.ConfigDigest).Hex;
        string manifestJson = $$"""
            [{"Config":"{{cfgA}}.json","RepoTags":["busybox:latest","busybox:1.36"],"Layers":["{{idA}}/layer.tar"]},
             {"Config":"{{cfgB}}.json","RepoTags":["user/app:2"],"Layers":["{{idB0}}/layer.tar","{{idB1}}/layer.tar"]}]
            """;
        string file = Path.Combine(_dirs.Base, "old.tar");
        using (var w = new TarWriter(File.Create(file), TarEntryFormat.Ustar))
        {
            void Add(string name, byte[] data) => w.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) });
            w.WriteEntry(new UstarTarEntry(TarEntryType.Directory, idA + "/"));
            Add($"{idA}/VERSION", "1.0"u8.ToArray());
            Add($"{idA}/json", "{}"u8.ToArray());
            Add($"{idA}/layer.tar", baseTar);
            w.WriteEntry(new UstarTarEntry(TarEntryType.Directory, idB0 + "/"));
            w.WriteEntry(new UstarTarEntry(TarEntryType.SymbolicLink, $"{idB0}/layer.tar") { LinkName = $"../{idA}/layer.tar" });
            Add($"{idB1}/layer.tar", topTar);
            Add($"{cfgA}.json", a.Config);
            Add($"{cfgB}.json", b.Config);
            Add("manifest.json", Encoding.UTF8.GetBytes(manifestJson));
            Add("repositories", """{"busybox":{"latest":"1111"}}"""u8.ToArray());
        }
        var store = new ImageStore(_dirs.Root);
        var lines = new List<string>();

        var loaded = store.Load(file, lines.Add);

        Assert.Equal(3, loaded.Count);
        Assert.Contains("Loaded image: busybox:1.36", lines);
        Assert.Equal(a.ConfigDigest, store.Resolve("busybox:latest")!.ImageId);
        Assert.Equal(a.ConfigDigest, store.Resolve("busybox:1.36")!.ImageId);
        var app = store.Resolve("user/app:2")!;
        Assert.Equal(b.ConfigDigest, app.ImageId);
        var dirs = store.PrepareLayers(app); // uncompressed layers, checked against the diff_ids
        Assert.Equal("config", File.ReadAllText(Path.Combine(dirs[1], "etc/app")));
        // the layer.tar blobs are stored under their own digest = diff_id
        Assert.True(File.Exists(Path.Combine(_dirs.Root, "blobs", "sha256", Digest.Parse(Base.DiffId).Hex)));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(_dirs.Root, "tmp")));
    }

    [Fact]
    public void LoadOfADockerArchiveNamingAMissingLayer_FailsAndChangesNothing()
    {
        var a = TestImage.Create("sh", Base);
        string file = Path.Combine(_dirs.Base, "bad.tar");
        using (var w = new TarWriter(File.Create(file), TarEntryFormat.Ustar))
        {
            w.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, "c.json") { DataStream = new MemoryStream(a.Config) });
            w.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, "manifest.json")
            {
                DataStream = new MemoryStream("""[{"Config":"c.json","RepoTags":["x:1"],"Layers":["nope/layer.tar"]}]"""u8.ToArray()),
            });
        }
        var store = new ImageStore(_dirs.Root);
        var e = Assert.Throws<MiniImageException>(() => store.Load(file));
        Assert.Contains("layer \"nope/layer.tar\", which is not a file in the archive", e.Message);
        Assert.Empty(store.List());
        Assert.Empty(Directory.GetFiles(Path.Combine(_dirs.Root, "blobs", "sha256")));
    }

    private static byte[] Gunzip(byte[] gz)
    {
        using var z = new GZipStream(new MemoryStream(gz), CompressionMode.Decompress);
        var ms = new MemoryStream();
        z.CopyTo(ms);
        return ms.ToArray();
    }
}
