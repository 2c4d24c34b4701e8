// GoTemplateExec: executes a parsed GoTemplate: dot and variables, field chains, pipelines,
// if/range/with, and the functions: Go's and, or, not, len, index, slice, eq, ne, lt, le, gt, ge,
// print, printf, println; Docker's json, join, split, lower, upper, title, truncate, pad.
//
// Why: see GoTemplate.cs. Docker's header rows (`table ...`) run the same template over the
// column names with "header functions" that return their first argument unchanged (so
// `{{upper .Names}}` heads its column NAMES, not NAMES upper-cased twice).
// Follows: Go text/template exec (truth, missing keys, comparison rules, error wording
// "error calling X: ...", "wrong number of args for X: want N got M"), fmt's Sprint/Sprintf/
// Sprintln, docker/cli templates/templates.go (basicFunctions, HeaderFunctions).
using System.Globalization;
using System.Text;

namespace MiniRun.Cli.Templates;

internal sealed class GoTemplateExec(string text, object? root, bool headerFunctions)
{
    private readonly StringBuilder _out = new();
    private readonly List<(string Name, object? Value)> _vars = [("$", root)];
    private int _depth;

    public string Output => _out.ToString();

    private static readonly HashSet<string> Functions =
    [
        "and", "or", "not", "len", "index", "slice", "eq", "ne", "lt", "le", "gt", "ge", "print", "printf", "println",
        "json", "join", "split", "lower", "upper", "title", "truncate", "pad",
    ];
    private static readonly HashSet<string> Refused = ["html", "js", "urlquery", "call"];
    private static readonly HashSet<string> HeaderIdentity = ["json", "join", "split", "lower", "upper", "title", "truncate", "pad"];

    public static bool IsFunction(string name) => Functions.Contains(name);
    public static bool IsRefused(string name) => Refused.Contains(name);

    /// <summary>The marker of "no value given" (Go's missingVal), distinct from nil.</summary>
    private static readonly object Missing = new();

    public void Walk(List<GoTemplate.Node> list, object? dot)
    {
        foreach (var node in list) WalkNode(node, dot);
    }

    private void WalkNode(GoTemplate.Node node, object? dot)
    {
        if (++_depth > 10000) throw Error(node.Pos, "", "exceeded maximum template depth (100000)");
        try
        {
            switch (node)
            {
                case GoTemplate.TextNode t: _out.Append(t.Text); break;
                case GoTemplate.ActionNode a:
                {
                    object? v = EvalPipe(dot, a.Pipe);
                    if (a.Pipe.Decl.Count == 0) _out.Append(v is null ? "<no value>" : TemplateValues.Print(v));
                    break;
                }
                case GoTemplate.ControlNode c: WalkControl(c, dot); break;
            }
        }
        finally { _depth--; }
    }

    private void WalkControl(GoTemplate.ControlNode c, object? dot)
    {
        int mark = _vars.Count;
        try
        {
            if (c.Kind == "range") { WalkRange(c, dot, mark); return; }
            object? v = EvalPipe(dot, c.Pipe);
            if (TemplateValues.Truth(v)) Walk(c.List, c.Kind == "with" ? v : dot);
            else if (c.Else is not null) Walk(c.Else, dot);
        }
        finally { _vars.RemoveRange(mark, _vars.Count - mark); }
    }

    private void WalkRange(GoTemplate.ControlNode c, object? dot, int mark)
    {
        var decl = c.Pipe.Decl;
        var pipe = c.Pipe with { Decl = [] };
        object? v = EvalPipe(dot, pipe);
        int inner = _vars.Count;
        void One(object? key, object? elem)
        {
            if (decl.Count == 1) SetVar(decl[0], elem, c.Pipe.IsAssign);
            else if (decl.Count == 2) { SetVar(decl[0], key, c.Pipe.IsAssign); SetVar(decl[1], elem, c.Pipe.IsAssign); }
            int bodyMark = _vars.Count;
            Walk(c.List, elem);
            _vars.RemoveRange(bodyMark, _vars.Count - bodyMark);
        }
        int count = 0;
        switch (v)
        {
            case TemplateList l:
                for (int i = 0; i < l.Items.Count; i++, count++) One((long)i, l.Items[i]);
                break;
            case TemplateMap m:
                foreach (var kv in m.Entries.OrderBy(p => p.Key, StringComparer.Ordinal)) { One(kv.Key, kv.Value); count++; }
                break;
            case long n:
                if (decl.Count == 2) throw Error(c.Pos, "", "can't use " + n + " to iterate over more than one variable");
                for (long i = 0; i < n; i++, count++) One(i, i);
                break;
            case null: break;
            default: throw Error(c.Pipe.Pos, "", $"range can't iterate over {TemplateValues.Print(v)}");
        }
        _ = inner;
        if (count == 0 && c.Else is not null) Walk(c.Else, dot);
    }

