// PushOutputTests: the text `push` prints: Docker's wording per layer ("Preparing", "Waiting",
// "Pushed", "Layer already exists", "Mounted from ..."), plain lines without a terminal (no bars,
// no escape sequences), a line redrawn in place with a bar on a terminal, and the closing
// "TAG: digest: ... size: N" line per tag.
//
// Why: students compare this output with Docker's; scripts parse the non-terminal form.
// Follows: Docker's push output (moby pkg/jsonmessage, distribution/push_v2.go), docker-push(1).
using MiniImage.Oci;
using MiniImage.Push;
using MiniImage.Reference;
using MiniRun.Cli;

namespace MiniRun.Tests.Push;

public sealed class PushOutputTests
{
    private static readonly Digest Manifest = Digest.Compute("manifest"u8);

    private static PushResult Result(string reference) => new(ImageReference.Parse(reference), Manifest, 527, 1, 1, 1);

    [Fact]
    public void NonTerminal_PlainOneShotLines_NoBars_ThenTheDigestLine()
    {
        var w = new StringWriter();
        var o = new PushOutput(w, terminal: false);
        o.Start(ImageReference.Parse("127.0.0.1:5000/busybox:latest"));
        o.Layer("5f70bf18a086", PushEvent.Preparing);
        o.Layer("0123456789ab", PushEvent.Preparing);
        o.Layer("abcdefabcdef", PushEvent.Preparing);
        o.Layer("abcdefabcdef", PushEvent.Waiting);
        o.Layer("5f70bf18a086", PushEvent.Pushing, 1_200_000, 3_400_000);
        o.Layer("5f70bf18a086", PushEvent.Pushed);
        o.Layer("0123456789ab", PushEvent.LayerAlreadyExists);
        o.Layer("abcdefabcdef", PushEvent.MountedFrom, from: "library/x");
        o.Done(Result("127.0.0.1:5000/busybox:latest"));

        Assert.Equal(
            "The push refers to repository [127.0.0.1:5000/busybox]\n" +
            "5f70bf18a086: Preparing\n" +
            "0123456789ab: Preparing\n" +
            "abcdefabcdef: Preparing\n" +
            "abcdefabcdef: Waiting\n" +
            "5f70bf18a086: Pushed\n" +
            "0123456789ab: Layer already exists\n" +
            "abcdefabcdef: Mounted from library/x\n" +
            $"latest: digest: {Manifest} size: 527\n", w.ToString());
    }

    [Fact]
    public void Terminal_RedrawsTheLayersLineWithABar()
    {
        var w = new StringWriter();
        var o = new PushOutput(w, terminal: true);
        o.Start(ImageReference.Parse("busybox"));
        o.Layer("5f70bf18a086", PushEvent.Preparing);
        o.Layer("0123456789ab", PushEvent.Preparing);
        o.Layer("5f70bf18a086", PushEvent.Pushing, 1_700_000, 3_400_000);
        string text = w.ToString();
        Assert.StartsWith("The push refers to repository [docker.io/library/busybox]\n", text);
        // Two lines up to the first layer's line, cleared, redrawn, two lines down again.
        string bar = PullOutput.Progress(1_700_000, 3_400_000);
        Assert.StartsWith("[" + new string('=', 25) + ">" + new string(' ', 25) + "]", bar);
        Assert.EndsWith($"\x1b[2A\r\x1b[2K5f70bf18a086: Pushing {bar}\x1b[2B\r", text);
    }

    [Fact]
    public void Every_tag_of_push_all_tags_ends_with_its_own_digest_line()
    {
        var w = new StringWriter();
        var o = new PushOutput(w, terminal: false);
        o.Start(ImageReference.Parse("x/app"));
        o.Layer("5f70bf18a086", PushEvent.Preparing);
        o.Layer("5f70bf18a086", PushEvent.Pushed);
        o.Done(Result("x/app:1"));
        o.Layer("5f70bf18a086", PushEvent.Preparing);
        o.Layer("5f70bf18a086", PushEvent.LayerAlreadyExists);
        o.Done(Result("x/app:2"));
        Assert.Equal(1, w.ToString().Split('\n').Count(l => l.StartsWith("The push refers to")));
        Assert.Contains($"\n1: digest: {Manifest} size: 527\n5f70bf18a086: Preparing\n5f70bf18a086: Layer already exists\n2: digest:", w.ToString());
    }
}
