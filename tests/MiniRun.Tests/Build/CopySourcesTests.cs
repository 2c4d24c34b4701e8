// CopySourcesTests: COPY/ADD source resolution (src/MiniRun/Build/CopySources.cs) in a temporary
// build context: globs, directory contents, destination rules, ../ and symlink escapes refused,
// .dockerignore exclusions, and the cache digest (changes with content or mode, not with mtime).
// Follows: https://docs.docker.com/reference/dockerfile/#copy.
using MiniRun.Build;

namespace MiniRun.Tests.Build;

public sealed class CopySourcesTests : IDisposable
{
    readonly string _base = Directory.CreateTempSubdirectory("minirun-copysources-test-").FullName;
    string Ctx => Path.Combine(_base, "ctx");

    public CopySourcesTests()
    {
        Directory.CreateDirectory(Ctx);
        File.WriteAllText(Path.Combine(_base, "outside.txt"), "secret");
        Write("a.txt", "a");
        Write("b.txt", "b");
        Write("c.md", "c");
        Write("src/main.go", "package main");
        Write("src/lib/util.go", "package lib");
        Write("src/README.md", "readme");
        Write("logs/x.log", "log");
    }

    public void Dispose()
    {
        try { Directory.Delete(_base, recursive: true); } catch (DirectoryNotFoundException) { }
    }

    void Write(string rel, string content)
    {
        string p = Path.Combine(Ctx, rel);
        Directory.CreateDirectory(Path.GetDirectoryName(p)!);
        File.WriteAllText(p, content);
    }

    IReadOnlyList<ContextEntry> R(string[] sources, string dest, string workdir = "/", DockerIgnore? ignore = null) =>
        CopySources.Resolve(Ctx, ignore ?? DockerIgnore.None, sources, dest, workdir);

    static string Err(Func<object> f) => Assert.Throws<BuildException>(f).Message;

    [Fact]
    public void SingleFile()
    {
        var e = Assert.Single(R(["a.txt"], "/dst"));
        Assert.Equal(("a.txt", "/dst", 'f'), (e.RelativePath, e.TargetPath, e.Kind));
        Assert.Equal(Path.Combine(Ctx, "a.txt"), e.FullPath);
        Assert.Equal("/dst", e.ExtractTo);
        Assert.Equal("/dst/a.txt", Assert.Single(R(["a.txt"], "/dst/")).TargetPath);
        Assert.Equal("/dst/a.txt", Assert.Single(R(["/a.txt"], "/dst/")).TargetPath); // leading / is the context root
        Assert.Equal("/dst/a.txt", Assert.Single(R(["./src/../a.txt"], "/dst/")).TargetPath);
    }

    [Fact]
    public void RelativeDestinationUsesWorkdir()
    {
        Assert.Equal("/app/a.txt", Assert.Single(R(["a.txt"], ".", "/app")).TargetPath);
        Assert.Equal("/app/sub/a.txt", Assert.Single(R(["a.txt"], "sub/", "/app")).TargetPath);
        Assert.Equal("/app/renamed", Assert.Single(R(["a.txt"], "renamed", "/app/")).TargetPath);
        Assert.Equal("/a.txt", Assert.Single(R(["a.txt"], ".", "")).TargetPath);
    }

    [Fact]
    public void DirectoryCopiesItsContents()
    {
        var es = R(["src"], "/app");
        Assert.Equal(["/app", "/app/README.md", "/app/lib", "/app/lib/util.go", "/app/main.go"], es.Select(e => e.TargetPath));
        Assert.Equal(['d', 'f', 'd', 'f', 'f'], es.Select(e => e.Kind));
        Assert.Equal("src/lib/util.go", es[3].RelativePath);
        Assert.Null(es[3].ExtractTo); // files inside a directory are never extracted by ADD
        var all = R(["."], "/");
        Assert.Contains(all, e => e.TargetPath == "/src/lib/util.go");
        Assert.Equal("/", all[0].TargetPath);
    }

