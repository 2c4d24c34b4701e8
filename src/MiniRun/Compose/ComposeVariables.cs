// ComposeVariables: the variables a compose file is interpolated with (the shell's environment
// over the project's .env file), the `${VAR}` syntax itself, and the dotenv format that .env and
// `env_file:` share.
//
// Why: Compose substitutes variables in every value before it validates anything, so a port or an
// image tag can come from .env. Forms: $VAR, ${VAR}, ${VAR:-default} (unset or empty),
// ${VAR-default} (unset), ${VAR:?message} / ${VAR?message} (an error naming the variable and the
// field), ${VAR:+replacement} / ${VAR+replacement}, and $$ for a literal $. Defaults may hold
// further ${...}. The shell's variables win over .env's, as in Compose.
//
// Follows: compose-spec 12-interpolation.md; Compose's dotenv rules (docs "Environment variables:
// .env file syntax": `export` prefix, # comments, single quotes literal, double quotes with \n).
using System.Text;

namespace MiniRun.Compose;

public sealed class ComposeVariables
{
    private readonly Func<string, string?> _get;

    public ComposeVariables(IReadOnlyDictionary<string, string> values)
    {
        var copy = new Dictionary<string, string>(values, StringComparer.Ordinal);
        _get = name => copy.TryGetValue(name, out var v) ? v : null;
    }

    public ComposeVariables(Func<string, string?> lookup) => _get = lookup;

