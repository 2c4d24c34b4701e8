// DockerfileParserTests: the Dockerfile parser (src/MiniRun/Build/DockerfileParser.cs): every
// instruction in shell and exec form, continuations, comments, parser directives, heredocs,
// flags, ONBUILD, stages, and Docker's one-line errors with their line numbers.
// Follows: https://docs.docker.com/reference/dockerfile/.
using MiniRun.Build;

namespace MiniRun.Tests.Build;

public sealed class DockerfileParserTests
{
    static Instruction Only(string dockerfile)
    {
        var doc = DockerfileParser.Parse("FROM busybox\n" + dockerfile);
        return Assert.Single(doc.Stages[0].Instructions);
    }

    static string Error(string dockerfile) => Assert.Throws<BuildException>(() => DockerfileParser.Parse(dockerfile)).Message;

    [Fact]
    public void CourseDockerfile()
    {
        var doc = DockerfileParser.Parse("FROM alpine\nRUN echo hello > /hello\nCMD [\"sh\", \"-c\", \"ps\"]\n");
        var stage = Assert.Single(doc.Stages);
        Assert.Equal("alpine", stage.BaseImage);
        Assert.Null(stage.Name);
        Assert.Equal(0, stage.Index);
        Assert.Equal("FROM", stage.From.Keyword);
        Assert.Equal(2, stage.Instructions.Count);
        var run = stage.Instructions[0];
        Assert.Equal(("RUN", 2, "RUN echo hello > /hello", false), (run.Keyword, run.Line, run.Original, run.JsonForm));
        Assert.Equal(["echo hello > /hello"], run.Args);
        var cmd = stage.Instructions[1];
        Assert.True(cmd.JsonForm);
        Assert.Equal(["sh", "-c", "ps"], cmd.Args);
        Assert.Equal('\\', doc.Escape);
        Assert.Empty(doc.MetaArgs);
    }

    [Fact]
    public void KeywordsAreCaseInsensitive()
    {
        var doc = DockerfileParser.Parse("from busybox\nrun true\nCmd true\n");
        Assert.Equal(["RUN", "CMD"], doc.Stages[0].Instructions.Select(i => i.Keyword));
        Assert.Equal("run true", doc.Stages[0].Instructions[0].Original);
    }

    [Theory]
    [InlineData("RUN", "RUN echo a b", false, new[] { "echo a b" })]
    [InlineData("RUN", "RUN [\"echo\", \"a b\"]", true, new[] { "echo", "a b" })]
    [InlineData("CMD", "CMD echo hi", false, new[] { "echo hi" })]
    [InlineData("CMD", "CMD [\"/bin/sh\"]", true, new[] { "/bin/sh" })]
    [InlineData("CMD", "CMD []", true, new string[0])]
    [InlineData("ENTRYPOINT", "ENTRYPOINT top -b", false, new[] { "top -b" })]
    [InlineData("ENTRYPOINT", "ENTRYPOINT [\"top\", \"-b\"]", true, new[] { "top", "-b" })]
    [InlineData("SHELL", "SHELL [\"/bin/bash\", \"-c\"]", true, new[] { "/bin/bash", "-c" })]
    [InlineData("VOLUME", "VOLUME /data /logs", false, new[] { "/data /logs" })]
    [InlineData("VOLUME", "VOLUME [\"/data\"]", true, new[] { "/data" })]
    [InlineData("EXPOSE", "EXPOSE 80/tcp 53/udp", false, new[] { "80/tcp 53/udp" })]
    [InlineData("WORKDIR", "WORKDIR /app", false, new[] { "/app" })]
    [InlineData("USER", "USER 1000:1000", false, new[] { "1000:1000" })]
    [InlineData("STOPSIGNAL", "STOPSIGNAL SIGTERM", false, new[] { "SIGTERM" })]
    [InlineData("MAINTAINER", "MAINTAINER Jane <jane@example.com>", false, new[] { "Jane <jane@example.com>" })]
    [InlineData("COPY", "COPY a b /dst/", false, new[] { "a b /dst/" })]
    [InlineData("COPY", "COPY [\"a b\", \"/dst/\"]", true, new[] { "a b", "/dst/" })]
    [InlineData("ADD", "ADD x.tar.gz /opt", false, new[] { "x.tar.gz /opt" })]
    [InlineData("ADD", "ADD [\"x.tar.gz\", \"/opt\"]", true, new[] { "x.tar.gz", "/opt" })]
    public void ShellAndExecForms(string keyword, string line, bool json, string[] args)
    {
        var i = Only(line);
        Assert.Equal(keyword, i.Keyword);
        Assert.Equal(json, i.JsonForm);
        Assert.Equal(args, i.Args);
        Assert.Equal(line, i.Original);
    }

