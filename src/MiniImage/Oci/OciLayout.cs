// OciLayout: the "oci-layout" marker file at the root of an OCI image layout.
//
// Why: it tells a directory (or tar) is an OCI image layout and which version of the layout
// format it uses; MiniImage reads version 1.0.0, the only one defined.
// Follows: OCI image-spec v1.1 image-layout.md ("oci-layout" file, imageLayoutVersion).
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MiniImage.Oci;

public sealed class OciLayout
{
    public const string FileName = "oci-layout";
    public const string IndexFileName = "index.json";
    public const string SupportedVersion = "1.0.0";

    [JsonPropertyName("imageLayoutVersion")] public string ImageLayoutVersion { get; set; } = SupportedVersion;

    /// <summary>Parses and checks the version; `what` names the file in errors.</summary>
    public static OciLayout Parse(ReadOnlySpan<byte> json, string what)
    {
        OciLayout? layout;
        try { layout = JsonSerializer.Deserialize(json, OciJsonContext.Default.OciLayout); }
        catch (JsonException e) { throw new MiniImageException($"parse {what}: {e.Message}"); }
        if (layout is null) throw new MiniImageException($"parse {what}: empty document");
        if (layout.ImageLayoutVersion != SupportedVersion)
            throw new MiniImageException($"parse {what}: unsupported imageLayoutVersion {GoQuote.Quote(layout.ImageLayoutVersion)} (expected {SupportedVersion})");
        return layout;
    }

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, OciJsonContext.Default.OciLayout);
}
