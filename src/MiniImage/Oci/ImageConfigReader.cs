// ImageConfigReader: reads an image config blob (ImageConfig with its ContainerConfig,
// ImageHealthcheck, RootFs and HistoryEntry) with a Utf8JsonReader, field by field.
//
// Why not JsonSerializer: every `minirun run` parses the image's config in a fresh process, and
// the serializer's one-time metadata setup cost more than the parse itself (see Json/JsonReading).
// ImageConfig.ToJson still writes with the serializer; HandReaderTests checks both agree.
//
// Semantics are the serializer's (Json/JsonReading), with one difference: JSON null for a property
// whose type is not nullable (architecture, os, rootfs, rootfs.type, rootfs.diff_ids) keeps the
// property's current value (its default) instead of storing a null the code does not expect, and
// a null history entry is a JsonException (the serializer would store a null element).
// Real configs carry many fields this model lacks (container_config, docker_version, ArgsEscaped, ...): they are skipped.
//
// Follows: OCI image-spec v1.1 config.md; Docker's image JSON (Healthcheck) for the extra fields.
using System.Text.Json;
using static MiniJson.JsonReading;

namespace MiniImage.Oci;

internal static class ImageConfigReader
{
    /// <summary>The config, or null if the document is JSON null; JsonException if malformed.</summary>
    public static ImageConfig? Read(ReadOnlySpan<byte> json) => Document(json, Config);

    private static ImageConfig Config(ref Utf8JsonReader r)
    {
        var c = new ImageConfig();
        if (!StartObject(ref r)) return c;
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "created": c.Created = NullableDateTimeOffset(ref r); break;
                case "author": c.Author = String(ref r); break;
                case "comment": c.Comment = String(ref r); break;
                case "architecture": c.Architecture = String(ref r) ?? c.Architecture; break;
                case "os": c.Os = String(ref r) ?? c.Os; break;
                case "variant": c.Variant = String(ref r); break;
                case "config": c.Config = r.TokenType == JsonTokenType.Null ? null : Container(ref r); break;
                case "rootfs": c.RootFs = r.TokenType == JsonTokenType.Null ? c.RootFs : RootFs(ref r); break;
                case "history": c.History = List(ref r, static (ref Utf8JsonReader r) => NonNullObject(ref r, History, "history entry")); break;
                default: r.Skip(); break;
            }
        }
        return c;
    }

    private static ContainerConfig Container(ref Utf8JsonReader r)
    {
        var c = new ContainerConfig();
        StartObject(ref r);
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "User": c.User = String(ref r); break;
                case "ExposedPorts": c.ExposedPorts = ElementMap(ref r); break;
                case "Env": c.Env = Strings(ref r); break;
                case "Entrypoint": c.Entrypoint = Strings(ref r); break;
                case "Cmd": c.Cmd = Strings(ref r); break;
                case "Volumes": c.Volumes = ElementMap(ref r); break;
                case "WorkingDir": c.WorkingDir = String(ref r); break;
                case "Labels": c.Labels = StringMap(ref r); break;
                case "StopSignal": c.StopSignal = String(ref r); break;
                case "Healthcheck": c.Healthcheck = r.TokenType == JsonTokenType.Null ? null : Healthcheck(ref r); break;
                case "Shell": c.Shell = Strings(ref r); break;
                case "OnBuild": c.OnBuild = Strings(ref r); break;
                default: r.Skip(); break;
            }
        }
        return c;
    }

    private static ImageHealthcheck Healthcheck(ref Utf8JsonReader r)
    {
        var h = new ImageHealthcheck();
        StartObject(ref r);
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "Test": h.Test = Strings(ref r); break;
                case "Interval": h.Interval = NullableInt64(ref r); break;
                case "Timeout": h.Timeout = NullableInt64(ref r); break;
                case "StartPeriod": h.StartPeriod = NullableInt64(ref r); break;
                case "Retries": h.Retries = NullableInt32(ref r); break;
                default: r.Skip(); break;
            }
        }
        return h;
    }

    private static RootFs RootFs(ref Utf8JsonReader r)
    {
        var f = new RootFs();
        StartObject(ref r);
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "type": f.Type = String(ref r) ?? f.Type; break;
                case "diff_ids": f.DiffIds = Strings(ref r) ?? f.DiffIds; break;
                default: r.Skip(); break;
            }
        }
        return f;
    }

    private static HistoryEntry History(ref Utf8JsonReader r)
    {
        var h = new HistoryEntry();
        StartObject(ref r);
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "created": h.Created = NullableDateTimeOffset(ref r); break;
                case "created_by": h.CreatedBy = String(ref r); break;
                case "author": h.Author = String(ref r); break;
                case "comment": h.Comment = String(ref r); break;
                case "empty_layer": h.EmptyLayer = NullableBoolean(ref r); break;
                default: r.Skip(); break;
            }
        }
        return h;
    }
}
