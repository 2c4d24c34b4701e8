// PullTraceTests: `pull --trace` against a real registry on 127.0.0.1 (PublishedRegistry: Debian's
// docker-registry; no traffic leaves the machine). The image "three" (TestImages: busybox's layer,
// a layer that adds files, a layer with two whiteouts and an opaque directory) is pulled into an
// empty root, and the trace must narrate the manifest and config requests, each layer's blob
// request, and each layer unpacked: its digest and media type, how many tar entries were applied
// (counted here with tar(1), independently of MiniRun), its whiteouts and opaque directories and
// where it landed; then a closing summary. In English by default, in Japanese for
// LC_ALL=ja_JP.UTF-8, from the one catalog (Trace/Messages.cs). Lines may be wrapped at 100
// columns: TraceText ignores whitespace.
using MiniRun.Tests.Integration;
using MiniRun.Trace;
using MiniRun.Tests.Trace;
using Xunit.Abstractions;

namespace MiniRun.Tests.Registry;

public sealed class PullTraceTests : IClassFixture<PublishedRegistry>
{
    private readonly PublishedRegistry reg;
    private readonly ITestOutputHelper output;

    public PullTraceTests(PublishedRegistry reg, ITestOutputHelper output)
    {
        this.reg = reg;
        this.output = output;
    }

    private string Blob(string digest) => Path.Combine(reg.Images.LayoutDir, "blobs", "sha256", digest[7..]);

    /// <summary>Tar entries of a gzip layer as tar(1) lists them, the layer root ("./") left out.</summary>
    private int EntriesOf(Desc layer) =>
        Tool.Check("/usr/bin/tar", "-tzf", Blob(layer.Digest)).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Count(n => n is not "./" and not ".");

    /// <summary>Stands for a count of bytes of files in an expected text (ContainsAnyBytes).</summary>
    private const string Bytes = "NUMBER_OF_BYTES";

    /// <summary>TraceText.Contains, where <see cref="Bytes"/> matches any number.</summary>
    private static void ContainsAnyBytes(string expected, string trace) =>
        TraceText.Matches(System.Text.RegularExpressions.Regex.Escape(TraceText.Squash(expected)).Replace(Bytes, @"\d+"), trace);

    private (RunResult Pull, MiniRunRoot Root) PullThree(string? language)
    {
        var root = new MiniRunRoot();
        root.Env["LC_ALL"] = language ?? "C";
        return (root.Ok("pull", "--trace", $"{reg.Host}/three:latest"), root);
    }

    [Fact]
    public void Pull_trace_narrates_the_requests_and_each_layer_with_its_whiteouts()
    {
        var (pull, root) = PullThree(null);
        using var _ = root;
        string trace = pull.Stderr;
        output.WriteLine(trace);
        var layers = new[] { reg.Images.BusyboxLayer, reg.Images.ThreeAdd, reg.Images.ThreeDelete };
        string configDigest = reg.Images.ConfigOf(reg.Images.Three);

        TraceText.Contains($"── 1. {Messages.PullTitle.With($"{reg.Host}/three:latest").En}", trace);
        TraceText.Contains($"GET /v2/three/manifests/latest = {Media.OciManifest}", trace);
        TraceText.Contains($"bytes, {reg.Images.Three.Digest}", trace);
        TraceText.Contains(Messages.PullManifest.With(3).En, trace);
        TraceText.Contains($"GET /v2/three/blobs/{configDigest} = ", trace);
        TraceText.Contains(Messages.PullConfigBlob.En, trace);
        for (int i = 0; i < layers.Length; i++)
        {
            var blob = layers[i].Blob;
            TraceText.Contains($"GET /v2/three/blobs/{blob.Digest} = {blob.Size} bytes", trace);
            TraceText.Contains(Messages.PullLayerBlob.With(i + 1, 3, blob.MediaType).En, trace);
            TraceText.Contains(Messages.LayerTitle.With(blob.Digest[..19]).En, trace);
            TraceText.Contains(Messages.LayerBlob.With(blob.Digest, blob.MediaType, blob.Size).En, trace);
            int whiteouts = i == 2 ? 2 : 0, opaque = i == 2 ? 1 : 0;   // .wh.deleted, .wh.deldir; opaque/
            ContainsAnyBytes(Messages.LayerApplied.With(EntriesOf(blob), whiteouts, opaque, Bytes).En, trace);
            TraceText.Contains(Messages.LayerLanded.With($"$LAYERS/{layers[i].DiffId[7..]}", layers[i].DiffId).En, trace);
        }
        // the layers are unpacked in their order, after every blob is in the store
        string flat = TraceText.Squash(trace);
        int lastGet = layers.Max(l => flat.IndexOf("GET/v2/three/blobs/" + l.Blob.Digest, StringComparison.Ordinal));
        Assert.True(lastGet >= 0 && lastGet < flat.IndexOf(TraceText.Squash(Messages.LayerTitle.With(layers[0].Blob.Digest[..19]).En),
            StringComparison.Ordinal), "a layer was unpacked before every blob was fetched");

        TraceText.Contains(Messages.PullSummaryTitle.En, trace);
        TraceText.Contains($"{Messages.PullSummaryImage.En}: " +
            Messages.PullSummaryImageValue.With(configDigest, $"{reg.Host}/three:latest").En, trace);
        TraceText.Contains($"{Messages.PullSummaryManifest.En}: {reg.Images.Three.Digest}", trace);
        long fetched = layers.Sum(l => l.Blob.Size) + new FileInfo(Blob(configDigest)).Length;
        TraceText.Contains($"{Messages.PullSummaryFetched.En}: " + Messages.PullSummaryFetchedValue.With(4, fetched).En, trace);
        ContainsAnyBytes($"{Messages.PullSummaryUnpacked.En}: " + Messages.PullSummaryUnpackedValue.With(
            3, layers.Sum(l => EntriesOf(l.Blob)), 2, 1, Bytes).En, trace);
        Assert.All(trace.Split('\n'), l => Assert.True(DisplayWidth.Of(l) <= TraceFormat.Columns, l));
        Assert.Contains("Status: Downloaded newer image for", pull.Stdout);   // the trace does not change stdout
        root.AssertConsistent();

        // pulled again: nothing is fetched but the manifest, nothing unpacked
        var again = root.Ok("pull", "--trace", $"{reg.Host}/three:latest").Stderr;
        TraceText.Contains("GET /v2/three/manifests/latest", again);
        Assert.DoesNotContain("GET /v2/three/blobs/", again);
        TraceText.Contains($"{Messages.PullSummaryFetched.En}: " + Messages.PullSummaryFetchedValue.With(0, 0).En, again);
        TraceText.Contains($"{Messages.PullSummaryUnpacked.En}: {Messages.PullSummaryUnpackedNone.En}", again);
    }

