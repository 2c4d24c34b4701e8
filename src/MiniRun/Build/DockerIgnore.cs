// DockerIgnore: the build context's .dockerignore, which keeps files out of COPY/ADD.
//
// Rules (Docker's, from moby/patternmatcher and the ignorefile reader):
//   - one pattern a line; a line starting with '#' is a comment; surrounding blanks are trimmed and
//     empty lines skipped;
//   - a leading '!' makes an exception (a path it matches is included again);
//   - each pattern is cleaned as Go's filepath.Clean does, then a leading '/' is removed, so
//     "/a", "./a" and "a" are the same pattern;
//   - '*' matches any run of characters but '/', '?' one character but '/', '[...]' a class,
//     '\' escapes; '**' matches any number of directories, zero included ("**/*.go" matches "a.go");
//   - a path is excluded when the last pattern that matches it, or one of its parent directories,
//     is not an exception: later lines win.
// Follows: https://docs.docker.com/build/concepts/context/#dockerignore-files; Go path/filepath.Match.
using System.Text;
using System.Text.RegularExpressions;

namespace MiniRun.Build;

public sealed class DockerIgnore
{
    readonly List<(Regex Regex, bool Exception, string Pattern)> _patterns = [];

    /// <summary>No patterns: nothing is excluded (the rootfs of a stage or an image as a COPY --from source).</summary>
    public static readonly DockerIgnore None = new();

    /// <summary>The patterns as cleaned, "!" kept for exceptions (for messages and tests).</summary>
    public IReadOnlyList<string> Patterns => _patterns.Select(p => (p.Exception ? "!" : "") + p.Pattern).ToList();

    /// <summary>True when at least one exception pattern exists (an excluded directory may then have included files).</summary>
    public bool HasExceptions => _patterns.Any(p => p.Exception);

    /// <summary>Parses the text of a .dockerignore file.</summary>
    public static DockerIgnore Parse(string text)
    {
        var result = new DockerIgnore();
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        foreach (string raw in text.Replace("\r\n", "\n").Split('\n'))
        {
            if (raw.StartsWith('#')) continue;
            string pattern = raw.Trim();
            if (pattern.Length == 0) continue;
            bool exception = pattern[0] == '!';
            if (exception) pattern = pattern[1..].Trim();
            if (pattern.Length > 0)
            {
                pattern = GoPath.Clean(pattern);
                if (pattern.Length > 1 && pattern[0] == '/') pattern = pattern[1..];
            }
            result._patterns.Add((new Regex(ToRegex(pattern), RegexOptions.CultureInvariant), exception, pattern));
        }
        return result;
    }

    /// <summary>Whether the path (relative to the context root, '/' separated) is excluded from the context.</summary>
    public bool IsExcluded(string relativePath)
    {
        if (_patterns.Count == 0) return false;
        string file = GoPath.Clean(relativePath.TrimStart('/'));
        if (file == "." || file.Length == 0) return false;
        string parent = GoPath.Dir(file);
        string[] parentDirs = parent.Split('/');
        bool matched = false;
        foreach (var (regex, exception, _) in _patterns)
        {
            // Only a pattern that could change the answer is tried.
            if (exception != matched) continue;
            bool match = regex.IsMatch(file);
            if (!match && parent != ".")
            {
                for (int k = 0; k < parentDirs.Length && !match; k++)
                    match = regex.IsMatch(string.Join('/', parentDirs, 0, k + 1));
            }
            if (match) matched = !exception;
        }
        return matched;
    }

    /// The pattern as an anchored regular expression (moby/patternmatcher's translation).
    static string ToRegex(string pattern)
    {
        var sb = new StringBuilder("^");
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            if (c == '*')
            {
                if (i + 1 < pattern.Length && pattern[i + 1] == '*')
                {
                    i++;
                    if (i + 1 < pattern.Length && pattern[i + 1] == '/') i++; // "**/" is "**"
                    if (i + 1 >= pattern.Length) sb.Append(".*");            // "**" at the end: everything
                    else sb.Append("(.*/)?");                                // any number of directories
                }
                else sb.Append("[^/]*");
            }
            else if (c == '?') sb.Append("[^/]");
            else if (c == '\\')
            {
                if (i + 1 < pattern.Length) sb.Append(Regex.Escape(pattern[++i].ToString()));
                else sb.Append(@"\\");
            }
            else if (c == '[')
            {
                // A class: copied, with '!' negation as '^' and regex-special characters escaped.
                int end = pattern.IndexOf(']', i + 2 <= pattern.Length ? i + 2 : i + 1);
                if (end < 0) { sb.Append(@"\["); continue; }
                string body = pattern[(i + 1)..end];
                if (body.StartsWith('!')) body = "^" + body[1..];
                sb.Append('[').Append(body.Replace("[", @"\[")).Append(']');
                i = end;
            }
            else sb.Append(Regex.Escape(c.ToString()));
        }
        return sb.Append('$').ToString();
    }
}

/// Go's path.Clean and path.Dir for '/' separated paths (the rules Docker applies to patterns and sources).
static class GoPath
{
    public static string Clean(string path)
    {
        if (path.Length == 0) return ".";
        bool rooted = path[0] == '/';
        var parts = new List<string>();
        foreach (string p in path.Split('/'))
        {
            if (p.Length == 0 || p == ".") continue;
            if (p == "..")
            {
                if (parts.Count > 0 && parts[^1] != "..") parts.RemoveAt(parts.Count - 1);
                else if (!rooted) parts.Add("..");
                continue;
            }
            parts.Add(p);
        }
        string joined = string.Join('/', parts);
        if (rooted) return "/" + joined;
        return joined.Length == 0 ? "." : joined;
    }

    public static string Dir(string path)
    {
        int slash = path.LastIndexOf('/');
        return Clean(slash < 0 ? "." : path[..(slash + 1)]);
    }
}
