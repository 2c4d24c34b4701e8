// HandReaderErrorTests: the hand-written Utf8JsonReader readers (ImageConfigReader, ManifestReader,
// DescriptorReader, ImageRecordsReader, built on Json/JsonReading) fail on malformed documents and
// values of the wrong type with the serializer's exception type, wrapped as before by the public
// APIs; and the deliberate differences: JSON null where the code expects none.
//
// Why: the readers replaced the serializer on the path of every `minirun run` for speed; errors
// must not change. HandReaderTests checks well-formed documents.
// Follows: OCI image-spec v1.1 config.md, manifest.md, descriptor.md; RFC 8259 (JSON).
using System.Text;
using System.Text.Json;
using MiniImage.Oci;
using MiniImage.Store;

namespace MiniImage.Tests.Oci;

public sealed class HandReaderErrorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("miniimage-handreader-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] U(string s) => Encoding.UTF8.GetBytes(s);

    // ---- malformed documents: JsonException from both, wrapped as before by the public APIs ----

    public static TheoryData<string> MalformedConfigs => new()
    {
        "", " ", "{", """{"os":"linux" """, """{"os":}""", """{"os":"linux",}""", """{"os" "x"}""", """{os:"x"}""",
        "[]", "\"text\"", "1", "true", "{} {}", "{}x", "{/*c*/}", "{}//c", """{"os":'x'}""", """{"os":"a\x"}""",
        """{"os":"tab	inside"}""", """{"config":{"Env":["a",]}}""", """{"config":{"Env":["a"}}""",
        // Tokens of the wrong type.
        """{"architecture":1}""", """{"os":true}""", """{"os":{}}""", """{"config":"x"}""", """{"config":[]}""",
        """{"config":{"Env":"x"}}""", """{"config":{"Env":[1]}}""", """{"config":{"Env":[["a"]]}}""", """{"config":{"Labels":[]}}""",
        """{"config":{"Labels":{"a":1}}}""", """{"config":{"Healthcheck":[]}}""", """{"rootfs":"layers"}""", """{"rootfs":{"diff_ids":{}}}""",
        """{"history":{}}""", """{"history":["x"]}""", """{"history":[{"empty_layer":"true"}]}""", """{"history":[{"empty_layer":1}]}""",
        """{"created":5}""", """{"created":"yesterday"}""", """{"created":"2023-13-01T00:00:00Z"}""", """{"created":true}""",
        // Numbers: out of range, fractions, strings.
        """{"config":{"Healthcheck":{"Retries":2147483648}}}""", """{"config":{"Healthcheck":{"Interval":9223372036854775808}}}""",
        """{"config":{"Healthcheck":{"Interval":1.5}}}""", """{"config":{"Healthcheck":{"Interval":"5"}}}""",
        """{"config":{"Healthcheck":{"Retries":1e10}}}""", """{"config":{"Healthcheck":{"StartPeriod":1E3}}}""", """{"config":{"Healthcheck":{"Interval":01}}}""",
        """{"config":{"Healthcheck":{"Interval":-}}}""", """{"config":{"Healthcheck":{"Retries":true}}}""",
        // Malformed inside a skipped member is still malformed.
        """{"container_config":{"Cmd":[1,]}}""", """{"docker_version":nul}""", """{"unknown":[}""",
        // Deeper than the default maximum depth of 64.
        "{\"x\":" + new string('[', 70) + new string(']', 70) + "}",
    };

    [Theory, MemberData(nameof(MalformedConfigs))]
    public void Config_MalformedThrowsJsonExceptionLikeSerializer(string json)
    {
        byte[] data = U(json);
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(data, ImageConfigJsonContext.Default.ImageConfig));
        Assert.Throws<JsonException>(() => ImageConfigReader.Read(data));
        Assert.Throws<JsonException>(() => ImageConfig.Parse(data));
    }

    [Fact]
    public void Config_InvalidUtf8AndByteOrderMarkThrowJsonExceptionLikeSerializer()
    {
        byte[][] documents =
        [
            [.. U("""{"os":" """), 0xff, 0xfe, .. U("\"}")],
            [.. U("""{"config":{"Env":[" """), 0xc3, .. U("\"]}}")],
            [0xef, 0xbb, 0xbf, .. U("{}")],
        ];
        foreach (byte[] data in documents)
        {
            Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(data, ImageConfigJsonContext.Default.ImageConfig));
            Assert.Throws<JsonException>(() => ImageConfig.Parse(data));
        }
    }

    [Fact]
    public void Config_NullDocumentIsInvalidData() =>
        Assert.Equal("image config: empty document", Assert.Throws<InvalidDataException>(() => ImageConfig.Parse(U("null"))).Message);

    public static TheoryData<string> MalformedManifests => new()
    {
        "", "{", "[]", "{}{}", """{"schemaVersion":"2"}""", """{"schemaVersion":2.0}""", """{"schemaVersion":4294967298}""",
        """{"schemaVersion":null}""", """{"config":[]}""", """{"config":{"size":-1.5}}""", """{"config":{"size":null}}""",
        """{"config":{"size":"1"}}""", """{"config":{"digest":1}}""", """{"layers":{}}""", """{"layers":[1]}""",
        """{"layers":[{"urls":"x"}]}""", """{"layers":[{"annotations":{"a":[]}}]}""", """{"layers":[{"platform":"linux"}]}""",
        """{"layers":[{"platform":{"os.features":[1]}}]}""", """{"annotations":[]}""", """{"mediaType":{}}""",
        """{"subject":{"size":}}""",
    };

    [Theory, MemberData(nameof(MalformedManifests))]
    public void Manifest_MalformedThrowsLikeSerializer(string json)
    {
        byte[] data = U(json);
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(data, OciJsonContext.Default.ImageManifest));
        Assert.Throws<JsonException>(() => ManifestReader.Read(data));
        Assert.StartsWith("parse m: ", Assert.Throws<MiniImageException>(() => ImageManifest.Parse(data, "m")).Message);
    }

    [Fact]
    public void Manifest_ValidationStillApplies()
    {
        Assert.Equal("parse m: empty document", Assert.Throws<MiniImageException>(() => ImageManifest.Parse(U("null"), "m")).Message);
        Assert.Equal("parse m: unsupported schemaVersion 0 (expected 2)", Assert.Throws<MiniImageException>(() => ImageManifest.Parse(U("{}"), "m")).Message);
        Assert.Contains("is not an image manifest", Assert.Throws<MiniImageException>(() =>
            ImageManifest.Parse(U("""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json"}"""), "m")).Message);
    }

    public static TheoryData<string> MalformedRecords => new()
    {
        "", "{", "[]", """{"images":[]}""", """{"tags":[]}""", """{"tags":{"a":1}}""", """{"layers":{"a":"big"}}""",
        """{"layers":{"a":null}}""", """{"layers":{"a":1.5}}""", """{"layers":{"a":9223372036854775808}}""",
        """{"images":{"x":"y"}}""", """{"images":{"x":{"loaded":null}}}""", """{"images":{"x":{"loaded":"now"}}}""",
        """{"images":{"x":{"blobSize":"1"}}}""", """{"images":{"x":{"diffIds":"a"}}}""", """{"images":{"x":{"repoDigests":[{}]}}}""",
        """{"images":{"x":{"manifest":1}}}""", """{"images":{"x":{"created":1}}}""",
    };

    [Theory, MemberData(nameof(MalformedRecords))]
    public void Records_MalformedThrowsLikeSerializer(string json)
    {
        byte[] data = U(json);
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(data, StoreJsonContext.Default.ImageRecords));
        Assert.Throws<JsonException>(() => ImageRecordsReader.Read(data));
        var paths = new StorePaths(_dir);
        File.WriteAllBytes(paths.ImagesJson, data);
        Assert.StartsWith($"parse {paths.ImagesJson}: ", Assert.Throws<MiniImageException>(() => ImageRecords.Read(paths)).Message);
    }

    [Fact]
    public void Records_NullDocumentAndMissingFileAreEmpty()
    {
        var paths = new StorePaths(_dir);
        Assert.Empty(ImageRecords.Read(paths).Images);
        File.WriteAllBytes(paths.ImagesJson, U("null"));
        Assert.Empty(ImageRecords.Read(paths).Tags);
    }

    // ---- the deliberate differences: nulls the serializer would store where the code expects none ----

    [Fact]
    public void NullForNonNullableProperty_KeepsTheDefault()
    {
        var c = ImageConfigReader.Read(U("""{"architecture":"amd64","architecture":null,"os":null,"rootfs":null}"""))!;
        Assert.Equal("amd64", c.Architecture);
        Assert.Equal("", c.Os);
        Assert.Equal("layers", c.RootFs.Type);
        Assert.Empty(c.RootFs.DiffIds);
        var f = ImageConfigReader.Read(U("""{"rootfs":{"type":null,"diff_ids":null}}"""))!.RootFs;
        Assert.Equal("layers", f.Type);
        Assert.Empty(f.DiffIds);

        var m = ManifestReader.Read(U("""{"config":null,"layers":null}"""))!;
        Assert.Equal("", m.Config.MediaType);
        Assert.Empty(m.Layers);
        var d = ManifestReader.Read(U("""{"config":{"mediaType":null,"digest":null,"platform":{"os":null,"architecture":null}}}"""))!.Config;
        Assert.Equal("", d.MediaType);
        Assert.Equal("", d.Digest);
        Assert.Equal("/", d.Platform!.ToString());
        Assert.Contains("is not an image config", Assert.Throws<MiniImageException>(() =>
            ImageManifest.Parse(U("""{"schemaVersion":2,"config":null}"""), "m")).Message);

        var r = ImageRecordsReader.Read(U("""{"images":null,"tags":null,"layers":null}"""))!;
        Assert.Empty(r.Images);
        Assert.Empty(r.Tags);
        Assert.Empty(r.Layers);
        var rec = ImageRecordsReader.Read(U("""{"images":{"i":{"manifest":null,"diffIds":null,"loaded":"2025-01-02T03:04:05Z"}}}"""))!.Images["i"];
        Assert.Equal("", rec.Manifest);
        Assert.Empty(rec.DiffIds);
    }

    [Fact]
    public void NullObjectElement_IsJsonException()
    {
        Assert.Throws<JsonException>(() => ImageConfig.Parse(U("""{"history":[{},null]}""")));
        Assert.StartsWith("parse m: ", Assert.Throws<MiniImageException>(() =>
            ImageManifest.Parse(U("""{"schemaVersion":2,"layers":[null]}"""), "m")).Message);
        Assert.Throws<JsonException>(() => ImageRecordsReader.Read(U("""{"images":{"x":null}}""")));
    }
}
