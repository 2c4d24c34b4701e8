// InspectIntegrationTests: `inspect`, `top` and `ps` of a real running busybox container (the
// real binary, a temporary --root): its PID 1 is in its own PID namespace, top shows host PIDs
// and NSPID 1, -f reads the pid.
//
// The container is a foreground `run ... sleep 30` started as a child process; Dispose kills
// that child and MiniRunHost kills the recorded container process and removes the root.
using System.Diagnostics;
using System.Text.Json;
using MiniRun.Tests.Integration;

namespace MiniRun.Tests.Inspect;

public sealed class InspectIntegrationTests : IDisposable
{
    private readonly MiniRunHost _host = new();
    private readonly Process _run;

    public InspectIntegrationTests()
    {
        _run = _host.Start("run", "--pull", "never", "--name", "sleeper", "busybox", "sleep", "30");
        for (int i = 0; i < 1000; i++)
        {
            try
            {
                if (_host.Record("sleeper").GetProperty("State").GetProperty("Status").GetString() == "running") return;
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or JsonException or DirectoryNotFoundException) { }
            if (_run.HasExited) throw new InvalidOperationException($"run exited {_run.ExitCode}: {_run.StandardError.ReadToEnd()}");
            Thread.Sleep(20);
        }
        throw new InvalidOperationException("the container did not reach running");
    }

    public void Dispose()
    {
        try { if (!_run.HasExited) _run.Kill(entireProcessTree: true); _run.WaitForExit(); } catch (InvalidOperationException) { }
        _run.Dispose();
        _host.Dispose();
    }

    [Fact]
    public void InspectShowsThePidAndNamespacesOfTheRunningContainer()
    {
        int pid = _host.Record("sleeper").GetProperty("State").GetProperty("Pid").GetInt32();
        var f = _host.Run("inspect", "-f", "{{.State.Pid}} {{.State.Status}} {{.Name}}", "sleeper");
        Assert.Equal(0, f.ExitCode);
        Assert.Equal($"{pid} running /sleeper", f.Stdout.Trim());

        var doc = JsonDocument.Parse(_host.Run("inspect", "sleeper").Stdout).RootElement[0];
        var ns = doc.GetProperty("MiniRun").GetProperty("Namespaces").EnumerateArray().ToDictionary(n => n.GetProperty("Type").GetString()!);
        Assert.False(ns["pid"].GetProperty("Shared").GetBoolean());
        Assert.False(ns["mnt"].GetProperty("Shared").GetBoolean());
        Assert.Equal(File.ResolveLinkTarget($"/proc/{pid}/ns/pid", false)!.Name, ns["pid"].GetProperty("Inode").GetString());
        Assert.Equal(new[] { "sleep", "30" }, new[] { doc.GetProperty("Path").GetString(), doc.GetProperty("Args")[0].GetString() });
    }

    [Fact]
    public void TopShowsHostAndContainerPids()
    {
        int pid = _host.Record("sleeper").GetProperty("State").GetProperty("Pid").GetInt32();
        var top = _host.Run("top", "--nspid", "sleeper");   // --nspid: MiniRun's column; Docker's top has none
        Assert.Equal(0, top.ExitCode);
        var lines = top.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches("^UID +PID +NSPID +PPID +C +STIME +TTY +TIME +CMD$", lines[0]);
        var row = lines.Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Single(r => r[1] == pid.ToString());
        Assert.Equal("1", row[2]);
        Assert.EndsWith("sleep 30", lines.First(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1] == pid.ToString()));
    }

    [Fact]
    public void PsListsItAsUp()
    {
        var ps = _host.Run("ps");
        Assert.Equal(0, ps.ExitCode);
        Assert.Matches(@"busybox +""sleep 30"" +.* ago +Up .*sleeper", ps.Stdout);
    }

    [Fact]
    public void UnknownAndStoppedGiveDockersErrors()
    {
        var none = _host.Run("inspect", "nosuch");
        Assert.Equal(1, none.ExitCode);
        Assert.Contains("Error: No such object: nosuch", none.Stderr);
        var top = _host.Run("top", "nosuch");
        Assert.Equal(1, top.ExitCode);
        Assert.Contains("No such container: nosuch", top.Stderr);
        Assert.Equal(0, _host.Run("run", "--pull", "never", "--name", "done", "busybox", "true").ExitCode);
        string id = _host.Record("done").GetProperty("Id").GetString()!;
        var stopped = _host.Run("top", "done");
        Assert.Equal(1, stopped.ExitCode);
        Assert.Contains($"Error response from daemon: container {id} is not running", stopped.Stderr);
    }
}
