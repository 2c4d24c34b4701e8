// OciBundle: a bundle as other tools make one (`umoci unpack` of the busybox fixture), a
// temporary state root, and `minirun-oci` run against them - what an engine does.
//
// Needs: root, umoci (installed by .ci/install-deps.sh), artifacts/bin/minirun. The container's
// stdio goes to files in the bundle (never a pipe this test reads: the container keeps its copy
// open). Dispose kills whatever is left in the state root and removes both directories.
using System.Diagnostics;
using System.Text.Json.Nodes;
using MiniRun.Tests.Integration;

namespace MiniRun.Tests.Oci;

public sealed class OciBundle : IDisposable
{
    public string Dir { get; }
    public string StateRoot { get; }
    public string Rootfs => Path.Combine(Dir, "rootfs");
    public static string Oci => Path.Combine(Path.GetDirectoryName(MiniRunHost.Binary)!, "minirun-oci");
    /// <summary>The minirun-oci this bundle runs with (a test may point it at a copy of the binary).</summary>
    public string Runtime { get; set; } = Oci;

    public OciBundle(params string[] args)
    {
        Dir = Path.Combine(Path.GetTempPath(), "minirun-oci-test-" + Guid.NewGuid().ToString("N")[..12]);
        StateRoot = Dir + "-state";
        var unpack = Shell($"umoci unpack --image '{MiniRunHost.FixtureLayout}:latest' '{Dir}' >/dev/null 2>&1");
        Assert.True(unpack == 0, "umoci unpack of the busybox fixture failed");
        if (!File.Exists(Oci)) File.CreateSymbolicLink(Oci, "minirun");
        Edit(c =>
        {
            c["process"]!["terminal"] = false;
            c["process"]!["args"] = new JsonArray(args.Select(a => (JsonNode)JsonValue.Create(a)!).ToArray());
        });
    }

    /// <summary>Changes config.json.</summary>
    public void Edit(Action<JsonObject> change)
    {
        string path = Path.Combine(Dir, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        change(config);
        File.WriteAllText(path, config.ToJsonString());
    }

    /// <summary>`minirun-oci --root STATE ARGS`: exit code and stderr; stdout (of minirun-oci and the container) into out.</summary>
    public (int Code, string Out, string Err) Run(params string[] args)
    {
        string id = Guid.NewGuid().ToString("N")[..8];
        string outFile = Path.Combine(Dir, $"out-{id}"), errFile = Path.Combine(Dir, $"err-{id}");
        string quoted = string.Join(' ', args.Select(a => "'" + a.Replace("'", "'\\''") + "'"));
        int code = Shell($"'{Runtime}' --root '{StateRoot}' {quoted} </dev/null >'{outFile}' 2>'{errFile}'");
        return (code, File.ReadAllText(outFile), File.ReadAllText(errFile));
    }

    public JsonObject State(string id)
    {
        var (code, output, err) = Run("state", id);
        Assert.True(code == 0, $"state {id}: {err}");
        return JsonNode.Parse(output)!.AsObject();
    }

    /// <summary>Waits up to 10 s for a file the container writes into its rootfs.</summary>
    public string WaitForFile(string name)
    {
        string path = Path.Combine(Rootfs, name);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!File.Exists(path) || new FileInfo(path).Length == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the container did not write /{name}");
            Thread.Sleep(20);
        }
        return File.ReadAllText(path);
    }

    public static int Shell(string command)
    {
        using var p = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", command]))!;
        p.WaitForExit();
        return p.ExitCode;
    }

    public void Dispose()
    {
        if (Directory.Exists(StateRoot))
            foreach (var dir in Directory.GetDirectories(StateRoot))
                Run("delete", "--force", Path.GetFileName(dir));
        try { Directory.Delete(StateRoot, true); } catch (DirectoryNotFoundException) { }
        try { Directory.Delete(Dir, true); } catch (DirectoryNotFoundException) { }
    }
}
