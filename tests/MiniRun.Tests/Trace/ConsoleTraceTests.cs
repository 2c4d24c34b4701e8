// ConsoleTraceTests: `--trace` for a projector. The names it gives long paths ($BUNDLE, $ROOTFS,
// ...): printed once with their value, used in every later line (init's raw lines too), the
// longest path first so $ROOTFS is not shown as $BUNDLE/rootfs. Every step heading numbered, no
// call number twice (init's included), every line at most 100 terminal columns (Japanese
// characters count two), and a closing summary. A real `run --rm --trace busybox true` is held to
// the same rules, in English and with LANG=ja_JP.UTF-8.
using System.Text.RegularExpressions;
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
        trace.Step(Messages.PivotRootTitle.With("/r/containers/abc/rootfs"), Messages.HostnameWhy);
        trace.Call("mount(\"overlay\", \"/r/containers/abc/rootfs\", \"upperdir=/r/containers/abc/upper\")", "0");
        trace.Raw("[9] chdir(\"/r/containers/abc/rootfs/dev\") = 0");
        trace.Note(Messages.BundleNote.With("/r/containers/abc"));
        trace.Call("chdir(\"/\")", "0");                 // after init's [9]: never a number twice
        string expected =
            "[1] mkdir /r/containers/abc = 0\n" +
            "     $BUNDLE = /r/containers/abc\n" +
            "     $ROOTFS = $BUNDLE/rootfs\n" +
            $"── 1. {Messages.PivotRootTitle.With("$ROOTFS")}\n   {Messages.HostnameWhy}\n" +
            "[2] mount(\"overlay\", \"$ROOTFS\", \"upperdir=$BUNDLE/upper\") = 0\n" +
            "[9] chdir(\"$ROOTFS/dev\") = 0\n" +
            $"     {Messages.BundleNote.With("$BUNDLE")}\n" +
            "[10] chdir(\"/\") = 0\n";
        Assert.Equal(expected, output.ToString().Replace("\r\n", "\n"));
    }

    [Fact]
    public void A_long_line_is_wrapped_to_100_columns_counting_japanese_characters_as_two()
    {
        Assert.Equal(2, DisplayWidth.Of("名"));
        Assert.Equal(1, DisplayWidth.Of("a"));
        Assert.Equal(8, DisplayWidth.Of("名前空間"));
        string call = "[171] capset(" + string.Join("|", Enumerable.Repeat("CAP_NET_BIND_SERVICE", 12)) + ") = 0";
        var wrapped = DisplayWidth.WrapAll(call, 100).Split('\n');
        Assert.True(wrapped.Length > 1);
        Assert.All(wrapped, l => Assert.True(DisplayWidth.Of(l) <= 100, l));
        Assert.Equal(call.Replace(" ", ""), string.Concat(wrapped.Select(l => l.Trim())).Replace(" ", ""));   // nothing lost
        string japanese = "     " + string.Concat(Enumerable.Repeat("コンテナの最初のプロセスを作る。", 12));
        var lines = DisplayWidth.WrapAll(japanese, 100).Split('\n');
        Assert.True(lines.Length > 1);
        Assert.All(lines, l => Assert.True(DisplayWidth.Of(l) <= 100, $"{DisplayWidth.Of(l)} columns: {l}"));
        Assert.Equal(japanese.Trim(), string.Concat(lines.Select(l => l.Trim())));
    }

    [Fact]
    public void The_summary_lists_every_kind_and_says_none_where_nothing_was_recorded()
    {
        var output = new StringWriter();
        var trace = new ConsoleTrace(output, pause: false);
        trace.Step(Messages.CloneTitle, Messages.CloneWhy);
        trace.Fact(TraceFact.Namespaces, "pid");
        trace.Fact(TraceFact.Namespaces, "mnt");
        trace.Fact(TraceFact.Mounts, "proc /proc");
        trace.Fact(TraceFact.Command, "/bin/true (PID 1)");
        trace.Summary();
        var lines = output.ToString().Split('\n');
        Assert.Contains($"── 2. {Messages.SummaryTitle}", lines);
        Assert.Contains($"     {Messages.FactLabel(TraceFact.Namespaces)}: pid mnt", lines);
        Assert.Contains($"     {Messages.FactLabel(TraceFact.Mounts)}: 1: proc /proc", lines);
        Assert.Contains($"     {Messages.FactLabel(TraceFact.UidMap)}: {Messages.FactNone(TraceFact.UidMap)}", lines);
        Assert.Contains($"     {Messages.FactLabel(TraceFact.Command)}: /bin/true (PID 1)", lines);
    }

    [Fact]
    public void A_traced_run_names_its_paths_before_the_first_step()
    {
        using var m = new MiniRunHost();
        var r = m.RunWith(null, new Dictionary<string, string> { ["LC_ALL"] = "C" }, "run", "--rm", "--trace", "busybox", "true");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = Regex.Replace(r.Stderr, @"\n {7}(?=\S)", "").Split('\n');   // a long path's line is wrapped: joined again here
        Assert.StartsWith("     $BUNDLE = " + m.Root + "/containers/", lines[0]);
        Assert.Equal("     $ROOTFS = $BUNDLE/rootfs", lines[1]);
        Assert.Equal("     $LAYERS = " + m.Root + "/layers", lines[2]);
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^── \d+\. pivot_root into \$ROOTFS$"));
        Assert.DoesNotContain(m.Root + "/containers/", string.Join('\n', lines.Skip(1)));   // only on its own line
    }

    [Theory]
    [InlineData("C")]
    [InlineData("ja_JP.UTF-8")]
    public void A_traced_run_fits_100_columns_numbers_each_step_and_call_once_and_ends_with_a_summary(string locale)
    {
        using var m = new MiniRunHost();
        var r = m.RunWith(null, new Dictionary<string, string> { ["LC_ALL"] = "", ["LC_MESSAGES"] = "", ["LANG"] = locale },
            "run", "--rm", "--trace", "busybox", "true");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = r.Stderr.TrimEnd('\n').Split('\n');
        Assert.All(lines, l => Assert.True(DisplayWidth.Of(l) <= 100, $"{DisplayWidth.Of(l)} columns: {l}"));
        var steps = lines.Select(l => Regex.Match(l, @"^── (\d+)\. ")).Where(x => x.Success).Select(x => int.Parse(x.Groups[1].Value)).ToList();
        Assert.Equal(Enumerable.Range(1, steps.Count), steps);   // 1, 2, 3... each once
        var calls = lines.Select(l => Regex.Match(l, @"^\[(\d+)\] ")).Where(x => x.Success).Select(x => int.Parse(x.Groups[1].Value)).ToList();
        Assert.True(calls.Count > 50, $"only {calls.Count} calls");
        Assert.Equal(calls.Count, calls.Distinct().Count());
        // every call comes under a step heading: before the first heading there are only the named paths
        int firstStep = Array.FindIndex(lines, l => l.StartsWith("── ", StringComparison.Ordinal));
        Assert.All(lines.Take(firstStep), l => Assert.Matches(@"^     \$[A-Z]+ = |^ {7}\S", l));   // a name, or its wrapped value
        // the kernel calls are the same in every language
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^\[\d+\] pivot_root\(""\."", ""\.""\) = 0$"));
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^\[\d+\] execve\(""/bin/true"""));
        bool ja = locale.StartsWith("ja", StringComparison.Ordinal);
        string Say(Narration n) => ja ? n.Ja : n.En;
        Assert.Contains(lines, l => l.EndsWith(". " + Say(Messages.PivotRootTitle.With("$ROOTFS")), StringComparison.Ordinal));
        int summary = Array.FindIndex(lines, l => l == $"── {steps[^1]}. {Say(Messages.SummaryTitle)}");
        Assert.True(summary > 0, "no summary at the end:\n" + string.Join('\n', lines.TakeLast(12)));
        string rest = string.Join('\n', lines.Skip(summary + 1));
        foreach (var fact in Enum.GetValues<TraceFact>())
            Assert.Contains("     " + Say(Messages.FactLabel(fact)) + ": ", rest);
        Assert.Contains("pid mnt uts ipc", rest);
        Assert.Contains(Say(Messages.FactLabel(TraceFact.Command)) + ": /bin/true (PID 1)", rest);
        Assert.Contains("proc /proc", rest);
    }

    [Fact]
    public void Exec_and_rm_are_traced_step_by_step_within_100_columns()
    {
        using var m = new MiniRunHost();
        var env = new Dictionary<string, string> { ["LC_ALL"] = "C" };
        var run = m.Run("run", "-d", "--network", "none", "busybox", "sleep", "60");
        Assert.True(run.ExitCode == 0, run.Stderr);
        string id = run.Stdout.Trim();
        var exec = m.RunWith(null, env, "exec", "--trace", id, "true");
        Assert.True(exec.ExitCode == 0, exec.Stderr);
        var lines = exec.Stderr.TrimEnd('\n').Split('\n');
        Assert.All(lines, l => Assert.True(DisplayWidth.Of(l) <= 100, l));
        int setns = Array.FindIndex(lines, l => l.EndsWith(". " + Messages.ExecSetnsTitle.En, StringComparison.Ordinal));
        int clone = Array.FindIndex(lines, l => l.EndsWith(". " + Messages.ExecPidCloneTitle.En, StringComparison.Ordinal));
        Assert.True(setns > 0 && clone > setns, exec.Stderr);
        foreach (var ns in new[] { "pid", "mnt", "uts", "ipc" })
            Assert.Contains(lines[setns..clone], l => l.Contains($"setns(open(\"/proc/") && l.Contains($"/ns/{ns}\"), 0) = 0"));
        Assert.Contains(lines, l => l.EndsWith(". " + Messages.SummaryTitle.En, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("     " + Messages.FactLabel(TraceFact.Command).En + ": /bin/true", StringComparison.Ordinal));

        string name = m.Run("inspect", "-f", "{{.Name}}", id).Stdout.Trim().TrimStart('/');
        var rm = m.RunWith(null, env, "rm", "-f", "--trace", id);
        Assert.True(rm.ExitCode == 0, rm.Stderr);
        var rmLines = rm.Stderr.TrimEnd('\n').Split('\n');
        Assert.All(rmLines, l => Assert.True(DisplayWidth.Of(l) <= 100, l));
        int Step(Narration title) => Array.FindIndex(rmLines, l => Regex.IsMatch(l, @"^── \d+\. ") && l.Contains(title.En.Split('{')[0]));
        int supervisor = Step(Messages.RmSupervisorTitle), core = Step(Messages.RmCoreTitle), store = Step(Messages.RmNameTitle), files = Step(Messages.RmFilesTitle);
        Assert.True(0 <= supervisor && supervisor < core && core < store && store < files, rm.Stderr);
        Assert.Equal(-1, Step(Messages.RmNetworkTitle));   // --network none: no network of its own to take down
        // PID 1 ends by the core's kill(2), or (cgroup v2) already by the cgroup.kill written before it.
        Assert.True(rmLines.Any(l => Regex.IsMatch(l, @"^\[\d+\] kill\(\d+, SIGKILL\) = ") || l.Contains("cgroup.kill")), rm.Stderr);
        Assert.DoesNotMatch(@"\{\d+\}", rm.Stderr);   // every placeholder filled (the store step's name was not)
        TraceText.Contains(Messages.RmNameTitle.With(name).En, rm.Stderr);
        // the closing summary: what went, read before it went
        int summary = Step(Messages.RmSummaryTitle);
        Assert.True(summary > files, rm.Stderr);
        string said = string.Join('\n', rmLines.Skip(summary));
        TraceText.Matches(Regex.Escape(TraceText.Squash($"{Messages.RmSummaryProcesses.En}: {Messages.RmProcessesValue.With("HOSTPID").En}"))
            .Replace("HOSTPID", @"\d+"), said);
        TraceText.Contains($"{Messages.RmSummaryMounts.En}: {Messages.RmMountsValue.En}", said);
        TraceText.Contains($"{Messages.RmSummaryNetwork.En}: {Messages.RmNetworkNone.En}", said);   // --network none
        TraceText.Contains($"{Messages.RmSummaryVolumes.En}: {Messages.RmVolumesKept.En}", said);   // no -v
        TraceText.Contains($"{Messages.RmSummaryFiles.En}: {Messages.RmFilesValue.With("$CONTAINER").En}", said);
        Assert.Contains($"     {Messages.RmSummaryCgroup.En}: ", said);
        Assert.Empty(m.ContainerIds());
    }

    [Fact]
    public void An_unpacked_layer_is_a_step_with_its_digest_media_type_entries_whiteouts_and_place()
    {
        var output = new StringWriter();
        var trace = new ConsoleTrace(output, pause: false);
        trace.Name("LAYERS", "/r/layers");
        MiniRun.Engine.LayerTrace.Narrate(trace, new MiniImage.Layers.LayerUnpacked("sha256:" + new string('a', 64),
            "application/vnd.oci.image.layer.v1.tar+gzip", 1234, new MiniImage.Layers.UnpackResult("sha256:" + new string('b', 64), 99, 6, 1, 2),
            "/r/layers/" + new string('b', 64)));
        var lines = output.ToString().Split('\n');
        Assert.Contains($"── 1. {Messages.LayerTitle.With("sha256:aaaaaaaaaaaa")}", lines);
        string text = string.Join(' ', lines.Select(l => l.Trim()));
        Assert.Contains("application/vnd.oci.image.layer.v1.tar+gzip, 1234 bytes", text);
        Assert.Contains("6 tar entries applied: 1 whiteout(s)", text);
        Assert.Contains("2 opaque dir(s)", text);
        Assert.Contains("landed in $LAYERS/bbbb", text);
        Assert.All(lines, l => Assert.True(DisplayWidth.Of(l) <= 100, l));
    }
}
