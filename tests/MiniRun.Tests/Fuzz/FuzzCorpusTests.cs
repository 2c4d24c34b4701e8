// FuzzCorpusTests: replays every file of the fuzz corpus (tests/MiniRun.Fuzz/corpus/<target>/:
// the seeds, and every crash afl-fuzz found, kept as crash-<what>) through the same target code
// afl-fuzz runs, so each invariant is checked on every test run and a crash once found stays a
// test. Also checks that every target has seeds and every corpus directory is a target.
// Follows: docs/fuzzing.md.
using MiniRun.Fuzz;

namespace MiniRun.Tests.Fuzz;

public sealed class FuzzCorpusTests
{
    static string CorpusRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "MiniRun.Fuzz", "corpus");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"tests/MiniRun.Fuzz/corpus not found above {AppContext.BaseDirectory}");
    }

    public static TheoryData<string, string> CorpusFiles()
    {
        var data = new TheoryData<string, string>();
        string root = CorpusRoot();
        foreach (string dir in Directory.GetDirectories(root).Order(StringComparer.Ordinal))
            foreach (string file in Directory.GetFiles(dir).Order(StringComparer.Ordinal))
                data.Add(Path.GetFileName(dir), Path.GetFileName(file));
        return data;
    }

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public void Corpus_file_keeps_the_targets_invariants(string target, string file)
    {
        FuzzTargets.Run(target, File.ReadAllBytes(Path.Combine(CorpusRoot(), target, file)));
    }

    [Fact]
    public void Every_target_has_seeds_and_every_corpus_directory_is_a_target()
    {
        string root = CorpusRoot();
        var dirs = Directory.GetDirectories(root).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(FuzzTargets.Names.Order(StringComparer.Ordinal).ToList(), dirs);
        foreach (string t in FuzzTargets.Names)
            Assert.NotEmpty(Directory.GetFiles(Path.Combine(root, t)));
    }

    [Fact]
    public void The_shared_checks_fail_on_an_unexpected_exception_and_on_unbounded_allocation()
    {
        Assert.Throws<ArgumentException>(() => FuzzTargets.Run("no-such-target", []));
        Assert.Throws<IndexOutOfRangeException>(() => FuzzTargets.Run("t", _ => throw new IndexOutOfRangeException(), [1]));
        var e = Assert.Throws<FuzzInvariantException>(() => FuzzTargets.Run("t", _ => GC.KeepAlive(new byte[FuzzTargets.AllocationBudget + 1024]), [1]));
        Assert.StartsWith("t: allocated ", e.Message);
        FuzzTargets.Run("t", _ => GC.KeepAlive(new byte[1024]), [1]);
    }

    [Fact]
    public void The_scratch_check_sees_a_file_written_beside_the_target_and_a_changed_canary()
    {
        using (var s = new Scratch("test"))
        {
            s.Directory("layer");
            s.CheckOnly("layer");
            File.WriteAllText(Path.Combine(s.Root, "escaped"), "x");
            Assert.Contains("written outside the target", Assert.Throws<FuzzInvariantException>(() => s.CheckOnly("layer")).Message);
        }
        using (var s = new Scratch("test"))
        {
            File.WriteAllText(Path.Combine(s.Root, "canary", "file"), "changed");
            Assert.EndsWith("canary changed", Assert.Throws<FuzzInvariantException>(() => s.CheckOnly()).Message);
            Assert.True(Directory.Exists(s.Root));
        }
    }
}
