// Glob: Go's filepath.Match pattern language, which Docker uses for COPY/ADD sources and BuildKit's
// shell lexer for ${VAR#pattern}: '*' any run of characters, '?' one character, '[a-z]' / '[^a-z]'
// (also '[!a-z]') a class with ranges, the backslash escaping the next character. For paths
// (slashSpecial) '*', '?' and classes never match '/'.
// Follows: Go path/filepath.Match (https://pkg.go.dev/path/filepath#Match).
namespace MiniRun.Build;

static class Glob
{
    /// <summary>True when the pattern has a glob character ('*', '?', '[') not escaped.</summary>
    public static bool HasMeta(string pattern)
    {
        for (int i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] == '\\') { i++; continue; }
            if (pattern[i] is '*' or '?' or '[') return true;
        }
        return false;
    }

    /// <summary>Removes the escaping backslashes of a pattern without glob characters.</summary>
    public static string Unescape(string pattern)
    {
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] == '\\' && i + 1 < pattern.Length) i++;
            sb.Append(pattern[i]);
        }
        return sb.ToString();
    }

    /// <summary>Whether `name` matches the whole `pattern`. A malformed class is a BuildException.</summary>
    public static bool Match(string pattern, string name, bool slashSpecial = true) => Match(pattern, 0, name, 0, slashSpecial);

    static bool Match(string p, int pi, string s, int si, bool slash)
    {
        while (pi < p.Length)
        {
            char c = p[pi];
            if (c == '*')
            {
                while (pi < p.Length && p[pi] == '*') pi++;
                if (pi == p.Length) return !slash || s.IndexOf('/', si) < 0;
                for (int k = si; k <= s.Length; k++)
                {
                    if (Match(p, pi, s, k, slash)) return true;
                    if (k < s.Length && slash && s[k] == '/') return false;
                }
                return false;
            }
            if (si >= s.Length) return false;
            if (c == '?')
            {
                if (slash && s[si] == '/') return false;
                pi++; si++;
                continue;
            }
            if (c == '[')
            {
                if (slash && s[si] == '/') return false;
                if (!MatchClass(p, ref pi, s[si])) return false;
                si++;
                continue;
            }
            if (c == '\\')
            {
                pi++;
                if (pi >= p.Length) throw new BuildException($"syntax error in pattern {GoQuote.Quote(p)}");
                c = p[pi];
            }
            if (s[si] != c) return false;
            pi++; si++;
        }
        return si == s.Length;
    }

    /// Matches one character against the class starting at p[pi] == '['; advances pi past ']'.
    static bool MatchClass(string p, ref int pi, char ch)
    {
        int i = pi + 1;
        bool negate = false;
        if (i < p.Length && (p[i] == '^' || p[i] == '!')) { negate = true; i++; }
        bool matched = false;
        bool first = true;
        while (true)
        {
            if (i >= p.Length) throw new BuildException($"syntax error in pattern {GoQuote.Quote(p)}");
            if (p[i] == ']' && !first) { i++; break; }
            first = false;
            char lo = ClassChar(p, ref i);
            char hi = lo;
            if (i + 1 < p.Length && p[i] == '-' && p[i + 1] != ']')
            {
                i++;
                hi = ClassChar(p, ref i);
                if (hi < lo) throw new BuildException($"syntax error in pattern {GoQuote.Quote(p)}");
            }
            if (lo <= ch && ch <= hi) matched = true;
        }
        pi = i;
        return matched != negate;
    }

    static char ClassChar(string p, ref int i)
    {
        if (p[i] == '\\')
        {
            i++;
            if (i >= p.Length) throw new BuildException($"syntax error in pattern {GoQuote.Quote(p)}");
        }
        return p[i++];
    }
}
