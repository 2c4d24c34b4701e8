// JsonReading (project MiniJson, shared by MiniImage and the runtime core): the building blocks of every hand-written JSON reader
// (ImageConfigReader, ManifestReader, DescriptorReader, ImageRecordsReader; MiniRun's
// ContainerRecordReader and RuntimeSpecReader): walk objects and arrays with a Utf8JsonReader and
// read scalars with the same rules as System.Text.Json's serializer. One copy, so that every reader
// checks tokens and reports errors the same way.
//
// Why: `minirun run` parses images.json, an image config, a manifest, config.json and container.json
// in fresh NativeAOT processes. The serializer spends most of that time building its per-type
// metadata on first use (JsonTypeInfo.Configure, polymorphism attributes looked up by reflection
// even with a source-generated context); a Utf8JsonReader has no such setup. Each reader's tests
// compare it with the serializer it replaced.
//
// Rules, as JsonSerializer with default options reads them: property names are case-sensitive;
// unknown properties are skipped whatever their value (r.Skip()); duplicate keys: the last one
// wins; a number out of range, a fraction for an integer, or a token of the wrong type is a
// JsonException ("expected a string but found Number at byte 12"). Document also gives the
// reader's defaults (no comments, no trailing commas, depth 64, one value per document) and turns
// the reader's other errors (InvalidOperationException for bad UTF-8, FormatException) into
// JsonException, as the serializer does.
// Null: StartObject, StartArray, List and Map say "null" (false or a null result) and let the
// caller choose its default; lists and maps of strings keep null items as null, like the serializer
// (it does not enforce nullable annotations), unless asked to read them as "".
//
// Follows: RFC 8259 (JSON); System.Text.Json's Utf8JsonReader and its documented converters.
using System.Text.Json;

namespace MiniJson;

public static class JsonReading
{
    /// <summary>Reads one value; must leave the reader on the value's last token.</summary>
    public delegate T ValueReader<T>(ref Utf8JsonReader r);

    // ---- documents ----

