// GoTemplate: a Go text/template engine for every `-f`/`--format` of MiniRun (inspect, ps,
// images, history, volume ls, network ls, info, version): parsing into a tree, then executing it
// over TemplateValues (GoTemplateExec.cs).
//
// Why: the course's handouts use Docker's templates ({{len .Config.Env}}, {{range}}, {{if eq}},
// {{json .}}, `table {{.ID}}\t{{.Names}}`); one engine, written once, gives them the same
// meaning and Go's error messages everywhere. Supported: text and actions with "{{-"/"-}}"
// trimming and {{/* comments */}}; fields, variables ($, $x := ..., $x = ...), pipelines,
// parenthesized pipelines, string/raw-string/number/bool/nil constants; if/else if/else,
// range (lists, maps, integers; $i, $e :=) with else, with/else; the functions listed in
// GoTemplateExec. define/template/block, break/continue and html/js/urlquery/call are refused by
// name at parse time.
// Follows: Go text/template (package documentation: Actions, Arguments, Pipelines, Variables,
// Functions; parse errors "template: NAME:LINE: ...", exec errors "template: NAME:LINE:COL:
// executing "NAME" at <NODE>: ...").
using System.Globalization;
using System.Text;

namespace MiniRun.Cli.Templates;

/// <summary>A template error: Parse errors are Docker's exit 64, execution errors exit 1.</summary>
public sealed class TemplateException(string message, bool parse) : Exception(message)
{
    public bool IsParseError { get; } = parse;
}

public sealed partial class GoTemplate
{
    // ---- tree ----
    internal abstract record Node(int Pos);
    internal sealed record TextNode(int Pos, string Text) : Node(Pos);
    internal sealed record ActionNode(int Pos, Pipe Pipe) : Node(Pos);
    internal sealed record ControlNode(int Pos, string Kind, Pipe Pipe, List<Node> List, List<Node>? Else) : Node(Pos);
    internal sealed record Pipe(int Pos, List<string> Decl, bool IsAssign, List<Cmd> Cmds);
    internal sealed record Cmd(int Pos, string Source, List<Arg> Args);

    internal abstract record Arg(int Pos);
    internal sealed record FieldArg(int Pos, string[] Names) : Arg(Pos);                      // .A.B
    internal sealed record DotArg(int Pos) : Arg(Pos);                                        // .
    internal sealed record VarArg(int Pos, string Name, string[] Names) : Arg(Pos);           // $x.A
    internal sealed record FuncArg(int Pos, string Name) : Arg(Pos);                          // len
    internal sealed record ConstArg(int Pos, object? Value, string Source) : Arg(Pos);        // "s" 1 true nil
    internal sealed record PipeArg(int Pos, Pipe Pipe, string[] Names) : Arg(Pos);           // (pipe).A

    private readonly string _text;
    private readonly List<Node> _root;

    public string Source => _text;

    private GoTemplate(string text, List<Node> root) { _text = text; _root = root; }

    /// <summary>Parses Go template text; throws TemplateException (IsParseError) on bad syntax.</summary>
    public static GoTemplate Parse(string text)
    {
        var items = Lex(text);
        int index = 0;
        var list = ParseList(text, items, ref index, out var term);
        if (term is not null)
            throw ParseError(text, term.Pos, $"unexpected {{{{{term.Keyword}}}}}");
        return new GoTemplate(text, list);
    }

    // ---- lexing: text and actions ----
    private sealed record Item(int Pos, string? Text, List<Token>? Tokens)
    {
        public string? Keyword => Tokens is { Count: > 0 } t && t[0].Kind == TokKind.Keyword ? t[0].Text : null;
    }

    internal enum TokKind { Field, Dot, Var, Ident, Keyword, String, Number, Bool, Nil, LParen, RParen, Pipe, Declare, Assign, Comma }
    internal sealed record Token(TokKind Kind, string Text, int Pos, object? Value = null);

    private static readonly HashSet<string> Keywords = ["if", "else", "end", "range", "with", "define", "template", "block", "break", "continue"];

