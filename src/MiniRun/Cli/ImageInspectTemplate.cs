// ImageInspectTemplate: the small subset of Go templates `inspect -f/--format` supports, evaluated
// over the inspect JSON: literal text, {{.}}, {{.Field.Sub}} and {{json .Field}}.
//
// Why: the course uses `docker inspect -f '{{.Config.Cmd}}' busybox` and `{{json .RootFS.Layers}}`;
// a full Go template engine (pipelines, range, if, functions) is far beyond what an inspect needs,
// so anything else is refused with an error that says what is supported. Values print as Go's fmt
// prints them: strings bare, lists "[a b]", maps "map[k:v]" (keys sorted), null as Go's nil
// slice/map ("[]", "map[]") for the list and map fields, otherwise "<no value>".
// Follows: Go text/template (actions, field chains, "{{-"/"-}}" trim markers) and fmt's %v;
// docker-inspect(1) "--format".
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace MiniRun.Cli;

public static class ImageInspectTemplate
{
    private static readonly HashSet<string> ListFields = ["RepoTags", "RepoDigests", "Env", "Cmd", "Entrypoint", "Layers"];
    private static readonly HashSet<string> MapFields = ["Labels", "Volumes", "ExposedPorts"];

    /// <summary>Renders `template` for one document; throws CliError for unsupported or bad actions.</summary>
    public static string Render(string template, JsonElement root)
    {
        var sb = new StringBuilder();
        int pos = 0;
        while (pos < template.Length)
        {
            int open = template.IndexOf("{{", pos, StringComparison.Ordinal);
            if (open < 0) { sb.Append(template, pos, template.Length - pos); break; }
            int close = template.IndexOf("}}", open + 2, StringComparison.Ordinal);
            if (close < 0) throw new CliError($"template parsing error: unclosed action in \"{template}\"", 1);
            string text = template[pos..open];
            string action = template[(open + 2)..close];
            if (action.StartsWith('-')) { text = text.TrimEnd(); action = action[1..]; }
            bool trimAfter = action.EndsWith('-');
            if (trimAfter) action = action[..^1];
            sb.Append(text);
            sb.Append(Evaluate(action.Trim(), root));
            pos = close + 2;
            if (trimAfter) while (pos < template.Length && char.IsWhiteSpace(template[pos])) pos++;
        }
        return sb.ToString();
    }

    private static string Evaluate(string action, JsonElement root)
    {
        bool json = false;
        string path = action;
        if (action.StartsWith("json ", StringComparison.Ordinal))
        {
            json = true;
            path = action[5..].Trim();
        }
        if (!path.StartsWith('.') || path.Any(c => char.IsWhiteSpace(c) || c is '|' or '(' or ')' or '$' or '"'))
            throw Unsupported(action);
        var (value, last, found) = Lookup(path, root);
        if (json) return found ? Compact(value) : "null";
        if (!found || value.ValueKind == JsonValueKind.Null)
            return ListFields.Contains(last) ? "[]" : MapFields.Contains(last) ? "map[]" : "<no value>";
        return Print(value);
    }

    private static (JsonElement Value, string Last, bool Found) Lookup(string path, JsonElement root)
    {
        if (path == ".") return (root, "", true);
        var current = root;
        string last = "";
        foreach (string field in path[1..].Split('.'))
        {
            if (field.Length == 0) throw new CliError($"template parsing error: bad field path \"{path}\"", 1);
            last = field;
            if (current.ValueKind == JsonValueKind.Null) return (current, last, false); // nil map: no value
            if (current.ValueKind != JsonValueKind.Object)
                throw new CliError($"template: executing \"{path}\": can't evaluate field {field} in a {Kind(current)}", 1);
            if (!current.TryGetProperty(field, out var next))
                throw new CliError($"template: executing \"{path}\": can't evaluate field {field}: no such field", 1);
            current = next;
        }
        return (current, last, true);
    }

    private static string Print(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString()!,
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null => "<nil>",
        JsonValueKind.Number => v.GetRawText(),
        JsonValueKind.Array => "[" + string.Join(' ', v.EnumerateArray().Select(Print)) + "]",
        _ => "map[" + string.Join(' ', v.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => $"{p.Name}:{Print(p.Value)}")) + "]",
    };

    private static string Compact(JsonElement v)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            v.WriteTo(w);
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private static string Kind(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Array => "list",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        _ => v.ValueKind.ToString().ToLowerInvariant(),
    };

    private static CliError Unsupported(string action) =>
        new($"template: unsupported action \"{{{{{action}}}}}\": MiniRun's --format supports only {{{{.Field.Path}}}}, {{{{.}}}} and {{{{json .Field.Path}}}}", 1);
}
