// ImageManifest: one image for one platform: its config blob and its layer blobs, bottom first.
//
// Why: the store keeps the manifest to find each layer blob again when a container needs the
// layers unpacked (manifest.layers[i] produces config.rootfs.diff_ids[i]). Parse reads with
// ManifestReader (a Utf8JsonReader: no serializer setup on every `minirun run`); ToJson writes
// with the serializer.
// Follows: OCI image-spec v1.1 manifest.md; Docker image manifest v2 schema 2 (same JSON shape).
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MiniImage.Oci;

public sealed class ImageManifest
{
    [JsonPropertyName("schemaVersion")] public int SchemaVersion { get; set; }
    [JsonPropertyName("mediaType")] public string? MediaType { get; set; }
    [JsonPropertyName("artifactType")] public string? ArtifactType { get; set; }
    [JsonPropertyName("config")] public Descriptor Config { get; set; } = new();
    [JsonPropertyName("layers")] public List<Descriptor> Layers { get; set; } = new();
    [JsonPropertyName("annotations")] public Dictionary<string, string>? Annotations { get; set; }

    /// <summary>Parses and checks schemaVersion 2 and the config/layer media types; `what` names it in errors.</summary>
    public static ImageManifest Parse(ReadOnlySpan<byte> json, string what)
    {
        ImageManifest? m;
        try { m = ManifestReader.Read(json); }
        catch (JsonException e) { throw new MiniImageException($"parse {what}: {e.Message}"); }
        if (m is null) throw new MiniImageException($"parse {what}: empty document");
        if (m.SchemaVersion != 2)
            throw new MiniImageException($"parse {what}: unsupported schemaVersion {m.SchemaVersion} (expected 2)");
        if (m.MediaType is not null && !MediaTypes.IsManifest(m.MediaType))
            throw new MiniImageException($"parse {what}: mediaType {GoQuote.Quote(m.MediaType)} is not an image manifest");
        if (!MediaTypes.IsConfig(m.Config.MediaType))
            throw new MiniImageException($"parse {what}: config mediaType {GoQuote.Quote(m.Config.MediaType)} is not an image config (not a container image?)");
        foreach (var l in m.Layers)
            if (!MediaTypes.IsLayer(l.MediaType))
                throw new MiniImageException($"parse {what}: layer {l.Digest} has unsupported mediaType {GoQuote.Quote(l.MediaType)}");
        return m;
    }

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, OciJsonContext.Default.ImageManifest);
}
