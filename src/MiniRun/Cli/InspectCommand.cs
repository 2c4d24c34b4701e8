// InspectCommand: `inspect [-f FORMAT] [--type container|image] NAME...` and `image inspect`:
// one JSON array holding a document per name (containers and images may be mixed), or one line
// per name rendered with -f.
//
// Why: Docker's rule for a bare `inspect`: each name is looked up as a container first (name,
// full ID or unique ID prefix), then as an image; --type restricts it to one kind. Names that
// match nothing are reported on stderr ("Error: No such object: X") after the array, and the
// exit status is 1, as Docker does.
//
// Follows: docker-inspect(1), docker-image-inspect(1), docker-container-inspect(1).
using System.Text.Encodings.Web;
using System.Text.Json;
using MiniImage;
using MiniImage.Store;
using MiniRun.Containers;
using MiniJson;

namespace MiniRun.Cli;

public static class InspectCommand
{
    /// <param name="type">null (containers, then images), "container" or "image".</param>
    public static int Run(string root, IReadOnlyList<string> names, string? format, string? type,
        TextWriter stdout, TextWriter stderr, InspectHost? host = null)
    {
        if (type is not (null or "image" or "container"))
            throw new CliError($"{GoQuote.Quote(type)} is not a valid value for --type", 1);
        host ??= InspectHost.Real;
        var containers = type != "image" && Directory.Exists(Path.Combine(root, "containers")) ? new ContainerStore(root) : null;
        var images = type != "container" ? new ImageStore(root) : null;
        var docs = new List<byte[]>();
        int status = 0;
        foreach (string name in names)
        {
            string? error = null;
            if (containers is not null)
            {
                try
                {
                    var c = containers.Find(name);
                    docs.Add(Serialize(w => InspectContainerJson.Write(w, c, containers.DirOf(c.Id), host)));
                    continue;
                }
                catch (ContainerNotFoundException) { }
                catch (MiniRun.Spec.RunConfigException e) { error = e.Message; }
                catch (Exception e) when (e is IOException or JsonException or InvalidDataException) { error = $"inspect container {name}: {e.Message}"; }
            }
            if (images is not null && error is null)
            {
                try
                {
                    if (images.Inspect(name) is { } details)
                    {
                        var doc = ImageInspect.Document(details);
                        docs.Add(Serialize(w => JsonSerializer.Serialize(w, doc, ImageInspectJsonContext.Docker.ImageInspectDocument)));
                        continue;
                    }
                }
                catch (MiniImageException) { }
            }
            status = 1;
            stderr.WriteLine("Error: " + (error ?? type switch
            {
                "image" => $"No such image: {name}",
                "container" => $"No such container: {name}",
                _ => $"No such object: {name}",
            }));
        }
        if (format is null)
        {
            stdout.WriteLine(JsonArray(docs));
            return status;
        }
        foreach (var doc in docs)
        {
            using var json = JsonDocument.Parse(doc);
            stdout.WriteLine(ImageInspectTemplate.Render(format, json.RootElement));
        }
        return status;
    }

    private static readonly JsonWriterOptions Docker = new()
    {
        Indented = true,
        IndentSize = 4,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>One document as indented JSON.</summary>
    public static byte[] Serialize(Action<Utf8JsonWriter> write)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, Docker)) write(w);
        return ms.ToArray();
    }

    /// <summary>The documents as Docker prints them: an indented array ("[]" when empty).</summary>
    public static string JsonArray(IReadOnlyList<byte[]> docs)
    {
        var bytes = Serialize(w =>
        {
            w.WriteStartArray();
            foreach (var d in docs)
            {
                using var doc = JsonDocument.Parse(d);
                doc.RootElement.WriteTo(w);
            }
            w.WriteEndArray();
        });
        return System.Text.Encoding.UTF8.GetString(bytes);
    }
}
