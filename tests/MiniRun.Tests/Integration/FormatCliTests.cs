// FormatCliTests: `--format` and `inspect -f` through the real binary, each expectation what
// Docker's CLI prints for the same command (the handout's view).
using System.Text.Json;

namespace MiniRun.Tests.Integration;

public sealed class FormatCliTests : IDisposable
{
    private readonly MiniRunHost _host = new();

    public void Dispose() => _host.Dispose();

    private string Ok(params string[] args) => _host.Ok(args);

    [Fact]
    public void Ps_Format_TableJsonAndTemplate()
    {
        string id = Ok("create", "--name", "fmt1", "--label", "course=containers", "busybox", "sleep", "1").Trim();
        string shortId = id[..12];

        Assert.Equal($"fmt1 {shortId} created\n", Ok("ps", "-a", "--format", "{{.Names}} {{.ID}} {{.State}}"));
        Assert.Equal($"NAMES     CONTAINER ID   LABEL\nfmt1      {shortId}   containers\n",
            Ok("ps", "-a", "--format", "table {{.Names}}\\t{{.ID}}\\t{{.Label \"course\"}}"));
        Assert.Equal("containers|course=containers|\"sleep 1\"\n", Ok("ps", "-a", "--format", "{{.Label \"course\"}}|{{.Labels}}|{{.Command}}"));

        // The default table is Docker's table format, same widths. CREATED ("Less than a second
        // ago", "1 second ago") can change between two calls: compare whole tables when the plain
        // table read before and after the formatted one agree; where every call takes about a
        // second (the VM's emulated CPU) they never do, and the cells but CREATED are compared.
        string table = "", plain = "";
        bool same = false;
        for (int attempt = 0; attempt < 5 && !same; attempt++)
        {
            plain = Ok("ps", "-a");
            table = Ok("ps", "-a", "--format", "table");
            same = plain == Ok("ps", "-a");
        }
        if (same) Assert.Equal(plain, table);
        else Assert.Equal(CellsButCreated(plain), CellsButCreated(table));
        Assert.StartsWith("CONTAINER ID   IMAGE     COMMAND     CREATED", table);
        Assert.Contains("   Created   ", table);

        var line = Assert.Single(Ok("ps", "-a", "--format", "json").Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using var doc = JsonDocument.Parse(line);
        var keys = doc.RootElement.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(["Command", "CreatedAt", "ID", "Image", "Labels", "LocalVolumes", "Mounts", "Names", "Networks", "Ports", "RunningFor", "Size", "State", "Status"], keys);
        Assert.Equal(shortId, doc.RootElement.GetProperty("ID").GetString());
        Assert.Equal("0", doc.RootElement.GetProperty("LocalVolumes").GetString());
        Assert.Equal("0B", doc.RootElement.GetProperty("Size").GetString());

        var bad = _host.Run("ps", "-a", "--format", "{{.Nope}}");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("template: :1:2: executing \"\" at <.Nope>: can't evaluate field Nope in type *formatter.ContainerContext", bad.Stderr);
        Assert.Equal(64, _host.Run("ps", "--format", "{{.ID").ExitCode);
    }

    /// <summary>A table's cells (separated by two or more spaces), without those that say how long ago.</summary>
    private static string CellsButCreated(string table) =>
        string.Join('\n', table.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l =>
            string.Join('|', System.Text.RegularExpressions.Regex.Split(l.Trim(), " {2,}").Where(c => !c.EndsWith(" ago", StringComparison.Ordinal)))));

    [Fact]
    public void Inspect_Format_GoTemplates()
    {
        Ok("create", "--name", "fmt2", "-e", "A=1", "busybox", "echo", "hi");
        Assert.Equal("created new\n", Ok("inspect", "-f", "{{.State.Status}} {{if eq .State.Status \"created\"}}new{{end}}", "fmt2"));
        Assert.Equal("CREATED echo\n", Ok("inspect", "-f", "{{upper .State.Status}} {{index .Config.Cmd 0}}", "fmt2"));
        Assert.Contains("A=1;", Ok("inspect", "-f", "{{range .Config.Env}}{{.}};{{end}}", "fmt2"));
        Assert.Matches("^[1-9][0-9]*\n$", Ok("inspect", "-f", "{{len .Config.Env}}", "fmt2"));

        var missing = _host.Run("inspect", "-f", "{{.Nope}}", "fmt2");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("template parsing error: template: :1:2: executing \"\" at <.Nope>: map has no entry for key \"Nope\"", missing.Stderr);
        var unclosed = _host.Run("inspect", "-f", "{{.State", "fmt2");
        Assert.Equal(64, unclosed.ExitCode);
        Assert.Contains("template parsing error: template: :1: unclosed action", unclosed.Stderr);
    }

    [Fact]
    public void Images_History_VolumeAndNetworkLs_Format()
    {
        Assert.Equal("busybox:latest\n", Ok("images", "--format", "{{.Repository}}:{{.Tag}}"));
        Assert.StartsWith("REPOSITORY   TAG       IMAGE ID       CREATED", Ok("images", "--format", "table"));
        Assert.Equal(Ok("images"), Ok("images", "--format", "table"));
        using (var doc = JsonDocument.Parse(Ok("images", "--format", "json").Trim()))
        {
            Assert.Equal("busybox", doc.RootElement.GetProperty("Repository").GetString());
            Assert.Equal("N/A", doc.RootElement.GetProperty("Containers").GetString());
        }
        Assert.StartsWith("IMAGE          SIZE\n", Ok("history", "--format", "table {{.ID}}\\t{{.Size}}", "busybox"));

        Ok("volume", "create", "--label", "k=v", "fmtvol");
        Assert.Equal("fmtvol local v\n", Ok("volume", "ls", "--format", "{{.Name}} {{.Driver}} {{.Label \"k\"}}"));
        Assert.Equal("DRIVER    VOLUME NAME\nlocal     fmtvol\n", Ok("volume", "ls", "--format", "table"));
        Ok("volume", "rm", "fmtvol");

        string networks = Ok("network", "ls", "--format", "{{.Name}}/{{.Driver}}/{{.Scope}}");
        Assert.Contains("host/host/local\n", networks);
        Assert.Contains("none/null/local\n", networks);
    }
}

public sealed class InfoVersionCliTests : IDisposable
{
    private readonly MiniRunHost _host = new();

    public void Dispose() => _host.Dispose();

    [Fact]
    public void Info_SystemInfo_AndVersion_ThroughTheBinary()
    {
        Assert.Equal(0, _host.Run("create", "--name", "info1", "busybox", "true").ExitCode);
        var info = _host.Run("info");
        Assert.Equal(0, info.ExitCode);
        Assert.Contains("\n Containers: 1\n  Running: 0\n  Paused: 0\n  Stopped: 1\n Images: 1\n", info.Stdout);
        Assert.Contains($"\n MiniRun Root Dir: {_host.Root}\n", info.Stdout);
        var system = _host.Run("system", "info", "--format", "{{.Containers}}/{{.Images}}/{{.Driver}}");
        Assert.Equal((0, "1/1/overlay2\n"), (system.ExitCode, system.Stdout));

        var version = _host.Run("version");
        Assert.Equal(0, version.ExitCode);
        Assert.StartsWith("Client: MiniRun\n Version:           0.1.0\n", version.Stdout);
        Assert.Equal("0.1.0\n", _host.Run("version", "--format", "{{.Server.Version}}").Stdout);
    }
}
