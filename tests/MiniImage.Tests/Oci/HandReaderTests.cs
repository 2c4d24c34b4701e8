// HandReaderTests: the hand-written Utf8JsonReader readers (ImageConfigReader, ManifestReader,
// DescriptorReader, ImageRecordsReader) give the same objects as JsonSerializer with the source-
// generated contexts the writers use. HandReaderErrorTests: malformed documents and nulls.
//
// Why: the readers replaced the serializer on the path of every `minirun run` for speed; nothing
// else about parsing may change. "Same object" is checked by serializing both results with the
// existing contexts and comparing the bytes (order of dictionaries and lists included).
// Follows: OCI image-spec v1.1 config.md, manifest.md, descriptor.md; Docker's image JSON.
using System.Text;
using System.Text.Json;
using MiniImage.Oci;
using MiniImage.Store;

namespace MiniImage.Tests.Oci;

public sealed class HandReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("miniimage-handreader-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string H1 = "3e6acf09ae3510b9fa3ca3b8a1beea0743be933a55aef135888da7b7ecabfe47";
    private const string H2 = "a100196a5a814958db3769bf02e9da3a71bf1b02d1f44bea43d0f54011246b35";
    private const string H3 = "5e1011ec9f4bc4ef007f9e72fcb60cb854943090fdbbc0789a65c5a3c7e91397";

    // ---- comparison helpers ----

    private static void ConfigSame(byte[] json)
    {
        var expected = JsonSerializer.Deserialize(json, ImageConfigJsonContext.Default.ImageConfig);
        var actual = ImageConfigReader.Read(json);
        Assert.Equal(expected is null, actual is null);
        if (expected is null) return;
        Assert.Equal(Encoding.UTF8.GetString(expected.ToJson()), Encoding.UTF8.GetString(actual!.ToJson()));
    }

    private static void ManifestSame(byte[] json)
    {
        var expected = JsonSerializer.Deserialize(json, OciJsonContext.Default.ImageManifest);
        var actual = ManifestReader.Read(json);
        Assert.Equal(expected is null, actual is null);
        if (expected is null) return;
        Assert.Equal(Encoding.UTF8.GetString(expected.ToJson()), Encoding.UTF8.GetString(actual!.ToJson()));
    }

    private static void RecordsSame(byte[] json)
    {
        var expected = JsonSerializer.Deserialize(json, StoreJsonContext.Default.ImageRecords);
        var actual = ImageRecordsReader.Read(json);
        Assert.Equal(expected is null, actual is null);
        if (expected is null) return;
        Assert.Equal(Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(expected, StoreJsonContext.Default.ImageRecords)),
            Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(actual!, StoreJsonContext.Default.ImageRecords)));
    }

    private static byte[] U(string s) => Encoding.UTF8.GetBytes(s);

    // ---- well-formed documents: same objects ----

    public static TheoryData<string> Configs => new()
    {
        // rootfs-fixtures/build-busybox.sh's config blob, byte for byte.
        """{"created":"2023-11-14T22:13:20Z","architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:3e6acf09ae3510b9fa3ca3b8a1beea0743be933a55aef135888da7b7ecabfe47"]},"history":[{"created":"2023-11-14T22:13:20Z","created_by":"rootfs-fixtures/build-busybox.sh: Debian busybox-static 1:1.35.0-4+deb12u1+b1"}]}""",
        // Docker-style: every field, plus fields this model does not have.
        $$$$"""
        {
          "architecture": "arm64", "variant": "v8", "os": "linux", "author": "Ann <ann@example.org>",
          "created": "2024-02-29T13:14:15.123456789+02:00",
          "docker_version": "24.0.7", "os.version": "10.0", "container": "0c1d2e",
          "config": {
            "Hostname": "", "Domainname": "", "User": "1000:1000", "AttachStdin": false, "Tty": false,
            "ExposedPorts": {"80/tcp": {}, "53/udp": {"odd": [1, 2, {"x": null}]}, "443/tcp": null},
            "Env": ["PATH=/usr/bin", "LANG=C.UTF-8", ""],
            "Entrypoint": ["/docker-entrypoint.sh"], "Cmd": ["nginx", "-g", "daemon off;"],
            "ArgsEscaped": true, "Image": "sha256:{{{{H1}}}}",
            "Volumes": {"/var/cache/nginx": {}, "/data": {"deep": {"deeper": [[[]]]}}},
            "WorkingDir": "/srv", "OnBuild": null, "Shell": ["/bin/sh", "-c"],
            "Labels": {"maintainer": "NGINX", "org.opencontainers.image.version": "1.25", "empty": ""},
            "StopSignal": "SIGQUIT",
            "Healthcheck": {"Test": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"], "Interval": 30000000000,
                            "Timeout": 9223372036854775807, "StartPeriod": -1, "Retries": 2147483647, "StartInterval": 5}
          },
          "container_config": {"Hostname": "0c1d2e", "Cmd": ["/bin/sh", "-c", "#(nop) CMD [\"nginx\"]"], "Labels": {}},
          "rootfs": {"type": "layers", "diff_ids": ["sha256:{{{{H1}}}}", "sha256:{{{{H2}}}}"], "extra": [1, "two", null, true]},
          "history": [
            {"created": "2024-01-01T00:00:00Z", "created_by": "/bin/sh -c #(nop) ADD file:abc in / ", "comment": "buildkit.dockerfile.v0"},
            {"created": "2024-01-01T00:00:01Z", "created_by": "/bin/sh -c #(nop)  CMD [\"sh\"]", "empty_layer": true, "author": "x"},
            {"empty_layer": false, "unknown": {"a": [{}]}}
          ],
          "moby.buildkit.buildinfo.v1": "eyJmcm9udGVuZCI6ImRvY2tlcmZpbGUudjAifQ=="
        }
        """,
        // Nulls everywhere a nullable field allows one.
        """{"created":null,"author":null,"architecture":"amd64","os":"linux","variant":null,"config":null,"rootfs":{"type":"layers","diff_ids":[]},"history":null}""",
        """{"architecture":"amd64","os":"linux","config":{"User":null,"ExposedPorts":null,"Env":null,"Entrypoint":null,"Cmd":null,"Volumes":null,"WorkingDir":null,"Labels":null,"StopSignal":null,"Healthcheck":null},"rootfs":{"type":"layers","diff_ids":["sha256:x"]}}""",
        """{"config":{"Healthcheck":{"Test":null,"Interval":null,"Timeout":null,"StartPeriod":null,"Retries":null}},"history":[{"created":null,"created_by":null,"author":null,"comment":null,"empty_layer":null},{"empty_layer":true}]}""",
        // Null items inside string lists and maps are kept as null, like the serializer.
        """{"config":{"Env":[null,"A=1"],"Labels":{"a":null}},"rootfs":{"diff_ids":[null]}}""",
        // Escapes and non-ASCII text, in values, keys and property names ("\u0045nv" is "Env").
        """{"author":"Zo\u00eb \"Z\" \\ \/ \b\f\n\r\t \ud83d\ude00 日本語 émigré","config":{"\u0045nv":["K=v\u0000w","ÄÖÜ=ß"],"Labels":{"ключ":"значение","a\"b":"\u2028"},"WorkingDir":"/home/\u00fc"},"os":"lin\u0075x"}""",
        // Duplicate keys: the last one wins, for properties, objects, lists and map keys.
        """{"os":"windows","os":"linux","config":{"Cmd":["a"],"Labels":{"k":"1","j":"x","k":"2"},"Cmd":["b","c"]},"config":{"User":"root","Env":["X=1"],"Env":["Y=2"]},"rootfs":{"type":"a","diff_ids":["1"]},"rootfs":{"type":"b"}}""",
        // Names that look like serializer metadata or differ only in case are plain unknown members.
        """{"$id":"1","$type":"x","$ref":"y","OS":"plan9","Architecture":"x","config":{"env":["lower"],"cmd":["lower"],"Labels":{"$id":"label","$values":"v"}}}""",
        // Empty objects and lists, whitespace of every kind, a trailing newline.
        " \t\r\n{ \"config\" : { \"Env\" : [ ] , \"Labels\" : { } } , \"rootfs\" : { } , \"history\" : [ ] }\n\n",
        "{}",
        "null",
        // Dates: offsets, fractions, no seconds fraction.
        """{"created":"2021-12-31T23:59:59.9999999-11:30","history":[{"created":"2000-01-01T00:00:00+14:00"},{"created":"2009-06-15T13:45:30.5"}]}""",
        // Integers at the edges of their ranges.
        """{"config":{"Healthcheck":{"Interval":0,"Timeout":-9223372036854775808,"StartPeriod":1000,"Retries":-2147483648}}}""",
    };

    [Theory, MemberData(nameof(Configs))]
    public void Config_SameAsSerializer(string json) => ConfigSame(U(json));

    public static TheoryData<string> Manifests => new()
    {
        // rootfs-fixtures/build-busybox.sh's manifest blob, byte for byte.
        """{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:a100196a5a814958db3769bf02e9da3a71bf1b02d1f44bea43d0f54011246b35","size":424},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:5e1011ec9f4bc4ef007f9e72fcb60cb854943090fdbbc0789a65c5a3c7e91397","size":1031872}]}""",
        // Annotations, urls, platform, artifactType, subject and unknown fields.
        $$$$"""
        {
          "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "artifactType": "application/x.example",
          "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:{{{{H2}}}}", "size": 424,
                     "annotations": {"a": "b"}, "data": "e30=", "urls": null, "platform": null},
          "layers": [
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:{{{{H3}}}}", "size": 1031872,
             "urls": ["https://example.org/layer", "https://mirror.example.org/layer?x=1&y=\u00e9"],
             "annotations": {"org.opencontainers.image.title": "layer.tar.gz", "com.example.note": "日本"},
             "platform": {"architecture": "arm", "os": "linux", "variant": "v7", "os.version": "1.2", "os.features": ["a", "b"], "features": ["sse4"]},
             "artifactType": "application/x.layer"},
            {"mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", "digest": "sha256:{{{{H1}}}}", "size": 9223372036854775807,
             "urls": [], "annotations": {}}
          ],
          "subject": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:{{{{H1}}}}", "size": 1},
          "annotations": {"org.opencontainers.image.created": "2024-01-01T00:00:00Z", "dup": "1", "dup": "2"},
          "x-unknown": [[{"deep": [null, true, false, 1.5e300]}]]
        }
        """,
        // Docker schema 2, nullable fields null, duplicates.
        """{"schemaVersion":1,"schemaVersion":2,"mediaType":null,"artifactType":null,"annotations":null,"config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":0,"digest":"sha256:x"},"layers":[]}""",
        """{"layers":[{"platform":{"os.features":null,"variant":null,"os.version":null}}]}""",
        "{}",
        "null",
    };

    [Theory, MemberData(nameof(Manifests))]
    public void Manifest_SameAsSerializer(string json) => ManifestSame(U(json));

    public static TheoryData<string> RecordsDocuments => new()
    {
        // Several images, tags, unpacked layer sizes and repoDigests, as ImageRecords.Write indents them.
        $$$$"""
        {
          "images": {
            "sha256:{{{{H2}}}}": {
              "manifest": "sha256:{{{{H3}}}}", "created": "2023-11-14T22:13:20+00:00",
              "diffIds": ["sha256:{{{{H1}}}}"], "blobSize": 1031872, "loaded": "2025-01-02T03:04:05.6789012+01:00",
              "repoDigests": ["docker.io/library/busybox@sha256:{{{{H3}}}}", "registry.local:5000/bb@sha256:{{{{H3}}}}"]
            },
            "sha256:{{{{H1}}}}": {
              "manifest": "sha256:{{{{H2}}}}", "diffIds": ["sha256:{{{{H3}}}}", "sha256:{{{{H2}}}}"], "blobSize": 0,
              "loaded": "2025-01-02T03:04:05Z", "created": null, "repoDigests": null, "future": {"field": [1]}
            },
            "sha256:{{{{H3}}}}": {"loaded": "2025-01-02T03:04:05Z"}
          },
          "tags": {
            "docker.io/library/busybox:latest": "sha256:{{{{H2}}}}",
            "docker.io/library/busybox:1.35": "sha256:{{{{H2}}}}",
            "localhost:5000/app:v\u00e9": "sha256:{{{{H1}}}}"
          },
          "layers": {"sha256:{{{{H1}}}}": 2345678, "sha256:{{{{H3}}}}": 9223372036854775807, "sha256:{{{{H2}}}}": 0},
          "version": 3
        }
        """,
        """{"images":{},"tags":{},"layers":{}}""",
        """{"tags":{"a":"1","a":"2"},"layers":{"x":1,"x":2},"images":{"i":{"loaded":"2025-01-02T03:04:05Z","blobSize":1,"blobSize":2}}}""",
        "{}",
        "null",
    };

    [Theory, MemberData(nameof(RecordsDocuments))]
    public void Records_SameAsSerializer(string json) => RecordsSame(U(json));

    [Fact]
    public void Records_WrittenByWriteAreReadBack()
    {
        var paths = new StorePaths(_dir);
        paths.EnsureDirectories();
        var records = new ImageRecords();
        records.Images["sha256:" + H2] = new ImageRecord
        {
            Manifest = "sha256:" + H3, Created = DateTimeOffset.Parse("2023-11-14T22:13:20Z"), DiffIds = ["sha256:" + H1],
            BlobSize = 12, Loaded = DateTimeOffset.Parse("2025-01-02T03:04:05.1234567+05:30"), RepoDigests = ["r@sha256:" + H3],
        };
        records.Tags["docker.io/library/busybox:latest"] = "sha256:" + H2;
        records.Layers["sha256:" + H1] = 99;
        records.Write(paths);
        RecordsSame(File.ReadAllBytes(paths.ImagesJson));
        var back = ImageRecords.Read(paths);
        Assert.Equal(99, back.SizeOf(back.Images["sha256:" + H2]));
        Assert.Equal(["docker.io/library/busybox:latest"], back.TagsOf("sha256:" + H2));
    }

    [Fact]
    public void Config_ToJsonIsReadBack()
    {
        var config = new ImageConfig
        {
            Created = DateTimeOffset.Parse("2023-11-14T22:13:20Z"), Architecture = "amd64", Os = "linux",
            Config = new ContainerConfig
            {
                User = "u", Env = ["A=1"], Cmd = ["sh"], Entrypoint = ["/e"], WorkingDir = "/w", StopSignal = "SIGINT",
                Labels = new() { ["k"] = "v" }, ExposedPorts = new() { ["80/tcp"] = JsonDocument.Parse("{}").RootElement },
                Healthcheck = new ImageHealthcheck { Test = ["NONE"], Interval = 1, Timeout = 2, StartPeriod = 3, Retries = 4 },
            },
            RootFs = new RootFs { DiffIds = ["sha256:" + H1] },
            History = [new HistoryEntry { CreatedBy = "x", EmptyLayer = true }],
        };
        ConfigSame(config.ToJson());
        Assert.Equal(config.ToJson(), ImageConfig.Parse(config.ToJson()).ToJson());
    }
}
