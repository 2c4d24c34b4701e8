// ConsoleTraceTests: the names `--trace` gives long paths ($BUNDLE, $ROOTFS, ...) for a projector:
// printed once with their value, used in every later line (init's raw lines too), the longest
// path first so $ROOTFS is not shown as $BUNDLE/rootfs; and a run's trace starting with them.
using MiniRun.Tests.Integration;
using MiniRun.Trace;

namespace MiniRun.Tests.Trace;

public sealed class ConsoleTraceTests
{
    [Fact]
    public void Named_paths_are_printed_once_and_replaced_in_every_later_line()
    {
        var output = new StringWriter();
        var trace = new ConsoleTrace(output, pause: false);
        trace.Call("mkdir /r/containers/abc", "0");   // before the name: as it is
        trace.Name("BUNDLE", "/r/containers/abc/");
        trace.Name("ROOTFS", "/r/containers/abc/rootfs");
        trace.Name("ROOTFS", "/elsewhere");             // a name is given once
        trace.Step("pivot_root into /r/containers/abc/rootfs", "why");
        trace.Call("mount(\"overlay\", \"/r/containers/abc/rootfs\", \"upperdir=/r/containers/abc/upper\")", "0");
        trace.Raw("[9] chdir(\"/r/containers/abc/rootfs/dev\") = 0");
        trace.Note("bundle /r/containers/abc: config.json");
        Assert.Equal(
            "[1] mkdir /r/containers/abc = 0\n" +
            "     $BUNDLE = /r/containers/abc\n" +
            "     $ROOTFS = $BUNDLE/rootfs\n" +
            "── pivot_root into $ROOTFS\n   why\n" +
            "[2] mount(\"overlay\", \"$ROOTFS\", \"upperdir=$BUNDLE/upper\") = 0\n" +
            "[9] chdir(\"$ROOTFS/dev\") = 0\n" +
            "     bundle $BUNDLE: config.json\n",
            output.ToString().Replace("\r\n", "\n"));
    }

    [Fact]
    public void A_traced_run_names_its_paths_before_the_first_step()
    {
        using var m = new MiniRunHost();
        var r = m.Run("run", "--rm", "--trace", "busybox", "true");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = r.Stderr.Split('\n');
        Assert.StartsWith("     $BUNDLE = " + m.Root + "/containers/", lines[0]);
        Assert.Equal("     $ROOTFS = $BUNDLE/rootfs", lines[1]);
        Assert.Equal("     $LAYERS = " + m.Root + "/layers", lines[2]);
        Assert.Contains("── pivot_root into $ROOTFS", lines);
        Assert.DoesNotContain(m.Root + "/containers/", string.Join('\n', lines.Skip(1)));   // only on its own line
    }
}
