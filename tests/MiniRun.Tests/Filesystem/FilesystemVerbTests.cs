// FilesystemVerbTests: diff, commit, export and cp against real stopped and running containers
// (the real minirun binary, the busybox fixture, a temporary root per test).
//
// Why: these verbs make copy-on-write visible; they must agree with what a container sees, and
// cp must never let a symlink inside a container (/evil -> /) reach the host. Every test checks
// that no mount is left behind in this process's mount namespace.
// Follows: docker-diff(1), docker-commit(1), docker-export(1), docker-cp(1).
using System.Diagnostics;
using System.Text.Json;
using MiniRun.Tests.Integration;

namespace MiniRun.Tests.Filesystem;

[Collection(MiniRun.Tests.Oci.OciEngineTests.HostMountTable)]
public sealed class FilesystemVerbTests : IDisposable
{
    private readonly MiniRunHost _host = new();
    private readonly string _work = Directory.CreateTempSubdirectory("minirun-fs-test-").FullName;
    private readonly string[] _mountsBefore = MiniRunHost.HostMounts();
    private readonly string _escape = "minirun-escape-" + Guid.NewGuid().ToString("N");
    private Process? _running;

    public void Dispose()
    {
        try
        {
            if (_running is { HasExited: false }) _running.Kill(entireProcessTree: true);
            _running?.WaitForExit(10_000);
            _running?.Dispose();
        }
        finally
        {
            _host.Dispose();
            MiniImage.Layers.TreeRemover.DeletePath(_work);   // holds a name that is not UTF-8
            File.Delete(Path.Combine("/tmp", _escape));
        }
    }

    private RunResult Ok(params string[] args)
    {
        var r = _host.Run(args);
        Assert.True(r.ExitCode == 0, $"minirun {string.Join(' ', args)} -> {r.ExitCode}: {r.Stderr}");
        return r;
    }

    private void Stopped(string name, string script) =>
        Ok("run", "--pull", "never", "--name", name, "busybox", "sh", "-c", script);

    private void NoMountsLeft() => Assert.Equal(_mountsBefore.Order(), MiniRunHost.HostMounts().Order());