    [Theory]
    [InlineData("CMD [\"a\", 1]")]          // not all strings
    [InlineData("CMD [\"a\"")]              // not closed
    [InlineData("CMD [a, b]")]              // not JSON
    [InlineData("CMD ['a']")]               // single quotes are not JSON
    public void NotJsonIsShellForm(string line)
    {
        var i = Only(line);
        Assert.False(i.JsonForm);
        Assert.Equal([line[4..]], i.Args);
    }

    [Fact]
    public void ShellRequiresJson()
    {
        Assert.Equal("dockerfile parse error on line 2: SHELL requires the arguments to be in JSON form", Error("FROM a\nSHELL /bin/bash -c\n"));
    }

    [Fact]
    public void Continuations()
    {
        var doc = DockerfileParser.Parse("FROM busybox\nRUN echo a \\\n    && echo b \\  \n\n# a comment inside\n   && echo c\nCMD x\n");
        var run = doc.Stages[0].Instructions[0];
        Assert.Equal(2, run.Line);
        Assert.Equal("RUN echo a     && echo b    && echo c", run.Original);
        Assert.Equal(["echo a     && echo b    && echo c"], run.Args);
        Assert.Equal(7, doc.Stages[0].Instructions[1].Line);
    }

    [Fact]
    public void CommentsOnlyAtLineStart()
    {
        var doc = DockerfileParser.Parse("# top\nFROM busybox\n   # indented comment\n\nRUN echo # not a comment\n");
        var run = Assert.Single(doc.Stages[0].Instructions);
        Assert.Equal(["echo # not a comment"], run.Args);
        Assert.Equal(5, run.Line);
    }

    [Fact]
    public void EscapeDirective()
    {
        var doc = DockerfileParser.Parse("# escape=`\nFROM busybox\nRUN dir c:\\ `\n  && echo hi\nCOPY a\\b c:\\dst\\\n");
        Assert.Equal('`', doc.Escape);
        var ins = doc.Stages[0].Instructions;
        Assert.Equal(["dir c:\\   && echo hi"], ins[0].Args); // the backslash is an ordinary character
        Assert.Equal(["a\\b c:\\dst\\"], ins[1].Args);
        Assert.Equal(5, ins[1].Line);
    }

    [Fact]
    public void SyntaxDirectiveRecorded()
    {
        var doc = DockerfileParser.Parse("# syntax=docker/dockerfile:1\n# escape=\\\nFROM busybox\n");
        Assert.Equal("docker/dockerfile:1", doc.Syntax);
        Assert.Equal('\\', doc.Escape);
    }

    [Fact]
    public void DirectivesOnlyAtTheTop()
    {
        // After a comment (or an empty line, or an unknown directive), `# escape=` is a comment.
        Assert.Equal('\\', DockerfileParser.Parse("# hello\n# escape=`\nFROM busybox\n").Escape);
        Assert.Equal('\\', DockerfileParser.Parse("\n# escape=`\nFROM busybox\n").Escape);
        Assert.Equal('\\', DockerfileParser.Parse("# unknown=1\n# escape=`\nFROM busybox\n").Escape);
        Assert.Equal('\\', DockerfileParser.Parse("FROM busybox\n# escape=`\n").Escape);
        Assert.Equal('`', DockerfileParser.Parse("#ESCAPE = `\nFROM busybox\n").Escape);
    }

    [Fact]
    public void DirectiveErrors()
    {
        Assert.Equal("dockerfile parse error on line 2: only one escape parser directive can be used", Error("# escape=`\n# escape=\\\nFROM a\n"));
        Assert.Equal("dockerfile parse error on line 1: invalid escape token 'x' does not match ` or \\", Error("# escape=x\nFROM a\n"));
    }

