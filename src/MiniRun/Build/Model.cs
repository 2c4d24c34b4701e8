// The Dockerfile model: what DockerfileParser (DockerfileParser.cs) makes of a Dockerfile and what the
// builder executes. Pure data; nothing here is expanded or resolved (variables are expanded by the
// builder with ShellWords, sources resolved with CopySources).
//
// Follows: https://docs.docker.com/reference/dockerfile/ (instructions, forms, parser directives).
namespace MiniRun.Build;

/// <summary>
/// A build error, one line in Docker's wording ("dockerfile parse error on line 3: unknown instruction: FORM").
/// ExitCode is `build`'s status: 1, or a failing RUN's own status, as Docker's builder reports it.
/// </summary>
public sealed class BuildException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>A heredoc body (`RUN &lt;&lt;EOF` ... `EOF`). Expand is false when the delimiter was quoted; StripTabs for `&lt;&lt;-`.</summary>
public sealed record Heredoc(string Name, string Content, bool Expand, bool StripTabs);

/// <summary>One instruction.</summary>
/// <param name="Keyword">Upper-case: FROM RUN CMD ENTRYPOINT ENV ARG LABEL EXPOSE WORKDIR USER VOLUME COPY ADD SHELL STOPSIGNAL HEALTHCHECK ONBUILD MAINTAINER.</param>
/// <param name="Line">1-based line of the instruction's first line.</param>
/// <param name="Original">The instruction as written, continuations joined ("RUN echo hi"): Step lines and history's created_by.</param>
/// <param name="Flags">The flags before the arguments, in order, as (name without the dashes, value): `--from=x` is ("from", "x"),
/// `--link` is ("link", ""). COPY: from chown chmod link parents exclude; ADD: chown chmod link checksum keep-git-dir exclude unpack;
/// FROM: platform; RUN: mount network security; HEALTHCHECK: interval timeout start-period start-interval retries. Values unexpanded.</param>
/// <param name="Args">Exec form: the array elements; shell form: one element, the rest of the line after the flags, unexpanded.
/// ENV/LABEL: alternating key, value (quotes removed, not expanded: pass each value through ShellWords.Expand, as Docker
/// expands them; a character the quotes made literal and Expand would read ($, quotes, the escape character) is kept
/// escaped, so `ENV A='$x'` gives `\$x` and Expand gives `$x`, while `ENV A="a b"` gives plain `a b`).
/// ARG: one element per "name" or "name=default" (the default treated as ENV values are).
/// HEALTHCHECK: ["NONE"] or ["CMD", ...exec or shell...]. ONBUILD: Args[0] is the trigger text.</param>
public sealed record Instruction(
    string Keyword,
    int Line,
    string Original,
    IReadOnlyList<KeyValuePair<string, string>> Flags,
    IReadOnlyList<string> Args,
    bool JsonForm,
    IReadOnlyList<Heredoc> Heredocs)
{
    /// <summary>The value of the last flag named `name` (without dashes), or null when absent: Flag("from").</summary>
    public string? Flag(string name)
    {
        string? value = null;
        foreach (var f in Flags)
            if (f.Key == name) value = f.Value;
        return value;
    }
}

/// <summary>One FROM and the instructions up to the next FROM. Name is the lower-cased AS name; BaseImage is unexpanded.</summary>
public sealed record BuildStage(int Index, string? Name, string BaseImage, string? Platform, Instruction From, IReadOnlyList<Instruction> Instructions);

/// <summary>A parsed Dockerfile: the ARGs before the first FROM, the stages, and the escape character.</summary>
public sealed record DockerfileDocument(IReadOnlyList<Instruction> MetaArgs, IReadOnlyList<BuildStage> Stages, char Escape)
{
    /// <summary>The `# syntax=` parser directive, recorded and otherwise ignored (MiniRun has one builder).</summary>
    public string? Syntax { get; init; }
}

/// <summary>A file, directory or symlink a COPY/ADD source resolved to.</summary>
/// <param name="RelativePath">Path relative to the source directory ('/' separated).</param>
/// <param name="TargetPath">Absolute path in the image.</param>
/// <param name="FullPath">Path on the host.</param>
/// <param name="Kind">'f' file, 'd' directory, 'l' symlink.</param>
public sealed record ContextEntry(string RelativePath, string TargetPath, string FullPath, UnixFileMode Mode, char Kind)
{
    /// <summary>For a file named directly as a COPY/ADD source (not one inside a copied directory): the directory ADD
    /// extracts it into when it is a tar archive (the destination directory). Null otherwise: never extracted.</summary>
    public string? ExtractTo { get; init; }
}
