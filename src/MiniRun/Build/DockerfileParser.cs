// DockerfileParser: turns a Dockerfile's text into a DockerfileDocument (Model.cs): the ARGs before
// the first FROM, then one BuildStage per FROM with its instructions. Nothing is expanded here: the
// builder expands variables with ShellWords when it runs each step, since ARG/ENV values change as
// the steps run.
//
// The reading, in order:
//   1. parser directives, only at the very top (`# syntax=...` recorded, `# escape=\` or `` ` ``);
//      the first line that is not a known directive (a comment, an empty line, an instruction, an
//      unknown directive) ends them;
//   2. logical lines: comment lines (# after optional whitespace) and empty lines are skipped, also
//      inside a continuation; a line ending in the escape character (trailing blanks allowed)
//      continues on the next line, the escape character removed;
//   3. the keyword (case-insensitive) and, for RUN/COPY/ADD, heredocs: a word (quotes respected)
//      `<<EOF`, `<<-EOF` (leading tabs removed from the body and delimiter), `<<"EOF"`/`<<'EOF'` (not
//      expanded), optionally after a file descriptor (`3<<EOF`); each body is the lines after the
//      instruction up to its delimiter line;
//   4. the flags (leading `--name[=value]` words), checked against the instruction's known flags;
//   5. the arguments: exec form when the rest is a JSON array of strings, else shell form; ENV and
//      LABEL pairs (`k=v k2=v2` or legacy `k v...`), ARG names, FROM's `image [AS name]`,
//      HEALTHCHECK's NONE/CMD, ONBUILD's trigger (itself parsed, to refuse bad triggers early).
// Errors are Docker's, one line: "dockerfile parse error on line 3: unknown instruction: FORM".
//
// Follows: https://docs.docker.com/reference/dockerfile/ ("Format", "Parser directives",
// "Environment replacement", "Shell and exec form", "Here-documents", each instruction);
// moby/buildkit frontend/dockerfile/parser and instructions (behaviour, messages).
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace MiniRun.Build;

public static partial class DockerfileParser
{
    static readonly string[] Keywords =
        ["FROM", "RUN", "CMD", "ENTRYPOINT", "ENV", "ARG", "LABEL", "EXPOSE", "WORKDIR", "USER", "VOLUME",
         "COPY", "ADD", "SHELL", "STOPSIGNAL", "HEALTHCHECK", "ONBUILD", "MAINTAINER"];

    /// The flags each instruction accepts; "b:" marks a boolean flag (its value may be omitted).
    static readonly Dictionary<string, string[]> KnownFlags = new()
    {
        ["FROM"] = ["platform"],
        ["RUN"] = ["mount", "network", "security"],
        ["COPY"] = ["from", "chown", "chmod", "b:link", "b:parents", "exclude"],
        ["ADD"] = ["chown", "chmod", "b:link", "checksum", "b:keep-git-dir", "exclude", "b:unpack"],
        ["HEALTHCHECK"] = ["interval", "timeout", "start-period", "start-interval", "retries"],
    };

    [GeneratedRegex(@"^#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=[ \t]*(.+?)[ \t]*$")]
    private static partial Regex DirectiveRegex();

    [GeneratedRegex(@"^[0-9]*<<(-?)([^<]+)$")]
    private static partial Regex HeredocRegex();

    [GeneratedRegex(@"^[a-z][a-z0-9\-_.]*$")]
    private static partial Regex StageNameRegex();