    [Fact]
    public void Heredocs()
    {
        var doc = DockerfileParser.Parse(
            "FROM busybox\nRUN <<EOF\necho one\necho $HOME\nEOF\nRUN <<-\"END\" cat > /x\n\tindented $NOT\n\tEND\nCOPY <<A <<'B' /dst/\na\nA\nb\nB\nCMD done\n");
        var ins = doc.Stages[0].Instructions;
        Assert.Equal(4, ins.Count);
        var h = Assert.Single(ins[0].Heredocs);
        Assert.Equal(new Heredoc("EOF", "echo one\necho $HOME\n", true, false), h);
        Assert.Equal(["<<EOF"], ins[0].Args);
        var h2 = Assert.Single(ins[1].Heredocs);
        Assert.Equal(new Heredoc("END", "indented $NOT\n", false, true), h2);
        Assert.Equal(6, ins[1].Line);
        Assert.Equal(2, ins[2].Heredocs.Count);
        Assert.Equal(new Heredoc("A", "a\n", true, false), ins[2].Heredocs[0]);
        Assert.Equal(new Heredoc("B", "b\n", false, false), ins[2].Heredocs[1]);
        Assert.Equal(("CMD", 14), (ins[3].Keyword, ins[3].Line));
    }

    [Fact]
    public void HeredocOnlyForRunCopyAdd()
    {
        var i = Only("CMD cat <<EOF\n");
        Assert.Empty(i.Heredocs);
        Assert.Empty(Only("RUN [\"cat\", \"<<EOF\"]").Heredocs);
        Assert.Empty(Only("RUN cat <<<word").Heredocs);
        Assert.Empty(Only("RUN echo \"<<EOF\" 'a <<EOF'").Heredocs); // quoted: not a marker
        Assert.Empty(Only("RUN echo a<<EOF").Heredocs);                 // not at the start of a word
    }

    [Fact]
    public void HeredocWithFdAndPartlyQuotedName()
    {
        var i = DockerfileParser.Parse("FROM a\nRUN python3 3<<E\"ND\" x\nprint(1)\nEND\n").Stages[0].Instructions[0];
        Assert.Equal(new Heredoc("END", "print(1)\n", false, false), Assert.Single(i.Heredocs));
    }

    [Fact]
    public void UnterminatedHeredoc()
    {
        Assert.Equal("dockerfile parse error on line 2: unterminated heredoc EOF", Error("FROM a\nRUN <<EOF\necho\n"));
    }

    [Fact]
    public void EnvBothForms()
    {
        Assert.Equal(["a", "b", "c", "d e", "f", ""], Only("ENV a=b c=\"d e\" f=").Args);
        Assert.Equal(["PATH", "/usr/bin:/bin  now"], Only("ENV PATH /usr/bin:/bin  now").Args);
        Assert.Equal(["A", "x y"], Only("ENV A=x\\ y").Args);
        Assert.Equal(["A", "it's"], Only("ENV A \"it's\"").Args.Take(1).Concat([ShellWords.Expand(Only("ENV A \"it's\"").Args[1], _ => null)]));
        // Not expanded here; quotes that protected a $ keep protecting it through ShellWords.Expand.
        var single = Only("ENV A='$HOME' B=\"$HOME\" C=$HOME").Args;
        Assert.Equal("$HOME", ShellWords.Expand(single[1], n => n == "HOME" ? "/root" : null));
        Assert.Equal("/root", ShellWords.Expand(single[3], n => n == "HOME" ? "/root" : null));
        Assert.Equal("$HOME", single[5]);
    }

    [Fact]
    public void LabelBothForms()
    {
        Assert.Equal(["version", "1.0", "description", "a b c"], Only("LABEL version=\"1.0\" description=\"a b c\"").Args);
        Assert.Equal(["maintainer", "me"], Only("LABEL maintainer me").Args);
        Assert.Equal(["com.example.x", "y"], Only("LABEL \"com.example.x\"=y").Args);
    }

