// ComposeConfigWriter: `compose config` - the resolved model as YAML: the project's name, the
// files merged, every ${VAR} substituted, merge keys applied, extension fields (x-*) dropped.
//
// Why: `config` is how a student checks what .env and interpolation made of the file before
// running it. The writer quotes every string that YAML could read as something else.
//
// Follows: docker compose config reference (YAML output of the canonical model).
using System.Text;

namespace MiniRun.Compose;

public static class ComposeConfigWriter
{
    public static string Write(ComposeProject project)
    {
        var sb = new StringBuilder();
        sb.Append("name: ").Append(Scalar(project.Name)).Append('\n');
        foreach (var (key, value) in project.Root.Map)
        {
            if (key is "name" or "version" || key.StartsWith("x-", StringComparison.Ordinal)) continue;
            Entry(sb, key, value, 0);
        }
        return sb.ToString();
    }

    private static void Entry(StringBuilder sb, string key, ComposeNode value, int indent)
    {
        if (key.StartsWith("x-", StringComparison.Ordinal)) return;
        sb.Append(' ', indent).Append(Scalar(key)).Append(':');
        Value(sb, value, indent);
    }

    private static void Value(StringBuilder sb, ComposeNode value, int indent)
    {
        switch (value.Kind)
        {
            case NodeKind.Null: sb.Append(" null\n"); break;
            case NodeKind.Scalar: sb.Append(' ').Append(value.Plain ? PlainScalar(value.Value) : Scalar(value.Value)).Append('\n'); break;
            case NodeKind.Map:
                if (value.Map.Count == 0) { sb.Append(" {}\n"); break; }
                sb.Append('\n');
                foreach (var (k, v) in value.Map) Entry(sb, k, v, indent + 2);
                break;
            case NodeKind.Seq:
                if (value.Items.Count == 0) { sb.Append(" []\n"); break; }
                sb.Append('\n');
                foreach (var item in value.Items)
                {
                    sb.Append(' ', indent + 2).Append('-');
                    if (item.Kind == NodeKind.Map && item.Map.Count > 0)
                    {
                        bool first = true;
                        foreach (var (k, v) in item.Map)
                        {
                            if (first) { sb.Append(' ').Append(Scalar(k)).Append(':'); Value(sb, v, indent + 4); first = false; }
                            else Entry(sb, k, v, indent + 4);
                        }
                    }
                    else Value(sb, item, indent + 2);
                }
                break;
        }
    }

    /// <summary>A plain scalar stays as written when it is a number or boolean; anything else goes through Scalar.</summary>
    private static string PlainScalar(string s) =>
        s is "true" or "false" || double.TryParse(s, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _)
            ? s : Scalar(s);

    /// <summary>Quoted when YAML would read it otherwise (numbers, booleans, null, special characters).</summary>
    public static string Scalar(string s)
    {
        bool safe = s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '/' or '=' or '@' or '+')
            && !char.IsAsciiDigit(s[0]) && s[0] is not ('-' or '.') && s.ToLowerInvariant() is not ("true" or "false" or "yes" or "no" or "on" or "off" or "null" or "~");
        if (safe) return s;
        return "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n").Replace("\t", "\\t") + "\"";
    }
}
