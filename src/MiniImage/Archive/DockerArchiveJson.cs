// DockerArchiveJson: the JSON files of Docker's image archive format: manifest.json (one entry per
// image: its config file, tags and layer files, all paths inside the tar) and the legacy
// repositories file ({"busybox": {"latest": "<top layer id>"}}).
//
// Why: `docker save` has written manifest.json since Docker 1.10 and every loader (docker load,
// podman load, skopeo docker-archive:) reads it; Docker 25+ keeps it next to the OCI layout, with
// its paths pointing into blobs/sha256/. MiniRun writes that combined form and reads both forms.
// Follows: moby image/spec "Combined Image JSON + Filesystem Changeset Format" (v1.2 manifest.json),
// moby image/tarexport (save.go, load.go) behaviour; source-generated System.Text.Json for AOT.
using System.Text.Json.Serialization;
using MiniImage.Oci;

namespace MiniImage.Archive;

internal sealed class DockerArchiveEntry
{
    /// <summary>Path of the config JSON inside the archive ("blobs/sha256/&lt;hex&gt;" or "&lt;hex&gt;.json").</summary>
    [JsonPropertyName("Config")] public string Config { get; set; } = "";

    /// <summary>Familiar references ("busybox:latest"); null when the image was saved by ID.</summary>
    [JsonPropertyName("RepoTags")] public List<string>? RepoTags { get; set; }

    /// <summary>Layer tar paths, bottom first ("blobs/sha256/&lt;hex&gt;" or "&lt;v1 id&gt;/layer.tar").</summary>
    [JsonPropertyName("Layers")] public List<string> Layers { get; set; } = new();

    [JsonPropertyName("LayerSources")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, Descriptor>? LayerSources { get; set; }
}

[JsonSerializable(typeof(List<DockerArchiveEntry>))]
[JsonSerializable(typeof(Dictionary<string, Dictionary<string, string>>))]
internal sealed partial class DockerArchiveJsonContext : JsonSerializerContext
{
}