    [Theory]
    [InlineData("ENV", "dockerfile parse error on line 2: ENV requires at least one argument")]
    [InlineData("ENV a", "dockerfile parse error on line 2: ENV must have two arguments")]
    [InlineData("ENV a=b c", "dockerfile parse error on line 2: Syntax error - can't find = in \"c\". Must be of the form: name=value")]
    [InlineData("ENV =b", "dockerfile parse error on line 2: ENV names can not be blank")]
    [InlineData("LABEL", "dockerfile parse error on line 2: LABEL requires at least one argument")]
    public void EnvLabelErrors(string line, string message) => Assert.Equal(message, Error("FROM a\n" + line + "\n"));

    [Fact]
    public void ArgForms()
    {
        var doc = DockerfileParser.Parse("ARG VERSION=1.0\nARG BASE\nFROM busybox:${VERSION}\nARG A B=\"x y\"\n");
        Assert.Equal(2, doc.MetaArgs.Count);
        Assert.Equal(["VERSION=1.0"], doc.MetaArgs[0].Args);
        Assert.Equal(["BASE"], doc.MetaArgs[1].Args);
        Assert.Equal("busybox:${VERSION}", doc.Stages[0].BaseImage);
        Assert.Equal(["A", "B=x y"], doc.Stages[0].Instructions[0].Args);
    }

    [Fact]
    public void MultiStage()
    {
        var doc = DockerfileParser.Parse("FROM golang AS Build\nRUN make\nFROM --platform=linux/amd64 busybox as runtime\nCOPY --from=build /out /bin/\nFROM scratch\n");
        Assert.Equal(3, doc.Stages.Count);
        Assert.Equal(("build", "golang", 0), (doc.Stages[0].Name, doc.Stages[0].BaseImage, doc.Stages[0].Index));
        Assert.Equal(("runtime", "busybox", "linux/amd64"), (doc.Stages[1].Name, doc.Stages[1].BaseImage, doc.Stages[1].Platform));
        Assert.Null(doc.Stages[2].Name);
        Assert.Equal("scratch", doc.Stages[2].BaseImage);
        Assert.Equal(["golang", "AS", "Build"], doc.Stages[0].From.Args);
        var copy = Assert.Single(doc.Stages[1].Instructions);
        Assert.Equal("build", copy.Flag("from"));
        Assert.Equal([new KeyValuePair<string, string>("from", "build")], copy.Flags);
        Assert.Equal(["/out /bin/"], copy.Args);
        Assert.Empty(doc.Stages[2].Instructions);
    }

    [Fact]
    public void FromErrors()
    {
        Assert.Equal("dockerfile parse error on line 1: FROM requires either one or three arguments", Error("FROM a b\n"));
        Assert.Equal("dockerfile parse error on line 1: FROM requires either one or three arguments", Error("FROM a FOR b\n"));
        Assert.Equal("dockerfile parse error on line 1: invalid name for build stage: \"1st\", name can't start with a number or contain symbols", Error("FROM a AS 1st\n"));
        Assert.Equal("dockerfile parse error on line 2: duplicate stage name \"x\"", Error("FROM a AS x\nFROM b AS X\n"));
    }

    [Fact]
    public void CopyAndAddFlags()
    {
        var copy = Only("COPY --chown=1000:1000 --chmod=755 --link src/ /app/");
        Assert.Equal([new("chown", "1000:1000"), new("chmod", "755"), new KeyValuePair<string, string>("link", "")], copy.Flags);
        Assert.Equal(["src/ /app/"], copy.Args);
        Assert.Equal("755", copy.Flag("chmod"));
        Assert.Null(copy.Flag("from"));
        var add = Only("ADD --chown=app [\"a.tar\", \"/opt/\"]");
        Assert.Equal("app", add.Flag("chown"));
        Assert.True(add.JsonForm);
        Assert.Equal(["--mount=type=cache,target=/x", "--network=none"], Only("RUN --mount=type=cache,target=/x --network=none make").Flags.Select(f => $"--{f.Key}={f.Value}"));
    }