    private void SetVar(string name, object? value, bool assign)
    {
        if (assign)
        {
            for (int i = _vars.Count - 1; i >= 0; i--)
                if (_vars[i].Name == name) { _vars[i] = (name, value); return; }
            throw new TemplateException($"template: :{GoTemplate.Line(text, 0)}: undefined variable: {name}", parse: true);
        }
        _vars.Add((name, value));
    }

    private object? EvalPipe(object? dot, GoTemplate.Pipe pipe)
    {
        object? value = Missing;
        foreach (var cmd in pipe.Cmds) value = EvalCmd(dot, cmd, value);
        if (value == Missing) value = null;
        foreach (string name in pipe.Decl) SetVar(name, value, pipe.IsAssign);
        return value;
    }

    private object? EvalCmd(object? dot, GoTemplate.Cmd cmd, object? final)
    {
        var first = cmd.Args[0];
        var rest = cmd.Args.Skip(1).ToList();
        switch (first)
        {
            case GoTemplate.FieldArg f: return EvalChain(dot, dot, f.Names, rest, final, cmd, f.Pos, "." + string.Join('.', f.Names));
            case GoTemplate.VarArg v:
            {
                object? value = Var(v.Name, v.Pos);
                if (v.Names.Length == 0) { NoArgs(cmd, rest, final, v.Name); return value; }
                return EvalChain(dot, value, v.Names, rest, final, cmd, v.Pos, v.Name + "." + string.Join('.', v.Names));
            }
            case GoTemplate.PipeArg p:
            {
                object? value = EvalPipe(dot, p.Pipe);
                if (p.Names.Length == 0) { NoArgs(cmd, rest, final, cmd.Source); return value; }
                return EvalChain(dot, value, p.Names, rest, final, cmd, p.Pos, cmd.Source);
            }
            case GoTemplate.FuncArg fn: return Call(dot, fn.Name, rest, final, cmd);
            case GoTemplate.DotArg: NoArgs(cmd, rest, final, "."); return dot;
            case GoTemplate.ConstArg c: NoArgs(cmd, rest, final, c.Source); return c.Value;
        }
        throw Error(cmd.Pos, cmd.Source, "can't evaluate command");
    }

    private void NoArgs(GoTemplate.Cmd cmd, List<GoTemplate.Arg> rest, object? final, string what)
    {
        if (rest.Count > 0 || final != Missing) throw Error(cmd.Pos, cmd.Source, $"can't give argument to non-function {what}");
    }

    private object? Var(string name, int pos)
    {
        for (int i = _vars.Count - 1; i >= 0; i--)
            if (_vars[i].Name == name) return _vars[i].Value;
        throw new TemplateException($"template: :{GoTemplate.Line(text, pos)}: undefined variable \"{name}\"", parse: true);
    }

    private object? EvalChain(object? dot, object? receiver, string[] names, List<GoTemplate.Arg> args, object? final,
        GoTemplate.Cmd cmd, int pos, string nodeText)
    {
        for (int i = 0; i < names.Length; i++)
        {
            bool last = i == names.Length - 1;
            receiver = EvalField(dot, receiver, names[i], last ? args : [], last ? final : Missing, pos, nodeText);
        }
        return receiver;
    }

