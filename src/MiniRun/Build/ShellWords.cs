// ShellWords: the Dockerfile's own small shell language for instruction arguments: quotes, the
// escape character and variable substitution, without running a shell. Expand makes one word
// (ENV/LABEL/ARG values, FROM's image, flags' values); ExpandWords splits a shell-form line into
// words first (COPY/ADD sources and destination, EXPOSE, VOLUME, ...).
//
// Rules (the Dockerfile reference, "Environment replacement", and BuildKit's shell lexer):
//   - outside quotes the escape character makes the next character literal (a final lone escape is dropped);
//   - '...' is literal; "..." expands variables, and the escape character there escapes only " $ and
//     itself (before another character it stays);
//   - $NAME, ${NAME}; ${NAME:-word} / ${NAME-word}: word when NAME is unset (or, with ':', empty);
//     ${NAME:+word} / ${NAME+word}: word when set (and, with ':', non-empty), else "";
//     ${NAME:?msg} / ${NAME?msg}: an error when unset (or empty) ("NAME: is not allowed to be unset");
//     ${NAME#pat} ${NAME##pat} ${NAME%pat} ${NAME%%pat}: the shortest/longest prefix/suffix matching
//     the glob pat removed; ${NAME/pat/repl} ${NAME//pat/repl}: the first/every match replaced.
//     The word inside is itself expanded. An unset variable is "". $ before anything else is a literal $.
//   - ExpandWords: unquoted whitespace separates words, and so does whitespace inside the value of an
//     unquoted variable; "" and '' make an empty word.
// Follows: https://docs.docker.com/reference/dockerfile/#environment-replacement; POSIX Shell
// Command Language 2.6.2 "Parameter Expansion" (the operators' meaning).
using System.Text;

namespace MiniRun.Build;

public static class ShellWords
{
    /// <summary>Expands one word: quotes removed, escapes applied, variables substituted (no word splitting).</summary>
    public static string Expand(string word, Func<string, string?> lookup, char escape = '\\')
    {
        var lexer = new Lexer(word, lookup, escape, splitWords: false);
        return string.Concat(lexer.Words());
    }

    /// <summary>Splits a shell-form line into words (quotes and escape handled), each expanded.</summary>
    public static IReadOnlyList<string> ExpandWords(string line, Func<string, string?> lookup, char escape = '\\')
        => new Lexer(line, lookup, escape, splitWords: true).Words();

    sealed class Lexer(string s, Func<string, string?> lookup, char escape, bool splitWords)
    {
        int _pos;

        int Peek() => _pos < s.Length ? s[_pos] : -1;
        int Next() => _pos < s.Length ? s[_pos++] : -1;

        public List<string> Words()
        {
            var words = new List<string>();
            var current = new StringBuilder();
            bool inWord = false; // a word has started (even an empty "" one)
            while (Peek() >= 0)
            {
                char c = (char)Peek();
                if (splitWords && char.IsWhiteSpace(c))
                {
                    _pos++;
                    if (inWord) { words.Add(current.ToString()); current.Clear(); inWord = false; }
                    continue;
                }
                if (c == '$')
                {
                    string value = Dollar(out bool fromVariable);
                    if (!splitWords || !fromVariable) { current.Append(value); inWord = true; continue; }
                    // An unquoted expansion is split on whitespace, as the shell does; an empty one makes no word.
                    foreach (char v in value)
                    {
                        if (char.IsWhiteSpace(v))
                        {
                            if (inWord) { words.Add(current.ToString()); current.Clear(); inWord = false; }
                        }
                        else { current.Append(v); inWord = true; }
                    }
                    continue;
                }
                inWord = true;
                _pos++;
                if (c == '\'') current.Append(SingleQuoted());
                else if (c == '"') current.Append(DoubleQuoted());
                else if (c == escape)
                {
                    int n = Next();
                    if (n >= 0) current.Append((char)n);
                }
                else current.Append(c);
            }
            if (inWord || !splitWords) words.Add(current.ToString());
            return words;
        }

        string SingleQuoted()
        {
            var sb = new StringBuilder();
            while (true)
            {
                int c = Next();
                if (c < 0) throw new BuildException($"unexpected end of statement while looking for matching single-quote in {Quote(s)}");
                if (c == '\'') return sb.ToString();
                sb.Append((char)c);
            }
        }

        string DoubleQuoted()
        {
            var sb = new StringBuilder();
            while (true)
            {
                int c = Peek();
                if (c < 0) throw new BuildException($"unexpected end of statement while looking for matching double-quote in {Quote(s)}");
                if (c == '"') { _pos++; return sb.ToString(); }
                if (c == '$') { sb.Append(Dollar(out _)); continue; }
                _pos++;
                if (c == escape)
                {
                    int n = Peek();
                    if (n < 0) continue;
                    if (n == '"' || n == '$' || n == escape) { _pos++; sb.Append((char)n); }
                    else sb.Append((char)c);
                    continue;
                }
                sb.Append((char)c);
            }
        }

        /// Reads up to (not including) `stop` at nesting level 0, expanding quotes, escapes and
        /// variables. rawEscapes keeps the escape character before a character (for patterns).
        string StopOn(char stop, bool rawEscapes)
        {
            var sb = new StringBuilder();
            while (true)
            {
                int c = Peek();
                if (c < 0) throw new BuildException($"syntax error: missing '{(stop == '}' ? "}" : stop.ToString())}' in {Quote(s)}");
                if (c == stop) { _pos++; return sb.ToString(); }
                if (c == '\'') { _pos++; string q = SingleQuoted(); sb.Append(rawEscapes ? EscapePattern(q) : q); continue; }
                if (c == '"') { _pos++; string q = DoubleQuoted(); sb.Append(rawEscapes ? EscapePattern(q) : q); continue; }
                if (c == '$') { string v = Dollar(out _); sb.Append(rawEscapes ? EscapePattern(v) : v); continue; }
                _pos++;
                if (c == escape)
                {
                    int n = Next();
                    if (n < 0) continue;
                    if (rawEscapes) sb.Append('\\');
                    sb.Append((char)n);
                    continue;
                }
                sb.Append((char)c);
            }
        }