    [Fact]
    public void Diff_ShowsAddedChangedDeleted_Sorted()
    {
        Stopped("fsdiff", "echo hi > /new; rm /bin/ls; mkdir -p /d/e");
        var lines = Ok("diff", "fsdiff").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["C /bin", "D /bin/ls", "A /d", "A /d/e", "A /new"], lines);
        NoMountsLeft();
    }

    [Fact]
    public void NamesThatAreNotUtf8_SurviveDiffCommitExportAndCp()
    {
        // A file name with the byte 0xff: diff lists it (as Docker, with U+FFFD on the terminal),
        // commit keeps its bytes, export writes them, cp copies them out.
        Stopped("fsbytes", "mkdir /d; echo hi > \"/d/$(printf '\\377x')\"");
        var lines = Ok("diff", "fsbytes").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["A /d", "A /d/\ufffdx"], lines);

        Ok("commit", "fsbytes", "bytes:v1");
        Assert.Equal("hi\n", Ok("run", "--pull", "never", "--rm", "bytes:v1", "sh", "-c", "cat \"/d/$(printf '\\377x')\"").Stdout);

        string tar = Path.Combine(_work, "bytes.tar");
        Ok("export", "-o", tar, "fsbytes");
        Assert.Contains("d/\\377x", Tool("tar", "--quoting-style=escape", "-tf", tar).Split('\n'));

        string dest = Path.Combine(_work, "cp");
        Directory.CreateDirectory(dest);
        Ok("cp", "fsbytes:/d", dest);
        Assert.Equal("\\377x\n", Tool("ls", "-b", Path.Combine(dest, "d")));

        // Removal: rm of the container and rmi of the image leave nothing behind (.NET's own
        // Directory.Delete fails on such a name: "Directory not empty").
        Ok("rm", "fsbytes");
        Ok("rmi", "bytes:v1");
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_host.Root, "tmp")));
        Assert.DoesNotContain(Directory.EnumerateDirectories(Path.Combine(_host.Root, "containers")), d => Path.GetFileName(d).StartsWith(".removed-"));
        Assert.Single(Directory.EnumerateDirectories(Path.Combine(_host.Root, "layers")));   // busybox's own layer
        NoMountsLeft();
    }

    [Fact]
    public void Diff_UnknownContainer_Exit1()
    {
        var r = _host.Run("diff", "nosuch");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("No such container: nosuch", r.Stderr);
    }

    [Fact]
    public void Commit_ThenRun_SeesTheChanges()
    {
        Stopped("fscommit", "echo hi > /new; rm /bin/ls");
        string id = Ok("commit", "-m", "my message", "-a", "Ann", "-c", "CMD [\"cat\", \"/new\"]", "-c", "ENV GREETING=hello", "fscommit", "committed:v1").Stdout.Trim();
        Assert.Matches("^sha256:[0-9a-f]{64}$", id);
        Assert.Contains("committed", Ok("images").Stdout);

        Assert.Equal("hi\n", Ok("run", "--pull", "never", "--rm", "committed:v1").Stdout);
        var check = Ok("run", "--pull", "never", "--rm", "committed:v1", "sh", "-c", "test -e /bin/ls; echo $? $GREETING");
        Assert.Equal("1 hello\n", check.Stdout);
        NoMountsLeft();
    }

    [Fact]
    public void Export_HasTheMergedTree()
    {
        Stopped("fsexport", "echo hi > /new; rm /bin/ls; ln -s /new /link");
        string tar = Path.Combine(_work, "out.tar");
        Ok("export", "-o", tar, "fsexport");
        var list = Tool("tar", "-tvf", tar).Split('\n');
        Assert.Contains(list, l => l.EndsWith(" new"));
        Assert.Contains(list, l => l.EndsWith(" bin/busybox"));
        Assert.Contains(list, l => l.StartsWith('l') && l.EndsWith(" link -> /new"));
        Assert.DoesNotContain(list, l => l.EndsWith(" bin/ls"));
        Assert.DoesNotContain(list, l => l.Contains(".wh."));
        Assert.Equal("hi\n", Tool("tar", "-xOf", tar, "new"));
        NoMountsLeft();
    }

    [Fact]
    public void Cp_BothWays_StoppedContainer()
    {
        Stopped("fscp", "mkdir -p /data/sub; echo inside > /data/sub/f; echo hi > /new");
        Ok("cp", "fscp:/new", _work);
        Assert.Equal("hi\n", File.ReadAllText(Path.Combine(_work, "new")));
        Ok("cp", "fscp:/data", Path.Combine(_work, "copied"));
        Assert.Equal("inside\n", File.ReadAllText(Path.Combine(_work, "copied/sub/f")));

        string local = Path.Combine(_work, "local");
        Directory.CreateDirectory(Path.Combine(local, "x"));
        File.WriteAllText(Path.Combine(local, "x/file"), "from host\n");
        Ok("cp", local, "fscp:/tmp");
        Ok("cp", Path.Combine(local, "x/file"), "fscp:/renamed");
        Assert.Contains("A /tmp/local/x/file", Ok("diff", "fscp").Stdout);
        Assert.Contains("A /renamed", Ok("diff", "fscp").Stdout);
        Ok("cp", "fscp:/tmp/local/x/file", Path.Combine(_work, "back"));
        Assert.Equal("from host\n", File.ReadAllText(Path.Combine(_work, "back")));

        // `-`: a tar stream on stdout.
        Assert.Contains("hi\n", Ok("cp", "fscp:/new", "-").Stdout);
        NoMountsLeft();
    }

    [Fact]
    public void Cp_SymlinkToRoot_CannotReachTheHost_Stopped()
    {
        Stopped("fsevil", "ln -s / /evil");
        string file = Path.Combine(_work, "payload");
        File.WriteAllText(file, "pwned\n");
        Ok("cp", file, $"fsevil:/evil/tmp/{_escape}");
        Assert.False(File.Exists(Path.Combine("/tmp", _escape)), "cp followed the container's /evil symlink to the host");
        Ok("cp", $"fsevil:/tmp/{_escape}", Path.Combine(_work, "inside"));
        Assert.Equal("pwned\n", File.ReadAllText(Path.Combine(_work, "inside")));
        NoMountsLeft();
    }

    [Fact]
    public void Cp_IntoRunningContainer_StaysInside()
    {
        _running = _host.Start("run", "--pull", "never", "--name", "fsrun", "busybox", "sh", "-c", "ln -s / /evil; sleep 30");
        WaitRunning("fsrun");
        string file = Path.Combine(_work, "payload");
        File.WriteAllText(file, "live\n");
        // /evil may not exist yet when the record says running: retry until the container made it.
        for (int i = 0; i < 100 && !Ok("diff", "fsrun").Stdout.Contains("A /evil"); i++) Thread.Sleep(100);
        Ok("cp", file, $"fsrun:/evil/tmp/{_escape}");
        Assert.False(File.Exists(Path.Combine("/tmp", _escape)), "cp followed the container's /evil symlink to the host");
        Ok("cp", $"fsrun:/tmp/{_escape}", Path.Combine(_work, "inside"));
        Assert.Equal("live\n", File.ReadAllText(Path.Combine(_work, "inside")));
        NoMountsLeft();
    }

    private void WaitRunning(string name)
    {
        for (int i = 0; i < 300; i++)
        {
            try
            {
                var state = _host.Record(name).GetProperty("State");
                if (state.GetProperty("Status").GetString() == "running" && state.GetProperty("Pid").GetInt32() > 0) return;
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or JsonException or KeyNotFoundException) { }
            Thread.Sleep(100);
        }
        throw new InvalidOperationException($"container {name} never reached running");
    }

    private static string Tool(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)}: {p.StandardError.ReadToEnd()}");
        return output;
    }
}
