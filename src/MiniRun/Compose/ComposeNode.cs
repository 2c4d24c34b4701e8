// ComposeNode: a compose file as a small tree (mappings, sequences, scalars, nulls), each node
// remembering its file, line and column, built from YamlDotNet's representation model.
//
// Why a tree of our own and not YamlDotNet's deserializer: the deserializer maps YAML onto classes
// by reflection (not NativeAOT-safe) and forgets where a value came from; the Compose
// Specification's rules (a value may be a string or a list, a map or a list of K=V...) are easier
// to check on a tree, and every error can name the field's path and its line and column.
// Interpolation (${VAR}) is applied to every scalar value as the tree is built, as Compose does
// before validation; keys are never interpolated. YAML merge keys (`<<: *anchor`) are applied
// here too (the representation model keeps them as plain keys). Several -f files are merged with
// Compose's rules (Merge).
//
// Follows: compose-spec 02-model (interpolation, merge keys), compose-spec 13-merge.md.
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MiniRun.Compose;

public enum NodeKind { Null, Scalar, Map, Seq }

public sealed class ComposeNode
{
    public NodeKind Kind { get; init; }
    /// <summary>A scalar's text (after interpolation).</summary>
    public string Value { get; init; } = "";
    /// <summary>An unquoted scalar: `true`, `3` are booleans and numbers only when plain.</summary>
    public bool Plain { get; init; }
    public List<KeyValuePair<string, ComposeNode>> Map { get; init; } = new();
    public List<ComposeNode> Items { get; init; } = new();
    public string File { get; init; } = "";
    public int Line { get; init; }
    public int Column { get; init; }

    public string Where => $"{Path.GetFileName(File)}, line {Line}, column {Column}";

    public ComposeNode? this[string key] => Map.LastOrDefault(p => p.Key == key).Value;

    public static ComposeNode Null(string file = "") => new() { Kind = NodeKind.Null, File = file };
    public static ComposeNode Scalar(string value, string file = "") => new() { Kind = NodeKind.Scalar, Value = value, File = file };

