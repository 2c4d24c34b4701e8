// OciJsonReading: the building blocks of MiniImage's hand-written JSON readers (ImageConfigReader,
// ManifestReader, DescriptorReader, ImageRecordsReader): walk objects and arrays with a
// Utf8JsonReader and read scalars with the same rules as System.Text.Json's serializer.
//
// Why: `minirun run` parses images.json, an image config and a manifest on every start, in a
// fresh NativeAOT process. The serializer spends most of that time building its per-type
// metadata on first use (JsonTypeInfo.Configure, polymorphism attributes looked up by reflection
// even with a source-generated context); a Utf8JsonReader has no such setup. The writers keep the
// serializer; tests/MiniImage.Tests/Oci/HandReaderTests.cs checks that both give the same objects.
//
// Rules, as JsonSerializer with default options reads them: the reader's defaults (no comments,
// no trailing commas, depth 64, one value per document); property names are case-sensitive;
// unknown properties are skipped whatever their value; duplicate keys: the last one wins; a
// number out of range, a fraction for an integer, or a token of the wrong type is a
// JsonException. Errors of the reader's Get* methods (InvalidOperationException for a wrong
// token or bad UTF-8, FormatException for a bad number or date) become JsonException, as the
// serializer does.
//
// Follows: RFC 8259 (JSON); System.Text.Json's Utf8JsonReader and its documented converters.
using System.Text.Json;

namespace MiniImage.Oci;

internal static class OciJsonReading
{
    public delegate T ValueReader<T>(ref Utf8JsonReader r);

    /// <summary>
    /// Reads the one JSON value of <paramref name="json"/> with <paramref name="read"/>; null if the
    /// document is the literal null (JsonSerializer.Deserialize returns null then too).
    /// </summary>
    public static T? Document<T>(ReadOnlySpan<byte> json, ValueReader<T> read) where T : class
    {
        try
        {
            var r = new Utf8JsonReader(json);
            r.Read();                                  // throws JsonException on an empty document
            T? value = r.TokenType == JsonTokenType.Null ? null : read(ref r);
            if (r.Read())                              // the reader throws first on anything but whitespace
                throw new JsonException($"unexpected {r.TokenType} after the document at byte {r.TokenStartIndex}");
            return value;
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new JsonException(e.Message, e);
        }
        catch (JsonException e) when (e.GetType() != typeof(JsonException))
        {
            // The reader's own JsonReaderException: callers see a plain JsonException, as from the serializer.
            throw new JsonException(e.Message, e.Path, e.LineNumber, e.BytePositionInLine, e);
        }
    }

    /// <summary>False (reader still on the null) for JSON null; true on '{'; JsonException otherwise.</summary>
    public static bool StartObject(ref Utf8JsonReader r)
    {
        if (r.TokenType == JsonTokenType.Null) return false;
        Expect(ref r, JsonTokenType.StartObject);
        return true;
    }

    /// <summary>
    /// The next member of the object StartObject opened: its name, with the reader on its value.
    /// Whoever handles the value must leave the reader on the value's last token (r.Skip() does for
    /// any value). False at the closing '}'.
    /// </summary>
    public static bool NextProperty(ref Utf8JsonReader r, out string name)
    {
        r.Read();
        if (r.TokenType == JsonTokenType.EndObject) { name = ""; return false; }
        Expect(ref r, JsonTokenType.PropertyName);
        name = r.GetString()!;
        r.Read();
        return true;
    }

    /// <summary>Null for JSON null; the list otherwise. Each item must be read to its last token.</summary>
    public static List<T>? List<T>(ref Utf8JsonReader r, ValueReader<T> item)
    {
        if (r.TokenType == JsonTokenType.Null) return null;
        Expect(ref r, JsonTokenType.StartArray);
        var list = new List<T>();
        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
            list.Add(item(ref r));
        return list;
    }

    /// <summary>An object read as a dictionary; JSON null gives null; a repeated key: the last wins.</summary>
    public static Dictionary<string, T>? Map<T>(ref Utf8JsonReader r, ValueReader<T> value)
    {
        if (!StartObject(ref r)) return null;
        var map = new Dictionary<string, T>();
        while (NextProperty(ref r, out string key))
            map[key] = value(ref r);
        return map;
    }

    /// <summary>
    /// An object as a class: JSON null is refused where the serializer would store a null element
    /// that the code after it cannot handle (a null layer descriptor, a null image record).
    /// </summary>
    public static T NonNullObject<T>(ref Utf8JsonReader r, ValueReader<T> read, string what)
    {
        if (r.TokenType == JsonTokenType.Null)
            throw new JsonException($"{what} is null at byte {r.TokenStartIndex}");
        return read(ref r);
    }

    // A List<string> or Dictionary<string, string> keeps JSON null items as null, like the
    // serializer (it does not enforce nullable annotations); hence the `!`.
    public static List<string>? Strings(ref Utf8JsonReader r) => List(ref r, static (ref Utf8JsonReader r) => String(ref r)!);

    public static Dictionary<string, string>? StringMap(ref Utf8JsonReader r) =>
        Map(ref r, static (ref Utf8JsonReader r) => String(ref r)!);

    /// <summary>Any value, kept as parsed JSON (ExposedPorts and Volumes map to empty objects).</summary>
    public static Dictionary<string, JsonElement>? ElementMap(ref Utf8JsonReader r) =>
        Map(ref r, static (ref Utf8JsonReader r) => JsonElement.ParseValue(ref r));

    public static string? String(ref Utf8JsonReader r)
    {
        if (r.TokenType == JsonTokenType.Null) return null;
        Expect(ref r, JsonTokenType.String);
        return r.GetString();
    }

    public static long Int64(ref Utf8JsonReader r)
    {
        Expect(ref r, JsonTokenType.Number);
        if (!r.TryGetInt64(out long v)) throw NotA("Int64", ref r);
        return v;
    }

    public static int Int32(ref Utf8JsonReader r)
    {
        Expect(ref r, JsonTokenType.Number);
        if (!r.TryGetInt32(out int v)) throw NotA("Int32", ref r);
        return v;
    }

    public static long? NullableInt64(ref Utf8JsonReader r) => r.TokenType == JsonTokenType.Null ? null : Int64(ref r);

    public static int? NullableInt32(ref Utf8JsonReader r) => r.TokenType == JsonTokenType.Null ? null : Int32(ref r);

    public static bool? NullableBoolean(ref Utf8JsonReader r) => r.TokenType switch
    {
        JsonTokenType.Null => null,
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        _ => throw new JsonException($"expected True or False but found {r.TokenType} at byte {r.TokenStartIndex}"),
    };

    /// <summary>ISO 8601-1:2019 extended form, the format the serializer accepts (GetDateTimeOffset).</summary>
    public static DateTimeOffset DateTimeOffset(ref Utf8JsonReader r)
    {
        Expect(ref r, JsonTokenType.String);
        if (!r.TryGetDateTimeOffset(out var v)) throw NotA("DateTimeOffset", ref r);
        return v;
    }

    public static DateTimeOffset? NullableDateTimeOffset(ref Utf8JsonReader r) =>
        r.TokenType == JsonTokenType.Null ? null : DateTimeOffset(ref r);

    private static JsonException NotA(string type, ref Utf8JsonReader r) =>
        new($"the {r.TokenType} at byte {r.TokenStartIndex} is not a valid {type}");

    private static void Expect(ref Utf8JsonReader r, JsonTokenType type)
    {
        if (r.TokenType != type)
            throw new JsonException($"expected {type} but found {r.TokenType} at byte {r.TokenStartIndex}");
    }
}
