// DockerIgnoreTests: .dockerignore pattern rules (src/MiniRun/Build/DockerIgnore.cs), with the
// examples of Docker's documentation and the exception ordering rules.
// Follows: https://docs.docker.com/build/concepts/context/#dockerignore-files.
using MiniRun.Build;

namespace MiniRun.Tests.Build;

public sealed class DockerIgnoreTests
{
    [Fact]
    public void DocumentedExamples()
    {
        var ig = DockerIgnore.Parse("# comment\n*/temp*\n*/*/temp*\ntemp?\n");
        Assert.True(ig.IsExcluded("somedir/temporary.txt"));
        Assert.True(ig.IsExcluded("somedir/temp"));
        Assert.False(ig.IsExcluded("temporary.txt"));        // */temp* needs one directory level
        Assert.True(ig.IsExcluded("somedir/subdir/temporary.txt"));
        Assert.True(ig.IsExcluded("tempa"));
        Assert.True(ig.IsExcluded("tempb"));
        Assert.False(ig.IsExcluded("temp"));
        Assert.False(ig.IsExcluded("tempab"));
        Assert.False(ig.IsExcluded("# comment"));
    }

    [Fact]
    public void DoubleStar()
    {
        var ig = DockerIgnore.Parse("**/*.go\n");
        Assert.True(ig.IsExcluded("main.go"));
        Assert.True(ig.IsExcluded("a/b/c/x.go"));
        Assert.False(ig.IsExcluded("a/b/c/x.go.txt"));
        var all = DockerIgnore.Parse("docs/**\n");
        Assert.True(all.IsExcluded("docs/a/b"));
        Assert.False(all.IsExcluded("docsx"));
        var mid = DockerIgnore.Parse("a/**/z\n");
        Assert.True(mid.IsExcluded("a/z"));
        Assert.True(mid.IsExcluded("a/b/c/z"));
        Assert.False(mid.IsExcluded("b/z"));
    }

    [Fact]
    public void ExceptionsAfterExclusions()
    {
        var ig = DockerIgnore.Parse("*.md\n!README*.md\nREADME-secret.md\n");
        Assert.True(ig.IsExcluded("CHANGES.md"));
        Assert.False(ig.IsExcluded("README.md"));
        Assert.False(ig.IsExcluded("README-public.md"));
        Assert.True(ig.IsExcluded("README-secret.md"));      // later lines win
        var reversed = DockerIgnore.Parse("!README*.md\n*.md\n");
        Assert.True(reversed.IsExcluded("README.md"));        // the exclusion comes last: it wins
        Assert.True(ig.HasExceptions);
    }

    [Fact]
    public void ParentDirectoryExcludesItsContents()
    {
        var ig = DockerIgnore.Parse("node_modules\n.git\n");
        Assert.True(ig.IsExcluded("node_modules"));
        Assert.True(ig.IsExcluded("node_modules/x/y.js"));
        Assert.True(ig.IsExcluded(".git/HEAD"));
        Assert.False(ig.IsExcluded("src/node_modules"));    // patterns are anchored at the context root
        Assert.False(ig.IsExcluded("node_modules_old"));
        var dirThenFile = DockerIgnore.Parse("build\n!build/keep.txt\n");
        Assert.True(dirThenFile.IsExcluded("build/other.txt"));
        Assert.False(dirThenFile.IsExcluded("build/keep.txt"));
    }

    [Fact]
    public void CleanedPatternsAndPaths()
    {
        var ig = DockerIgnore.Parse("/secret\n./tmp/\n  spaced  \na//b/../c\n");
        Assert.Equal(["secret", "tmp", "spaced", "a/c"], ig.Patterns);
        Assert.True(ig.IsExcluded("secret"));
        Assert.True(ig.IsExcluded("./secret"));
        Assert.True(ig.IsExcluded("/secret/key"));
        Assert.True(ig.IsExcluded("tmp/x"));
        Assert.True(ig.IsExcluded("spaced"));
        Assert.True(ig.IsExcluded("a/c"));
        Assert.False(ig.IsExcluded("a/b"));
    }

    [Fact]
    public void ClassesAndEscapes()
    {
        var ig = DockerIgnore.Parse("file[0-9].txt\nx[!a]\nliteral\\*star\n");
        Assert.True(ig.IsExcluded("file7.txt"));
        Assert.False(ig.IsExcluded("filea.txt"));
        Assert.True(ig.IsExcluded("xb"));
        Assert.False(ig.IsExcluded("xa"));
        Assert.True(ig.IsExcluded("literal*star"));
        Assert.False(ig.IsExcluded("literalXstar"));
        Assert.False(DockerIgnore.Parse("a.b\n").IsExcluded("axb")); // regex characters are literal
    }

    [Fact]
    public void NoneExcludesNothing()
    {
        Assert.False(DockerIgnore.None.IsExcluded("anything/at/all"));
        Assert.False(DockerIgnore.Parse("").IsExcluded("x"));
        Assert.False(DockerIgnore.Parse("*").IsExcluded("."));
        Assert.True(DockerIgnore.Parse("*").IsExcluded("x"));
    }
}
