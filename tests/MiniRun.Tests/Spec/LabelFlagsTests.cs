// LabelFlagsTests: the container's labels are the image's, then --label-file lines, then
// --label, later ones winning; `ps --filter label=` matches them (every label filter must match).
using MiniRun.Cli;
using MiniRun.Containers;
using MiniRun.Spec;

namespace MiniRun.Tests.Spec;

public sealed class LabelFlagsTests
{
    [Fact]
    public void ImageLabelsThenFilesThenFlagsLaterWinning()
    {
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "# a comment\n\nteam=from-file\nonly.file=yes\n");
            var labels = LabelFlags.Merge(new Dictionary<string, string> { ["team"] = "image", ["image.only"] = "1" },
                new RunOptions { LabelFiles = [file], Labels = ["team=flag", "empty"] });
            Assert.Equal("flag", labels["team"]);
            Assert.Equal("1", labels["image.only"]);
            Assert.Equal("yes", labels["only.file"]);
            Assert.Equal("", labels["empty"]);
            Assert.Equal(4, labels.Count);
        }
        finally { File.Delete(file); }
    }

    [Fact]
    public void AnEmptyNameOrAMissingFileIsRefused()
    {
        Assert.Throws<RunConfigException>(() => LabelFlags.Merge(null, new RunOptions { Labels = ["=x"] }));
        var e = Assert.Throws<RunConfigException>(() => LabelFlags.Merge(null, new RunOptions { LabelFiles = ["/nonexistent/labels"] }));
        Assert.Equal("open /nonexistent/labels: no such file or directory", e.Message);
    }

    [Fact]
    public void PsLabelFilterNeedsEveryLabel()
    {
        var c = new ContainerRecord();
        c.Config.Labels["a"] = "1";
        c.Config.Labels["b"] = "2";
        var none = new HashSet<string>();
        Assert.True(PsFilter.Parse(["label=a"]).Matches(c, "running", none));
        Assert.True(PsFilter.Parse(["label=a=1", "label=b"]).Matches(c, "running", none));
        Assert.False(PsFilter.Parse(["label=a=1", "label=c"]).Matches(c, "running", none));
        Assert.False(PsFilter.Parse(["label=a=2"]).Matches(c, "running", none));
    }
}