    [Theory]
    [InlineData("COPY --foo=bar a b", "Unknown flag: foo")]
    [InlineData("ADD --from=x a b", "Unknown flag: from")]
    [InlineData("CMD --help", "Unknown flag: help")]
    [InlineData("COPY --from a b", "Missing a value on flag: from")]
    [InlineData("COPY --link=maybe a b", "expecting boolean value for flag link, not: maybe")]
    [InlineData("COPY onlyone", "COPY requires at least two arguments, but only one was provided. Destination could not be determined")]
    [InlineData("ADD [\"x\"]", "ADD requires at least two arguments, but only one was provided. Destination could not be determined")]
    [InlineData("RUN", "RUN requires at least one argument")]
    [InlineData("WORKDIR", "WORKDIR requires at least one argument")]
    [InlineData("SHELL []", "SHELL requires at least one argument")]
    [InlineData("VOLUME [\"\"]", "VOLUME specified can not be an empty string")]
    public void InstructionErrors(string line, string message) => Assert.Equal("dockerfile parse error on line 3: " + message, Error("FROM a\n\n" + line + "\n"));

    [Fact]
    public void Healthcheck()
    {
        var h = Only("HEALTHCHECK --interval=5m --timeout=3s --retries=3 CMD curl -f http://localhost/ || exit 1");
        Assert.Equal(["CMD", "curl -f http://localhost/ || exit 1"], h.Args);
        Assert.False(h.JsonForm);
        Assert.Equal(["interval", "timeout", "retries"], h.Flags.Select(f => f.Key));
        Assert.Equal("5m", h.Flag("interval"));
        var j = Only("HEALTHCHECK --start-period=1s CMD [\"/bin/check\", \"-q\"]");
        Assert.Equal(["CMD", "/bin/check", "-q"], j.Args);
        Assert.True(j.JsonForm);
        Assert.Equal(["NONE"], Only("HEALTHCHECK NONE").Args);
        Assert.Equal("dockerfile parse error on line 2: Unknown type \"PING\" in HEALTHCHECK (try CMD)", Error("FROM a\nHEALTHCHECK PING x\n"));
        Assert.Equal("dockerfile parse error on line 2: HEALTHCHECK NONE takes no arguments", Error("FROM a\nHEALTHCHECK NONE x\n"));
    }

    [Fact]
    public void Onbuild()
    {
        var o = Only("ONBUILD RUN echo built from me");
        Assert.Equal(["RUN echo built from me"], o.Args);
        Assert.Equal(["COPY --chown=1 . /app"], Only("onbuild COPY --chown=1 . /app").Args);
        Assert.Equal("dockerfile parse error on line 2: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed", Error("FROM a\nONBUILD ONBUILD RUN x\n"));
        Assert.Equal("dockerfile parse error on line 2: FROM isn't allowed as an ONBUILD trigger", Error("FROM a\nONBUILD FROM x\n"));
        Assert.Equal("dockerfile parse error on line 2: MAINTAINER isn't allowed as an ONBUILD trigger", Error("FROM a\nONBUILD maintainer x\n"));
        Assert.StartsWith("dockerfile parse error on line 2: unknown instruction: RUNN", Error("FROM a\nONBUILD RUNN x\n"));
    }

    [Fact]
    public void UnknownInstruction()
    {
        Assert.Equal("dockerfile parse error on line 3: unknown instruction: FORM (did you mean from?)", Error("# c\n\nFORM busybox\n"));
        Assert.Equal("dockerfile parse error on line 2: unknown instruction: BOGUSWORD", Error("FROM a\nbogusword x\n"));
    }

    [Fact]
    public void MissingFrom()
    {
        Assert.Equal("no build stage in current context", Error("RUN echo\nFROM a\n"));
        Assert.Equal("dockerfile contains no stages to build", Error("ARG A=1\n"));
        Assert.Equal("file with no instructions", Error("# only a comment\n\n"));
        Assert.Equal("file with no instructions", Error(""));
    }

    [Fact]
    public void CrlfAndBom()
    {
        var doc = DockerfileParser.Parse("\uFEFFFROM busybox\r\nRUN echo \\\r\n  hi\r\n");
        Assert.Equal(["echo   hi"], doc.Stages[0].Instructions[0].Args);
    }
}
