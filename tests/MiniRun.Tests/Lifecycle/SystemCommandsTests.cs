// SystemCommandsTests: `system df` and `system prune` through the real binary, each test on a
// MiniRun root of its own (prune removes everything unused in it): layers counted once however
// many images hold them, a running container's image and volume not reclaimable, what containers
// wrote counted; prune taking stopped containers, unused networks, anonymous volumes (with
// --volumes), dangling images (every unused one with -a) and keeping what is in use; the
// question answered "n" removes nothing; flags MiniRun lacks refused in one line.
using MiniRun.Tests.Integration;
using MiniRun.Tests.Oci;

namespace MiniRun.Tests.Lifecycle;

[Collection(OciEngineTests.HostMountTable)]
public sealed class SystemCommandsTests : IDisposable
{
    private readonly MiniRunHost _m = new();
    public void Dispose() => _m.Dispose();

    /// <summary>TYPE -> [TOTAL, ACTIVE, SIZE, RECLAIMABLE] from the df table (cells are separated by 3+ spaces).</summary>
    private Dictionary<string, string[]> Df()
    {
        var r = _m.Run("system", "df");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = r.Stdout.TrimEnd('\n').Split('\n');
        Assert.Matches(@"^TYPE {3,}TOTAL {3,}ACTIVE {3,}SIZE {3,}RECLAIMABLE$", lines[0]);
        Assert.Equal(5, lines.Length);
        return lines[1..].Select(l => System.Text.RegularExpressions.Regex.Split(l, " {3,}"))
            .ToDictionary(cells => cells[0], cells => cells[1..]);
    }

    private string Id(string container) => _m.Record(container).GetProperty("Id").GetString()!;

