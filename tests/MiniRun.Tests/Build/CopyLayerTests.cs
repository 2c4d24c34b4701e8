// CopyLayerTests: the COPY/ADD layer (src/MiniRun/Build/CopyLayer.cs), read back with .NET's own tar
// reader (System.Formats.Tar, independent of the writer): names, kinds, modes, owners, parent
// directories, mtimes, --chown/--chmod, and ADD's extraction of tar, tar.gz, tar.bz2 and tar.xz
// archives recognised by content.
// Follows: https://docs.docker.com/reference/dockerfile/#copy and #add.
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using MiniRun.Build;

namespace MiniRun.Tests.Build;

public sealed class CopyLayerTests : IDisposable
{
    readonly string _base = Directory.CreateTempSubdirectory("minirun-copylayer-test-").FullName;
    string Ctx => Path.Combine(_base, "ctx");

    public CopyLayerTests()
    {
        Directory.CreateDirectory(Path.Combine(Ctx, "src", "lib"));
        File.WriteAllText(Path.Combine(Ctx, "src", "main.go"), "package main\n");
        File.WriteAllText(Path.Combine(Ctx, "src", "lib", "util.go"), "package lib\n");
        File.SetUnixFileMode(Path.Combine(Ctx, "src", "main.go"), (UnixFileMode)0x1e4);      // 0744
        File.SetUnixFileMode(Path.Combine(Ctx, "src", "lib"), (UnixFileMode)0x1e8);          // 0750
        File.CreateSymbolicLink(Path.Combine(Ctx, "src", "link"), "main.go");
        File.SetLastWriteTimeUtc(Path.Combine(Ctx, "src", "main.go"), new DateTime(2020, 5, 17, 1, 2, 3, DateTimeKind.Utc));
    }

    public void Dispose()
    {
        try { Directory.Delete(_base, recursive: true); } catch (DirectoryNotFoundException) { }
    }

    sealed record Item(string Name, TarEntryType Type, int Mode, int Uid, int Gid, string Link, string Content, DateTimeOffset Mtime);

    static List<Item> Read(byte[] tar)
    {
        var items = new List<Item>();
        using var reader = new TarReader(new MemoryStream(tar));
        while (reader.GetNextEntry() is { } e)
        {
            string content = e.DataStream is null ? "" : new StreamReader(e.DataStream).ReadToEnd();
            items.Add(new Item(e.Name, e.EntryType, (int)e.Mode, e.Uid, e.Gid, e.LinkName, content, e.ModificationTime));
        }
        return items;
    }

    byte[] Layer(IReadOnlyList<ContextEntry> entries, int? uid = null, int? gid = null, UnixFileMode? chmod = null, bool extract = false,
        Func<string, (UnixFileMode, int, int)?>? existing = null)
    {
        using var ms = new MemoryStream();
        CopyLayer.Write(ms, entries, uid, gid, chmod, extract, existing);
        return ms.ToArray();
    }

    IReadOnlyList<ContextEntry> Resolve(string source, string dest) => CopySources.Resolve(Ctx, DockerIgnore.None, [source], dest, "/");

    [Fact]
    public void DirectoryWithParentsModesAndOwners()
    {
        var items = Read(Layer(Resolve("src", "/usr/src/app")));
        Assert.Equal(["usr/", "usr/src/", "usr/src/app/", "usr/src/app/lib/", "usr/src/app/lib/util.go", "usr/src/app/link", "usr/src/app/main.go"],
            items.Select(i => i.Name));
        Assert.All(items, i => Assert.Equal((0, 0), (i.Uid, i.Gid)));
        var byName = items.ToDictionary(i => i.Name);
        Assert.Equal(0x1ed, byName["usr/"].Mode);                                      // created parent: 0755
        Assert.Equal(TarEntryType.Directory, byName["usr/src/app/lib/"].Type);
        Assert.Equal(0x1e8, byName["usr/src/app/lib/"].Mode);                          // source mode kept
        Assert.Equal(0x1e4, byName["usr/src/app/main.go"].Mode);
        Assert.Equal("package main\n", byName["usr/src/app/main.go"].Content);
        Assert.Equal(new DateTimeOffset(2020, 5, 17, 1, 2, 3, TimeSpan.Zero), byName["usr/src/app/main.go"].Mtime);
        Assert.Equal((TarEntryType.SymbolicLink, "main.go"), (byName["usr/src/app/link"].Type, byName["usr/src/app/link"].Link));
    }

    [Fact]
    public void ChownAndChmod()
    {
        var items = Read(Layer(Resolve("src", "/app"), uid: 1000, gid: 2000, chmod: (UnixFileMode)0x1c0));
        Assert.All(items, i => Assert.Equal((1000, 2000), (i.Uid, i.Gid)));
        var byName = items.ToDictionary(i => i.Name);
        Assert.Equal(0x1c0, byName["app/main.go"].Mode);
        Assert.Equal(0x1c0, byName["app/lib/"].Mode);
        Assert.Equal(0x1ff, byName["app/link"].Mode);                                  // symlinks keep 0777
        var uidOnly = Read(Layer(Resolve("src/main.go", "/x/y"), uid: 7));
        Assert.All(uidOnly, i => Assert.Equal((7, 7), (i.Uid, i.Gid)));               // --chown=7 means 7:7
        Assert.Equal(["x/", "x/y"], uidOnly.Select(i => i.Name));
    }

