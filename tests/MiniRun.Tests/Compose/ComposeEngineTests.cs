// ComposeEngineTests: ComposeEngine's verbs that need no container, with the image path faked
// (the engine takes it as a function): `pull` marks each image Pulled or ✘, and a failure without
// --ignore-pull-failures ends the command after printing the lines of what was done.
// Follows: docker compose pull reference (--ignore-pull-failures).
using MiniImage.Store;
using MiniRun.Compose;

namespace MiniRun.Tests.Compose;

public sealed class ComposeEngineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("minirun-compose-engine-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (DirectoryNotFoundException) { }
    }

    private ComposeProject Project(string yaml)
    {
        string d = Path.Combine(_dir, "proj");
        Directory.CreateDirectory(d);
        File.WriteAllText(Path.Combine(d, "compose.yaml"), yaml);
        return ComposeLoader.Load(new ComposeRequest([], null, null, []), d, new Dictionary<string, string>());
    }

    /// <summary>An image path that has "good..." images and fails for anything else, recording what it was asked.</summary>
    private static Func<ImageStore, string, string, ImageSummary> Acquire(List<string> asked) => (_, reference, policy) =>
    {
        asked.Add($"{reference} {policy}");
        if (reference.StartsWith("good", StringComparison.Ordinal)) return new ImageSummary(reference, "latest", "sha256:" + new string('a', 64), "", null, 0);
        throw new InvalidOperationException($"pull {reference}: connection refused");
    };

    private const string ThreeImages = "services:\n  a: {image: good}\n  b: {image: missing}\n  c: {image: good2}\n";

    [Fact]
    public void Pull_failure_is_marked_and_ends_the_command()
    {
        var err = new StringWriter();
        var asked = new List<string>();
        var engine = new ComposeEngine(Path.Combine(_dir, "root"), Project(ThreeImages), err, Acquire(asked));
        var e = Assert.Throws<InvalidOperationException>(() => engine.Pull(engine.Project.Services, ignoreFailures: false));
        Assert.Equal("pull missing: connection refused", e.Message);
        Assert.Equal(["good always", "missing always"], asked);   // stops at the failure
        var lines = err.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("[+] Pulling 1/2", lines[0]);
        Assert.Matches(@"^ ✔ a\s+Pulled$", lines[1]);   // the service, as docker compose v2 prints it
        Assert.Matches(@"^ ✘ b\s+Error$", lines[2]);
    }

    [Fact]
    public void Ignore_pull_failures_pulls_the_rest_and_names_the_error()
    {
        var err = new StringWriter();
        var asked = new List<string>();
        var engine = new ComposeEngine(Path.Combine(_dir, "root"), Project(ThreeImages), err, Acquire(asked));
        engine.Pull(engine.Project.Services, ignoreFailures: true);
        Assert.Equal(["good always", "missing always", "good2 always"], asked);
        Assert.Contains("[+] Pulling 2/3", err.ToString());
        Assert.Matches(@" ✘ b\s+pull missing: connection refused", err.ToString());
    }
}