    private static List<Item> Lex(string text)
    {
        var items = new List<Item>();
        int pos = 0;
        bool trimNext = false;
        while (pos <= text.Length)
        {
            int open = text.IndexOf("{{", pos, StringComparison.Ordinal);
            string chunk = open < 0 ? text[pos..] : text[pos..open];
            if (trimNext) chunk = chunk.TrimStart(' ', '\t', '\r', '\n');
            int textPos = pos;
            if (open < 0)
            {
                if (chunk.Length > 0) items.Add(new Item(textPos, chunk, null));
                break;
            }
            int inner = open + 2;
            bool trimLeft = inner + 1 < text.Length && text[inner] == '-' && IsSpace(text[inner + 1]);
            if (trimLeft) { chunk = chunk.TrimEnd(' ', '\t', '\r', '\n'); inner += 2; }
            if (chunk.Length > 0) items.Add(new Item(textPos, chunk, null));
            // a comment: {{/* ... */}}
            int k = inner;
            while (k < text.Length && IsSpace(text[k]) && trimLeft) k++;
            if (text.AsSpan(k).StartsWith("/*"))
            {
                int endComment = text.IndexOf("*/", k + 2, StringComparison.Ordinal);
                if (endComment < 0) throw ParseError(text, open, "unclosed comment");
                int after = endComment + 2;
                bool trimRight = false;
                if (text.AsSpan(after).StartsWith(" -}}")) { trimRight = true; after += 4; }
                else if (text.AsSpan(after).StartsWith("}}")) after += 2;
                else throw ParseError(text, open, "comment ends before closing delimiter");
                trimNext = trimRight;
                pos = after;
                continue;
            }
            var (tokens, end, trimAfter) = LexAction(text, inner, open);
            items.Add(new Item(open, null, tokens));
            trimNext = trimAfter;
            pos = end;
        }
        return items;
    }

    private static bool IsSpace(char c) => c is ' ' or '\t' or '\r' or '\n';

    /// <summary>The tokens of one action from `start` to its "}}"; returns the offset after it.</summary>
    private static (List<Token>, int End, bool TrimAfter) LexAction(string text, int start, int open)
    {
        var tokens = new List<Token>();
        int i = start;
        int parens = 0;
        while (true)
        {
            if (i >= text.Length) throw ParseError(text, open, "unclosed action");
            char c = text[i];
            if (IsSpace(c))
            {
                int j = i;
                while (j < text.Length && IsSpace(text[j])) j++;
                if (text.AsSpan(j).StartsWith("-}}") && j > i) return (tokens, j + 3, true);
                if (j < text.Length && text[j] == '\n' && parens == 0) { }
                i = j;
                continue;
            }
            if (text.AsSpan(i).StartsWith("}}"))
            {
                if (parens > 0) throw ParseError(text, open, "unclosed left paren");
                return (tokens, i + 2, false);
            }
            switch (c)
            {
                case '(': tokens.Add(new Token(TokKind.LParen, "(", i)); parens++; i++; continue;
                case ')':
                    if (parens == 0) throw ParseError(text, i, "unexpected right paren");
                    tokens.Add(new Token(TokKind.RParen, ")", i)); parens--; i++; continue;
                case '|': tokens.Add(new Token(TokKind.Pipe, "|", i)); i++; continue;
                case ',': tokens.Add(new Token(TokKind.Comma, ",", i)); i++; continue;
                case '=': tokens.Add(new Token(TokKind.Assign, "=", i)); i++; continue;
                case ':':
                    if (i + 1 < text.Length && text[i + 1] == '=') { tokens.Add(new Token(TokKind.Declare, ":=", i)); i += 2; continue; }
                    throw ParseError(text, i, "expected :=");
                case '"': { var (s, end) = LexQuoted(text, i, open); tokens.Add(new Token(TokKind.String, text[i..end], i, s)); i = end; continue; }
                case '`':
                {
                    int end = text.IndexOf('`', i + 1);
                    if (end < 0) throw ParseError(text, i, "unterminated raw quoted string");
                    tokens.Add(new Token(TokKind.String, text[i..(end + 1)], i, text[(i + 1)..end]));
                    i = end + 1;
                    continue;
                }
                case '.':
                    if (i + 1 < text.Length && IsIdentStart(text[i + 1]))
                    {
                        var names = new List<string>();
                        int j = FieldChain(text, i, names);
                        tokens.Add(new Token(TokKind.Field, text[i..j], i, names.ToArray()));
                        i = j;
                        continue;
                    }
                    if (i + 1 < text.Length && char.IsAsciiDigit(text[i + 1])) break;   // .5
                    tokens.Add(new Token(TokKind.Dot, ".", i)); i++; continue;
                case '$':
                {
                    int j = i + 1;
                    while (j < text.Length && IsIdentPart(text[j])) j++;
                    string name = text[i..j];
                    var names = new List<string>();
                    j = FieldChain(text, j, names);
                    tokens.Add(new Token(TokKind.Var, name, i, names.ToArray()));
                    i = j;
                    continue;
                }
            }
            if (char.IsAsciiDigit(c) || ((c is '-' or '+' or '.') && i + 1 < text.Length && (char.IsAsciiDigit(text[i + 1]) || text[i + 1] == '.')))
            {
                int j = i + 1;
                while (j < text.Length && (char.IsAsciiLetterOrDigit(text[j]) || text[j] is '.' or '_' || (text[j] is '+' or '-' && text[j - 1] is 'e' or 'E'))) j++;
                string num = text[i..j];
                tokens.Add(new Token(TokKind.Number, num, i, ParseNumber(text, num, i)));
                i = j;
                continue;
            }
            if (c == '\'')
            {
                int end = text.IndexOf('\'', i + 1);
                if (end < 0 || end == i + 1) throw ParseError(text, i, "unterminated character constant");
                string ch = text[(i + 1)..end];
                long value = ch.Length == 1 ? ch[0] : ch == "\\n" ? '\n' : ch == "\\t" ? '\t' : ch == "\\'" ? '\'' : ch == "\\\\" ? '\\'
                    : throw ParseError(text, i, $"malformed character constant: {text[i..(end + 1)]}");
                tokens.Add(new Token(TokKind.Number, text[i..(end + 1)], i, value));
                i = end + 1;
                continue;
            }
            if (IsIdentStart(c))
            {
                int j = i;
                while (j < text.Length && IsIdentPart(text[j])) j++;
                string word = text[i..j];
                var kind = Keywords.Contains(word) ? TokKind.Keyword
                    : word is "true" or "false" ? TokKind.Bool
                    : word == "nil" ? TokKind.Nil : TokKind.Ident;
                tokens.Add(new Token(kind, word, i, kind == TokKind.Bool ? word == "true" : null));
                i = j;
                continue;
            }
            throw ParseError(text, i, $"unexpected {GoQuoteRune(c)} in command");
        }
    }

