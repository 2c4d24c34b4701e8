// ManifestFormat: decides the media type of a fetched manifest and refuses Docker schema 1.
//
// Why: the Content-Type header is authoritative when it names a known type, but some registries
// and static servers answer "application/json"; the body's "mediaType" (or its shape) decides then.
// Docker schema 1 (signed, v1-compatibility history, no content-addressed config) was removed from
// Docker 28 and is not supported here: it gets a clear message instead of a confusing parse error.
// Follows: OCI image-spec v1.1 manifest.md and image-index.md (mediaType, schemaVersion 2);
// Docker "Image Manifest V2, Schema 1" (schemaVersion 1, application/vnd.docker.distribution.manifest.v1+prettyjws).
using System.Text.Json;
using MiniImage.Oci;

namespace MiniImage.Registry;

internal static class ManifestFormat
{
    public const string DockerSchema1 = "application/vnd.docker.distribution.manifest.v1+json";
    public const string DockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws";

    public static readonly string[] Accepted =
        [MediaTypes.OciIndex, MediaTypes.OciManifest, MediaTypes.DockerManifestList, MediaTypes.DockerManifest];

    /// <summary>The manifest's media type; throws RegistryException for schema 1, invalid JSON or an unknown type.</summary>
    public static string Determine(string subject, string? contentType, byte[] body)
    {
        if (contentType is DockerSchema1 or DockerSchema1Signed) throw Schema1(subject);

        string? bodyType;
        bool hasManifests, hasLayers;
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new RegistryException($"pull {subject}: the manifest is not a JSON object");
            if (root.TryGetProperty("schemaVersion", out var version) && version.ValueKind == JsonValueKind.Number
                && version.TryGetInt32(out int v) && v == 1)
                throw Schema1(subject);
            bodyType = root.TryGetProperty("mediaType", out var mt) && mt.ValueKind == JsonValueKind.String ? mt.GetString() : null;
            hasManifests = root.TryGetProperty("manifests", out var m) && m.ValueKind == JsonValueKind.Array;
            hasLayers = root.TryGetProperty("layers", out var l) && l.ValueKind == JsonValueKind.Array && root.TryGetProperty("config", out _);
        }
        catch (JsonException e)
        {
            throw new RegistryException($"pull {subject}: the manifest is not valid JSON ({RegistryErrors.OneLine(e.Message)})", inner: e);
        }

        if (MediaTypes.IsIndex(contentType) || MediaTypes.IsManifest(contentType)) return contentType!;
        if (bodyType is DockerSchema1 or DockerSchema1Signed) throw Schema1(subject);
        if (MediaTypes.IsIndex(bodyType) || MediaTypes.IsManifest(bodyType)) return bodyType!;
        if (bodyType is null && hasManifests) return MediaTypes.OciIndex;
        if (bodyType is null && hasLayers) return MediaTypes.OciManifest;
        throw new RegistryException(
            $"pull {subject}: unsupported manifest media type {GoQuote.Quote(bodyType ?? contentType ?? "(none)")} (expected an OCI or Docker schema 2 image manifest or index)");
    }

    private static RegistryException Schema1(string subject) => new(
        $"pull {subject}: the image uses the old Docker schema 1 manifest format, which MiniRun (like current Docker) does not support; " +
        "ask its publisher to push it again as an OCI or Docker schema 2 image");
}
