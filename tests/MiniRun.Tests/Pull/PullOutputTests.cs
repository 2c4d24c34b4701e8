// PullOutputTests: the text `pull` and `run` print while pulling: Docker's wording per layer,
// plain lines without a terminal (no bars, no escape sequences), a line redrawn in place on a
// terminal, Digest/Status lines, sizes and the progress bar; and the insecure-registry list.
//
// Why: students compare this output with Docker's; scripts parse the non-terminal form.
// Follows: Docker's pull output (moby pkg/jsonmessage), docker-pull(1).
using MiniImage.Oci;
using MiniImage.Pull;
using MiniImage.Reference;
using MiniImage.Store;
using MiniRun.Cli;

namespace MiniRun.Tests.Pull;

public sealed class PullOutputTests
{
    private static readonly Digest Manifest = Digest.Compute("manifest"u8);

    private static PullResult Result(string reference, bool updated) =>
        new(ImageReference.Parse(reference), new ImageSummary("alpine", "latest", Digest.Compute("config"u8).ToString(), Manifest.ToString(), null, 1),
            Manifest, Manifest, updated, updated ? 2 : 0);

    [Fact]
    public void NonTerminal_PlainOneShotLines_NoBars_ThenDigestStatusAndReference()
    {
        var w = new StringWriter();
        var o = new PullOutput(w, terminal: false, printReference: true);

        o.Start(ImageReference.Parse("alpine"));
        o.Layer("4abcf2066143", LayerEvent.PullingFsLayer);
        o.Layer("0123456789ab", LayerEvent.AlreadyExists);
        o.Layer("4abcf2066143", LayerEvent.Downloading, 1000, 3_400_000);
        o.Layer("4abcf2066143", LayerEvent.VerifyingChecksum);
        o.Layer("4abcf2066143", LayerEvent.DownloadComplete);
        o.Layer("4abcf2066143", LayerEvent.Extracting, 3_400_000, 3_400_000);
        o.Layer("4abcf2066143", LayerEvent.PullComplete);
        o.Done(Result("alpine", updated: true));

        Assert.Equal(
            "latest: Pulling from library/alpine\n" +
            "4abcf2066143: Pulling fs layer\n" +
            "0123456789ab: Already exists\n" +
            "4abcf2066143: Verifying Checksum\n" +
            "4abcf2066143: Download complete\n" +
            "4abcf2066143: Pull complete\n" +
            $"Digest: {Manifest}\n" +
            "Status: Downloaded newer image for alpine:latest\n" +
            "docker.io/library/alpine:latest\n", w.ToString());
        Assert.DoesNotContain('\x1b', w.ToString());
    }

    [Fact]
    public void UpToDate_WithoutReferenceLine_AsRunPrintsIt()
    {
        var w = new StringWriter();
        new PullOutput(w, terminal: false, printReference: false).Done(Result("alpine:3.20", updated: false));
        Assert.Equal($"Digest: {Manifest}\nStatus: Image is up to date for alpine:3.20\n", w.ToString());
    }

    [Theory]
    [InlineData("localhost:5000/a/b:c", "c: Pulling from a/b\n")]
    [InlineData("user/app:1.0", "1.0: Pulling from user/app\n")]
    [InlineData("ghcr.io/org/app", "latest: Pulling from org/app\n")]
    public void StartLine_NamesTagAndRepositoryPath(string reference, string expected)
    {
        var w = new StringWriter();
        new PullOutput(w, false, true).Start(ImageReference.Parse(reference));
        Assert.Equal(expected, w.ToString());
    }

    [Fact]
    public void StartLine_ByDigest_NamesTheDigest_StatusUsesFamiliarDigestReference()
    {
        var w = new StringWriter();
        var o = new PullOutput(w, false, true);
        o.Start(ImageReference.Parse($"alpine@{Manifest}"));
        o.Done(Result($"alpine@{Manifest}", updated: true));
        Assert.Equal(
            $"{Manifest}: Pulling from library/alpine\n" +
            $"Digest: {Manifest}\n" +
            $"Status: Downloaded newer image for alpine@{Manifest}\n" +
            $"docker.io/library/alpine@{Manifest}\n", w.ToString());
    }

    [Fact]
    public void Terminal_UpdatesALayerLineInPlace()
    {
        var w = new StringWriter();
        var o = new PullOutput(w, terminal: true, printReference: false);
        o.Layer("aaaaaaaaaaaa", LayerEvent.PullingFsLayer);
        o.Layer("bbbbbbbbbbbb", LayerEvent.PullingFsLayer);
        w.GetStringBuilder().Clear();

        o.Layer("aaaaaaaaaaaa", LayerEvent.Downloading, 500_000, 1_000_000);

        Assert.Equal($"\x1b[2A\r\x1b[2Kaaaaaaaaaaaa: Downloading {PullOutput.Progress(500_000, 1_000_000)}\x1b[2B\r", w.ToString());
        w.GetStringBuilder().Clear();
        o.Layer("cccccccccccc", LayerEvent.Waiting);
        Assert.Equal("\x1b[2Kcccccccccccc: Waiting\n", w.ToString());
    }

    [Fact]
    public void ProgressBar_IsFiftyWideWithDockerSizes()
    {
        Assert.Equal("[=========================>                         ]    500kB/1MB", PullOutput.Progress(500_000, 1_000_000));
        Assert.Equal("[>                                                  ]       0B/3.409MB", PullOutput.Progress(0, 3_409_000));
        Assert.Equal("[==================================================>]  3.409MB/3.409MB", PullOutput.Progress(3_409_000, 3_409_000));
        Assert.Equal("   1.2kB", PullOutput.Progress(1200, 0));
    }

    [Theory]
    [InlineData(0, "0B")]
    [InlineData(999, "999B")]
    [InlineData(1234, "1.234kB")]
    [InlineData(1_234_567, "1.235MB")]
    [InlineData(52_000_000, "52MB")]
    public void Size_FourSignificantDigits(long bytes, string expected) => Assert.Equal(expected, PullOutput.Size(bytes));

    [Fact]
    public void InsecureRegistries_FlagsAndEnvironment_Merged()
    {
        Assert.Equal(["a:5000", "b", "c.example:443"], RegistryCli.InsecureRegistries(["a:5000", "b"], " b, c.example:443 ,,"));
        Assert.Empty(RegistryCli.InsecureRegistries([], null));
    }
}