    [Fact]
    public void Pull_trace_speaks_japanese_for_a_japanese_locale()
    {
        var (pull, root) = PullThree("ja_JP.UTF-8");
        using var _ = root;
        string trace = pull.Stderr;
        output.WriteLine(trace);
        var layer = reg.Images.ThreeDelete.Blob;
        TraceText.Contains(Messages.PullTitle.With($"{reg.Host}/three:latest").Ja, trace);
        TraceText.Contains(Messages.PullManifest.With(3).Ja, trace);
        TraceText.Contains(Messages.PullConfigBlob.Ja, trace);
        TraceText.Contains(Messages.PullLayerBlob.With(3, 3, layer.MediaType).Ja, trace);
        TraceText.Contains(Messages.LayerTitle.With(layer.Digest[..19]).Ja, trace);
        TraceText.Contains(Messages.PullSummaryTitle.Ja, trace);
        Assert.DoesNotContain(Messages.PullSummaryTitle.En, trace);
        Assert.DoesNotContain(Messages.LayerWhy.En[..30], trace);
        Assert.All(trace.Split('\n'), l => Assert.True(DisplayWidth.Of(l) <= TraceFormat.Columns, l));
    }

    [Fact]
    public void Pull_trace_pause_says_what_to_look_at_with_full_paths_before_each_step()
    {
        using var root = new MiniRunRoot();
        root.Env["LC_ALL"] = "C";
        // no terminal here: the pauses read Enter from stdin
        var pull = root.RunWith(string.Concat(Enumerable.Repeat("\n", 20)), "pull", "--trace=pause", $"{reg.Host}/three:latest");
        Assert.True(pull.ExitCode == 0, pull.Stderr);
        string trace = pull.Stderr;
        output.WriteLine(trace);
        Assert.Equal(4, trace.Split(Messages.PausePrompt.En).Length - 1);   // the pull, then each of the 3 layers
        var blobs = Messages.PauseLook.With($"ls -l {root.Root}/blobs/sha256").En;
        TraceText.Contains(blobs, trace);
        Assert.True(TraceText.Squash(trace).IndexOf(TraceText.Squash(blobs), StringComparison.Ordinal) <
            TraceText.Squash(trace).IndexOf("GET/v2/three/manifests/", StringComparison.Ordinal), "the blobs hint comes before the pull");
        foreach (var layer in new[] { reg.Images.BusyboxLayer, reg.Images.ThreeAdd, reg.Images.ThreeDelete })
        {
            string look = $"     {Messages.PauseLook.With($"ls -la {root.Root}/layers/{layer.DiffId[7..19]}*").En}";
            Assert.Contains(look, trace.Split('\n'));   // on one line: it can be pasted
        }
    }

    [Fact]
    public void Run_trace_of_an_image_not_yet_pulled_narrates_the_pull_first()
    {
        using var root = new MiniRunRoot();
        root.Env["LC_ALL"] = "C";
        var run = root.Ok("run", "--rm", "--network", "none", "--trace", $"{reg.Host}/three:latest", "true");
        string trace = run.Stderr;
        output.WriteLine(trace);
        string flat = TraceText.Squash(trace);
        int pull = flat.IndexOf(TraceText.Squash($"1. {Messages.PullTitle.With($"{reg.Host}/three:latest").En}"), StringComparison.Ordinal);
        int get = flat.IndexOf("GET/v2/three/manifests/latest", StringComparison.Ordinal);
        int layer = flat.IndexOf(TraceText.Squash(Messages.LayerTitle.With(reg.Images.ThreeDelete.Blob.Digest[..19]).En), StringComparison.Ordinal);
        int pivot = flat.IndexOf(TraceText.Squash(Messages.PivotRootTitle.With("$ROOTFS").En), StringComparison.Ordinal);
        Assert.True(0 <= pull && pull < get && get < layer && layer < pivot, trace);
        TraceText.Contains(Messages.LayerApplied.With(EntriesOf(reg.Images.ThreeDelete.Blob), 2, 1, "").En.Split(';')[0], trace);
        TraceText.Contains(Messages.SummaryTitle.En, trace);          // the run's summary closes the trace,
        Assert.DoesNotContain(Messages.PullSummaryTitle.En, trace);   // not the pull's
        Assert.All(trace.Split('\n'), l => Assert.True(DisplayWidth.Of(l) <= TraceFormat.Columns, l));
    }
}
