// ComposeFiles: which files make the project, where it lives and what it is called.
//
// Why: `docker compose` with no -f looks in the working directory (then its parents) for
// compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml, in that order (COMPOSE_FILE,
// colon-separated, names them otherwise); the project directory is the first file's directory and
// holds the .env file. The project name comes from -p, else COMPOSE_PROJECT_NAME (the shell or
// .env), else the top-level `name:`, else the project directory's name, lowercased, with
// characters other than [a-z0-9_-] removed.
//
// Follows: docker compose reference ("Use -f to specify the name and path of one or more Compose
// files", "Use -p to specify a project name"); compose-spec 03-compose-file.md.
using System.Text.RegularExpressions;

namespace MiniRun.Compose;

public sealed record ComposeLocation(IReadOnlyList<string> Files, string ProjectDir);

public static partial class ComposeFiles
{
    public static readonly string[] DefaultNames = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"];

    /// <summary>The files to read: -f values, else COMPOSE_FILE, else the first default name in the directory or a parent.</summary>
    public static ComposeLocation Find(IReadOnlyList<string> files, string workingDir, string? composeFileVariable, string? projectDirectory = null)
    {
        if (files.Count == 0 && !string.IsNullOrEmpty(composeFileVariable))
            files = composeFileVariable.Split(':', StringSplitOptions.RemoveEmptyEntries);
        if (files.Count > 0)
        {
            var full = files.Select(f => Path.GetFullPath(f, workingDir)).ToList();
            foreach (var f in full)
                if (!File.Exists(f)) throw new ComposeException($"open {f}: no such file or directory");
            return new ComposeLocation(full, projectDirectory is null ? Path.GetDirectoryName(full[0])! : Path.GetFullPath(projectDirectory, workingDir));
        }
        for (string? dir = Path.GetFullPath(projectDirectory ?? workingDir, workingDir); dir is not null; dir = Path.GetDirectoryName(dir))
        {
            foreach (var name in DefaultNames)
            {
                string candidate = Path.Combine(dir, name);
                if (File.Exists(candidate)) return new ComposeLocation([candidate], dir);
            }
        }
        throw new ComposeException("no configuration file provided: not found");
    }

    /// <summary>-p, COMPOSE_PROJECT_NAME, the top-level name:, the directory's name; checked as Compose checks it.</summary>
    public static string ProjectName(string? flag, string? variable, string? topLevel, string projectDir)
    {
        if (!string.IsNullOrEmpty(flag)) return Check(flag, "-p");
        if (!string.IsNullOrEmpty(variable)) return Check(variable, "COMPOSE_PROJECT_NAME");
        if (!string.IsNullOrEmpty(topLevel)) return Check(topLevel, "name");
        string normalized = Normalize(Path.GetFileName(projectDir.TrimEnd('/')));
        if (normalized.Length == 0)
            throw new ComposeException($"project name must not be empty: the directory {GoQuote.Quote(projectDir)} gives none (use -p NAME)");
        return normalized;
    }

    /// <summary>Lowercase, only a-z 0-9 _ -, starting with a letter or digit.</summary>
    public static string Normalize(string name) => LeadingJunk().Replace(NotAllowed().Replace(name.ToLowerInvariant(), ""), "");

    private static string Check(string name, string source)
    {
        if (!Valid().IsMatch(name))
            throw new ComposeException($"invalid project name {GoQuote.Quote(name)} ({source}): must consist only of lowercase alphanumeric characters, " +
                "hyphens, and underscores as well as start with a letter or number");
        return name;
    }

    [GeneratedRegex("[^a-z0-9_-]")] private static partial Regex NotAllowed();
    [GeneratedRegex("^[_-]+")] private static partial Regex LeadingJunk();
    [GeneratedRegex("^[a-z0-9][a-z0-9_-]*$")] private static partial Regex Valid();
}