    /// <summary>Parses a Dockerfile. Errors are BuildExceptions with Docker's one-line messages.</summary>
    public static DockerfileDocument Parse(string text)
    {
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        string[] lines = text.Replace("\r\n", "\n").Split('\n');
        int i = 0;
        char escape = '\\';
        string? syntax = null;
        var seen = new HashSet<string>();
        for (; i < lines.Length; i++)
        {
            var m = DirectiveRegex().Match(lines[i].Trim());
            if (!m.Success) break;
            string key = m.Groups[1].Value.ToLowerInvariant(), value = m.Groups[2].Value;
            if (key is not ("syntax" or "escape" or "check")) break;
            if (!seen.Add(key)) throw new BuildException($"dockerfile parse error on line {i + 1}: only one {key} parser directive can be used");
            if (key == "escape")
            {
                if (value is not ("\\" or "`")) throw new BuildException($"dockerfile parse error on line {i + 1}: invalid escape token '{value}' does not match ` or \\");
                escape = value[0];
            }
            else if (key == "syntax") syntax = value;
        }

        var metaArgs = new List<Instruction>();
        var stages = new List<(Instruction From, string? Name, List<Instruction> Body)>();
        bool any = false;
        while (i < lines.Length)
        {
            Instruction? ins = ReadInstruction(lines, ref i, escape);
            if (ins is null) break;
            any = true;
            if (ins.Keyword == "FROM")
            {
                string? name = ins.Args.Count == 3 ? ins.Args[2].ToLowerInvariant() : null;
                if (name != null && stages.Any(s => s.Name == name))
                    throw new BuildException($"dockerfile parse error on line {ins.Line}: duplicate stage name {GoQuote.Quote(name)}");
                stages.Add((ins, name, []));
            }
            else if (stages.Count == 0)
            {
                if (ins.Keyword != "ARG") throw new BuildException("no build stage in current context");
                metaArgs.Add(ins);
            }
            else stages[^1].Body.Add(ins);
        }
        if (!any) throw new BuildException("file with no instructions");
        if (stages.Count == 0) throw new BuildException("dockerfile contains no stages to build");

        var result = new List<BuildStage>();
        foreach (var (from, name, body) in stages)
            result.Add(new BuildStage(result.Count, name, from.Args[0], from.Flag("platform"), from, body));
        return new DockerfileDocument(metaArgs, result, escape) { Syntax = syntax };
    }

    /// Reads the next instruction from lines[i..]; null at the end. Leaves i after its last line (and heredoc bodies).
    static Instruction? ReadInstruction(string[] lines, ref int i, char escape)
    {
        while (i < lines.Length && IsBlankOrComment(lines[i])) i++;
        if (i >= lines.Length) return null;
        int start = i;
        var joined = new StringBuilder();
        string line = lines[i++].TrimStart();
        while (true)
        {
            string trimmed = line.TrimEnd(' ', '\t');
            if (trimmed.Length > 0 && trimmed[^1] == escape)
            {
                joined.Append(trimmed, 0, trimmed.Length - 1);
                while (i < lines.Length && IsBlankOrComment(lines[i])) i++;
                if (i >= lines.Length) break;
                line = lines[i++];
                continue;
            }
            joined.Append(line);
            break;
        }
        string original = joined.ToString().Trim();
        return ParseLine(original, start + 1, escape, lines, ref i, nested: false);
    }

    static bool IsBlankOrComment(string line)
    {
        string t = line.TrimStart();
        return t.Length == 0 || t[0] == '#';
    }