    private static string GoQuoteRune(char c) => c == '\'' ? "'\\''" : $"\"{c}\"";
    /// <summary>Reads ".a.b..." from <paramref name="j"/> into <paramref name="names"/>; returns where the chain ends.</summary>
    private static int FieldChain(string text, int j, List<string> names)
    {
        while (j < text.Length && text[j] == '.' && j + 1 < text.Length && IsIdentStart(text[j + 1]))
        {
            int k = j + 1;
            while (k < text.Length && IsIdentPart(text[k])) k++;
            names.Add(text[(j + 1)..k]);
            j = k;
        }
        return j;
    }

    private static bool IsIdentStart(char c) => char.IsLetter(c) || c == '_';
    private static bool IsIdentPart(char c) => char.IsLetterOrDigit(c) || c == '_';

    private static object ParseNumber(string text, string num, int pos)
    {
        string n = num.Replace("_", "");
        bool neg = n.StartsWith('-');
        string body = n.TrimStart('-', '+');
        try
        {
            if (body.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
                return (neg ? -1 : 1) * long.Parse(body[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (long.TryParse(n, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l)) return l;
            if (double.TryParse(n, NumberStyles.Float, CultureInfo.InvariantCulture, out double d)) return d;
        }
        catch (FormatException) { }
        throw ParseError(text, pos, $"bad number syntax: \"{num}\"");
    }

    private static (string, int End) LexQuoted(string text, int i, int open)
    {
        var sb = new StringBuilder();
        int j = i + 1;
        while (true)
        {
            if (j >= text.Length || text[j] == '\n') throw ParseError(text, open, "unterminated quoted string");
            char c = text[j];
            if (c == '"') return (sb.ToString(), j + 1);
            if (c == '\\' && j + 1 < text.Length)
            {
                char e = text[j + 1];
                j += 2;
                switch (e)
                {
                    case 'n': sb.Append('\n'); break;
                    case 't': sb.Append('\t'); break;
                    case 'r': sb.Append('\r'); break;
                    case '\\': sb.Append('\\'); break;
                    case '"': sb.Append('"'); break;
                    case '\'': sb.Append('\''); break;
                    case 'x' when j + 2 <= text.Length:
                        sb.Append((char)Convert.ToInt32(text.Substring(j, 2), 16)); j += 2; break;
                    case 'u' when j + 4 <= text.Length:
                        sb.Append((char)Convert.ToInt32(text.Substring(j, 4), 16)); j += 4; break;
                    default: throw ParseError(text, open, $"invalid syntax: unknown escape \\{e}");
                }
                continue;
            }
            sb.Append(c);
            j++;
        }
    }

    // ---- parsing ----
    private static List<Node> ParseList(string text, List<Item> items, ref int index, out Item? terminator)
    {
        var list = new List<Node>();
        while (index < items.Count)
        {
            var item = items[index++];
            if (item.Text is not null) { list.Add(new TextNode(item.Pos, item.Text)); continue; }
            var tokens = item.Tokens!;
            if (tokens.Count == 0) throw ParseError(text, item.Pos, "missing value for command");
            switch (item.Keyword)
            {
                case null:
                    list.Add(new ActionNode(item.Pos, ParsePipe(text, tokens, 0, tokens.Count, allowDecl: true)));
                    break;
                case "end" or "else":
                    terminator = item;
                    return list;
                case "if" or "range" or "with":
                    list.Add(ParseControl(text, items, ref index, item.Keyword, tokens, 1, item.Pos));
                    break;
                default:
                    throw ParseError(text, item.Pos, $"{{{{{item.Keyword}}}}} is not supported by MiniRun's templates");
            }
        }
        terminator = null;
        return list;
    }

    private static ControlNode ParseControl(string text, List<Item> items, ref int index, string kind, List<Token> tokens, int from, int pos)
    {
        if (from >= tokens.Count) throw ParseError(text, pos, $"missing value for {kind}");
        var pipe = ParsePipe(text, tokens, from, tokens.Count, allowDecl: true, range: kind == "range");
        var body = ParseList(text, items, ref index, out var term);
        if (term is null) throw ParseError(text, text.Length, "unexpected EOF");
        List<Node>? elseList = null;
        if (term.Keyword == "else")
        {
            var t = term.Tokens!;
            if (t.Count > 1)
            {
                // {{else if ...}} / {{else with ...}}: a nested control that shares the {{end}}
                if (t[1].Kind != TokKind.Keyword || t[1].Text is not ("if" or "with"))
                    throw ParseError(text, term.Pos, "unexpected tokens after {{else}}");
                elseList = [ParseControl(text, items, ref index, t[1].Text, t, 2, term.Pos)];
            }
            else
            {
                elseList = ParseList(text, items, ref index, out var end);
                if (end is null) throw ParseError(text, text.Length, "unexpected EOF");
                if (end.Keyword != "end") throw ParseError(text, end.Pos, "expected end; found {{else}}");
                if (end.Tokens!.Count > 1) throw ParseError(text, end.Pos, "unexpected tokens in {{end}}");
            }
        }
        else if (term.Tokens!.Count > 1) throw ParseError(text, term.Pos, "unexpected tokens in {{end}}");
        return new ControlNode(pos, kind, pipe, body, elseList);
    }

    private static Pipe ParsePipe(string text, List<Token> t, int from, int to, bool allowDecl, bool range = false)
    {
        var decl = new List<string>();
        bool assign = false;
        int i = from;
        if (allowDecl && i < to && t[i].Kind == TokKind.Var && t[i].Value is string[] { Length: 0 })
        {
            int j = i;
            var vars = new List<string> { t[j].Text };
            if (range && j + 2 < to && t[j + 1].Kind == TokKind.Comma && t[j + 2].Kind == TokKind.Var)
            {
                vars.Add(t[j + 2].Text);
                j += 2;
            }
            if (j + 1 < to && t[j + 1].Kind is TokKind.Declare or TokKind.Assign)
            {
                assign = t[j + 1].Kind == TokKind.Assign;
                decl = vars;
                i = j + 2;
            }
        }
        var cmds = new List<Cmd>();
        int start = i;
        int depth = 0;
        for (int k = i; k <= to; k++)
        {
            if (k < to && t[k].Kind == TokKind.LParen) depth++;
            else if (k < to && t[k].Kind == TokKind.RParen) depth--;
            else if (k == to || (t[k].Kind == TokKind.Pipe && depth == 0))
            {
                if (k == start) throw ParseError(text, k < t.Count ? t[k].Pos : t[^1].Pos, "missing value for command");
                cmds.Add(ParseCmd(text, t, start, k));
                start = k + 1;
            }
        }
        if (cmds.Count == 0) throw ParseError(text, t[Math.Min(from, t.Count - 1)].Pos, "missing value for command");
        return new Pipe(t[from].Pos, decl, assign, cmds);
    }

    private static Cmd ParseCmd(string text, List<Token> t, int from, int to)
    {
        var args = new List<Arg>();
        int i = from;
        while (i < to)
        {
            var tok = t[i];
            switch (tok.Kind)
            {
                case TokKind.Field: args.Add(new FieldArg(tok.Pos, (string[])tok.Value!)); i++; break;
                case TokKind.Dot: args.Add(new DotArg(tok.Pos)); i++; break;
                case TokKind.Var: args.Add(new VarArg(tok.Pos, tok.Text, (string[])tok.Value!)); i++; break;
                case TokKind.String or TokKind.Number or TokKind.Bool: args.Add(new ConstArg(tok.Pos, tok.Value, tok.Text)); i++; break;
                case TokKind.Nil: args.Add(new ConstArg(tok.Pos, null, "nil")); i++; break;
                case TokKind.Ident:
                    if (!GoTemplateExec.IsFunction(tok.Text))
                        throw ParseError(text, tok.Pos, GoTemplateExec.IsRefused(tok.Text)
                            ? $"function \"{tok.Text}\" is not supported by MiniRun's templates"
                            : $"function \"{tok.Text}\" not defined");
                    args.Add(new FuncArg(tok.Pos, tok.Text));
                    i++;
                    break;
                case TokKind.LParen:
                {
                    int depth = 0, k = i;
                    for (; k < to; k++)
                    {
                        if (t[k].Kind == TokKind.LParen) depth++;
                        else if (t[k].Kind == TokKind.RParen && --depth == 0) break;
                    }
                    if (k >= to) throw ParseError(text, tok.Pos, "unclosed left paren");
                    var inner = ParsePipe(text, t, i + 1, k, allowDecl: false);
                    string[] names = [];
                    int next = k + 1;
                    if (next < to && t[next].Kind == TokKind.Field && t[next].Pos == t[k].Pos + 1)
                    {
                        names = (string[])t[next].Value!;
                        next++;
                    }
                    args.Add(new PipeArg(tok.Pos, inner, names));
                    i = next;
                    break;
                }
                case TokKind.Keyword: throw ParseError(text, tok.Pos, $"unexpected <{tok.Text}> in command");
                default: throw ParseError(text, tok.Pos, $"unexpected \"{tok.Text}\" in operand");
            }
        }
        int end = to < t.Count ? t[to].Pos : t[to - 1].Pos + t[to - 1].Text.Length;
        if (to > 0 && to - 1 < t.Count) end = t[to - 1].Pos + t[to - 1].Text.Length;
        string source = text[t[from].Pos..Math.Max(t[from].Pos, end)];
        return new Cmd(t[from].Pos, source, args);
    }

    internal static TemplateException ParseError(string text, int pos, string message) =>
        new($"template: :{Line(text, pos)}: {message}", parse: true);

    internal static int Line(string text, int pos) => 1 + text.AsSpan(0, Math.Min(pos, text.Length)).Count('\n');

    /// <summary>Go's "LINE:COL" of a node: the byte column counted from 0 on its line.</summary>
    internal static string Location(string text, int pos)
    {
        pos = Math.Min(pos, text.Length);
        int lastNl = text.LastIndexOf('\n', Math.Max(0, pos - 1));
        if (pos == 0) lastNl = -1;
        int col = lastNl < 0 ? Encoding.UTF8.GetByteCount(text.AsSpan(0, pos)) : Encoding.UTF8.GetByteCount(text.AsSpan(lastNl + 1, pos - lastNl - 1));
        return $"{Line(text, pos)}:{col}";
    }

    /// <summary>Runs the template over `data`; throws TemplateException on execution errors.</summary>
    public string Execute(object? data, bool headerFunctions = false)
    {
        var exec = new GoTemplateExec(_text, data, headerFunctions);
        exec.Walk(_root, data);
        return exec.Output;
    }

    /// <summary>Runs the template and returns what it wrote before any error (Docker's header rows ignore errors).</summary>
    public string ExecutePartial(object? data, bool headerFunctions)
    {
        var exec = new GoTemplateExec(_text, data, headerFunctions);
        try { exec.Walk(_root, data); }
        catch (TemplateException) { }
        return exec.Output;
    }
}