    /// <summary>Parses <paramref name="text"/>; YAML errors become ComposeException with line and column.</summary>
    public static ComposeNode Parse(string text, string file, Func<string, string, string> interpolate)
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(text)); }
        catch (YamlException e)
        {
            string reason = e.InnerException is YamlException inner ? inner.Message : e.Message;
            // YamlDotNet's messages already carry "(Line: 3, Col: 5, Idx: ...) - (...)": keep only the reason.
            int dash = reason.IndexOf("): ", StringComparison.Ordinal);
            if (reason.StartsWith("(Line", StringComparison.Ordinal) && dash > 0) reason = reason[(dash + 3)..];
            throw new ComposeException($"yaml: {Path.GetFileName(file)}: line {e.Start.Line}, column {e.Start.Column}: {reason}");
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            // YamlDotNet 18.1 throws these instead of a YamlException for some malformed files: the
            // end of the file inside a flow collection ("services: [" then a plain scalar) and an
            // alias as the key of a compact mapping ("b: *x: *x"). Found by fuzzing (docs/fuzzing.md,
            // tests/MiniRun.Fuzz/corpus/compose/crash-*).
            throw new ComposeException($"yaml: {Path.GetFileName(file)}: malformed YAML the parser cannot read: {e.Message}");
        }
        if (stream.Documents.Count == 0) return new ComposeNode { Kind = NodeKind.Map, File = file, Line = 1, Column = 1 };
        var root = From(stream.Documents[0].RootNode, file, "", interpolate, 0);
        if (root.Kind == NodeKind.Null) return new ComposeNode { Kind = NodeKind.Map, File = file, Line = 1, Column = 1 };
        if (root.Kind != NodeKind.Map)
            throw new ComposeException($"{Path.GetFileName(file)}: the top level must be a mapping (line {root.Line}, column {root.Column})");
        return root;
    }

    private static ComposeNode From(YamlNode node, string file, string path, Func<string, string, string> interpolate, int depth)
    {
        if (depth > 64) throw new ComposeException($"{path}: nested too deeply (an alias loop?)");
        int line = (int)node.Start.Line, column = (int)node.Start.Column;
        switch (node)
        {
            case YamlScalarNode s:
                bool plain = s.Style == ScalarStyle.Plain;
                string raw = s.Value ?? "";
                if (plain && raw is "" or "~" or "null" or "Null" or "NULL")
                    return new ComposeNode { Kind = NodeKind.Null, File = file, Line = line, Column = column };
                return new ComposeNode
                {
                    Kind = NodeKind.Scalar, Value = interpolate(raw, path), Plain = plain, File = file, Line = line, Column = column,
                };
            case YamlSequenceNode q:
                var items = new List<ComposeNode>();
                int i = 0;
                foreach (var child in q.Children) items.Add(From(child, file, $"{path}[{i++}]", interpolate, depth + 1));
                return new ComposeNode { Kind = NodeKind.Seq, Items = items, File = file, Line = line, Column = column };
            case YamlMappingNode m:
                var map = new List<KeyValuePair<string, ComposeNode>>();
                var merged = new List<ComposeNode>();
                foreach (var (k, v) in m.Children)
                {
                    if (k is not YamlScalarNode key)
                        throw new ComposeException($"{Show(path)}: a key must be a scalar (line {k.Start.Line}, column {k.Start.Column})");
                    string name = key.Value ?? "";
                    if (name == "<<" && key.Style == ScalarStyle.Plain)
                    {
                        // YAML merge key: its mapping(s) supply keys this mapping does not set itself.
                        var source = From(v, file, path, interpolate, depth + 1);
                        merged.AddRange(source.Kind == NodeKind.Seq ? source.Items : [source]);
                        continue;
                    }
                    if (map.Any(p => p.Key == name))
                        throw new ComposeException($"yaml: {Path.GetFileName(file)}: line {key.Start.Line}, column {key.Start.Column}: " +
                            $"mapping key \"{name}\" already defined");
                    map.Add(new(name, From(v, file, Join(path, name), interpolate, depth + 1)));
                }
                foreach (var source in merged)
                {
                    if (source.Kind != NodeKind.Map)
                        throw new ComposeException($"{Show(path)}: a merge key (<<) needs a mapping (line {source.Line}, column {source.Column})");
                    foreach (var p in source.Map)
                        if (!map.Any(e => e.Key == p.Key)) map.Add(p);
                }
                return new ComposeNode { Kind = NodeKind.Map, Map = map, File = file, Line = line, Column = column };
            default:
                return new ComposeNode { Kind = NodeKind.Null, File = file, Line = line, Column = column };
        }
    }

    public static string Join(string path, string key) => path.Length == 0 ? key : path + "." + key;
    public static string Show(string path) => path.Length == 0 ? "(top level)" : path;

    // ---- merging several files (compose-spec 13-merge.md) ----

    /// <summary>Keys whose sequences the later file replaces instead of extending.</summary>
    private static readonly HashSet<string> Replaced = ["command", "entrypoint", "test", "profiles", "healthcheck.test"];
    /// <summary>Keys that may be a list of K=V or a mapping: merged by key.</summary>
    private static readonly HashSet<string> KeyValueLists = ["environment", "labels", "args", "sysctls", "extra_hosts"];

    /// <summary>`-f a -f b`: b's values override a's; mappings merge recursively.</summary>
    public static ComposeNode Merge(ComposeNode a, ComposeNode b, string key = "")
    {
        if (KeyValueLists.Contains(key) && a.Kind is NodeKind.Seq or NodeKind.Map && b.Kind is NodeKind.Seq or NodeKind.Map)
            return Merge(AsMap(a), AsMap(b), "");
        if (a.Kind == NodeKind.Map && b.Kind == NodeKind.Map)
        {
            var map = new List<KeyValuePair<string, ComposeNode>>(a.Map);
            foreach (var p in b.Map)
            {
                int at = map.FindIndex(e => e.Key == p.Key);
                if (at < 0) map.Add(p);
                else map[at] = new(p.Key, Merge(map[at].Value, p.Value, p.Key));
            }
            return new ComposeNode { Kind = NodeKind.Map, Map = map, File = b.File, Line = b.Line, Column = b.Column };
        }
        if (a.Kind == NodeKind.Seq && b.Kind == NodeKind.Seq && !Replaced.Contains(key))
        {
            var items = new List<ComposeNode>(a.Items);
            foreach (var item in b.Items)
                if (!items.Any(i => Canonical(i) == Canonical(item))) items.Add(item);
            return new ComposeNode { Kind = NodeKind.Seq, Items = items, File = b.File, Line = b.Line, Column = b.Column };
        }
        return b;
    }

    /// <summary>A list of "K=V" (or "K") as a mapping; a mapping as it is.</summary>
    public static ComposeNode AsMap(ComposeNode n)
    {
        if (n.Kind != NodeKind.Seq) return n;
        var map = new List<KeyValuePair<string, ComposeNode>>();
        foreach (var item in n.Items)
        {
            string text = item.Value;
            int eq = text.IndexOf('=');
            var value = eq < 0 ? Null(item.File) : new ComposeNode { Kind = NodeKind.Scalar, Value = text[(eq + 1)..], File = item.File, Line = item.Line, Column = item.Column };
            string k = eq < 0 ? text : text[..eq];
            map.RemoveAll(p => p.Key == k);
            map.Add(new(k, value));
        }
        return new ComposeNode { Kind = NodeKind.Map, Map = map, File = n.File, Line = n.Line, Column = n.Column };
    }

    /// <summary>A stable JSON-like text of the node (keys sorted): for the config hash and `config`.</summary>
    public static string Canonical(ComposeNode n)
    {
        var sb = new StringBuilder();
        Write(n, sb);
        return sb.ToString();

        static void Write(ComposeNode n, StringBuilder sb)
        {
            switch (n.Kind)
            {
                case NodeKind.Null: sb.Append("null"); break;
                case NodeKind.Scalar: sb.Append(System.Text.Json.JsonEncodedText.Encode(n.Value).ToString().Insert(0, "\"")).Append('"'); break;
                case NodeKind.Seq:
                    sb.Append('[');
                    for (int i = 0; i < n.Items.Count; i++) { if (i > 0) sb.Append(','); Write(n.Items[i], sb); }
                    sb.Append(']');
                    break;
                case NodeKind.Map:
                    sb.Append('{');
                    bool first = true;
                    foreach (var p in n.Map.OrderBy(p => p.Key, StringComparer.Ordinal))
                    {
                        if (!first) sb.Append(',');
                        first = false;
                        sb.Append('"').Append(System.Text.Json.JsonEncodedText.Encode(p.Key).ToString()).Append("\":");
                        Write(p.Value, sb);
                    }
                    sb.Append('}');
                    break;
            }
        }
    }
}

/// <summary>A compose file or model that cannot be used: one line for the user (exit 1, as docker compose).</summary>
public sealed class ComposeException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
