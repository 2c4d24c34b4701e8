// LayoutImporter: walks an OCI image layout from index.json down to every blob of every image it
// names, verifying each one, and returns the images found (nothing is committed to the store here).
//
// Walk: each index.json entry that is a manifest is one image. An entry that is an index (a
// multi-platform image, OCI index or Docker manifest list) is followed and its first manifest for
// the host platform (linux/amd64 on a PC) is taken; attestation manifests and other platforms are
// skipped. Top-level manifests whose descriptor names another platform are skipped too.
// Naming (first that applies, on the index.json descriptor, then the nested one):
//   1. "io.containerd.image.name": a full reference (docker save, containerd, buildkit).
//   2. "org.opencontainers.image.ref.name" containing '/', ':' or '@': a full reference.
//   (A digest-only reference, "name@sha256:...", carries no tag: the image is loaded untagged.)
//   3. "org.opencontainers.image.ref.name" that is only a tag (skopeo "oci:dir:latest", umoci):
//      the repository is taken from the layout's file name, lowercased, without .tar/.tar.gz/
//      .tgz/.oci ("busybox.tar" + "latest" -> busybox:latest); if that is not a valid repository
//      name, the image is loaded untagged.
//   4. No annotation: the image is loaded untagged (<none>:<none>; use its ID).
// Follows: OCI image-spec v1.1 image-layout.md, image-index.md (platform), annotations.md;
// containerd's io.containerd.image.name convention.
using System.Text.Json;
using MiniImage.Oci;
using MiniImage.Reference;

namespace MiniImage.Store;

internal sealed record ImportedImage(
    ImageReference? Name, Digest ManifestDigest, Digest ConfigDigest, ImageConfig Config,
    long BlobSize, IReadOnlyList<StagedBlob> Blobs);

internal sealed class LayoutImporter
{
    private const int MaxIndexDepth = 4;
    private readonly LayoutSource _source;
    private readonly Action<string>? _progress;
    private readonly Platform _platform;
    private readonly List<ImportedImage> _images = new();

    public LayoutImporter(LayoutSource source, Action<string>? progress, Platform? platform = null)
    {
        _source = source;
        _progress = progress;
        _platform = platform ?? Platform.Host;
    }

    private string Context => _source.Context;

    public List<ImportedImage> Import()
    {
        var index = ImageIndex.Parse(_source.ReadIndexJson(), $"{_source.SourcePath}: {OciLayout.IndexFileName}");
        foreach (var d in index.Manifests)
            Visit(d, NameFrom(d), 0);
        if (_images.Count == 0)
            throw new MiniImageException($"{Context}: the layout holds no image for {_platform}");
        return _images;
    }

    private void Visit(Descriptor d, ImageReference? name, int depth)
    {
        string label = name?.ToFamiliarString() ?? d.Digest;
        if (d.Annotation(Annotations.DockerReferenceType) == "attestation-manifest") return;
        if (d.Platform is { } p && !p.RunsOn(_platform))
        {
            if (depth == 0) _progress?.Invoke($"Skipping {label}: built for {p}, not {_platform}");
            return;
        }
        if (MediaTypes.IsManifest(d.MediaType))
        {
            _images.Add(LoadManifest(d, name, label));
        }
        else if (MediaTypes.IsIndex(d.MediaType))
        {
            if (depth >= MaxIndexDepth)
                throw new MiniImageException($"{Context}: image index {d.Digest} nests more than {MaxIndexDepth} levels deep");
            var nested = ImageIndex.Parse(_source.ReadJsonBlob(d, $"image index of {label}"), $"{Context}: image index {d.Digest}");
            var pick = nested.Manifests.FirstOrDefault(m =>
                m.Platform is { } mp && mp.RunsOn(_platform) &&
                m.Annotation(Annotations.DockerReferenceType) != "attestation-manifest" &&
                (MediaTypes.IsManifest(m.MediaType) || MediaTypes.IsIndex(m.MediaType)));
            if (pick is null)
            {
                _progress?.Invoke($"Skipping {label}: no {_platform} image in its index");
                return;
            }
            Visit(pick, name ?? NameFrom(pick), depth + 1);
        }
        else
        {
            _progress?.Invoke($"Skipping {label}: mediaType {GoQuote.Quote(d.MediaType)} is not an image");
        }
    }

