// ImageInspectJson: the JSON document `image inspect` prints for one image, shaped like Docker's
// (field names, order, which fields are null and which are left out), with source-generated
// serialization for NativeAOT.
//
// Why: students and scripts read `docker image inspect` output and `-f '{{.Config.Cmd}}'` paths;
// the same names must work here. Indented with 4 spaces and without escaping of '+', '<', '>'
// or non-ASCII characters, as Docker prints it.
// Follows: Docker Engine API "ImageInspect" (GET /images/{name}/json) field names and the
// OCI image-spec config.md fields they come from.
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MiniRun.Cli;

public sealed class ImageInspectDocument
{
    public string Id { get; set; } = "";
    public List<string> RepoTags { get; set; } = new();
    public List<string> RepoDigests { get; set; } = new();
    public string Parent { get; set; } = "";
    public string Comment { get; set; } = "";
    public string Created { get; set; } = "";
    public string Author { get; set; } = "";
    public ImageInspectConfig Config { get; set; } = new();
    public string Architecture { get; set; } = "";
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Variant { get; set; }
    public string Os { get; set; } = "";
    public long Size { get; set; }
    public ImageInspectRootFs RootFS { get; set; } = new();
    public ImageInspectMetadata Metadata { get; set; } = new();
}

public sealed class ImageInspectConfig
{
    public string User { get; set; } = "";
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public Dictionary<string, JsonElement>? ExposedPorts { get; set; }
    public List<string>? Env { get; set; }
    public List<string>? Cmd { get; set; }
    public Dictionary<string, JsonElement>? Volumes { get; set; }
    public string WorkingDir { get; set; } = "";
    public List<string>? Entrypoint { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? StopSignal { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public MiniImage.Oci.ImageHealthcheck? Healthcheck { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public List<string>? Shell { get; set; }
    public List<string>? OnBuild { get; set; }
}

public sealed class ImageInspectRootFs
{
    public string Type { get; set; } = "layers";
    public List<string> Layers { get; set; } = new();
}

public sealed class ImageInspectMetadata
{
    public string LastTagTime { get; set; } = "";
}

[JsonSerializable(typeof(List<ImageInspectDocument>))]
[JsonSerializable(typeof(ImageInspectDocument))]
internal sealed partial class ImageInspectJsonContext : JsonSerializerContext
{
    /// <summary>Docker's layout: 4-space indentation, only the characters JSON requires escaped.</summary>
    public static ImageInspectJsonContext Docker { get; } = new(new JsonSerializerOptions
    {
        WriteIndented = true,
        IndentSize = 4,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
