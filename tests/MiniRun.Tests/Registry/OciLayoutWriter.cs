// OciLayoutWriter: assembles an OCI image layout directory for the registry tests: blobs, image
// configs (with rootfs.diff_ids and history), manifests (OCI or Docker schema 2 media types),
// image indexes with platform fields, and index.json with org.opencontainers.image.ref.name tags
// that `skopeo copy oci:DIR:TAG` and `umoci unpack --image DIR:TAG` look up.
//
// Why: the test images (three layers with whiteouts, two platforms, uncompressed layers) are
// built by the test itself, so every byte is known; skopeo then pushes them to the registry.
// Follows: OCI image-spec v1.1 image-layout.md, descriptor.md, manifest.md, image-index.md
// (platform.architecture/os), config.md (rootfs.diff_ids, history), annotations.md (ref.name).
using System.Text;
using System.Text.Json;

namespace MiniRun.Tests.Registry;

/// <summary>A content descriptor; Architecture/Os only for index entries.</summary>
public sealed record Desc(string MediaType, string Digest, long Size, string? Architecture = null, string? Os = null)
{
    public string Hex => Digest[7..];
    public Desc WithPlatform(string os, string architecture) => this with { Os = os, Architecture = architecture };
}

/// <summary>A layer blob and the digest of its uncompressed tar.</summary>
public sealed record LayerBlob(Desc Blob, string DiffId);

public static class Media
{
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";
    public const string OciLayer = "application/vnd.oci.image.layer.v1.tar";
    public const string OciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string OciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
    public const string DockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    public const string DockerList = "application/vnd.docker.distribution.manifest.list.v2+json";
}

public sealed class OciLayoutWriter
{
    private readonly List<(Desc Desc, string Tag)> tags = new();

    public string Dir { get; }

    public OciLayoutWriter(string dir)
    {
        Dir = dir;
        Directory.CreateDirectory(Path.Combine(dir, "blobs", "sha256"));
        File.WriteAllText(Path.Combine(dir, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
    }

    public Desc AddBlob(byte[] data, string mediaType)
    {
        string digest = LayerTar.Sha256(data);
        File.WriteAllBytes(Path.Combine(Dir, "blobs", "sha256", digest[7..]), data);
        return new Desc(mediaType, digest, data.Length);
    }

    /// <summary>A layer from its uncompressed tar, compressed as asked, with the matching OCI media type.</summary>
    public LayerBlob AddLayer(byte[] tar, LayerCompression compression)
    {
        string mediaType = compression switch
        {
            LayerCompression.None => Media.OciLayer,
            LayerCompression.Gzip => Media.OciLayerGzip,
            _ => Media.OciLayerZstd,
        };
        return new LayerBlob(AddBlob(LayerTar.Compress(tar, compression), mediaType), LayerTar.Sha256(tar));
    }

    /// <summary>Writes config and manifest for these layers; returns the manifest's descriptor.</summary>
    public Desc AddImage(IReadOnlyList<LayerBlob> layers, string architecture = "amd64", string os = "linux",
        string[]? cmd = null, bool docker = false, string? label = null)
    {
        string config = Json(w =>
        {
            w.WriteString("created", "2023-11-14T22:13:20Z");
            w.WriteString("architecture", architecture);
            w.WriteString("os", os);
            w.WriteStartObject("config");
            w.WriteStartArray("Env");
            w.WriteStringValue("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
            w.WriteEndArray();
            w.WriteStartArray("Cmd");
            foreach (var c in cmd ?? ["sh"]) w.WriteStringValue(c);
            w.WriteEndArray();
            if (label is not null)
            {
                w.WriteStartObject("Labels");
                w.WriteString("minirun.test", label);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteStartObject("rootfs");
            w.WriteString("type", "layers");
            w.WriteStartArray("diff_ids");
            foreach (var l in layers) w.WriteStringValue(l.DiffId);
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteStartArray("history");
            for (int i = 0; i < layers.Count; i++)
            {
                w.WriteStartObject();
                w.WriteString("created", "2023-11-14T22:13:20Z");
                w.WriteString("created_by", $"minirun registry test layer {i + 1}");
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });
        var configDesc = AddBlob(Encoding.UTF8.GetBytes(config), docker ? Media.DockerConfig : Media.OciConfig);
        string manifest = Json(w =>
        {
            w.WriteNumber("schemaVersion", 2);
            w.WriteString("mediaType", docker ? Media.DockerManifest : Media.OciManifest);
            w.WritePropertyName("config");
            WriteDesc(w, configDesc);
            w.WriteStartArray("layers");
            foreach (var l in layers) WriteDesc(w, l.Blob);
            w.WriteEndArray();
        });
        return AddBlob(Encoding.UTF8.GetBytes(manifest), docker ? Media.DockerManifest : Media.OciManifest)
            .WithPlatform(os, architecture);
    }

    /// <summary>An image index blob over these manifests (their platform fields included).</summary>
    public Desc AddIndex(IReadOnlyList<Desc> manifests)
    {
        string index = Json(w =>
        {
            w.WriteNumber("schemaVersion", 2);
            w.WriteString("mediaType", Media.OciIndex);
            w.WriteStartArray("manifests");
            foreach (var m in manifests) WriteDesc(w, m);
            w.WriteEndArray();
        });
        return AddBlob(Encoding.UTF8.GetBytes(index), Media.OciIndex);
    }

    /// <summary>Names a manifest or index in index.json (written by <see cref="Save"/>).</summary>
    public OciLayoutWriter Tag(Desc desc, string tag)
    {
        tags.Add((desc, tag));
        return this;
    }

    public void Save()
    {
        File.WriteAllText(Path.Combine(Dir, "index.json"), Json(w =>
        {
            w.WriteNumber("schemaVersion", 2);
            w.WriteString("mediaType", Media.OciIndex);
            w.WriteStartArray("manifests");
            foreach (var (d, tag) in tags) WriteDesc(w, d, tag);
            w.WriteEndArray();
        }));
    }

    private static void WriteDesc(Utf8JsonWriter w, Desc d, string? tag = null)
    {
        w.WriteStartObject();
        w.WriteString("mediaType", d.MediaType);
        w.WriteString("digest", d.Digest);
        w.WriteNumber("size", d.Size);
        if (d.Architecture is not null && d.MediaType is Media.OciManifest or Media.DockerManifest)
        {
            w.WriteStartObject("platform");
            w.WriteString("architecture", d.Architecture);
            w.WriteString("os", d.Os ?? "linux");
            w.WriteEndObject();
        }
        if (tag is not null)
        {
            w.WriteStartObject("annotations");
            w.WriteString("org.opencontainers.image.ref.name", tag);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private static string Json(Action<Utf8JsonWriter> body)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }
}