    /// <summary>The shell's environment over the .env file in <paramref name="projectDir"/> (or <paramref name="envFile"/>).</summary>
    public static ComposeVariables Load(string projectDir, IReadOnlyDictionary<string, string> shell, string? envFile = null)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        string path = envFile ?? Path.Combine(projectDir, ".env");
        if (File.Exists(path))
        {
            // Later lines may use earlier ones (and the shell's variables).
            var lookup = new ComposeVariables(shell);
            foreach (var (k, v) in ParseDotEnv(File.ReadAllText(path), path, name => values.TryGetValue(name, out var x) ? x : lookup.Get(name)))
                if (v is not null) values[k] = v;
        }
        else if (envFile is not null)
            throw new ComposeException($"couldn't find env file: {envFile}");
        foreach (var (k, v) in shell) values[k] = v;
        return new ComposeVariables(values);
    }

    public static Dictionary<string, string> ShellEnvironment()
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
            env[(string)e.Key] = (string?)e.Value ?? "";
        return env;
    }

    public string? Get(string name) => _get(name);

    /// <summary>Substitutes every variable in <paramref name="text"/>; <paramref name="path"/> names the field in errors.</summary>
    public string Interpolate(string text, string path)
    {
        if (!text.Contains('$')) return text;
        var sb = new StringBuilder();
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (c != '$') { sb.Append(c); i++; continue; }
            if (i + 1 >= text.Length) { sb.Append('$'); i++; continue; }
            char next = text[i + 1];
            if (next == '$') { sb.Append('$'); i += 2; continue; }
            if (next == '{')
            {
                int end = ClosingBrace(text, i + 2);
                if (end < 0) throw new ComposeException($"invalid interpolation format for {ComposeNode.Show(path)}: {GoQuote.Quote(text)}: a ${{ without its }}");
                sb.Append(Braced(text[(i + 2)..end], text, path));
                i = end + 1;
                continue;
            }
            if (IsNameStart(next))
            {
                int j = i + 1;
                while (j < text.Length && IsNameChar(text[j])) j++;
                sb.Append(Get(text[(i + 1)..j]) ?? "");
                i = j;
                continue;
            }
            throw new ComposeException($"invalid interpolation format for {ComposeNode.Show(path)}: {GoQuote.Quote(text)}: use $$ for a literal $");
        }
        return sb.ToString();
    }

    private string Braced(string inner, string whole, string path)
    {
        int j = 0;
        while (j < inner.Length && IsNameChar(inner[j])) j++;
        string name = inner[..j];
        if (name.Length == 0 || !IsNameStart(name[0]))
            throw new ComposeException($"invalid interpolation format for {ComposeNode.Show(path)}: {GoQuote.Quote(whole)}: \"${{{inner}}}\" has no variable name");
        if (j == inner.Length) return Get(name) ?? "";
        string rest = inner[j..];
        bool colon = rest.StartsWith(':');
        string op = colon ? rest[..Math.Min(2, rest.Length)] : rest[..1];
        string arg = rest[op.Length..];
        string? value = Get(name);
        bool missing = colon ? string.IsNullOrEmpty(value) : value is null;
        switch (op)
        {
            case ":-" or "-":
                return missing ? Interpolate(arg, path) : value!;
            case ":?" or "?":
                if (missing)
                    throw new ComposeException($"error while interpolating {ComposeNode.Show(path)}: required variable {name} is missing a value" +
                        (arg.Length > 0 ? ": " + Interpolate(arg, path) : ""));
                return value!;
            case ":+" or "+":
                return missing ? "" : Interpolate(arg, path);
            default:
                throw new ComposeException($"invalid interpolation format for {ComposeNode.Show(path)}: {GoQuote.Quote(whole)}: unknown operator in \"${{{inner}}}\"");
        }
    }

    private static int ClosingBrace(string text, int from)
    {
        int depth = 1;
        for (int i = from; i < text.Length; i++)
        {
            if (text[i] == '{' && i > 0 && text[i - 1] == '$') depth++;
            else if (text[i] == '}' && --depth == 0) return i;
        }
        return -1;
    }

    private static bool IsNameStart(char c) => c == '_' || char.IsAsciiLetter(c);
    private static bool IsNameChar(char c) => c == '_' || char.IsAsciiLetterOrDigit(c);

    /// <summary>
    /// The dotenv format: KEY=VALUE lines, `export KEY=VALUE`, # comments, blank lines; 'single'
    /// quotes literal, "double" quotes with \n \t \" \\ and ${VAR}, unquoted values trimmed with a
    /// trailing " #comment" removed and ${VAR} substituted. A line "KEY" alone (no =) is skipped
    /// here (env_file: taken from the shell by the caller).
    /// </summary>
    public static List<KeyValuePair<string, string?>> ParseDotEnv(string text, string file, Func<string, string?> lookup)
    {
        var result = new List<KeyValuePair<string, string?>>();
        // A value may use the lines above it.
        var vars = new ComposeVariables(name => result.LastOrDefault(p => p.Key == name && p.Value is not null).Value ?? lookup(name));
        string[] lines = text.Replace("\r\n", "\n").Split('\n');
        for (int n = 0; n < lines.Length; n++)
        {
            string line = lines[n].Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            if (line.StartsWith("export ", StringComparison.Ordinal)) line = line[7..].TrimStart();
            int eq = line.IndexOf('=');
            string key = (eq < 0 ? line : line[..eq]).Trim();
            if (key.Length == 0 || key.Any(char.IsWhiteSpace))
                throw new ComposeException($"{file}: line {n + 1}: unexpected character in variable name {GoQuote.Quote(key)}");
            if (eq < 0) { result.Add(new(key, null)); continue; }
            string raw = line[(eq + 1)..].TrimStart();
            string value;
            if (raw.StartsWith('\'') || raw.StartsWith('"'))
            {
                char q = raw[0];
                var sb = new StringBuilder(raw[1..]);
                // A quoted value may run over several lines.
                while (!ClosedQuote(sb.ToString(), q) && n + 1 < lines.Length) sb.Append('\n').Append(lines[++n]);
                string body = sb.ToString();
                int close = CloseIndex(body, q);
                if (close < 0) throw new ComposeException($"{file}: line {n + 1}: unterminated quoted value for {key}");
                body = body[..close];
                value = q == '\'' ? body : vars.Interpolate(Unescape(body), key);
            }
            else
            {
                int hash = raw.IndexOf(" #", StringComparison.Ordinal);
                if (hash >= 0) raw = raw[..hash];
                value = vars.Interpolate(raw.TrimEnd(), key);
            }
            result.Add(new(key, value));
        }
        return result;
    }

    private static bool ClosedQuote(string s, char q) => CloseIndex(s, q) >= 0;

    private static int CloseIndex(string s, char q)
    {
        for (int i = 0; i < s.Length; i++)
        {
            if (q == '"' && s[i] == '\\') { i++; continue; }
            if (s[i] == q) return i;
        }
        return -1;
    }

    private static string Unescape(string s) =>
        s.Replace("\\\\", "\u0000").Replace("\\n", "\n").Replace("\\t", "\t").Replace("\\\"", "\"").Replace("\u0000", "\\");
}
