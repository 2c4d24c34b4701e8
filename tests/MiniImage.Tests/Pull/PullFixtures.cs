// PullFixtures: images for the pull tests, in OCI or Docker schema-2 media types, published to a
// FakeRegistry (manifest, config and gzip layers built in the test), plus a recording
// IPullProgress and a temporary store root removed on Dispose.
//
// Why: each test states the image it needs in one line; the bytes are real manifests and
// tar.gz layers, so the puller's parsing, hashing and unpacking all run for real.
// Follows: OCI image-spec v1.1 manifest.md, image-index.md, config.md; Docker manifest v2 schema 2.
using MiniImage.Oci;
using MiniImage.Pull;
using MiniImage.Reference;
using MiniImage.Tests.Store;

namespace MiniImage.Tests.Pull;

internal sealed record PublishedImage(byte[] Manifest, Digest ManifestDigest, Digest ConfigDigest, IReadOnlyList<TestLayer> Layers)
{
    public Digest LayerDigest(int i) => Digest.Parse(Layers[i].Digest);
    public string ShortId(int i) => LayerDigest(i).Hex[..12];
}

internal static class PullFixtures
{
    /// <summary>Builds an image (config + manifest) for `arch`, publishes its blobs, and its manifest under `tag`.</summary>
    public static PublishedImage Publish(FakeRegistry registry, string repository, string? tag, bool docker, TestLayer[] layers,
        string? arch = null, string? variant = null, IReadOnlyList<string>? diffIds = null, string cmd = "sh")
    {
        var config = new ImageConfig
        {
            Created = new DateTimeOffset(2024, 6, 1, 12, 0, 0, TimeSpan.Zero),
            Architecture = arch ?? Platform.Host.Architecture,
            Variant = variant,
            Os = "linux",
            Config = new ContainerConfig { Cmd = [cmd], Env = ["PATH=/bin"] },
            RootFs = new RootFs { DiffIds = (diffIds ?? layers.Select(l => l.DiffId)).ToList() },
        };
        byte[] configJson = config.ToJson();
        var manifest = new ImageManifest
        {
            SchemaVersion = 2,
            MediaType = docker ? MediaTypes.DockerManifest : MediaTypes.OciManifest,
            Config = new Descriptor { MediaType = docker ? MediaTypes.DockerConfig : MediaTypes.OciConfig, Digest = Digest.Compute(configJson).ToString(), Size = configJson.Length },
            Layers = layers.Select(l => new Descriptor { MediaType = docker ? MediaTypes.DockerLayerGzip : MediaTypes.OciLayerGzip, Digest = l.Digest, Size = l.Blob.Length }).ToList(),
        };
        byte[] manifestJson = manifest.ToJson();
        registry.AddBlob(configJson);
        foreach (var l in layers) registry.AddBlob(l.Blob);
        var digest = registry.AddManifest(repository, manifestJson, manifest.MediaType, tag);
        return new PublishedImage(manifestJson, digest, Digest.Compute(configJson), layers);
    }

    /// <summary>Publishes an index of the given images (with their platforms) plus a buildkit attestation entry.</summary>
    public static Digest PublishIndex(FakeRegistry registry, string repository, string tag, bool docker,
        params (PublishedImage Image, string Arch, string? Variant)[] entries)
    {
        var manifests = entries.Select(e => new Descriptor
        {
            MediaType = docker ? MediaTypes.DockerManifest : MediaTypes.OciManifest,
            Digest = e.Image.ManifestDigest.ToString(),
            Size = e.Image.Manifest.Length,
            Platform = new Platform { Os = "linux", Architecture = e.Arch, Variant = e.Variant },
        }).ToList();
        if (!docker)
            manifests.Add(new Descriptor
            {
                MediaType = MediaTypes.OciManifest,
                Digest = entries[0].Image.ManifestDigest.ToString(), // never fetched: skipped as attestation
                Size = entries[0].Image.Manifest.Length,
                Platform = new Platform { Os = "unknown", Architecture = "unknown" },
                Annotations = new() { [Annotations.DockerReferenceType] = "attestation-manifest" },
            });
        var index = new ImageIndex { SchemaVersion = 2, MediaType = docker ? MediaTypes.DockerManifestList : MediaTypes.OciIndex, Manifests = manifests };
        return registry.AddManifest(repository, index.ToJson(), index.MediaType!, tag);
    }
}

/// <summary>Records every progress event as a line ("abc123def456 Downloading 10/20").</summary>
internal sealed class RecordingProgress : IPullProgress
{
    public List<string> Lines { get; } = new();
    public PullResult? Result { get; private set; }

    public void Start(ImageReference reference) => Lines.Add($"start {reference}");
    public void Layer(string id, LayerEvent e, long current = 0, long total = 0) =>
        Lines.Add(e is LayerEvent.Downloading or LayerEvent.Extracting ? $"{id} {e} {current}/{total}" : $"{id} {e}");
    public void Done(PullResult result)
    {
        Result = result;
        Lines.Add("done");
    }

    public bool Has(string id, LayerEvent e) => Lines.Any(l => l == $"{id} {e}" || l.StartsWith($"{id} {e} ", StringComparison.Ordinal));
}
