// ManifestReader: reads an image manifest (ImageManifest and its descriptors) with a
// Utf8JsonReader, field by field. ImageManifest.Parse validates what it returns.
//
// Why not JsonSerializer: see Json/JsonReading (first-use metadata cost on every `minirun run`).
// ImageManifest.ToJson still writes with the serializer; HandReaderTests checks both agree.
// Semantics are the serializer's, except: JSON null for the non-nullable "config" or "layers"
// keeps the default (an empty descriptor, an empty list), and a null layer is a JsonException;
// the serializer would store the nulls and Parse would fail on them with a NullReferenceException.
//
// Follows: OCI image-spec v1.1 manifest.md; Docker image manifest v2 schema 2 (same JSON shape).
using System.Text.Json;
using static MiniJson.JsonReading;

namespace MiniImage.Oci;

internal static class ManifestReader
{
    /// <summary>The manifest, or null if the document is JSON null; JsonException if malformed.</summary>
    public static ImageManifest? Read(ReadOnlySpan<byte> json) => Document(json, Manifest);

    private static ImageManifest Manifest(ref Utf8JsonReader r)
    {
        var m = new ImageManifest();
        if (!StartObject(ref r)) return m;
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "schemaVersion": m.SchemaVersion = Int32(ref r); break;
                case "mediaType": m.MediaType = String(ref r); break;
                case "artifactType": m.ArtifactType = String(ref r); break;
                case "config": m.Config = r.TokenType == JsonTokenType.Null ? m.Config : DescriptorReader.Read(ref r); break;
                case "layers":
                    m.Layers = List(ref r, static (ref Utf8JsonReader r) => NonNullObject(ref r, DescriptorReader.Read, "layer descriptor")) ?? m.Layers;
                    break;
                case "annotations": m.Annotations = StringMap(ref r); break;
                default: r.Skip(); break;
            }
        }
        return m;
    }
}