    [Fact]
    public void Globs()
    {
        Assert.Equal(["/d/a.txt", "/d/b.txt"], R(["*.txt"], "/d/").Select(e => e.TargetPath));
        Assert.Equal(["/d/a.txt", "/d/b.txt", "/d/c.md"], R(["?.*"], "/d/").Select(e => e.TargetPath));
        Assert.Equal(["/d/a.txt"], R(["[a].txt"], "/d/").Select(e => e.TargetPath));
        Assert.Equal(["/d/main.go"], R(["src/*.go"], "/d/").Select(e => e.TargetPath));
        Assert.Equal(["/d/util.go", "/d/main.go"], R(["src/**/*.go"], "/d/").Select(e => e.TargetPath).OrderByDescending(x => x.Contains("util")).ToList());
        // A glob matching one file may go to a file destination, as in Docker.
        Assert.Equal("/only", Assert.Single(R(["c.*"], "/only")).TargetPath);
        // A matched directory copies its contents.
        Assert.Contains(R(["s*"], "/d/"), e => e.TargetPath == "/d/lib/util.go");
    }

    [Fact]
    public void SeveralSourcesNeedADirectoryDestination()
    {
        Assert.Equal("When using COPY with more than one source file, the destination must be a directory and end with a /", Err(() => R(["a.txt", "b.txt"], "/dst")));
        Assert.Equal("When using COPY with more than one source file, the destination must be a directory and end with a /", Err(() => R(["*.txt"], "/dst")));
        Assert.Equal(2, R(["a.txt", "b.txt"], "/dst/").Count);
        Assert.Equal(2, R(["a.txt", "b.txt"], ".", "/w").Count);
        Assert.Contains("ADD with more", Assert.Throws<BuildException>(() => CopySources.Resolve(Ctx, DockerIgnore.None, ["a.txt", "b.txt"], "/x", "/", "ADD")).Message);
    }

    [Fact]
    public void NotFound()
    {
        Assert.Equal("COPY failed: file not found in build context or excluded by .dockerignore: stat nope.txt: file does not exist", Err(() => R(["nope.txt"], "/d")));
        Assert.Equal("COPY failed: file not found in build context or excluded by .dockerignore: stat *.none: file does not exist", Err(() => R(["*.none"], "/d/")));
    }

    [Fact]
    public void OutsideTheContextRefused()
    {
        Assert.Equal("COPY failed: forbidden path outside the build context: ../outside.txt", Err(() => R(["../outside.txt"], "/d")));
        Assert.Equal("COPY failed: forbidden path outside the build context: src/../../outside.txt", Err(() => R(["src/../../outside.txt"], "/d")));
    }

    [Fact]
    public void SymlinkEscapesRefused()
    {
        File.CreateSymbolicLink(Path.Combine(Ctx, "escape"), "../outside.txt");
        Directory.CreateSymbolicLink(Path.Combine(Ctx, "up"), "..");
        Assert.Equal("COPY failed: forbidden path outside the build context: escape", Err(() => R(["escape"], "/d")));
        Assert.Equal("COPY failed: forbidden path outside the build context: up/outside.txt", Err(() => R(["up/outside.txt"], "/d")));
    }

    [Fact]
    public void SymlinksInsideTheContext()
    {
        File.CreateSymbolicLink(Path.Combine(Ctx, "link-to-a"), "a.txt");
        File.CreateSymbolicLink(Path.Combine(Ctx, "src", "abs"), "/a.txt"); // absolute: from the context's root
        File.CreateSymbolicLink(Path.Combine(Ctx, "src", "dangling"), "/nowhere");
        // A named source is followed...
        var named = Assert.Single(R(["link-to-a"], "/d"));
        Assert.Equal(('f', Path.Combine(Ctx, "a.txt")), (named.Kind, named.FullPath));
        Assert.Equal(Path.Combine(Ctx, "a.txt"), Assert.Single(R(["src/abs"], "/d")).FullPath);
        // ...a symlink inside a copied directory is copied as a symlink, even dangling or absolute.
        var inside = R(["src"], "/app");
        Assert.Equal('l', inside.Single(e => e.TargetPath == "/app/abs").Kind);
        Assert.Equal('l', inside.Single(e => e.TargetPath == "/app/dangling").Kind);
        Assert.Contains("file not found", Err(() => R(["src/dangling"], "/d")));
    }