        static string EscapePattern(string literal)
        {
            var sb = new StringBuilder();
            foreach (char ch in literal)
            {
                if (ch is '*' or '?' or '[' or ']' or '\\') sb.Append('\\');
                sb.Append(ch);
            }
            return sb.ToString();
        }

        string Dollar(out bool fromVariable)
        {
            fromVariable = false;
            _pos++; // '$'
            if (Peek() != '{')
            {
                string name = Name();
                if (name.Length == 0) return "$";
                fromVariable = true;
                return lookup(name) ?? "";
            }
            _pos++; // '{'
            int first = Peek();
            if (first < 0) throw new BuildException($"syntax error: missing '}}' in {Quote(s)}");
            if (first is '{' or '}' or ':') throw new BuildException($"syntax error: bad substitution in {Quote(s)}");
            string n = Name();
            fromVariable = true;
            int op = Next();
            string? value = n.Length == 0 ? null : lookup(n);
            switch (op)
            {
                case '}':
                    return value ?? "";
                case ':':
                case '+':
                case '-':
                case '?':
                case '#':
                case '%':
                {
                    bool nullIsUnset = false;
                    string shown = ((char)op).ToString();
                    if (op == ':')
                    {
                        nullIsUnset = true;
                        op = Next();
                        shown += op < 0 ? "" : ((char)op).ToString();
                        if (op is not ('+' or '-' or '?'))
                            throw new BuildException($"unsupported modifier ({shown}) in substitution {Quote(s)}");
                    }
                    bool raw = op is '#' or '%';
                    string word = StopOn('}', raw);
                    bool unset = value is null || (nullIsUnset && value.Length == 0);
                    switch (op)
                    {
                        case '-': return unset ? word : value!;
                        case '+': return unset ? "" : word;
                        case '?':
                            if (value is null) throw new BuildException($"{n}: {(word.Length > 0 ? word : "is not allowed to be unset")}");
                            if (nullIsUnset && value.Length == 0) throw new BuildException($"{n}: {(word.Length > 0 ? word : "is not allowed to be empty")}");
                            return value;
                        default:
                        {
                            bool greedy = word.Length > 0 && word[0] == op;
                            if (greedy) word = word[1..];
                            return op == '%' ? TrimSuffix(value ?? "", word, greedy) : TrimPrefix(value ?? "", word, greedy);
                        }
                    }
                }
                case '/':
                {
                    bool all = false;
                    if (Peek() == '/') { all = true; _pos++; }
                    string pattern = StopOn('/', rawEscapes: true);
                    string replacement = StopOn('}', rawEscapes: false);
                    return Replace(value ?? "", pattern, replacement, all);
                }
                case -1:
                    throw new BuildException($"syntax error: missing '}}' in {Quote(s)}");
                default:
                    throw new BuildException($"unsupported modifier ({(char)op}) in substitution {Quote(s)}");
            }
        }

        string Name()
        {
            var sb = new StringBuilder();
            while (Peek() >= 0)
            {
                char c = (char)Peek();
                if (sb.Length == 0 && char.IsDigit(c))
                {
                    while (Peek() >= 0 && char.IsDigit((char)Peek())) sb.Append((char)Next());
                    return sb.ToString();
                }
                if (sb.Length == 0 && "*#@?-$!0".Contains(c)) { _pos++; return c.ToString(); }
                if (!char.IsLetterOrDigit(c) && c != '_') break;
                sb.Append(c);
                _pos++;
            }
            return sb.ToString();
        }
    }

    static string TrimPrefix(string value, string pattern, bool longest)
    {
        if (longest)
        {
            for (int i = value.Length; i >= 0; i--)
                if (Glob.Match(pattern, value[..i], slashSpecial: false)) return value[i..];
        }
        else
        {
            for (int i = 0; i <= value.Length; i++)
                if (Glob.Match(pattern, value[..i], slashSpecial: false)) return value[i..];
        }
        return value;
    }

    static string TrimSuffix(string value, string pattern, bool longest)
    {
        if (longest)
        {
            for (int i = 0; i <= value.Length; i++)
                if (Glob.Match(pattern, value[i..], slashSpecial: false)) return value[..i];
        }
        else
        {
            for (int i = value.Length; i >= 0; i--)
                if (Glob.Match(pattern, value[i..], slashSpecial: false)) return value[..i];
        }
        return value;
    }

    /// ${v/pat/repl}: at the leftmost position where the pattern matches, its longest (non-empty) match is replaced.
    static string Replace(string value, string pattern, string replacement, bool all)
    {
        var sb = new StringBuilder();
        int i = 0;
        while (i < value.Length)
        {
            int end = -1;
            for (int j = value.Length; j > i; j--)
                if (Glob.Match(pattern, value[i..j], slashSpecial: false)) { end = j; break; }
            if (end < 0) { sb.Append(value[i++]); continue; }
            sb.Append(replacement);
            i = end;
            if (!all) { sb.Append(value, i, value.Length - i); return sb.ToString(); }
        }
        return sb.ToString();
    }

    static string Quote(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
