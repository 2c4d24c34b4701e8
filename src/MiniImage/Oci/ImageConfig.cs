// ImageConfig: the OCI image configuration (the JSON blob whose digest is the image ID).
//
// Why: it carries what a container of the image runs by default (Entrypoint, Cmd, Env, User,
// WorkingDir) and the diff_ids that identify the uncompressed layers, which the store checks
// while unpacking. Parse reads with ImageConfigReader (a Utf8JsonReader: no serializer setup on
// every `minirun run`); ToJson writes with the serializer.
//
// Follows: OCI image-spec v1.1 config.md (Docker's image JSON uses the same field names).
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MiniImage.Oci;

public sealed class ImageConfig
{
    [JsonPropertyName("created")] public DateTimeOffset? Created { get; set; }
    [JsonPropertyName("author")] public string? Author { get; set; }
    /// <summary>Docker's image JSON: `commit -m`'s message (image inspect's `Comment`); not in OCI's config, which ignores it.</summary>
    [JsonPropertyName("comment")] public string? Comment { get; set; }
    [JsonPropertyName("architecture")] public string Architecture { get; set; } = "";
    [JsonPropertyName("os")] public string Os { get; set; } = "";
    [JsonPropertyName("variant")] public string? Variant { get; set; }
    [JsonPropertyName("config")] public ContainerConfig? Config { get; set; }
    [JsonPropertyName("rootfs")] public RootFs RootFs { get; set; } = new();
    [JsonPropertyName("history")] public List<HistoryEntry>? History { get; set; }

    /// <summary>Parses with ImageConfigReader; JsonException if malformed, InvalidDataException for `null`.</summary>
    public static ImageConfig Parse(ReadOnlySpan<byte> json) =>
        ImageConfigReader.Read(json) ?? throw new InvalidDataException("image config: empty document");

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, ImageConfigJsonContext.Default.ImageConfig);
}

/// <summary>The defaults for a container: image-spec "config" object.</summary>
public sealed class ContainerConfig
{
    [JsonPropertyName("User")] public string? User { get; set; }
    [JsonPropertyName("ExposedPorts")] public Dictionary<string, JsonElement>? ExposedPorts { get; set; }
    [JsonPropertyName("Env")] public List<string>? Env { get; set; }
    [JsonPropertyName("Entrypoint")] public List<string>? Entrypoint { get; set; }
    [JsonPropertyName("Cmd")] public List<string>? Cmd { get; set; }
    [JsonPropertyName("Volumes")] public Dictionary<string, JsonElement>? Volumes { get; set; }
    [JsonPropertyName("WorkingDir")] public string? WorkingDir { get; set; }
    [JsonPropertyName("Labels")] public Dictionary<string, string>? Labels { get; set; }
    [JsonPropertyName("StopSignal")] public string? StopSignal { get; set; }
    /// <summary>Docker's extension (HEALTHCHECK in a Dockerfile); durations in nanoseconds.</summary>
    [JsonPropertyName("Healthcheck")] public ImageHealthcheck? Healthcheck { get; set; }
    /// <summary>Docker's extension (SHELL in a Dockerfile): the shell form's command prefix for RUN, CMD, ENTRYPOINT.</summary>
    [JsonPropertyName("Shell")] public List<string>? Shell { get; set; }
    /// <summary>Docker's extension (ONBUILD in a Dockerfile): instructions run when a build uses this image in FROM.</summary>
    [JsonPropertyName("OnBuild")] public List<string>? OnBuild { get; set; }
}

/// <summary>Docker's image Healthcheck: Test is ["NONE"], ["CMD", args...] or ["CMD-SHELL", command].</summary>
public sealed class ImageHealthcheck
{
    [JsonPropertyName("Test")] public List<string>? Test { get; set; }
    [JsonPropertyName("Interval")] public long? Interval { get; set; }
    [JsonPropertyName("Timeout")] public long? Timeout { get; set; }
    [JsonPropertyName("StartPeriod")] public long? StartPeriod { get; set; }
    [JsonPropertyName("Retries")] public int? Retries { get; set; }
}

public sealed class RootFs
{
    [JsonPropertyName("type")] public string Type { get; set; } = "layers";
    [JsonPropertyName("diff_ids")] public List<string> DiffIds { get; set; } = new();
}

public sealed class HistoryEntry
{
    [JsonPropertyName("created")] public DateTimeOffset? Created { get; set; }
    [JsonPropertyName("created_by")] public string? CreatedBy { get; set; }
    [JsonPropertyName("author")] public string? Author { get; set; }
    [JsonPropertyName("comment")] public string? Comment { get; set; }
    [JsonPropertyName("empty_layer")] public bool? EmptyLayer { get; set; }
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ImageConfig))]
internal sealed partial class ImageConfigJsonContext : JsonSerializerContext
{
}