    private ImportedImage LoadManifest(Descriptor d, ImageReference? name, string label)
    {
        var manifestDigest = d.ParsedDigest($"{Context}: manifest of {label}");
        var manifest = ImageManifest.Parse(_source.ReadJsonBlob(d, $"manifest of {label}"), $"{Context}: manifest {manifestDigest}");
        var configDigest = manifest.Config.ParsedDigest($"{Context}: config of {label}");
        byte[] configJson = _source.ReadJsonBlob(manifest.Config, $"config of {label}");
        ImageConfig config;
        try { config = ImageConfig.Parse(configJson); }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
            throw new MiniImageException($"{Context}: parse config {configDigest} of {label}: {e.Message}");
        }
        var diffIds = config.RootFs.DiffIds;
        if (diffIds.Count != manifest.Layers.Count)
            throw new MiniImageException($"{Context}: image {label}: config lists {diffIds.Count} diff_ids but the manifest has {manifest.Layers.Count} layers");
        foreach (string diffId in diffIds)
            if (!Digest.TryParse(diffId, out _, out var err))
                throw new MiniImageException($"{Context}: image {label}: config diff_id {GoQuote.Quote(diffId)}: {err}");

        var blobs = new List<StagedBlob>
        {
            _source.GetBlob(d, $"manifest of {label}"),
            _source.GetBlob(manifest.Config, $"config of {label}"),
        };
        long size = 0;
        for (int i = 0; i < manifest.Layers.Count; i++)
        {
            var layer = manifest.Layers[i];
            blobs.Add(_source.GetBlob(layer, $"layer {i + 1}/{manifest.Layers.Count} of {label}"));
            size += layer.Size;
        }
        return new ImportedImage(name, manifestDigest, configDigest, config, size, blobs);
    }

    /// <summary>The image name a descriptor's annotations give (rules in the file header), or null.</summary>
    private ImageReference? NameFrom(Descriptor d)
    {
        if (d.Annotation(Annotations.ContainerdImageName) is { Length: > 0 } full)
            return ParseName(full, Annotations.ContainerdImageName);
        if (d.Annotation(Annotations.RefName) is not { Length: > 0 } refName) return null;
        if (refName.IndexOfAny(['/', ':', '@']) >= 0)
            return ParseName(refName, Annotations.RefName);
        if (ImageReference.ValidateTag(refName) is { } tagError)
            throw new MiniImageException($"{Context}: annotation {Annotations.RefName} {GoQuote.Quote(refName)} is neither a reference nor a tag: {tagError}");
        string? repo = RepositoryFromFileName(_source.SourcePath);
        if (repo is not null && ImageReference.TryParse($"{repo}:{refName}", out var r))
            return r;
        return null;
    }

    /// <summary>The tagged name in an annotation; a digest-only name ("x@sha256:...") gives no tag: null.</summary>
    private ImageReference? ParseName(string value, string annotation)
    {
        if (!ImageReference.TryParse(value, out var r, out var error))
            throw new MiniImageException($"{Context}: annotation {annotation} {GoQuote.Quote(value)}: {error}");
        return r.Tag is null ? null : r.Digest is null ? r : r.WithTag(r.Tag);
    }

    /// <summary>"/tmp/Busybox.tar.gz" -> "busybox"; null if nothing usable remains.</summary>
    internal static string? RepositoryFromFileName(string path)
    {
        string name = Path.GetFileName(path.TrimEnd('/')).ToLowerInvariant();
        bool changed = true;
        while (changed)
        {
            changed = false;
            foreach (string ext in new[] { ".tar", ".gz", ".tgz", ".oci", ".zst" })
                if (name.EndsWith(ext, StringComparison.Ordinal) && name.Length > ext.Length)
                {
                    name = name[..^ext.Length];
                    changed = true;
                }
        }
        return name.Length > 0 && name.IndexOfAny([':', '@']) < 0 ? name : null;
    }
}