    private object? EvalField(object? dot, object? receiver, string name, List<GoTemplate.Arg> args, object? final, int pos, string nodeText)
    {
        bool hasArgs = args.Count > 0 || final != Missing;
        switch (receiver)
        {
            case TemplateStruct s:
                if (s.TryMethod(name, out var method))
                {
                    var values = args.Select(a => EvalArg(dot, a)).ToList();
                    if (final != Missing) values.Add(final);
                    try { return method(values); }
                    catch (TemplateFunctionException e) { throw Error(pos, nodeText, $"error calling {name}: {e.Message}"); }
                }
                if (s.TryField(name, out var value))
                {
                    if (hasArgs) throw Error(pos, nodeText, $"{name} has arguments but cannot be invoked as function");
                    return value;
                }
                throw Error(pos, nodeText, $"can't evaluate field {name} in type {s.TypeName}");
            case TemplateMap m:
                if (hasArgs) throw Error(pos, nodeText, $"{name} is not a method but has arguments");
                if (m.Entries.TryGetValue(name, out var entry)) return entry;
                if (m.Strict) throw Error(pos, nodeText, $"map has no entry for key \"{name}\"");
                return null;
            case null:
                return null;   // a null object in the document: nothing below it (prints "<no value>")
            default:
                throw Error(pos, nodeText, $"can't evaluate field {name} in type {TemplateValues.TypeName(receiver)}");
        }
    }

    private object? EvalArg(object? dot, GoTemplate.Arg arg) => arg switch
    {
        GoTemplate.DotArg => dot,
        GoTemplate.ConstArg c => c.Value,
        GoTemplate.FieldArg f => EvalChain(dot, dot, f.Names, [], Missing, null!, f.Pos, "." + string.Join('.', f.Names)),
        GoTemplate.VarArg v => v.Names.Length == 0 ? Var(v.Name, v.Pos)
            : EvalChain(dot, Var(v.Name, v.Pos), v.Names, [], Missing, null!, v.Pos, v.Name + "." + string.Join('.', v.Names)),
        GoTemplate.PipeArg p => p.Names.Length == 0 ? EvalPipe(dot, p.Pipe)
            : EvalChain(dot, EvalPipe(dot, p.Pipe), p.Names, [], Missing, null!, p.Pos, "(...)." + string.Join('.', p.Names)),
        GoTemplate.FuncArg fn => Call(dot, fn.Name, [], Missing, new GoTemplate.Cmd(fn.Pos, fn.Name, [fn])),
        _ => null,
    };

    private object? Call(object? dot, string name, List<GoTemplate.Arg> argNodes, object? final, GoTemplate.Cmd cmd)
    {
        int given = argNodes.Count + (final != Missing ? 1 : 0);
        if (name is "and" or "or")
        {
            if (given < 1) throw Error(cmd.Pos, cmd.Source, $"wrong number of args for {name}: want at least 1 got 0");
            object? v = null;
            for (int i = 0; i < given; i++)
            {
                v = i < argNodes.Count ? EvalArg(dot, argNodes[i]) : final;
                if (TemplateValues.Truth(v) == (name == "or")) return v;
            }
            return v;
        }
        var args = argNodes.Select(a => EvalArg(dot, a)).ToList();
        if (final != Missing) args.Add(final);
        try
        {
            if (headerFunctions && HeaderIdentity.Contains(name))
            {
                Want(name, args, 1, name switch { "join" or "split" or "truncate" => 2, "pad" => 3, _ => 1 });
                return args[0];
            }
            return TemplateFunctions.Call(name, args);
        }
        catch (TemplateFunctionException e)
        {
            throw Error(cmd.Pos, cmd.Source, e.ArgCount ? e.Message : $"error calling {name}: {e.Message}");
        }
    }

    internal static void Want(string name, List<object?> args, int min, int max)
    {
        if (args.Count < min || args.Count > max)
            throw new TemplateFunctionException($"wrong number of args for {name}: want {(min == max ? min.ToString() : $"at least {min}")} got {args.Count}", argCount: true);
    }

    private TemplateException Error(int pos, string nodeText, string message) =>
        new($"template: :{GoTemplate.Location(text, pos)}: executing \"\" at <{nodeText}>: {message}", parse: false);
}

/// <summary>An error from a template function, reported as Go's "error calling NAME: ...".</summary>
internal sealed class TemplateFunctionException(string message, bool argCount = false) : Exception(message)
{
    public bool ArgCount { get; } = argCount;
}

