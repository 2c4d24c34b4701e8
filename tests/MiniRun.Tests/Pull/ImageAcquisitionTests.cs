// ImageAcquisitionTests: `run --pull missing|always|never` against an in-memory registry:
// what is printed (Docker's "Unable to find image" line, then the pull's output without the
// final reference), when the registry is asked at all, and the one-line errors with status 125.
//
// Why: run's behaviour when an image is absent is the first thing a student sees on a fresh
// machine. These tests run the real puller into a temporary store (as root: layers are unpacked).
// Follows: docker-run(1) "--pull".
using System.Formats.Tar;
using System.IO.Compression;
using MiniImage.Oci;
using MiniImage.Reference;
using MiniImage.Registry;
using MiniImage.Store;
using MiniRun.Cli;

namespace MiniRun.Tests.Pull;

public sealed class ImageAcquisitionTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("minirun-pull-test-").FullName;
    private readonly OneImageRegistry _registry = new();

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private ImageStore Store => new(_root);

    private (ImageSummary Image, string Output) Ensure(string reference, string policy, Func<IRegistrySource>? open = null)
    {
        var w = new StringWriter();
        var image = ImageAcquisition.Ensure(Store, reference, policy, open ?? (() => _registry), w, terminal: false);
        return (image, w.ToString());
    }

    private static Func<IRegistrySource> NotCalled => () => throw new InvalidOperationException("the registry was asked");

    [Fact]
    public void Missing_PullsWithDockersLines_ThenFindsItLocally()
    {
        var (image, output) = Ensure("alpine", "missing");

        Assert.Equal("alpine", image.Repository);
        string id = _registry.LayerDigest.Hex[..12];
        Assert.Equal(
            "Unable to find image 'alpine:latest' locally\n" +
            "latest: Pulling from library/alpine\n" +
            $"{id}: Pulling fs layer\n" +
            $"{id}: Verifying Checksum\n" +
            $"{id}: Download complete\n" +
            $"{id}: Pull complete\n" +
            $"Digest: {_registry.ManifestDigest}\n" +
            "Status: Downloaded newer image for alpine:latest\n", output);

        var (again, quiet) = Ensure("alpine:latest", "missing", NotCalled);
        Assert.Equal(image.ImageId, again.ImageId);
        Assert.Equal("", quiet);
        // Pulled by tag, found by digest too (RepoDigests), without asking the registry.
        Assert.Equal(image.ImageId, Ensure($"alpine@{_registry.ManifestDigest}", "missing", NotCalled).Image.ImageId);
    }

    [Fact]
    public void Always_PullsEvenWhenPresent_UpToDate()
    {
        Ensure("alpine", "missing");

        var (_, output) = Ensure("alpine", "always");

        Assert.Equal(   // Docker: no line per layer when the image is there, only Digest and Status
            "latest: Pulling from library/alpine\n" +
            $"Digest: {_registry.ManifestDigest}\n" +
            "Status: Image is up to date for alpine:latest\n", output);
    }

    [Fact]
    public void Never_MissingImage_IsAnError()
    {
        var e = Assert.Throws<CliError>(() => Ensure("alpine", "never", NotCalled));
        Assert.Equal("No such image: alpine:latest", e.Message);
        Assert.Equal(125, e.ExitCode);
    }

    [Fact]
    public void UnknownTag_OneLineDaemonError_Status125()
    {
        var w = new StringWriter();
        var e = Assert.Throws<CliError>(() => ImageAcquisition.Ensure(Store, "alpine:nope", "missing", () => _registry, w, false));
        Assert.Equal(["minirun: Error response from daemon: manifest for alpine:nope not found: manifest unknown.", "See 'minirun run --help'."],
            ErrorReport.Lines("run", e));
        Assert.Equal(125, e.ExitCode);
        Assert.StartsWith("Unable to find image 'alpine:nope' locally\n", w.ToString());
    }

    [Fact]
    public void InvalidPolicy_IsRefused()
    {
        var e = Assert.Throws<CliError>(() => Ensure("alpine", "sometimes", NotCalled));
        Assert.Contains("invalid pull option: 'sometimes'", e.Message);
    }

    /// <summary>A registry holding docker.io/library/alpine:latest: one OCI manifest, one gzip layer.</summary>
    private sealed class OneImageRegistry : IRegistrySource
    {
        private readonly byte[] _manifest;
        private readonly Dictionary<Digest, byte[]> _blobs = new();

        public Digest ManifestDigest { get; }
        public Digest LayerDigest { get; }

        public OneImageRegistry()
        {
            var tar = new MemoryStream();
            using (var w = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
                w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "etc/os-release") { DataStream = new MemoryStream("alpine"u8.ToArray()) });
            byte[] raw = tar.ToArray();
            var gz = new MemoryStream();
            using (var z = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true)) z.Write(raw);
            byte[] layer = gz.ToArray();
            var config = new ImageConfig
            {
                Architecture = Platform.Host.Architecture, Os = "linux",
                Config = new ContainerConfig { Cmd = ["sh"] },
                RootFs = new RootFs { DiffIds = [Digest.Compute(raw).ToString()] },
            }.ToJson();
            _manifest = new ImageManifest
            {
                SchemaVersion = 2, MediaType = MediaTypes.OciManifest,
                Config = new Descriptor { MediaType = MediaTypes.OciConfig, Digest = Digest.Compute(config).ToString(), Size = config.Length },
                Layers = [new Descriptor { MediaType = MediaTypes.OciLayerGzip, Digest = Digest.Compute(layer).ToString(), Size = layer.Length }],
            }.ToJson();
            _blobs[Digest.Compute(config)] = config;
            _blobs[Digest.Compute(layer)] = layer;
            ManifestDigest = Digest.Compute(_manifest);
            LayerDigest = Digest.Compute(layer);
        }

        public Task<FetchedManifest> GetManifestAsync(ImageReference image, string tagOrDigest, CancellationToken cancel)
        {
            if (image.Name != "docker.io/library/alpine" || (tagOrDigest != "latest" && tagOrDigest != ManifestDigest.ToString()))
                throw new RegistryException($"manifest for {image.FamiliarName}:{tagOrDigest} not found: manifest unknown", 404, "MANIFEST_UNKNOWN");
            return Task.FromResult(new FetchedManifest(_manifest, MediaTypes.OciManifest, ManifestDigest));
        }

        public Task<BlobStream> OpenBlobAsync(ImageReference image, Digest digest, long offset, CancellationToken cancel) =>
            _blobs.TryGetValue(digest, out var data)
                ? Task.FromResult(new BlobStream(new MemoryStream(data[(int)offset..]), data.Length - offset, offset > 0))
                : throw new RegistryException($"blob {digest} not found: blob unknown to registry", 404, "BLOB_UNKNOWN");
    }
}
