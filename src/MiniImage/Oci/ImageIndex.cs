// ImageIndex: the list of manifests in an image layout's index.json, or a multi-platform image
// (OCI image index / Docker manifest list).
//
// Why: the loader starts at index.json and follows each entry; an entry that is itself an index
// is a multi-platform image, from which the host's platform is picked.
// Follows: OCI image-spec v1.1 image-index.md; Docker manifest list v2 (same JSON shape).
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MiniImage.Oci;

public sealed class ImageIndex
{
    [JsonPropertyName("schemaVersion")] public int SchemaVersion { get; set; }
    [JsonPropertyName("mediaType")] public string? MediaType { get; set; }
    [JsonPropertyName("manifests")] public List<Descriptor> Manifests { get; set; } = new();
    [JsonPropertyName("annotations")] public Dictionary<string, string>? Annotations { get; set; }

    /// <summary>Parses and checks schemaVersion 2; `what` names the document in errors.</summary>
    public static ImageIndex Parse(ReadOnlySpan<byte> json, string what)
    {
        ImageIndex? index;
        try { index = JsonSerializer.Deserialize(json, OciJsonContext.Default.ImageIndex); }
        catch (JsonException e) { throw new MiniImageException($"parse {what}: {e.Message}"); }
        if (index is null) throw new MiniImageException($"parse {what}: empty document");
        if (index.SchemaVersion != 2)
            throw new MiniImageException($"parse {what}: unsupported schemaVersion {index.SchemaVersion} (expected 2)");
        if (index.MediaType is not null && !MediaTypes.IsIndex(index.MediaType))
            throw new MiniImageException($"parse {what}: mediaType {GoQuote.Quote(index.MediaType)} is not an image index");
        return index;
    }

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, OciJsonContext.Default.ImageIndex);
}
