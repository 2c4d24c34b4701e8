// TemplateValues: the values a Go template sees in MiniRun (strings, bools, numbers, nil, lists,
// maps and structs) and how Go prints them (fmt's %v) and encodes them (encoding/json).
//
// Why: `inspect -f` renders over the inspect JSON, `ps`/`images`/... --format over one row per
// item; both go through GoTemplate, which needs one value model. A JSON object becomes a map (a
// missing key is an error, as Docker's inspect fallback with missingkey=error); the label-like
// maps (Labels, Volumes, ...) are lenient (a missing key prints "<no value>", as Go's typed maps).
// A row is a struct: fields computed on demand (ps's Size is costly), methods with arguments
// (`.Label "k"`), and JSON as Docker marshals its format contexts (keys sorted, HTML escaped).
// Follows: Go fmt (%v of slices "[a b]", maps "map[k:v]" with sorted keys, nil "<nil>"),
// encoding/json (escapes, SetEscapeHTML), docker/cli templates "json".
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace MiniRun.Cli.Templates;

/// <summary>A Go slice; IsNil prints "[]" but encodes as JSON null (a nil []string).</summary>
public sealed record TemplateList(IReadOnlyList<object?> Items, bool IsNil = false);

/// <summary>A Go map[string]...; Strict: a missing key is an error (missingkey=error).</summary>
public sealed record TemplateMap(IReadOnlyDictionary<string, object?> Entries, bool Strict, bool IsNil = false);

/// <summary>A Go struct: fields computed when read, methods that take arguments.</summary>
public sealed class TemplateStruct(string typeName)
{
    private readonly List<(string Name, Func<object?> Get)> _fields = [];
    private readonly Dictionary<string, Func<IReadOnlyList<object?>, object?>> _methods = new(StringComparer.Ordinal);
    public string TypeName { get; } = typeName;
    public IEnumerable<string> FieldNames => _fields.Select(f => f.Name);

    public TemplateStruct Field(string name, Func<object?> get) { _fields.Add((name, get)); return this; }
    public TemplateStruct Method(string name, Func<IReadOnlyList<object?>, object?> call) { _methods[name] = call; return this; }

    public bool TryField(string name, out object? value)
    {
        foreach (var (n, get) in _fields)
            if (n == name) { value = get(); return true; }
        value = null;
        return false;
    }

    public bool TryMethod(string name, out Func<IReadOnlyList<object?>, object?> call) => _methods.TryGetValue(name, out call!);
}

public static class TemplateValues
{
    private static readonly HashSet<string> ListFields = ["RepoTags", "RepoDigests", "Env", "Cmd", "Entrypoint", "Layers", "Args", "ExecIDs"];
    private static readonly HashSet<string> LenientMaps = ["Labels", "Volumes", "ExposedPorts", "Options", "Ports", "Networks", "Annotations", "DriverOpts"];

