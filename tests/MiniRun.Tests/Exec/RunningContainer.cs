// RunningContainer: a container started in the foreground (`minirun run`, a child process of the
// test) and left running, so exec tests have something to enter until `run -d` exists.
//
// Why: the exec tests need a live container whose PID 1 is recorded as running. Start waits
// until container.json says "running" (polling; a fail-safe limit, not a timing assertion).
// Dispose kills the foreground `minirun run` it started and the container's PID 1 (by its
// recorded pid and start time: only what this test created), then waits for both.
using System.Diagnostics;
using System.Text.Json;
using MiniRun.Tests.Integration;

namespace MiniRun.Tests.Exec;

public sealed class RunningContainer : IDisposable
{
    public MiniRunHost Host { get; }
    public string Name { get; }
    public Process Run { get; }
    public string Id { get; private set; } = "";
    public int Pid { get; private set; }

    public RunningContainer(MiniRunHost host, string name, params string[] runArgs)
    {
        Host = host;
        Name = name;
        Run = host.Start(["run", "--pull", "never", "--name", name, .. runArgs]);
        for (int i = 0; i < 600; i++)
        {
            if (Run.HasExited)
                throw new InvalidOperationException($"run {name} ended early ({Run.ExitCode}): {Run.StandardError.ReadToEnd()}");
            try
            {
                var record = host.Record(name);
                var state = record.GetProperty("State");
                if (state.GetProperty("Status").GetString() == "running")
                {
                    Id = record.GetProperty("Id").GetString()!;
                    Pid = state.GetProperty("Pid").GetInt32();
                    return;
                }
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or JsonException or KeyNotFoundException or DirectoryNotFoundException) { }
            Thread.Sleep(50);
        }
        Dispose();
        throw new TimeoutException($"container {name} did not reach \"running\" within 30 s");
    }

    /// <summary>`minirun exec` with these arguments (flags, then the container is added by the caller).</summary>
    public RunResult Exec(params string[] args) => Host.Run(["exec", .. args]);

    public void Dispose()
    {
        try { if (!Run.HasExited) Run.Kill(); } catch (InvalidOperationException) { }
        try
        {
            var state = Host.Record(Name).GetProperty("State");
            int pid = state.GetProperty("Pid").GetInt32();
            ulong start = state.GetProperty("PidStartTime").GetUInt64();
            if (pid > 0 && MiniRun.Runtime.ProcessIdentity.IsAlive(pid, start)) kill(pid, 9);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or JsonException or KeyNotFoundException) { }
        Run.WaitForExit(30_000);
        Run.Dispose();
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern int kill(int pid, int sig);
}
