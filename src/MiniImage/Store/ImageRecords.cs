// ImageRecords: the contents of <root>/images.json: which images the store holds, which tags
// point at them, and the unpacked size of each layer.
//
//   { "images": { "sha256:<config>": { "manifest": "sha256:...", "created": ..., "diffIds": [...],
//                                      "blobSize": n, "loaded": ..., "parent": "sha256:..." } },
//     "tags":   { "docker.io/library/busybox:latest": "sha256:<config>" },
//     "layers": { "sha256:<diffid>": <unpacked bytes> },
//     "blobSources": { "sha256:<blob>": [ "127.0.0.1:5000/library/x", ... ] } }
//
// Why: blobs alone do not say what an image is called. Images are keyed by image ID (config
// digest), so a tag that moves leaves the old image behind as a dangling record. The file is only
// ever replaced whole (StorePaths.WriteAtomically), so readers see the old or the new version.
// Follows: no external spec; shape chosen for this store (docker keeps the same facts in
// repositories.json and imagedb). Read parses with ImageRecordsReader (no serializer setup on every
// command); Write uses the serializer.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MiniImage.Store;

internal sealed partial class ImageRecords
{
    [JsonPropertyName("images")] public Dictionary<string, ImageRecord> Images { get; set; } = new();
    [JsonPropertyName("tags")] public Dictionary<string, string> Tags { get; set; } = new();
    [JsonPropertyName("layers")] public Dictionary<string, long> Layers { get; set; } = new();
    /// <summary>blob digest -> registry repositories ("127.0.0.1:5000/library/x") it was pulled from or
    /// pushed to, most recent first: a push to another repository of the same registry mounts it from there.</summary>
    [JsonPropertyName("blobSources")] public Dictionary<string, List<string>>? BlobSources { get; set; }

    public static ImageRecords Read(StorePaths paths)
    {
        byte[] data;
        try { data = File.ReadAllBytes(paths.ImagesJson); }
        catch (FileNotFoundException) { return new ImageRecords(); }
        catch (DirectoryNotFoundException) { return new ImageRecords(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MiniImageException($"read {paths.ImagesJson}: {e.Message}");
        }
        try
        {
            return ImageRecordsReader.Read(data) ?? new ImageRecords();
        }
        catch (JsonException e)
        {
            throw new MiniImageException($"parse {paths.ImagesJson}: {e.Message}");
        }
    }

    public void Write(StorePaths paths) =>
        paths.WriteAtomically(paths.ImagesJson, JsonSerializer.SerializeToUtf8Bytes(this, StoreJsonContext.Default.ImageRecords));

    /// <summary>Tags (full references) that point at `imageId`, sorted.</summary>
    public List<string> TagsOf(string imageId) =>
        Tags.Where(t => t.Value == imageId).Select(t => t.Key).Order(StringComparer.Ordinal).ToList();

    /// <summary>Unpacked size if every layer of the image has been unpacked, else the blob-size approximation.</summary>
    public long SizeOf(ImageRecord r)
    {
        long sum = 0;
        foreach (string diffId in r.DiffIds)
        {
            if (!Layers.TryGetValue(diffId, out long size)) return r.BlobSize;
            sum += size;
        }
        return sum;
    }
}

internal sealed class ImageRecord
{
    [JsonPropertyName("manifest")] public string Manifest { get; set; } = "";
    [JsonPropertyName("created")] public DateTimeOffset? Created { get; set; }
    [JsonPropertyName("diffIds")] public List<string> DiffIds { get; set; } = new();
    [JsonPropertyName("blobSize")] public long BlobSize { get; set; }
    [JsonPropertyName("loaded")] public DateTimeOffset Loaded { get; set; }
    /// <summary>"repo@sha256:..." for each registry repository the image was pulled from (docker's RepoDigests).</summary>
    [JsonPropertyName("repoDigests")] public List<string>? RepoDigests { get; set; }
    /// <summary>The image this one was made from (commit, build): a build's intermediate images are the parents of its result.</summary>
    [JsonPropertyName("parent")] public string? Parent { get; set; }
}

[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ImageRecords))]
internal sealed partial class StoreJsonContext : JsonSerializerContext
{
}