    [Fact]
    public void IgnoredFilesExcluded()
    {
        var ig = DockerIgnore.Parse("logs\n*.md\n**/*.md\n!src/README.md\n");
        var all = R(["."], "/", ignore: ig);
        Assert.DoesNotContain(all, e => e.RelativePath.StartsWith("logs"));
        Assert.DoesNotContain(all, e => e.RelativePath == "c.md");
        Assert.Contains(all, e => e.RelativePath == "src/README.md");
        Assert.Contains(all, e => e.RelativePath == "a.txt");
        Assert.Contains("file not found", Err(() => R(["c.md"], "/d", ignore: ig)));
        Assert.Contains("file not found", Err(() => R(["logs/x.log"], "/d", ignore: ig)));
        Assert.Equal(["/d/a.txt", "/d/b.txt"], R(["*.*"], "/d/", ignore: DockerIgnore.Parse("*.md")).Select(e => e.TargetPath));
        // An excluded directory with a re-included file inside: only that file (and its directory).
        var keep = R(["."], "/", ignore: DockerIgnore.Parse("src\n!src/lib/util.go\n"));
        Assert.Equal(["/src", "/src/lib", "/src/lib/util.go"], keep.Where(e => e.RelativePath.StartsWith("src")).Select(e => e.TargetPath));
    }

    [Fact]
    public void ModesRecorded()
    {
        File.SetUnixFileMode(Path.Combine(Ctx, "a.txt"), (UnixFileMode)0x1ed); // 0755
        Assert.Equal((UnixFileMode)0x1ed, Assert.Single(R(["a.txt"], "/d")).Mode);
    }

    [Fact]
    public void DigestFollowsContentAndModeNotTime()
    {
        string d0 = CopySources.Digest(R(["src"], "/app"));
        Assert.StartsWith("sha256:", d0);
        Assert.Equal(71, d0.Length);
        Assert.Equal(d0, CopySources.Digest(R(["src"], "/app")));
        File.SetLastWriteTimeUtc(Path.Combine(Ctx, "src", "main.go"), new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        Assert.Equal(d0, CopySources.Digest(R(["src"], "/app")));         // a touched file: same
        Write("src/main.go", "package main // changed");
        string d1 = CopySources.Digest(R(["src"], "/app"));
        Assert.NotEqual(d0, d1);                                          // content changed
        File.SetUnixFileMode(Path.Combine(Ctx, "src", "main.go"), (UnixFileMode)0x1c0);
        string d2 = CopySources.Digest(R(["src"], "/app"));
        Assert.NotEqual(d1, d2);                                          // mode changed
        File.Move(Path.Combine(Ctx, "src", "main.go"), Path.Combine(Ctx, "src", "main2.go"));
        Assert.NotEqual(d2, CopySources.Digest(R(["src"], "/app")));      // name changed
        Assert.NotEqual(CopySources.Digest(R(["a.txt"], "/d")), CopySources.Digest(R(["b.txt"], "/d")));
    }

    [Fact]
    public void DigestOfSymlinkTarget()
    {
        string link = Path.Combine(Ctx, "src", "l");
        File.CreateSymbolicLink(link, "main.go");
        string d0 = CopySources.Digest(R(["src"], "/app"));
        File.Delete(link);
        File.CreateSymbolicLink(link, "README.md");
        Assert.NotEqual(d0, CopySources.Digest(R(["src"], "/app")));
    }
}
