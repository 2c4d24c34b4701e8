// LayerContentTests: the three-layer image (busybox; a layer that adds files; a layer with
// whiteouts, an opaque directory, a hard link, symlinks, an owner and a mode) pulled from the
// registry and checked file by file INSIDE a running container, where overlayfs shows the result.
//
// Why: unpacking whiteouts wrong is silent: the deleted file is still there, or the opaque
// directory still shows the lower layer's files. Only the merged view in a container proves it.
// HarnessTests checks the same facts with umoci, so a failure here is MiniRun's.
// Follows: OCI image-spec layer.md (whiteouts, opaque whiteouts, hard links), overlayfs docs.
namespace MiniRun.Tests.Registry;

public sealed class LayerContentTests : IClassFixture<PublishedRegistry>
{
    private readonly PublishedRegistry reg;

    public LayerContentTests(PublishedRegistry reg) => this.reg = reg;

    [Fact]
    public void Whiteouts_opaque_directory_hardlink_and_symlinks_as_seen_in_a_container()
    {
        using var root = new MiniRunRoot();
        string image = $"{reg.Host}/three:latest";
        root.Ok("pull", image);
        Assert.Equal([reg.Images.ConfigOf(reg.Images.Three)], root.ImageIds());

        // One fact per line, so a failure shows every fact at once.
        const string script =
            "test -e /deleted && echo deleted=present || echo deleted=absent; " +
            "test -e /deldir && echo deldir=present || echo deldir=absent; " +
            "echo opaque=$(ls -A /opaque); " + // unquoted: names joined by single spaces
            "echo c=$(cat /opaque/c); echo x=$(cat /keep/x); " +
            "echo links=$(stat -c %h /hard); echo hard=$(cat /hard); " +
            "echo same-inode=$(test /hard -ef /hard-src && echo yes || echo no); " +
            "echo hard-src=$(stat -c '%a %u %g' /hard-src); " +
            "echo link=$(readlink /link) $(cat /link); echo rel=$(readlink /rel) $(cat /rel); " +
            "echo f=$(cat /data/f)";
        var run = root.Ok("run", "--rm", image, "sh", "-c", script);
        string[] expected =
        [
            "deleted=absent", "deldir=absent", "opaque=c", "c=upper c", "x=upper x",
            "links=2", "hard=hard linked", "same-inode=yes", "hard-src=750 1000 1000",
            "link=/data/f data f", "rel=data/f data f", "f=data f",
        ];
        Assert.Equal(expected, run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
