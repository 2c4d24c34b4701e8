// ImageRecordsReader: reads <root>/images.json (ImageRecords and each ImageRecord) with a
// Utf8JsonReader, field by field.
//
// Why not JsonSerializer: nearly every command, `minirun run` included, reads images.json once in
// a fresh process, and the serializer's first-use metadata setup cost more than the parse (see
// Json/JsonReading). ImageRecords.Write keeps the serializer; HandReaderTests checks both agree.
// Semantics are the serializer's, except: JSON null for a non-nullable property (images, tags,
// layers, manifest, diffIds) keeps its default, and a null image record is a JsonException (the
// serializer would store a null that every user of the record dereferences).
//
// Follows: no external spec; the shape ImageRecords documents.
using System.Text.Json;
using static MiniJson.JsonReading;

namespace MiniImage.Store;

internal static class ImageRecordsReader
{
    /// <summary>The records, or null if the document is JSON null; JsonException if malformed.</summary>
    public static ImageRecords? Read(ReadOnlySpan<byte> json) => Document(json, Records);

    private static ImageRecords Records(ref Utf8JsonReader r)
    {
        var records = new ImageRecords();
        if (!StartObject(ref r)) return records;
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "images":
                    records.Images = Map(ref r, static (ref Utf8JsonReader r) => NonNullObject(ref r, Record, "image record")) ?? records.Images;
                    break;
                case "tags": records.Tags = StringMap(ref r) ?? records.Tags; break;
                case "layers": records.Layers = Map(ref r, Int64) ?? records.Layers; break;
                case "blobSources": records.BlobSources = Map(ref r, static (ref Utf8JsonReader r) => Strings(ref r) ?? new List<string>()); break;
                default: r.Skip(); break;
            }
        }
        return records;
    }

    private static ImageRecord Record(ref Utf8JsonReader r)
    {
        var rec = new ImageRecord();
        StartObject(ref r);
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "manifest": rec.Manifest = String(ref r) ?? rec.Manifest; break;
                case "created": rec.Created = NullableDateTimeOffset(ref r); break;
                case "diffIds": rec.DiffIds = Strings(ref r) ?? rec.DiffIds; break;
                case "blobSize": rec.BlobSize = Int64(ref r); break;
                case "loaded": rec.Loaded = DateTimeOffset(ref r); break;
                case "repoDigests": rec.RepoDigests = Strings(ref r); break;
                case "parent": rec.Parent = String(ref r); break;
                default: r.Skip(); break;
            }
        }
        return rec;
    }
}