    [Fact]
    public void Df_counts_shared_layers_once_and_what_is_in_use_is_not_reclaimable()
    {
        var empty = Df();
        Assert.Equal(new[] { "1", "0" }, empty["Images"][..2]);
        Assert.NotEqual("0B", empty["Images"][2]);
        Assert.Equal(empty["Images"][2] + " (100%)", empty["Images"][3]);   // nothing uses busybox yet
        Assert.Equal(new[] { "0", "0", "0B", "0B" }, empty["Containers"]);
        Assert.Equal(new[] { "0", "0", "0B", "0B" }, empty["Local Volumes"]);
        Assert.Equal(new[] { "0", "0", "0B", "0B" }, empty["Build Cache"]);

        // A second image made of busybox's layer and one more: busybox's layer is counted once.
        Assert.Equal(0, _m.Run("run", "--name", "maker", "busybox", "sh", "-c", "head -c 20000 /dev/zero > /made").ExitCode);
        Assert.Equal(0, _m.Run("commit", "maker", "made:1").ExitCode);
        Assert.Equal(0, _m.Run("rm", "maker").ExitCode);
        Assert.Equal(0, _m.Run("volume", "create", "keep").ExitCode);
        Assert.Equal(0, _m.Run("run", "--rm", "-v", "keep:/data", "busybox", "sh", "-c", "head -c 3000 /dev/zero > /data/f").ExitCode);
        var run = _m.Run("run", "-d", "--name", "busy", "-v", "keep:/data", "made:1", "sh", "-c", "head -c 5000 /dev/zero > /w; sleep 600");
        Assert.True(run.ExitCode == 0, run.Stderr);
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(20);
            var written = new FileInfo(Path.Combine(_m.Root, "containers", Id("busy"), "upper", "w"));
            while (!(written.Exists && written.Length == 5000) && DateTime.UtcNow < deadline) { Thread.Sleep(50); written.Refresh(); }   // all of it, not just the file
            var df = Df();
            Assert.Equal(new[] { "2", "1" }, df["Images"][..2]);
            // made:1 holds both layers: nothing is reclaimable, and the size is busybox's plus ~20kB, not twice busybox
            Assert.Matches(@" \(0%\)$", df["Images"][3]);
            Assert.StartsWith("0B", df["Images"][3]);
            Assert.Equal(new[] { "1", "1", "5kB", "0B (0%)" }, df["Containers"]);
            Assert.Equal(new[] { "1", "1", "3kB", "0B (0%)" }, df["Local Volumes"]);

            Assert.Equal(0, _m.Run("rm", "-f", "busy").ExitCode);
            df = Df();
            Assert.Equal(new[] { "2", "0" }, df["Images"][..2]);
            Assert.Matches(@" \(100%\)$", df["Images"][3]);
            Assert.Equal(new[] { "1", "0", "3kB", "3kB (100%)" }, df["Local Volumes"]);
        }
        finally { _m.Run("rm", "-f", "busy"); }
    }

    [Fact]
    public void Prune_removes_what_nothing_uses_and_keeps_what_is_in_use()
    {
        Assert.Equal(0, _m.Run("run", "--name", "stopped", "-v", "/anon", "busybox", "true").ExitCode);
        string stopped = Id("stopped");
        Assert.Equal(0, _m.Run("run", "-d", "--name", "running", "-v", "named:/data", "busybox", "sleep", "600").ExitCode);
        try
        {
            Assert.Equal(0, _m.Run("run", "--name", "dangler", "busybox", "touch", "/x").ExitCode);
            var commit = _m.Run("commit", "dangler");   // untagged: a dangling image
            Assert.Equal(0, commit.ExitCode);
            string dangling = commit.Stdout.Trim();
            string dangler = Id("dangler");
            Assert.Equal(0, _m.Run("network", "create", "unused-net").ExitCode);
            Assert.Equal(0, _m.Run("volume", "create", "idle").ExitCode);

            var refused = _m.RunWith("n\n", null, "system", "prune", "--volumes");
            Assert.Equal(0, refused.ExitCode);
            Assert.Equal("WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n" +
                         "  - all anonymous volumes not used by at least one container\n  - all dangling images\n  - unused build cache\n\n" +
                         "Are you sure you want to continue? [y/N] \n", refused.Stdout);
            Assert.Contains("stopped", _m.Run("ps", "-a").Stdout);

            var prune = _m.RunWith("y\n", null, "system", "prune", "--volumes");
            Assert.True(prune.ExitCode == 0, prune.Stderr);
            string output = prune.Stdout;
            Assert.Contains("Deleted Containers:\n", output);
            Assert.Contains(stopped + "\n", output);
            Assert.Contains(dangler + "\n", output);
            Assert.Contains("Deleted Networks:\nunused-net\n\n", output);
            Assert.Contains("Deleted Volumes:\n", output);
            Assert.Contains("Deleted Images:\ndeleted: " + dangling + "\n", output);
            Assert.Matches(@"\nTotal reclaimed space: [0-9.]+k?B\n$", output);

            Assert.Equal(Id("running") + "\n", _m.Run("ps", "-a", "-q", "--no-trunc").Stdout);
            string volumes = _m.Run("volume", "ls", "-q").Stdout;
            Assert.Equal(new[] { "idle", "named" }, volumes.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());   // named ones stay
            Assert.Equal(0, _m.Run("image", "inspect", "busybox").ExitCode);
            Assert.DoesNotContain("unused-net", _m.Run("network", "ls").Stdout);

            // -a: busybox stays while the running container uses it, goes once nothing does.
            Assert.DoesNotContain("busybox", _m.Run("system", "prune", "-a", "-f").Stdout);
            Assert.Equal(0, _m.Run("image", "inspect", "busybox").ExitCode);
            Assert.Equal(0, _m.Run("rm", "-f", "running").ExitCode);
            var all = _m.Run("system", "prune", "-a", "-f");
            Assert.Contains("untagged: busybox:latest\n", all.Stdout);
            Assert.NotEqual(0, _m.Run("image", "inspect", "busybox").ExitCode);
            Assert.Equal(new[] { "0", "0", "0B", "0B" }, Df()["Images"]);
        }
        finally { _m.Run("rm", "-f", "running"); }
    }

    [Fact]
    public void Flags_MiniRun_lacks_are_refused_in_one_line()
    {
        var filter = _m.Run("system", "prune", "-f", "--filter", "until=1h");
        Assert.Equal(1, filter.ExitCode);
        Assert.Equal("system prune: --filter is not implemented (container prune --filter is)\n", filter.Stderr);
        var verbose = _m.Run("system", "df", "-v");
        Assert.Equal(1, verbose.ExitCode);
        Assert.Equal("system df: --verbose is not implemented (the four totals are)\n", verbose.Stderr);
        var events = _m.Run("system", "events");
        Assert.Equal(1, events.ExitCode);
        Assert.Equal("system events is not implemented in MiniRun\n", events.Stderr);
        // nothing was removed by the refusals
        Assert.Equal(0, _m.Run("image", "inspect", "busybox").ExitCode);
    }
}
