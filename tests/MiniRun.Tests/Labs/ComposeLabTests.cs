// ComposeLabTests: the compose lab (docs/labs/en/10-compose.md and its Japanese twin
// docs/labs/ja/10-compose.md) cannot rot: every command of the English lab is run with the real
// binary, in order, and its output compared with the lab's expected output, with the network
// lab's conventions (LabRun.RunEnglishLab, LabFile.Agrees: a "<word>" binds to the text it
// first matched).
//
// Where it runs: inside a network namespace this test creates (NetnsHost: only `lo`, no route
// out), in a scratch directory whose `./minirun` calls the built binary with the NetnsHost's
// temporary --root and a daemon.json of its own, and whose `docs` is a link to the repository's,
// so the lab's `cp -r docs/labs/compose-app app` copies the same app the students copy.
// Cleanup, even when a step fails: NetnsHost removes every container and network of its root and
// deletes the namespace; the scratch directory is deleted.
using MiniRun.Tests.Integration;
using MiniRun.Tests.Network;
using Xunit.Abstractions;

namespace MiniRun.Tests.Labs;

public sealed class ComposeLabTests : IDisposable
{
    public static string EnglishLab => Path.Combine(MiniRunHost.RepoRoot, "docs/labs/en/10-compose.md");
    public static string JapaneseLab => Path.Combine(MiniRunHost.RepoRoot, "docs/labs/ja/10-compose.md");

    private readonly ITestOutputHelper _out;
    private NetnsHost? _host;
    private string? _scratch;

    public ComposeLabTests(ITestOutputHelper output) => _out = output;

    public void Dispose()
    {
        try { _host?.Dispose(); }
        finally { if (_scratch is not null) Directory.Delete(_scratch, recursive: true); }
    }

    [Fact]
    public void Every_command_of_the_english_lab_prints_what_the_lab_says()
    {
        _host = new NetnsHost("{}");
        _scratch = Directory.CreateTempSubdirectory("minirun-composelab-").FullName;
        string wrapper = Path.Combine(_scratch, "minirun");
        File.WriteAllText(wrapper,
            $"#!/bin/sh\nexport {MiniRun.Security.DaemonConfig.PathVariable}='{_host.DaemonConfig}'\n" +
            $"exec '{MiniRunHost.Binary}' --root '{_host.M.Root}' \"$@\"\n");
        File.SetUnixFileMode(wrapper, (UnixFileMode)0x1ed);   // 0755
        File.CreateSymbolicLink(Path.Combine(_scratch, "docs"), Path.Combine(MiniRunHost.RepoRoot, "docs"));

        LabRun.RunEnglishLab("10-compose.md", 15,
            command => LabDocument.Run(_scratch, command, "nsenter", "--net=" + _host.NetnsPath, "--"), _out);
        Assert.Empty(_host.M.ContainerIds());
        Assert.False(Directory.Exists(Path.Combine(_scratch, "app")));
    }

    [Fact]
    public void The_japanese_lab_has_the_same_commands_outputs_and_conditions_as_the_english_one()
    {
        LabDocument.AssertTwinsAgree(EnglishLab, JapaneseLab);
    }

    [Theory]
    [InlineData("en")]
    [InlineData("ja")]
    public void Every_source_file_the_lab_names_exists(string language)
    {
        LabDocument.AssertNamedSourcesExist($"{language}/10-compose.md", 4);
    }
}