/// <summary>The functions, one case each.</summary>
internal static class TemplateFunctions
{
    public static object? Call(string name, List<object?> a)
    {
        switch (name)
        {
            case "not": GoTemplateExec.Want(name, a, 1, 1); return !TemplateValues.Truth(a[0]);
            case "len":
                GoTemplateExec.Want(name, a, 1, 1);
                return a[0] switch
                {
                    string s => (long)Encoding.UTF8.GetByteCount(s),
                    TemplateList l => (long)l.Items.Count,
                    TemplateMap m => (long)m.Entries.Count,
                    null => throw new TemplateFunctionException("len of nil pointer"),
                    _ => throw new TemplateFunctionException($"len of type {TemplateValues.TypeName(a[0])}"),
                };
            case "index":
                GoTemplateExec.Want(name, a, 1, int.MaxValue);
                return a.Skip(1).Aggregate(a[0], Index);
            case "slice": GoTemplateExec.Want(name, a, 1, 3); return Slice(a);
            case "eq":
                GoTemplateExec.Want(name, a, 2, int.MaxValue);
                return a.Skip(1).Any(b => Equal(a[0], b));
            case "ne": GoTemplateExec.Want(name, a, 2, 2); return !Equal(a[0], a[1]);
            case "lt": GoTemplateExec.Want(name, a, 2, 2); return Compare(a[0], a[1]) < 0;
            case "le": GoTemplateExec.Want(name, a, 2, 2); return Compare(a[0], a[1]) <= 0;
            case "gt": GoTemplateExec.Want(name, a, 2, 2); return Compare(a[0], a[1]) > 0;
            case "ge": GoTemplateExec.Want(name, a, 2, 2); return Compare(a[0], a[1]) >= 0;
            case "print": return Sprint(a);
            case "println": return string.Join(' ', a.Select(TemplateValues.Print)) + "\n";
            case "printf":
                GoTemplateExec.Want(name, a, 1, int.MaxValue);
                return GoPrintf.Format(Str(a[0], "printf"), a.Skip(1).ToList());
            case "json": GoTemplateExec.Want(name, a, 1, 1); return TemplateValues.Json(a[0]);
            case "join":
                GoTemplateExec.Want(name, a, 2, 2);
                if (a[0] is not TemplateList jl) throw new TemplateFunctionException($"wrong type for value; expected []string; got {TemplateValues.TypeName(a[0])}");
                return string.Join(Str(a[1], "join"), jl.Items.Select(TemplateValues.Print));
            case "split":
                GoTemplateExec.Want(name, a, 2, 2);
                string sep = Str(a[1], "split");
                string src = Str(a[0], "split");
                return new TemplateList(sep.Length == 0 ? src.Select(c => (object?)c.ToString()).ToList() : src.Split(sep).Select(s => (object?)s).ToList());
            case "lower": GoTemplateExec.Want(name, a, 1, 1); return Str(a[0], name).ToLowerInvariant();
            case "upper": GoTemplateExec.Want(name, a, 1, 1); return Str(a[0], name).ToUpperInvariant();
            case "title": GoTemplateExec.Want(name, a, 1, 1); return Title(Str(a[0], name));
            case "truncate":
            {
                GoTemplateExec.Want(name, a, 2, 2);
                string s = Str(a[0], name);
                int n = (int)Int(a[1]);
                var runes = s.EnumerateRunes().ToList();
                return runes.Count <= n ? s : string.Concat(runes.Take(Math.Max(0, n)).Select(r => r.ToString()));
            }
            case "pad":
                GoTemplateExec.Want(name, a, 3, 3);
                return new string(' ', (int)Math.Max(0, Int(a[1]))) + Str(a[0], name) + new string(' ', (int)Math.Max(0, Int(a[2])));
        }
        throw new TemplateFunctionException($"function \"{name}\" not defined");
    }

    private static string Str(object? v, string fn) => v as string
        ?? throw new TemplateFunctionException($"wrong type for value; expected string; got {TemplateValues.TypeName(v)}");

    private static long Int(object? v) => v switch
    {
        long l => l,
        int i => i,
        _ => throw new TemplateFunctionException($"wrong type for value; expected int; got {TemplateValues.TypeName(v)}"),
    };