    [Fact]
    public void ExistingParentsKeepTheirMode()
    {
        var items = Read(Layer(Resolve("src/main.go", "/tmp/sub/"),
            existing: p => p == "/tmp" ? ((UnixFileMode)0x3ff, 0, 0) : null));        // /tmp is 1777 in the image
        Assert.Equal(["tmp/", "tmp/sub/", "tmp/sub/main.go"], items.Select(i => i.Name));
        Assert.Equal(0x3ff, items[0].Mode);
        Assert.Equal(0x1ed, items[1].Mode);
    }

    [Fact]
    public void RootDestinationWritesNoRootEntry()
    {
        var items = Read(Layer(CopySources.Resolve(Path.Combine(Ctx, "src"), DockerIgnore.None, ["."], "/", "/")));
        Assert.DoesNotContain(items, i => i.Name is "/" or "./" or "");
        Assert.Contains(items, i => i.Name == "main.go");
    }

    void MakeArchive(string path, string compressor)
    {
        string tree = Path.Combine(_base, "tree");
        Directory.CreateDirectory(Path.Combine(tree, "pkg", "bin"));
        File.WriteAllText(Path.Combine(tree, "pkg", "bin", "tool"), "#!/bin/sh\necho tool\n");
        File.SetUnixFileMode(Path.Combine(tree, "pkg", "bin", "tool"), (UnixFileMode)0x1ed);
        string tarPath = Path.Combine(_base, "plain.tar");
        using (var fs = File.Create(tarPath)) TarFile.CreateFromDirectory(tree, fs, includeBaseDirectory: false);
        if (compressor == "gzip")
        {
            using var outFs = File.Create(path);
            using var gz = new GZipStream(outFs, CompressionLevel.Fastest);
            using var inFs = File.OpenRead(tarPath);
            inFs.CopyTo(gz);
        }
        else if (compressor == "none") File.Copy(tarPath, path);
        else
        {
            var psi = new ProcessStartInfo(compressor, ["-c", tarPath]) { RedirectStandardOutput = true };
            using var p = Process.Start(psi)!;
            using (var outFs = File.Create(path)) p.StandardOutput.BaseStream.CopyTo(outFs);
            p.WaitForExit();
            Assert.Equal(0, p.ExitCode);
        }
    }

    [Theory]
    [InlineData("none")]
    [InlineData("gzip")]
    [InlineData("bzip2")]
    [InlineData("xz")]
    public void AddExtractsArchivesByContent(string compressor)
    {
        if (compressor is "bzip2" or "xz" && !File.Exists("/usr/bin/" + compressor)) return; // the tool that makes the fixture is missing
        MakeArchive(Path.Combine(Ctx, "payload.bin"), compressor); // the name says nothing: recognised by content
        var entries = Resolve("payload.bin", "/opt/");
        var items = Read(Layer(entries, extract: true));
        var names = items.Select(i => i.Name.TrimEnd('/')).ToList();
        Assert.Contains("opt", names);
        Assert.Contains("opt/pkg/bin/tool", names);
        Assert.DoesNotContain("opt/payload.bin", names);
        var tool = items.Single(i => i.Name == "opt/pkg/bin/tool");
        Assert.Equal("#!/bin/sh\necho tool\n", tool.Content);
        Assert.Equal(0x1ed, tool.Mode);
        // COPY (no extraction) copies the archive as a file.
        Assert.Equal(["opt/", "opt/payload.bin"], Read(Layer(entries, extract: false)).Select(i => i.Name));
    }

    [Fact]
    public void AddExtractIntoDestinationWithoutSlashAndChown()
    {
        MakeArchive(Path.Combine(Ctx, "a.tar.gz"), "gzip");
        var items = Read(Layer(Resolve("a.tar.gz", "/srv/data"), uid: 5, gid: 6, extract: true));
        Assert.Contains(items, i => i.Name == "srv/data/pkg/bin/tool");
        Assert.All(items, i => Assert.Equal((5, 6), (i.Uid, i.Gid)));
    }

    [Fact]
    public void NotAnArchiveIsCopied()
    {
        // gzip data that is not a tar, and a file that merely has a tar name.
        using (var fs = File.Create(Path.Combine(Ctx, "notes.txt.gz")))
        using (var gz = new GZipStream(fs, CompressionLevel.Fastest))
            gz.Write("just text, not a tar archive"u8);
        File.WriteAllText(Path.Combine(Ctx, "fake.tar"), "hello");
        var gzItems = Read(Layer(Resolve("notes.txt.gz", "/d/"), extract: true));
        Assert.Equal(["d/", "d/notes.txt.gz"], gzItems.Select(i => i.Name));
        var fake = Read(Layer(Resolve("fake.tar", "/d/"), extract: true));
        Assert.Equal(["d/", "d/fake.tar"], fake.Select(i => i.Name));
        Assert.Equal("hello", fake[1].Content);
    }

    [Fact]
    public void ArchiveInsideADirectoryIsNotExtracted()
    {
        MakeArchive(Path.Combine(Ctx, "src", "inner.tar"), "none");
        var items = Read(Layer(Resolve("src", "/app"), extract: true));
        Assert.Contains(items, i => i.Name == "app/inner.tar");
        Assert.DoesNotContain(items, i => i.Name.Contains("pkg/"));
    }
}