    /// <summary>
    /// Reads the one JSON value of <paramref name="json"/> with <paramref name="read"/>; null if the
    /// document is the literal null (JsonSerializer.Deserialize returns null then too). Every error
    /// is a plain JsonException: an empty document, trailing data, bad UTF-8, a wrong token.
    /// </summary>
    public static T? Document<T>(ReadOnlySpan<byte> json, ValueReader<T> read) where T : class
    {
        try
        {
            var r = new Utf8JsonReader(json);
            r.Read();                                  // throws JsonException on an empty document
            T? value = r.TokenType == JsonTokenType.Null ? null : read(ref r);
            if (r.Read())                              // the reader throws first on anything but whitespace
                throw Expected(ref r, "the end of the document");
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

    // ---- objects and arrays ----

    /// <summary>False (reader still on the null) for JSON null; true on '{'; JsonException otherwise.</summary>
    public static bool StartObject(ref Utf8JsonReader r)
    {
        if (r.TokenType == JsonTokenType.Null) return false;
        Expect(ref r, JsonTokenType.StartObject, "an object");
        return true;
    }

    /// <summary>
    /// The next member of the object StartObject opened: its name, with the reader on its value.
    /// Whoever handles the value must leave the reader on the value's last token (r.Skip() does for
    /// any value). False at the closing '}'.
    /// </summary>
    public static bool NextProperty(ref Utf8JsonReader r, out string name)
    {
        Next(ref r);
        if (r.TokenType == JsonTokenType.EndObject) { name = ""; return false; }
        Expect(ref r, JsonTokenType.PropertyName, "a property name");
        name = r.GetString()!;
        Next(ref r);
        return true;
    }

    /// <summary>False (reader still on the null) for JSON null; true on '['; JsonException otherwise.</summary>
    public static bool StartArray(ref Utf8JsonReader r)
    {
        if (r.TokenType == JsonTokenType.Null) return false;
        Expect(ref r, JsonTokenType.StartArray, "an array");
        return true;
    }

    /// <summary>The next item of the array StartArray opened: true with the reader on it, false at the closing ']'.</summary>
    public static bool NextItem(ref Utf8JsonReader r)
    {
        Next(ref r);
        return r.TokenType != JsonTokenType.EndArray;
    }

    /// <summary>Null for JSON null; the list otherwise. <paramref name="item"/> reads each item, JSON null included.</summary>
    public static List<T>? List<T>(ref Utf8JsonReader r, ValueReader<T> item)
    {
        if (!StartArray(ref r)) return null;
        var list = new List<T>();
        while (NextItem(ref r))
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

    // ---- strings ----

    /// <summary>A string, or null for JSON null.</summary>
    public static string? String(ref Utf8JsonReader r)
    {
        if (r.TokenType == JsonTokenType.Null) return null;
        Expect(ref r, JsonTokenType.String, "a string");
        return r.GetString();
    }

    /// <summary>
    /// A list of strings, or null for JSON null. A null item stays null, as in the serializer (hence
    /// the `!`), or becomes "" with <paramref name="nullItemsAsEmpty"/> (for lists that hold no nulls).
    /// </summary>
    public static List<string>? Strings(ref Utf8JsonReader r, bool nullItemsAsEmpty = false) =>
        nullItemsAsEmpty ? List(ref r, StringOrEmpty) : List(ref r, StringOrNull);

    /// <summary>An object of strings, or null for JSON null; null values as in <see cref="Strings"/>.</summary>
    public static Dictionary<string, string>? StringMap(ref Utf8JsonReader r, bool nullValuesAsEmpty = false) =>
        nullValuesAsEmpty ? Map(ref r, StringOrEmpty) : Map(ref r, StringOrNull);

    private static string StringOrNull(ref Utf8JsonReader r) => String(ref r)!;

    private static string StringOrEmpty(ref Utf8JsonReader r) => String(ref r) ?? "";

    /// <summary>Any value, kept as parsed JSON (ExposedPorts and Volumes map to empty objects).</summary>
    public static Dictionary<string, JsonElement>? ElementMap(ref Utf8JsonReader r) =>
        Map(ref r, static (ref Utf8JsonReader r) => JsonElement.ParseValue(ref r));

    // ---- numbers, booleans, dates: JSON null is an error unless the name says Nullable ----

    public static int Int32(ref Utf8JsonReader r) =>
        r.TokenType == JsonTokenType.Number && r.TryGetInt32(out int v) ? v : throw Expected(ref r, "a 32-bit integer");

    public static long Int64(ref Utf8JsonReader r) =>
        r.TokenType == JsonTokenType.Number && r.TryGetInt64(out long v) ? v : throw Expected(ref r, "a 64-bit integer");

    public static uint UInt32(ref Utf8JsonReader r) =>
        r.TokenType == JsonTokenType.Number && r.TryGetUInt32(out uint v) ? v : throw Expected(ref r, "an unsigned 32-bit integer");

    public static ulong UInt64(ref Utf8JsonReader r) =>
        r.TokenType == JsonTokenType.Number && r.TryGetUInt64(out ulong v) ? v : throw Expected(ref r, "an unsigned 64-bit integer");

    public static int? NullableInt32(ref Utf8JsonReader r) => r.TokenType == JsonTokenType.Null ? null : Int32(ref r);

    public static long? NullableInt64(ref Utf8JsonReader r) => r.TokenType == JsonTokenType.Null ? null : Int64(ref r);

    public static uint? NullableUInt32(ref Utf8JsonReader r) => r.TokenType == JsonTokenType.Null ? null : UInt32(ref r);

    public static bool Boolean(ref Utf8JsonReader r) => r.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        _ => throw Expected(ref r, "true or false"),
    };

    public static bool? NullableBoolean(ref Utf8JsonReader r) => r.TokenType == JsonTokenType.Null ? null : Boolean(ref r);

    /// <summary>ISO 8601-1:2019 extended form, the format the serializer accepts and Utf8JsonWriter writes.</summary>
    public static DateTimeOffset DateTimeOffset(ref Utf8JsonReader r) =>
        r.TokenType == JsonTokenType.String && r.TryGetDateTimeOffset(out var v) ? v : throw Expected(ref r, "a date");

    public static DateTimeOffset? NullableDateTimeOffset(ref Utf8JsonReader r) =>
        r.TokenType == JsonTokenType.Null ? null : DateTimeOffset(ref r);

    // ---- errors ----

    /// <summary>"expected a string but found Number at byte 12": the error for a token of the wrong type.</summary>
    public static JsonException Expected(ref Utf8JsonReader r, string what) =>
        new($"expected {what} but found {r.TokenType} at byte {r.TokenStartIndex}");

    private static void Expect(ref Utf8JsonReader r, JsonTokenType type, string what)
    {
        if (r.TokenType != type) throw Expected(ref r, what);
    }

    /// <summary>Advances; with the whole document in hand the reader throws on truncation, this is the backstop.</summary>
    private static void Next(ref Utf8JsonReader r)
    {
        if (!r.Read()) throw new JsonException($"unexpected end of the document at byte {r.BytesConsumed}");
    }
}