    static Instruction ParseLine(string original, int lineNo, char escape, string[] lines, ref int next, bool nested)
    {
        int sp = IndexOfSpace(original);
        string word = sp < 0 ? original : original[..sp];
        string rest = sp < 0 ? "" : original[sp..].TrimStart();
        string keyword = word.ToUpperInvariant();
        if (Array.IndexOf(Keywords, keyword) < 0)
            throw Error(lineNo, $"unknown instruction: {keyword}{Suggest(keyword)}");

        // Flags: leading words that start with "--" (not for a JSON array).
        var flags = new List<KeyValuePair<string, string>>();
        while (rest.StartsWith("--", StringComparison.Ordinal))
        {
            int end = IndexOfSpace(rest);
            string flag = end < 0 ? rest : rest[..end];
            rest = end < 0 ? "" : rest[end..].TrimStart();
            if (flag == "--") break; // "--" ends the flags
            string body = flag[2..];
            int eq = body.IndexOf('=');
            string fname = eq < 0 ? body : body[..eq];
            string? fvalue = eq < 0 ? null : body[(eq + 1)..];
            KnownFlags.TryGetValue(keyword, out var known);
            string? spec = known?.FirstOrDefault(k => k == fname || k == "b:" + fname);
            if (spec is null) throw Error(lineNo, $"Unknown flag: {fname}");
            if (fvalue is null && !spec.StartsWith("b:", StringComparison.Ordinal))
                throw Error(lineNo, $"Missing a value on flag: {fname}");
            if (fvalue is not null && spec.StartsWith("b:", StringComparison.Ordinal) && fvalue is not ("true" or "false" or ""))
                throw Error(lineNo, $"expecting boolean value for flag {fname}, not: {fvalue}");
            flags.Add(new(fname, fvalue ?? ""));
        }

        var heredocs = new List<Heredoc>();
        bool json = false;
        IReadOnlyList<string> args;
        switch (keyword)
        {
            case "FROM":
            {
                var words = rest.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                if (words.Length is not (1 or 3)) throw Error(lineNo, "FROM requires either one or three arguments");
                if (words.Length == 3)
                {
                    if (!words[1].Equals("AS", StringComparison.OrdinalIgnoreCase)) throw Error(lineNo, "FROM requires either one or three arguments");
                    if (!StageNameRegex().IsMatch(words[2].ToLowerInvariant()))
                        throw Error(lineNo, $"invalid name for build stage: {GoQuote.Quote(words[2])}, name can't start with a number or contain symbols");
                }
                args = words;
                break;
            }
            case "RUN" or "CMD" or "ENTRYPOINT":
            {
                var arr = TryJson(rest);
                if (arr != null) { args = arr; json = true; }
                else
                {
                    if (rest.Length == 0 && keyword == "RUN") throw Error(lineNo, "RUN requires at least one argument");
                    args = rest.Length == 0 ? [] : [rest];
                }
                if (!json && keyword == "RUN" && !nested) heredocs = ReadHeredocs(rest, lineNo, escape, lines, ref next);
                break;
            }
            case "SHELL":
            {
                var arr = TryJson(rest) ?? throw Error(lineNo, "SHELL requires the arguments to be in JSON form");
                if (arr.Count == 0) throw Error(lineNo, "SHELL requires at least one argument");
                args = arr; json = true;
                break;
            }
            case "COPY" or "ADD":
            {
                var arr = TryJson(rest);
                if (arr != null) { args = arr; json = true; }
                else
                {
                    args = [rest];
                    if (!nested) heredocs = ReadHeredocs(rest, lineNo, escape, lines, ref next);
                }
                int count = json ? arr!.Count : SplitWords(rest, escape).Count;
                if (count < 2)
                    throw Error(lineNo, $"{keyword} requires at least two arguments, but only one was provided. Destination could not be determined");
                break;
            }
            case "ENV" or "LABEL":
                args = NameValues(keyword, rest, lineNo, escape);
                break;
            case "ARG":
            {
                var words = SplitWords(rest, escape);
                if (words.Count == 0) throw Error(lineNo, "ARG requires at least one argument");
                var list = new List<string>();
                foreach (string w in words)
                {
                    int eq = w.IndexOf('=');
                    string name = eq < 0 ? w : w[..eq];
                    if (name.Length == 0 || name.Any(ch => ch == '\'' || ch == '"')) throw Error(lineNo, $"ARG names can not be blank or quoted: {w}");
                    list.Add(eq < 0 ? name : name + "=" + Unquote(w[(eq + 1)..], escape));
                }
                args = list;
                break;
            }
            case "VOLUME":
            {
                var arr = TryJson(rest);
                if (arr != null) { args = arr; json = true; }
                else args = rest.Length == 0 ? [] : [rest];
                if (args.Count == 0 || args.Any(a => a.Trim().Length == 0)) throw Error(lineNo, "VOLUME specified can not be an empty string");
                break;
            }
            case "HEALTHCHECK":
            {
                int end = IndexOfSpace(rest);
                string type = (end < 0 ? rest : rest[..end]).ToUpperInvariant();
                string cmd = end < 0 ? "" : rest[end..].TrimStart();
                if (type == "NONE")
                {
                    if (cmd.Length > 0) throw Error(lineNo, "HEALTHCHECK NONE takes no arguments");
                    if (flags.Count > 0) throw Error(lineNo, "HEALTHCHECK NONE takes no flags");
                    args = ["NONE"];
                }
                else if (type == "CMD")
                {
                    var arr = TryJson(cmd);
                    if (arr != null) { args = ["CMD", .. arr]; json = true; }
                    else
                    {
                        if (cmd.Length == 0) throw Error(lineNo, "Missing command after HEALTHCHECK CMD");
                        args = ["CMD", cmd];
                    }
                }
                else if (type.Length == 0) throw Error(lineNo, "HEALTHCHECK requires an argument");
                else throw Error(lineNo, $"Unknown type {GoQuote.Quote(type)} in HEALTHCHECK (try CMD)");
                break;
            }
            case "ONBUILD":
            {
                if (rest.Length == 0) throw Error(lineNo, "ONBUILD requires at least one argument");
                int end = IndexOfSpace(rest);
                string trigger = (end < 0 ? rest : rest[..end]).ToUpperInvariant();
                if (trigger == "ONBUILD") throw Error(lineNo, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
                if (trigger is "FROM" or "MAINTAINER") throw Error(lineNo, $"{trigger} isn't allowed as an ONBUILD trigger");
                int dummy = next;
                ParseLine(rest, lineNo, escape, lines, ref dummy, nested: true); // refuses a bad trigger now, as Docker does
                args = [rest];
                break;
            }
            default: // EXPOSE WORKDIR USER STOPSIGNAL MAINTAINER
                if (rest.Length == 0) throw Error(lineNo, $"{keyword} requires at least one argument");
                args = [rest];
                break;
        }
        return new Instruction(keyword, lineNo, original, flags, args, json, heredocs);
    }

    /// Heredoc markers in a RUN/COPY/ADD shell-form line, their bodies read from lines[next..]. As in
    /// BuildKit, a marker is a whole word (quotes respected) of the form [fd]<<[-]NAME; a quoted NAME
    /// (`<<"EOF"`, `<<'EOF'`, `<<E"OF"`) is not expanded.
    static List<Heredoc> ReadHeredocs(string rest, int lineNo, char escape, string[] lines, ref int next)
    {
        var list = new List<Heredoc>();
        foreach (string word in SplitWords(rest, escape))
        {
            var m = HeredocRegex().Match(word);
            if (!m.Success) continue;
            bool strip = m.Groups[1].Value == "-";
            string raw = m.Groups[2].Value;
            bool expand = raw.IndexOfAny(['"', '\'', escape]) < 0;
            string name = ShellWords.Expand(raw, _ => null, escape);
            if (name.Length == 0) continue;
            var body = new StringBuilder();
            bool closed = false;
            while (next < lines.Length)
            {
                string l = lines[next++];
                if (strip) l = l.TrimStart('\t');
                if (l == name) { closed = true; break; }
                body.Append(l).Append('\n');
            }
            if (!closed) throw Error(lineNo, $"unterminated heredoc {name}");
            list.Add(new Heredoc(name, body.ToString(), expand, strip));
        }
        return list;
    }

    /// ENV/LABEL: `k=v k2="v 2"` or the legacy `k v with spaces` (one pair). Values keep what ShellWords.Expand needs.
    static List<string> NameValues(string keyword, string rest, int lineNo, char escape)
    {
        var words = SplitWords(rest, escape);
        if (words.Count == 0) throw Error(lineNo, $"{keyword} requires at least one argument");
        var pairs = new List<string>();
        if (!words[0].Contains('='))
        {
            // Legacy form: the first word is the name, the rest of the line the value.
            if (words.Count < 2) throw Error(lineNo, $"{keyword} must have two arguments");
            string name = words[0];
            int at = rest.IndexOf(name, StringComparison.Ordinal) + name.Length;
            pairs.Add(Unquote(name, escape));
            pairs.Add(Unquote(rest[at..].Trim(), escape));
            return pairs;
        }
        foreach (string w in words)
        {
            int eq = w.IndexOf('=');
            if (eq < 0) throw Error(lineNo, $"Syntax error - can't find = in {GoQuote.Quote(w)}. Must be of the form: name=value");
            string name = Unquote(w[..eq], escape);
            if (name.Length == 0) throw Error(lineNo, $"{keyword} names can not be blank");
            pairs.Add(name);
            pairs.Add(Unquote(w[(eq + 1)..], escape));
        }
        return pairs;
    }

    /// Splits on whitespace outside quotes; quotes and escapes are kept in the words.
    internal static List<string> SplitWords(string s, char escape)
    {
        var words = new List<string>();
        var sb = new StringBuilder();
        char quote = '\0';
        bool inWord = false;
        for (int k = 0; k < s.Length; k++)
        {
            char c = s[k];
            if (quote == '\0' && char.IsWhiteSpace(c))
            {
                if (inWord) { words.Add(sb.ToString()); sb.Clear(); inWord = false; }
                continue;
            }
            inWord = true;
            sb.Append(c);
            if (c == escape && quote != '\'' && k + 1 < s.Length) { sb.Append(s[++k]); continue; }
            if (quote == '\0' && c is '"' or '\'') quote = c;
            else if (c == quote) quote = '\0';
        }
        if (inWord) words.Add(sb.ToString());
        return words;
    }

    /// Removes quotes (Docker's rules) but keeps expansion for the builder: characters the quotes or
    /// the escape made literal and that ShellWords.Expand would read ($, quotes, the escape character)
    /// stay escaped, so Expand(Unquote(w)) == Expand(w). Plain values come out plain: "a b" -> a b.
    static string Unquote(string w, char escape)
    {
        var sb = new StringBuilder();
        char quote = '\0';
        for (int k = 0; k < w.Length; k++)
        {
            char c = w[k];
            if (quote == '\'')
            {
                if (c == '\'') { quote = '\0'; continue; }
                Literal(sb, c, escape);
                continue;
            }
            if (quote == '"')
            {
                if (c == '"') { quote = '\0'; continue; }
                if (c == escape && k + 1 < w.Length && (w[k + 1] == '"' || w[k + 1] == '$' || w[k + 1] == escape))
                {
                    Literal(sb, w[++k], escape);
                    continue;
                }
                if (c == '$') sb.Append(c); // still expanded
                else Literal(sb, c, escape);
                continue;
            }
            if (c is '\'' or '"') { quote = c; continue; }
            if (c == escape)
            {
                if (k + 1 < w.Length) Literal(sb, w[++k], escape);
                continue;
            }
            sb.Append(c);
        }
        return sb.ToString();
    }

    static void Literal(StringBuilder sb, char c, char escape)
    {
        if (c == '$' || c == '\'' || c == '"' || c == escape) sb.Append(escape);
        sb.Append(c);
    }

    /// The elements of a JSON array of strings, or null when `s` is not one (then it is shell form).
    static List<string>? TryJson(string s)
    {
        if (!s.StartsWith('[') || !s.TrimEnd().EndsWith(']')) return null;
        try
        {
            using var doc = JsonDocument.Parse(s);
            if (doc.RootElement.ValueKind != JsonValueKind.Array) return null;
            var list = new List<string>();
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                if (e.ValueKind != JsonValueKind.String) return null;
                list.Add(e.GetString()!);
            }
            return list;
        }
        catch (JsonException) { return null; }
    }

    static int IndexOfSpace(string s)
    {
        for (int k = 0; k < s.Length; k++)
            if (s[k] is ' ' or '\t') return k;
        return -1;
    }

    /// " (did you mean from?)" for a keyword one or two edits away from a real one, as BuildKit says.
    static string Suggest(string word)
    {
        string? best = null;
        int bestDistance = 3;
        foreach (string k in Keywords)
        {
            int d = Distance(word, k);
            if (d < bestDistance) { bestDistance = d; best = k; }
        }
        return best is null ? "" : $" (did you mean {best.ToLowerInvariant()}?)";
    }

    static int Distance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int x = 1; x <= a.Length; x++)
        {
            cur[0] = x;
            for (int j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[x - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }

    static BuildException Error(int line, string message) => new($"dockerfile parse error on line {line}: {message}");
}
