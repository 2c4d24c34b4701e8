// EnvFile: reads Docker's --env-file format and resolves `-e VAR` values.
//
// Why: `minirun run --env-file F` must accept the files people already use with `docker run`.
// The format is deliberately simple (it is NOT a shell or dotenv file): one VAR=VAL per line,
// lines starting with `#` (after leading whitespace) and blank lines are skipped, leading
// whitespace of a line is removed and nothing else is trimmed, quotes are kept literally, and a
// line with just `VAR` copies VAR from the calling environment (the line is skipped if VAR is
// unset there). A UTF-8 byte order mark at the start of the file and a CR before LF are dropped.
// Unlike Docker, errors name the file and the line number.
//
// Follows: docker-run(1) "--env-file", Docker CLI behaviour (opts/file.go, opts/env.go).
using System.Text;

namespace MiniRun.Spec;

public static class EnvFile
{
    /// <summary>Reads and parses an env file; <paramref name="lookup"/> defaults to the process environment.</summary>
    public static List<string> Read(string path, Func<string, string?>? lookup = null)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RunConfigException($"read env file {path}: {e.Message}");
        }
        string text;
        try
        {
            text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            int line = FirstInvalidUtf8Line(bytes);
            throw new RunConfigException($"env file {path}: line {line}: contains invalid UTF-8 bytes");
        }
        return Parse(text, path, lookup);
    }

    /// <summary>Parses env-file text; <paramref name="fileName"/> is used in error messages only.</summary>
    public static List<string> Parse(string text, string fileName, Func<string, string?>? lookup = null)
    {
        lookup ??= Environment.GetEnvironmentVariable;
        var result = new List<string>();
        if (text.StartsWith('\uFEFF'))
            text = text[1..];
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            int lineNo = i + 1;
            string raw = lines[i];
            if (raw.EndsWith('\r'))
                raw = raw[..^1];
            string line = raw.TrimStart();
            if (line.Length == 0 || line[0] == '#')
                continue;

            int eq = line.IndexOf('=');
            string name = eq < 0 ? line : line[..eq];
            if (name.Length == 0)
                throw new RunConfigException($"env file {fileName}: line {lineNo}: no variable name in {GoQuote.Quote(line)}");
            if (name.Any(char.IsWhiteSpace))
                throw new RunConfigException($"env file {fileName}: line {lineNo}: variable name {GoQuote.Quote(name)} contains whitespace");

            if (eq >= 0)
                result.Add(line); // the value passes through untouched: no trimming, no quote removal
            else if (lookup(name) is string value)
                result.Add(name + "=" + value);
            // else: VAR alone and unset in the calling environment: skipped, as Docker does
        }
        return result;
    }

    /// <summary>
    /// Resolves one `-e` value the way the Docker CLI does: "K=V" stays as is; "K" becomes "K=value"
    /// when K is set in the calling environment and stays the bare "K" otherwise, which
    /// <see cref="EnvMerge"/> treats as "unset K" (so `-e K` with K unset removes the image's K).
    /// </summary>
    public static string ResolveFlag(string value, Func<string, string?>? lookup = null)
    {
        lookup ??= Environment.GetEnvironmentVariable;
        int eq = value.IndexOf('=');
        string name = eq < 0 ? value : value[..eq];
        if (name.Length == 0)
            throw new RunConfigException($"invalid environment variable: {GoQuote.Quote(value)}");
        if (eq >= 0)
            return value;
        return lookup(name) is string v ? name + "=" + v : name;
    }

    /// <summary>
    /// The user's environment in Docker's order: every --env-file's entries (files in order), then
    /// every -e (in order). Duplicates are kept here; <see cref="EnvMerge"/> resolves them.
    /// </summary>
    public static List<string> UserEnv(RunOptions options, Func<string, string?>? lookup = null)
    {
        var env = new List<string>();
        foreach (string file in options.EnvFiles)
            env.AddRange(Read(file, lookup));
        foreach (string e in options.Env)
            env.Add(ResolveFlag(e, lookup));
        return env;
    }

    private static int FirstInvalidUtf8Line(byte[] bytes)
    {
        var strict = new UTF8Encoding(false, true);
        int line = 1, start = 0;
        for (int i = 0; i <= bytes.Length; i++)
        {
            if (i == bytes.Length || bytes[i] == (byte)'\n')
            {
                try { strict.GetString(bytes, start, i - start); }
                catch (DecoderFallbackException) { return line; }
                line++;
                start = i + 1;
            }
        }
        return line;
    }
}
