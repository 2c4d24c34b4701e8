// CommitChanges: the Dockerfile instructions `commit -c` accepts, parsed into a change of the
// new image's config: CMD, ENTRYPOINT (JSON array form, or shell form -> ["/bin/sh","-c",...]),
// ENV (K=V pairs, or the old "K V" form), WORKDIR (relative to the previous one), USER,
// LABEL (k=v pairs), EXPOSE (port[/proto]), VOLUME, STOPSIGNAL.
//
// Why: `docker commit -c 'CMD ["sh"]'` is how the course sets a committed image's defaults. All
// instructions are parsed before anything is written, so a bad one fails the commit cleanly.
// Follows: Dockerfile reference (CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, EXPOSE, VOLUME,
// STOPSIGNAL; JSON vs shell form, quoting of K=V words); docker-commit(1) (--change).
using System.Text;
using System.Text.Json;
using MiniImage.Oci;
using MiniJson;

namespace MiniRun.Cli;

public static class CommitChanges
{
    /// <summary>Parses every instruction; returns the change to apply (throws CliError, exit 1, for a bad one).</summary>
    public static Action<ContainerConfig> Parse(IReadOnlyList<string> changes)
    {
        var steps = changes.Select(ParseOne).ToList();
        return config => { foreach (var step in steps) step(config); };
    }

    private static Action<ContainerConfig> ParseOne(string change)
    {
        string text = change.Trim();
        int space = text.IndexOfAny([' ', '\t']);
        string keyword = (space < 0 ? text : text[..space]).ToUpperInvariant();
        string rest = space < 0 ? "" : text[(space + 1)..].Trim();
        if (rest.Length == 0 && keyword is not ("CMD" or "ENTRYPOINT"))
            throw Bad(change, $"{keyword} requires at least one argument");
        switch (keyword)
        {
            case "CMD":
                var cmd = CommandForm(rest, change);
                return c => c.Cmd = cmd;
            case "ENTRYPOINT":
                var entrypoint = CommandForm(rest, change);
                return c => c.Entrypoint = entrypoint;
            case "ENV":
                var env = Pairs(rest, change, allowOldForm: true);
                return c =>
                {
                    c.Env ??= new();
                    foreach (var (k, v) in env)
                    {
                        c.Env.RemoveAll(e => e == k || e.StartsWith(k + "=", StringComparison.Ordinal));
                        c.Env.Add($"{k}={v}");
                    }
                };
            case "LABEL":
                var labels = Pairs(rest, change, allowOldForm: false);
                return c =>
                {
                    c.Labels ??= new();
                    foreach (var (k, v) in labels) c.Labels[k] = v;
                };
            case "WORKDIR":
                string dir = Words(rest, change) is [var only] ? only : rest;
                return c => c.WorkingDir = dir.StartsWith('/') ? dir : Path.Combine(c.WorkingDir is { Length: > 0 } w ? w : "/", dir);
            case "USER":
                string user = rest;
                return c => c.User = user;
            case "STOPSIGNAL":
                string signal = rest;
                return c => c.StopSignal = signal;
            case "EXPOSE":
                var ports = Words(rest, change).Select(p => p.Contains('/') ? p : p + "/tcp").ToList();
                return c =>
                {
                    c.ExposedPorts ??= new();
                    foreach (var p in ports) c.ExposedPorts[p] = EmptyObject();
                };
            case "VOLUME":
                var volumes = rest.StartsWith('[') ? JsonArray(rest, change) : Words(rest, change);
                return c =>
                {
                    c.Volumes ??= new();
                    foreach (var v in volumes) c.Volumes[v] = EmptyObject();
                };
            default:
                throw CliError.Daemon($"{keyword} is not a valid change command");
        }
    }

    /// <summary>JSON array form as is; shell form wrapped in /bin/sh -c (Dockerfile's rule).</summary>
    private static List<string> CommandForm(string rest, string change)
    {
        if (rest.StartsWith('['))
        {
            try { return JsonArray(rest, change); }
            catch (CliError) { } // not valid JSON: Docker then treats it as shell form
        }
        return rest.Length == 0 ? new() : ["/bin/sh", "-c", rest];
    }

    private static List<string> JsonArray(string rest, string change)
    {
        try
        {
            using var doc = JsonDocument.Parse(rest);
            if (doc.RootElement.ValueKind != JsonValueKind.Array) throw Bad(change, "expected a JSON array");
            return doc.RootElement.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String
                ? e.GetString()! : throw Bad(change, "the JSON array must hold strings")).ToList();
        }
        catch (JsonException e) { throw Bad(change, e.Message); }
    }

    /// <summary>K=V words (quotes and backslashes as a shell would), or the old "K V..." form.</summary>
    private static List<(string Key, string Value)> Pairs(string rest, string change, bool allowOldForm)
    {
        var words = Words(rest, change);
        if (allowOldForm && !words[0].Contains('='))
        {
            int sep = rest.IndexOfAny([' ', '\t']);
            if (sep < 0) throw Bad(change, $"ENV names a variable without a value: {rest}");
            return [(words[0], rest[(sep + 1)..].Trim())];
        }
        var result = new List<(string, string)>();
        foreach (string w in words)
        {
            int eq = w.IndexOf('=');
            if (eq <= 0) throw Bad(change, $"{GoQuote.Quote(w)} is not of the form KEY=VALUE");
            result.Add((w[..eq], w[(eq + 1)..]));
        }
        return result;
    }

    /// <summary>Splits on blanks outside quotes; removes the quotes; a backslash escapes the next character.</summary>
    public static List<string> Words(string s, string change)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        bool inWord = false;
        char quote = '\0';
        for (int i = 0; i < s.Length; i++)
        {
            char ch = s[i];
            if (quote != '\0')
            {
                if (ch == quote) quote = '\0';
                else if (ch == '\\' && quote == '"' && i + 1 < s.Length) current.Append(s[++i]);
                else current.Append(ch);
                continue;
            }
            if (ch is ' ' or '\t')
            {
                if (inWord) { words.Add(current.ToString()); current.Clear(); inWord = false; }
                continue;
            }
            inWord = true;
            if (ch is '"' or '\'') quote = ch;
            else if (ch == '\\' && i + 1 < s.Length) current.Append(s[++i]);
            else current.Append(ch);
        }
        if (quote != '\0') throw Bad(change, "unterminated quote");
        if (inWord) words.Add(current.ToString());
        return words;
    }

    private static JsonElement EmptyObject()
    {
        using var doc = JsonDocument.Parse("{}");
        return doc.RootElement.Clone();
    }

    private static CliError Bad(string change, string why) =>
        new($"commit: invalid change {GoQuote.Quote(change)}: {why}", 1);
}
