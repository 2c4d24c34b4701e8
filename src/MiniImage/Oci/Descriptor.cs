// Descriptor: a typed, sized, content-addressed reference to a blob (manifest, index, config, layer),
// and Platform, the os/architecture a manifest is built for.
//
// Why: index.json and manifests point to everything through descriptors; the loader trusts a blob
// only when its bytes hash to Digest and their count equals Size.
// Follows: OCI image-spec v1.1 descriptor.md and image-index.md ("platform").
using System.Text.Json.Serialization;

namespace MiniImage.Oci;

public sealed class Descriptor
{
    [JsonPropertyName("mediaType")] public string MediaType { get; set; } = "";
    [JsonPropertyName("digest")] public string Digest { get; set; } = "";
    [JsonPropertyName("size")] public long Size { get; set; }
    [JsonPropertyName("urls")] public List<string>? Urls { get; set; }
    [JsonPropertyName("annotations")] public Dictionary<string, string>? Annotations { get; set; }
    [JsonPropertyName("platform")] public Platform? Platform { get; set; }
    [JsonPropertyName("artifactType")] public string? ArtifactType { get; set; }

    /// <summary>The validated digest; throws MiniImageException naming `context` if malformed.</summary>
    public Digest ParsedDigest(string context)
    {
        if (Oci.Digest.TryParse(Digest, out var d, out var error)) return d;
        throw new MiniImageException($"{context}: descriptor has invalid digest {GoQuote.Quote(Digest)}: {error}");
    }

    public string? Annotation(string key) =>
        Annotations is not null && Annotations.TryGetValue(key, out var v) ? v : null;
}

public sealed class Platform
{
    [JsonPropertyName("architecture")] public string Architecture { get; set; } = "";
    [JsonPropertyName("os")] public string Os { get; set; } = "";
    [JsonPropertyName("os.version")] public string? OsVersion { get; set; }
    [JsonPropertyName("os.features")] public List<string>? OsFeatures { get; set; }
    [JsonPropertyName("variant")] public string? Variant { get; set; }

    public override string ToString() => Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";

    /// <summary>The platform this process runs on, in OCI terms (GOOS/GOARCH names).</summary>
    public static Platform Host { get; } = new()
    {
        Os = "linux",
        Architecture = System.Runtime.InteropServices.RuntimeInformation.OSArchitecture switch
        {
            System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
            System.Runtime.InteropServices.Architecture.Arm => "arm",
            System.Runtime.InteropServices.Architecture.X86 => "386",
            System.Runtime.InteropServices.Architecture.S390x => "s390x",
            System.Runtime.InteropServices.Architecture.Ppc64le => "ppc64le",
            System.Runtime.InteropServices.Architecture.RiscV64 => "riscv64",
            _ => "amd64",
        },
    };

    /// <summary>True if an image for this platform runs on `host` (variant is not compared).</summary>
    public bool RunsOn(Platform host) => Os == host.Os && Architecture == host.Architecture;
}