    /// <summary>strings.Title: the first letter of each word upper-cased.</summary>
    private static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool start = true;
        foreach (char c in s)
        {
            sb.Append(start ? char.ToUpperInvariant(c) : c);
            start = !char.IsLetterOrDigit(c) && c != '_' && c != '\'';
        }
        return sb.ToString();
    }

    private static object? Index(object? item, object? key)
    {
        switch (item)
        {
            case TemplateList l:
            {
                long i = key is long k ? k : throw new TemplateFunctionException($"cannot index slice/array with type {TemplateValues.TypeName(key)}");
                if (i < 0 || i >= l.Items.Count) throw new TemplateFunctionException($"index out of range: {i}");
                return l.Items[(int)i];
            }
            case string s:
            {
                long i = key is long k ? k : throw new TemplateFunctionException($"cannot index slice/array with type {TemplateValues.TypeName(key)}");
                byte[] bytes = Encoding.UTF8.GetBytes(s);
                if (i < 0 || i >= bytes.Length) throw new TemplateFunctionException($"index out of range: {i}");
                return (long)bytes[i];
            }
            case TemplateMap m:
                if (key is not string ks) throw new TemplateFunctionException($"value has type {TemplateValues.TypeName(key)}; should be string");
                return m.Entries.TryGetValue(ks, out var v) ? v : m.Strict ? null : "";
            case null: throw new TemplateFunctionException("index of untyped nil");
            default: throw new TemplateFunctionException($"can't index item of type {TemplateValues.TypeName(item)}");
        }
    }

    private static object? Slice(List<object?> a)
    {
        var idx = a.Skip(1).Select(Int).ToList();
        switch (a[0])
        {
            case TemplateList l:
            {
                int from = idx.Count > 0 ? (int)idx[0] : 0, to = idx.Count > 1 ? (int)idx[1] : l.Items.Count;
                if (from < 0 || to > l.Items.Count || from > to) throw new TemplateFunctionException($"index out of range: {(from < 0 || from > to ? from : to)}");
                return new TemplateList(l.Items.Skip(from).Take(to - from).ToList());
            }
            case string s:
            {
                int from = idx.Count > 0 ? (int)idx[0] : 0, to = idx.Count > 1 ? (int)idx[1] : s.Length;
                if (from < 0 || to > s.Length || from > to) throw new TemplateFunctionException($"index out of range: {(from < 0 || from > to ? from : to)}");
                return s[from..to];
            }
            default: throw new TemplateFunctionException($"can't slice item of type {TemplateValues.TypeName(a[0])}");
        }
    }

    private static bool Equal(object? x, object? y)
    {
        switch (x, y)
        {
            case (null, null): return true;
            case (string a, string b): return a == b;
            case (bool a, bool b): return a == b;
            case (long a, long b): return a == b;
            case (double a, double b): return a == b;
            case (long or double, long or double): throw new TemplateFunctionException("incompatible types for comparison");
            case (TemplateList or TemplateMap or TemplateStruct, _):
            case (_, TemplateList or TemplateMap or TemplateStruct):
                throw new TemplateFunctionException($"non-comparable type {TemplateValues.Print(x)}: {TemplateValues.TypeName(x)}");
            case (null, _) or (_, null): return false;
            default: throw new TemplateFunctionException("incompatible types for comparison");
        }
    }

    private static int Compare(object? x, object? y) => (x, y) switch
    {
        (string a, string b) => string.CompareOrdinal(a, b),
        (long a, long b) => a.CompareTo(b),
        (double a, double b) => a.CompareTo(b),
        (long or double, long or double) => throw new TemplateFunctionException("incompatible types for comparison"),
        (string or long or double, string or long or double) => throw new TemplateFunctionException("incompatible types for comparison"),
        _ => throw new TemplateFunctionException("invalid type for comparison"),
    };

    /// <summary>fmt.Sprint: a space between operands when neither is a string.</summary>
    private static string Sprint(List<object?> a)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < a.Count; i++)
        {
            if (i > 0 && a[i] is not string && a[i - 1] is not string) sb.Append(' ');
            sb.Append(TemplateValues.Print(a[i]));
        }
        return sb.ToString();
    }
}

