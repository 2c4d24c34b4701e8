// DescriptorReader: reads an OCI descriptor (with its platform, urls and annotations) with a
// Utf8JsonReader, field by field; ManifestReader uses it for the config and each layer.
//
// Why not JsonSerializer: see Json/JsonReading (first-use metadata cost on every `minirun run`).
// Semantics are the serializer's, except that JSON null for a non-nullable property (mediaType,
// digest, platform.architecture, platform.os) keeps its default ("") instead of storing null.
//
// Follows: OCI image-spec v1.1 descriptor.md and image-index.md ("platform").
using System.Text.Json;
using static MiniJson.JsonReading;

namespace MiniImage.Oci;

internal static class DescriptorReader
{
    /// <summary>The descriptor at the reader, which must be on its '{' (or null: an empty descriptor).</summary>
    public static Descriptor Read(ref Utf8JsonReader r)
    {
        var d = new Descriptor();
        if (!StartObject(ref r)) return d;
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "mediaType": d.MediaType = String(ref r) ?? d.MediaType; break;
                case "digest": d.Digest = String(ref r) ?? d.Digest; break;
                case "size": d.Size = Int64(ref r); break;
                case "urls": d.Urls = Strings(ref r); break;
                case "annotations": d.Annotations = StringMap(ref r); break;
                case "platform": d.Platform = r.TokenType == JsonTokenType.Null ? null : Platform(ref r); break;
                case "artifactType": d.ArtifactType = String(ref r); break;
                default: r.Skip(); break;
            }
        }
        return d;
    }

    private static Platform Platform(ref Utf8JsonReader r)
    {
        var p = new Platform();
        StartObject(ref r);
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "architecture": p.Architecture = String(ref r) ?? p.Architecture; break;
                case "os": p.Os = String(ref r) ?? p.Os; break;
                case "os.version": p.OsVersion = String(ref r); break;
                case "os.features": p.OsFeatures = Strings(ref r); break;
                case "variant": p.Variant = String(ref r); break;
                default: r.Skip(); break;
            }
        }
        return p;
    }
}
