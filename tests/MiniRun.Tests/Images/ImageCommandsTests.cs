// ImageCommandsTests: the image verbs as a user sees them (images, tag, rmi, inspect, history,
// image prune, save/load), run in-process against a temporary MiniRun root with images built here
// (one gzip layer, a config with two history entries), including a container record whose
// config.json mounts the image's layer, which rmi -f must leave in place.
//
// Why: the columns and messages are Docker's; students compare them line by line.
// Follows: docker-images(1), docker-rmi(1), docker-tag(1), docker-inspect(1), docker-history(1),
// docker-image-prune(1), docker-save(1), docker-load(1).
using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using MiniImage.Oci;
using MiniRun.Cli;
using MiniRun.Containers;

namespace MiniRun.Tests.Images;

public sealed class ImageCommandsTests : IDisposable
{
    private readonly string _base = Directory.CreateTempSubdirectory("minirun-images-test-").FullName;
    private string Root => Path.Combine(_base, "root");

    public void Dispose()
    {
        try { Directory.Delete(_base, recursive: true); } catch (DirectoryNotFoundException) { }
    }

    /// <summary>Writes an OCI layout with one image (one file, two history entries) and loads it as `name`.</summary>
    private string LoadImage(string name, string content)
    {
        var tar = new MemoryStream();
        using (var w = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
            w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "hello.txt")
            {
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
                Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                ModificationTime = DateTimeOffset.UnixEpoch,
            });
        byte[] raw = tar.ToArray();
        var gz = new MemoryStream();
        using (var z = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true)) z.Write(raw);
        byte[] layer = gz.ToArray();
        var created = new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);
        byte[] config = new ImageConfig
        {
            Created = created, Architecture = Platform.Host.Architecture, Os = "linux",
            Config = new ContainerConfig { Cmd = ["cat", "/hello.txt"], Env = ["PATH=/bin"], Labels = new() { ["course"] = "containers" } },
            RootFs = new RootFs { DiffIds = [Digest.Compute(raw).ToString()] },
            History =
            [
                new HistoryEntry { Created = created, CreatedBy = "COPY hello.txt / # buildkit" + new string('x', 60), Comment = "buildkit.dockerfile.v0" },
                new HistoryEntry { Created = created, CreatedBy = "CMD [\"cat\" \"/hello.txt\"]", EmptyLayer = true },
            ],
        }.ToJson();
        byte[] manifest = new ImageManifest
        {
            SchemaVersion = 2, MediaType = MediaTypes.OciManifest,
            Config = new Descriptor { MediaType = MediaTypes.OciConfig, Digest = Digest.Compute(config).ToString(), Size = config.Length },
            Layers = [new Descriptor { MediaType = MediaTypes.OciLayerGzip, Digest = Digest.Compute(layer).ToString(), Size = layer.Length }],
        }.ToJson();
        string layout = Path.Combine(_base, "layout-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(layout, "blobs", "sha256"));
        foreach (var blob in new[] { layer, config, manifest })
            File.WriteAllBytes(Path.Combine(layout, "blobs", "sha256", Digest.Compute(blob).Hex), blob);
        File.WriteAllBytes(Path.Combine(layout, "oci-layout"), new OciLayout().ToJson());
        File.WriteAllBytes(Path.Combine(layout, "index.json"), new ImageIndex
        {
            SchemaVersion = 2,
            Manifests = [new Descriptor
            {
                MediaType = MediaTypes.OciManifest, Digest = Digest.Compute(manifest).ToString(), Size = manifest.Length,
                Annotations = new() { [Annotations.ContainerdImageName] = name },
            }],
        }.ToJson());
        Assert.Equal(0, ImageCommands.Load(Root, layout, quiet: true, TextWriter.Null));
        return Digest.Compute(config).ToString();
    }

    private string Out(Func<TextWriter, int> command, int expected = 0)
    {
        var sw = new StringWriter();
        Assert.Equal(expected, command(sw));
        return sw.ToString();
    }

    [Fact]
    public void Images_ShowsTagsAndDanglingRows_FilterQuietDigests()
    {
        string old = LoadImage("docker.io/library/hello:latest", "v1");
        string cur = LoadImage("docker.io/library/hello:latest", "v2"); // v1 becomes <none>
        Assert.Equal(0, ImageCommands.Tag(Root, "hello", "localhost:5000/hello:v2"));

        var lines = Out(o => ImageCommands.Images(Root, false, false, false, false, null, o)).TrimEnd().Split('\n');

        Assert.Matches(@"^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE$", lines[0]);
        Assert.Equal(4, lines.Length);
        Assert.Contains(lines, l => l.StartsWith("<none> ") && l.Contains("<none>") && l.Contains(old[7..19]));
        Assert.Contains(lines, l => l.StartsWith("hello ") && l.Contains(" latest ") && l.Contains(cur[7..19]));
        Assert.Equal(Out(o => ImageCommands.Images(Root, false, false, false, false, null, o)),
                     Out(o => ImageCommands.Images(Root, false, true, false, false, null, o)));

        var filtered = Out(o => ImageCommands.Images(Root, false, false, false, false, "localhost:5000/hello", o)).TrimEnd().Split('\n');
        Assert.Equal(2, filtered.Length);
        Assert.StartsWith("localhost:5000/hello ", filtered[1]);
        // Docker's -q: one line per row, so an image with two tags appears twice
        Assert.Equal($"{cur}\n{cur}\n{old}\n".Split('\n').Order(), Out(o => ImageCommands.Images(Root, true, false, false, true, null, o)).Split('\n').Order());
        var withDigests = Out(o => ImageCommands.Images(Root, false, false, true, false, "hello:latest", o)).TrimEnd().Split('\n');
        Assert.Matches(@"^REPOSITORY +TAG +DIGEST +IMAGE ID +CREATED +SIZE$", withDigests[0]);
        Assert.Matches(@"^hello +latest +<none> +" + cur[7..19], withDigests[1]);
    }

    [Fact]
    public void Inspect_JsonLikeDockers_FormatPaths_AndErrors()
    {
        string id = LoadImage("docker.io/library/hello:latest", "hi");
        var err = new StringWriter();

        string json = Out(o => ImageInspect.Run(Root, ["hello"], null, false, o, err));

        using var doc = JsonDocument.Parse(json);
        var image = Assert.Single(doc.RootElement.EnumerateArray().ToList());
        Assert.Equal(id, image.GetProperty("Id").GetString());
        Assert.Equal("hello:latest", image.GetProperty("RepoTags")[0].GetString());
        Assert.Equal("2024-05-01T12:00:00Z", image.GetProperty("Created").GetString());
        Assert.Equal("cat", image.GetProperty("Config").GetProperty("Cmd")[0].GetString());
        Assert.Equal(JsonValueKind.Null, image.GetProperty("Config").GetProperty("Entrypoint").ValueKind);
        Assert.Equal("layers", image.GetProperty("RootFS").GetProperty("Type").GetString());
        Assert.Equal(Platform.Host.Architecture, image.GetProperty("Architecture").GetString());
        Assert.Contains("\n    {\n        \"Id\"", json); // Docker's 4-space indentation

        Assert.Equal($"{id}\n", Out(o => ImageInspect.Run(Root, ["hello"], "{{.Id}}", true, o, err)));
        Assert.Equal("[cat /hello.txt] [] map[course:containers]\n",
            Out(o => ImageInspect.Run(Root, ["hello"], "{{.Config.Cmd}} {{.Config.Entrypoint}} {{.Config.Labels}}", true, o, err)));
        string layers = Out(o => ImageInspect.Run(Root, ["hello"], "{{json .RootFS.Layers}}", true, o, err));
        Assert.StartsWith("[\"sha256:", layers);
        Assert.Equal("containers\n", Out(o => ImageInspect.Run(Root, ["hello"], "{{ .Config.Labels.course }}", true, o, err)));
        Assert.Equal("hello:latest;\n", Out(o => ImageInspect.Run(Root, ["hello"], "{{range .RepoTags}}{{.}};{{end}}", true, o, err)));
        Assert.Equal("template parsing error: template: :1:2: executing \"\" at <.Nope>: map has no entry for key \"Nope\"",
            Assert.Throws<CliError>(() => ImageInspect.Run(Root, ["hello"], "{{.Nope}}", true, TextWriter.Null, err)).Message);

        var err2 = new StringWriter();
        Assert.Equal("[]\n", Out(o => ImageInspect.Run(Root, ["missing"], null, true, o, err2), 1));
        Assert.Equal("Error: No such image: missing\n", err2.ToString());
        var containers = new ContainerStore(Root);
        containers.Create("web", r => { r.ImageId = id; return r; });
        // Docker's lookup order: a name is a container first, then an image.
        var err3 = new StringWriter();
        Assert.Equal("/web\n", Out(o => ImageInspect.Run(Root, ["web"], "{{.Name}}", false, o, err3)));
        Assert.Equal("", err3.ToString());
    }

    [Fact]
    public void History_RowsNewestFirst_MissingBelowTheTop_SizesOfNonEmptyLayers()
    {
        string id = LoadImage("docker.io/library/hello:latest", "hi");

        var lines = Out(o => ImageCommands.History(Root, "hello", false, false, o)).TrimEnd('\n').Split('\n');

        Assert.Matches(@"^IMAGE +CREATED +CREATED BY +SIZE +COMMENT$", lines[0]);
        Assert.Equal(3, lines.Length);
        Assert.Matches($@"^{id[7..19]} +.+ago +CMD \[""cat"" ""/hello.txt""\] +0B +$", lines[1]);
        Assert.StartsWith("<missing>", lines[2]);
        Assert.Contains("COPY hello.txt / # buildkitxxxxxxxxxxxxxxxxx…", lines[2]);
        Assert.Contains("buildkit.dockerfile.v0", lines[2]);
        Assert.DoesNotContain(" 0B ", lines[2]);
        Assert.Equal($"{id[7..19]}\n<missing>\n", Out(o => ImageCommands.History(Root, "hello", false, true, o)));
        Assert.Contains(new string('x', 60), Out(o => ImageCommands.History(Root, "hello", true, false, o)));
    }

    [Fact]
    public void Rmi_RefusesImageOfAStoppedContainer_ForceDeletesButKeepsItsLowerDir()
    {
        string id = LoadImage("docker.io/library/hello:latest", "hi");
        var store = new MiniImage.Store.ImageStore(Root);
        string layerDir = store.PrepareLayers(store.Resolve("hello")!)[0];
        var containers = new ContainerStore(Root);
        var c = containers.Create("stopped", r => { r.ImageId = id; r.State.Status = "exited"; return r; });
        File.WriteAllText(Path.Combine(containers.DirOf(c.Id), "config.json"),
            "{\"ociVersion\":\"1.2.0\",\"linux\":{\"io.minirun.overlay\":{\"lowerDirs\":[\"" + layerDir + "\"],\"upperDir\":\"/u\",\"workDir\":\"/w\"}}}");
        var err = new StringWriter();

        Assert.Equal("", Out(o => ImageCommands.Rmi(Root, ["hello"], false, o, err), 1));
        Assert.Equal($"Error response from daemon: conflict: unable to remove repository reference \"hello\" (must force) - container {c.Id[..12]} is using its referenced image {id[7..19]}\n", err.ToString());

        string removed = Out(o => ImageCommands.Rmi(Root, ["hello"], true, o, TextWriter.Null));

        Assert.StartsWith($"Untagged: hello:latest\nDeleted: {id}\n", removed);
        Assert.True(Directory.Exists(layerDir));
        Assert.Equal("hi", File.ReadAllText(Path.Combine(layerDir, "hello.txt")));
        Assert.Single(Out(o => ImageCommands.Images(Root, false, false, false, false, null, o)).TrimEnd().Split('\n')); // header only
    }

    [Fact]
    public void Prune_AsksFirst_ThenDeletesDangling()
    {
        string old = LoadImage("docker.io/library/hello:latest", "v1");
        LoadImage("docker.io/library/hello:latest", "v2");

        string declined = Out(o => ImageCommands.Prune(Root, false, false, o, new StringReader("n\n")));
        Assert.StartsWith("WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] ", declined);
        Assert.Equal(2, new MiniImage.Store.ImageStore(Root).List().Count);

        string done = Out(o => ImageCommands.Prune(Root, false, false, o, new StringReader("y\n")));
        Assert.Contains($"Deleted Images:\ndeleted: {old}\n", done);
        Assert.Matches(@"\nTotal reclaimed space: [0-9.]+k?B\n$", done);
        Assert.Equal("Total reclaimed space: 0B\n", Out(o => ImageCommands.Prune(Root, false, true, o, TextReader.Null)));
    }

    [Fact]
    public void SaveToStdout_ThenLoadFromStdin_IntoAnotherRoot()
    {
        string id = LoadImage("docker.io/library/hello:latest", "hi");
        var tar = new MemoryStream();
        Assert.Equal(0, ImageCommands.Save(Root, ["hello"], null, tar));
        tar.Position = 0;
        string other = Path.Combine(_base, "other");

        string output = Out(o => ImageCommands.Load(other, null, false, o, tar));

        Assert.Equal("Loaded image: hello:latest\n", output);
        Assert.Equal($"{id}\n", Out(o => ImageCommands.Images(other, true, false, false, true, null, o)));
        var e = Assert.Throws<CliError>(() => ImageCommands.Save(Root, ["nothere"], Path.Combine(_base, "x.tar")));
        Assert.Equal(["Error response from daemon: No such image: nothere:latest"], ErrorReport.Lines("save", e));
        Assert.Equal(1, e.ExitCode);
        Assert.False(File.Exists(Path.Combine(_base, "x.tar")));
    }
}