/// <summary>fmt.Sprintf for the verbs templates use: %v %s %d %q %t %f %e %g %x %X %c %%, flags "-+ 0#", width and precision.</summary>
internal static class GoPrintf
{
    public static string Format(string format, List<object?> args)
    {
        var sb = new StringBuilder();
        int argi = 0;
        for (int i = 0; i < format.Length; i++)
        {
            char c = format[i];
            if (c != '%') { sb.Append(c); continue; }
            if (++i >= format.Length) { sb.Append("%!(NOVERB)"); break; }
            bool minus = false, plus = false, zero = false, space = false, sharp = false;
            for (; i < format.Length; i++)
            {
                char f = format[i];
                if (f == '-') minus = true; else if (f == '+') plus = true; else if (f == '0') zero = true;
                else if (f == ' ') space = true; else if (f == '#') sharp = true; else break;
            }
            int width = -1, prec = -1;
            int ws = i;
            while (i < format.Length && char.IsAsciiDigit(format[i])) i++;
            if (i > ws) width = int.Parse(format[ws..i], CultureInfo.InvariantCulture);
            if (i < format.Length && format[i] == '.')
            {
                int ps = ++i;
                while (i < format.Length && char.IsAsciiDigit(format[i])) i++;
                prec = i > ps ? int.Parse(format[ps..i], CultureInfo.InvariantCulture) : 0;
            }
            if (i >= format.Length) { sb.Append("%!(NOVERB)"); break; }
            char verb = format[i];
            if (verb == '%') { sb.Append('%'); continue; }
            if (argi >= args.Count) { sb.Append($"%!{verb}(MISSING)"); continue; }
            object? arg = args[argi++];
            string body = Verb(verb, arg, prec, plus, space, sharp);
            if (width > body.Length)
            {
                bool numeric = arg is long or double && verb is not 's' and not 'q' and not 'v';
                if (minus) body = body.PadRight(width);
                else if (zero && (numeric || arg is long or double))
                {
                    bool sign = body.StartsWith('-') || body.StartsWith('+');
                    body = sign ? body[0] + body[1..].PadLeft(width - 1, '0') : body.PadLeft(width, '0');
                }
                else body = body.PadLeft(width);
            }
            sb.Append(body);
        }
        if (argi < args.Count)
            sb.Append("%!(EXTRA ").Append(string.Join(", ", args.Skip(argi).Select(a => $"{TemplateValues.TypeName(a)}={TemplateValues.Print(a)}"))).Append(')');
        return sb.ToString();
    }

    private static string Verb(char verb, object? arg, int prec, bool plus, bool space, bool sharp)
    {
        string Bad() => $"%!{verb}({TemplateValues.TypeName(arg)}={TemplateValues.Print(arg)})";
        string Sign(string s, bool negative) => negative ? s : plus ? "+" + s : space ? " " + s : s;
        switch (verb)
        {
            case 'v':
                if (arg is string sv && sharp) return HumanFormat.GoQuote(sv);
                return arg is double dv && prec >= 0 ? dv.ToString("F" + prec, CultureInfo.InvariantCulture) : TemplateValues.Print(arg);
            case 's':
            {
                if (arg is long or double or bool or null) return arg is null ? "%!s(<nil>)" : Bad();
                string s = TemplateValues.Print(arg);
                return prec >= 0 && s.Length > prec ? s[..prec] : s;
            }
            case 'q': return arg is string q ? HumanFormat.GoQuote(q) : arg is long ql ? $"'{(char)ql}'" : Bad();
            case 'd': return arg is long d ? Sign(d.ToString(CultureInfo.InvariantCulture), d < 0) : Bad();
            case 't': return arg is bool b ? (b ? "true" : "false") : Bad();
            case 'c': return arg is long cl ? char.ConvertFromUtf32((int)cl) : Bad();
            case 'x' or 'X':
            {
                string r = arg switch
                {
                    long xl => xl < 0 ? "-" + (-xl).ToString("x", CultureInfo.InvariantCulture) : xl.ToString("x", CultureInfo.InvariantCulture),
                    string xs => Convert.ToHexString(Encoding.UTF8.GetBytes(xs)).ToLowerInvariant(),
                    _ => "",
                };
                if (r.Length == 0) return Bad();
                if (sharp) r = r.StartsWith('-') ? "-0x" + r[1..] : "0x" + r;
                return verb == 'X' ? r.ToUpperInvariant() : r;
            }
            case 'f' or 'F' or 'e' or 'g':
            {
                double? fd = arg switch { double x => x, _ => null };
                if (fd is null) return Bad();
                string r = verb switch
                {
                    'e' => FormatE(fd.Value, prec < 0 ? 6 : prec),
                    'g' => prec < 0 ? TemplateValues.FormatFloat(fd.Value) : fd.Value.ToString("G" + prec, CultureInfo.InvariantCulture),
                    _ => fd.Value.ToString("F" + (prec < 0 ? 6 : prec), CultureInfo.InvariantCulture),
                };
                return Sign(r, fd.Value < 0);
            }
        }
        return $"%!{verb}({TemplateValues.TypeName(arg)}={TemplateValues.Print(arg)})";
    }

    private static string FormatE(double d, int prec)
    {
        string s = d.ToString((prec == 0 ? "0" : "0." + new string('0', prec)) + "e+00", CultureInfo.InvariantCulture);
        return s;
    }
}
