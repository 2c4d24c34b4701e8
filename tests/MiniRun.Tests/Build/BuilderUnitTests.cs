// BuilderUnitTests: the builder's pure parts - HEALTHCHECK durations (Go's time.ParseDuration
// forms), the classic builder's Go-quoted lists in history, the cache key and index, a stage's
// variable lookup (ENV before ARG) and the ARGs a RUN sees - and the image store's build
// variants (an image with no base, a config-only step, intermediate images hidden by `images`
// and removed by `rmi` with their child), in-process on a temporary root.
//
// Why: these decide cache hits and what `history`/`images` show; a mistake there is silent.
// Follows: Dockerfile reference (HEALTHCHECK, ARG/ENV scoping); docker-images(1) -a; docker-rmi(1).
using System.Formats.Tar;
using MiniImage.Oci;
using MiniImage.Store;
using MiniRun.Build;

namespace MiniRun.Tests.Build;

public sealed class BuilderUnitTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("minirun-build-unit-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (DirectoryNotFoundException) { }
    }

    [Theory]
    [InlineData("30s", 30_000_000_000L)]
    [InlineData("1m30s", 90_000_000_000L)]
    [InlineData("500ms", 500_000_000L)]
    [InlineData("1.5h", 5_400_000_000_000L)]
    [InlineData("10us", 10_000L)]
    public void Duration_GoForms(string text, long nanoseconds) => Assert.Equal(nanoseconds, Builder.Duration("interval", text));

    [Theory]
    [InlineData("")]
    [InlineData("30")]
    [InlineData("5d")]
    [InlineData("s")]
    public void Duration_Bad_IsOneLine(string text) =>
        Assert.Equal($"--interval: invalid duration \"{text}\"", Assert.Throws<BuildException>(() => Builder.Duration("interval", text)).Message);

    [Fact]
    public void GoList_AsTheClassicBuilderShowsCmd() =>
        Assert.Equal("[\"sh\" \"-c\" \"echo \\\"hi\\\"\"]", Builder.GoList(["sh", "-c", "echo \"hi\""]));

    [Fact]
    public void CacheKey_DependsOnEveryPartAndItsPlace()
    {
        string k = BuildCache.Key("sha256:a", "RUN x", "d");
        Assert.Equal(k, BuildCache.Key("sha256:a", "RUN x", "d"));
        Assert.NotEqual(k, BuildCache.Key("sha256:b", "RUN x", "d"));
        Assert.NotEqual(k, BuildCache.Key("sha256:a", "RUN y", "d"));
        Assert.NotEqual(BuildCache.Key("ab", "c"), BuildCache.Key("a", "bc"));
    }

    [Fact]
    public void Cache_RemembersAcrossInstances_AndAnEntryWhoseImageIsGoneMisses()
    {
        var images = new ImageStore(_root);
        var image = images.Commit(new CommitRequest { BaseImageId = null, WriteLayer = null, CreatedBy = "CMD" });
        new BuildCache(_root).Add("k1", image.ImageId);
        new BuildCache(_root).Add("k2", "sha256:" + new string('0', 64));
        var cache = new BuildCache(_root);
        Assert.Equal(image.ImageId, cache.Find(images, "k1")?.ImageId);
        Assert.Null(cache.Find(images, "k2"));
        Assert.Null(cache.Find(images, "k3"));
    }

    [Fact]
    public void Stage_EnvBeatsArg_AndRunSeesOnlyArgsWithValuesNotShadowedByEnv()
    {
        var stage = new BuildStage(0, null, "scratch", null, new Instruction("FROM", 1, "FROM scratch", [], ["scratch"], false, []), []);
        var state = new StageState(stage) { Config = new ContainerConfig { Env = ["A=env", "EMPTY"] } };
        state.Args.Add(new("A", "arg"));
        state.Args.Add(new("B", "b"));
        state.Args.Add(new("C", null));
        Assert.Equal("env", state.Lookup("A"));
        Assert.Equal("b", state.Lookup("B"));
        Assert.Null(state.Lookup("C"));
        Assert.Equal("", state.Lookup("EMPTY"));
        Assert.Equal([new KeyValuePair<string, string>("B", "b")], state.EffectiveArgs());
    }

    private static Action<Stream> OneFile(string name, string text) => output =>
    {
        using var tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name)
        {
            DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)), Mode = (UnixFileMode)0b110_100_100,
        });
    };

    [Fact]
    public void Store_ScratchImage_ConfigOnlyStep_IntermediatesHiddenAndRemovedWithTheirChild()
    {
        var images = new ImageStore(_root);
        var first = images.Commit(new CommitRequest { BaseImageId = null, WriteLayer = OneFile("a", "1"), CreatedBy = "COPY a /a" });
        var config = images.ReadConfig(first);
        Assert.Single(config.RootFs.DiffIds);
        Assert.Equal(Platform.Host.Architecture, config.Architecture);

        var second = images.Commit(new CommitRequest
        {
            BaseImageId = first.ImageId, WriteLayer = null, CreatedBy = "/bin/sh -c #(nop)  CMD [\"a\"]",
            Configure = c => c.Cmd = ["a"], Tag = "built:v1",
        });
        var secondConfig = images.ReadConfig(second);
        Assert.Single(secondConfig.RootFs.DiffIds);   // no new layer
        Assert.True(secondConfig.History![^1].EmptyLayer);
        Assert.Null(secondConfig.History[0].EmptyLayer);
        Assert.Equal(["a"], secondConfig.Config!.Cmd);

        Assert.Equal([second.ImageId], images.List(intermediates: false).Select(i => i.ImageId));
        Assert.Equal(2, images.List().Count);

        var removed = images.Remove("built:v1", force: false, () => []);
        Assert.Contains(removed.Events, e => e.Deleted && e.Subject == second.ImageId);
        Assert.Contains(removed.Events, e => e.Deleted && e.Subject == first.ImageId);
        Assert.Empty(images.List());
    }

    [Fact]
    public void Store_PruneKeepsTheAncestorsOfTaggedImages()
    {
        var images = new ImageStore(_root);
        var step = images.Commit(new CommitRequest { BaseImageId = null, WriteLayer = OneFile("a", "1"), CreatedBy = "COPY" });
        var tagged = images.Commit(new CommitRequest { BaseImageId = step.ImageId, WriteLayer = null, CreatedBy = "CMD", Tag = "kept" });
        var dangling = images.Commit(new CommitRequest { BaseImageId = null, WriteLayer = OneFile("b", "2"), CreatedBy = "COPY b" });

        var pruned = images.Prune(all: false, () => []);

        Assert.Contains(pruned.Events, e => e.Deleted && e.Subject == dangling.ImageId);
        Assert.DoesNotContain(pruned.Events, e => e.Subject == step.ImageId || e.Subject == tagged.ImageId);
        Assert.Equal(2, images.List().Count);
    }
}