    /// <summary>The inspect JSON as template values: objects are strict maps, label-like ones lenient.</summary>
    public static object? FromJson(JsonElement e, string name = "") => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Number => e.TryGetInt64(out long l) ? (object)l : e.GetDouble(),
        JsonValueKind.Array => new TemplateList(e.EnumerateArray().Select(x => FromJson(x)).ToList()),
        JsonValueKind.Object => new TemplateMap(ObjectEntries(e), Strict: !LenientMaps.Contains(name)),
        _ => ListFields.Contains(name) ? new TemplateList([], IsNil: true)
            : LenientMaps.Contains(name) ? new TemplateMap(new Dictionary<string, object?>(), Strict: false, IsNil: true)
            : null,
    };

    private static Dictionary<string, object?> ObjectEntries(JsonElement e)
    {
        var d = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var p in e.EnumerateObject()) d[p.Name] = FromJson(p.Value, p.Name);
        return d;
    }

    /// <summary>fmt's %v.</summary>
    public static string Print(object? v) => v switch
    {
        null => "<nil>",
        string s => s,
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        int i => i.ToString(CultureInfo.InvariantCulture),
        double d => FormatFloat(d),
        TemplateList l => "[" + string.Join(' ', l.Items.Select(Print)) + "]",
        TemplateMap m => "map[" + string.Join(' ', m.Entries.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}:{Print(p.Value)}")) + "]",
        TemplateStruct s => "{" + string.Join(' ', s.FieldNames.Select(n => { s.TryField(n, out var x); return Print(x); })) + "}",
        _ => v.ToString() ?? "",
    };

    /// <summary>Go's %v of a float64 (strconv 'g', shortest): exponent form below 1e-4 and from 1e+06 on.</summary>
    public static string FormatFloat(double d)
    {
        if (double.IsPositiveInfinity(d)) return "+Inf";
        if (double.IsNegativeInfinity(d)) return "-Inf";
        if (double.IsNaN(d)) return "NaN";
        string r = d.ToString("R", CultureInfo.InvariantCulture);
        double abs = Math.Abs(d);
        if (abs == 0 || (abs >= 1e-4 && abs < 1e6)) return r.Contains('E') ? d.ToString("0.####################", CultureInfo.InvariantCulture) : r;
        string e = d.ToString("0.################E+00", CultureInfo.InvariantCulture);
        int ePos = e.IndexOf('E');
        return e[..ePos] + "e" + e[(ePos + 1)..];
    }

    /// <summary>Go's truth: false, 0, "", nil and empty lists and maps are false; structs are true.</summary>
    public static bool Truth(object? v) => v switch
    {
        null => false,
        bool b => b,
        string s => s.Length > 0,
        long l => l != 0,
        int i => i != 0,
        double d => d != 0,
        TemplateList l => l.Items.Count > 0,
        TemplateMap m => m.Entries.Count > 0,
        _ => true,
    };

    /// <summary>Go's reflect type name, for error messages.</summary>
    public static string TypeName(object? v) => v switch
    {
        null => "<nil>",
        string => "string",
        bool => "bool",
        long or int => "int",
        double => "float64",
        TemplateList => "[]interface {}",
        TemplateMap => "map[string]interface {}",
        TemplateStruct s => s.TypeName,
        _ => v.GetType().Name,
    };

    /// <summary>encoding/json; structs marshal as Docker's contexts do (sorted keys, HTML escaped).</summary>
    public static string Json(object? v, bool escapeHtml = false)
    {
        var sb = new StringBuilder();
        WriteJson(sb, v, escapeHtml);
        return sb.ToString();
    }

    private static void WriteJson(StringBuilder sb, object? v, bool html)
    {
        switch (v)
        {
            case null: sb.Append("null"); break;
            case string s: JsonString(sb, s, html); break;
            case bool b: sb.Append(b ? "true" : "false"); break;
            case long or int: sb.Append(Print(v)); break;
            case double d: sb.Append(d.ToString("R", CultureInfo.InvariantCulture)); break;
            case TemplateList { IsNil: true }: sb.Append("null"); break;
            case TemplateMap { IsNil: true }: sb.Append("null"); break;
            case TemplateList l:
                sb.Append('[');
                for (int i = 0; i < l.Items.Count; i++) { if (i > 0) sb.Append(','); WriteJson(sb, l.Items[i], html); }
                sb.Append(']');
                break;
            case TemplateMap m:
                sb.Append('{');
                bool first = true;
                foreach (var (k, x) in m.Entries)
                {
                    if (!first) sb.Append(',');
                    first = false;
                    JsonString(sb, k, html);
                    sb.Append(':');
                    WriteJson(sb, x, html);
                }
                sb.Append('}');
                break;
            case TemplateStruct s:
                sb.Append('{');
                bool firstField = true;
                foreach (string name in s.FieldNames.OrderBy(n => n, StringComparer.Ordinal))
                {
                    if (!firstField) sb.Append(',');
                    firstField = false;
                    JsonString(sb, name, true);
                    sb.Append(':');
                    s.TryField(name, out var x);
                    WriteJson(sb, x, true);
                }
                sb.Append('}');
                break;
            default: JsonString(sb, v.ToString() ?? "", html); break;
        }
    }

    private static void JsonString(StringBuilder sb, string s, bool html)
    {
        sb.Append('"');
        MiniRun.Supervisor.JsonLogWriter.AppendEscaped(sb, s, html);   // Go's encoding/json escapes, one copy
        sb.Append('"');
    }
}
