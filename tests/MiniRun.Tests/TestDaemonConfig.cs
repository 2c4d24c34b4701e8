// TestDaemonConfig: before any test runs, points MINIRUN_DAEMON_CONFIG at a daemon.json that says
// "bridge": "none", for this process and every minirun it starts.
//
// Why: with no daemon.json, `minirun run` puts a container on the default bridge network, which
// makes a bridge, veth pairs and nftables rules in the network namespace MiniRun runs in. Tests
// run in the machine's own namespace unless they make one, and must not change the machine's
// network; so every test gets Docker's `"bridge": "none"` (containers default to --network none,
// as before MiniRun had networking). Networking tests (Network/) run MiniRun inside a network
// namespace they create, with a daemon.json of their own.
//
// Follows: dockerd(8) "--bridge none"; C# module initializers.
using System.Runtime.CompilerServices;

namespace MiniRun.Tests;

internal static class TestDaemonConfig
{
    public static string Path { get; private set; } = "";

    [ModuleInitializer]
    internal static void Init()
    {
        if (Environment.GetEnvironmentVariable(MiniRun.Security.DaemonConfig.PathVariable) is { Length: > 0 } given)
        {
            Path = given;   // the caller chose one (it should say "bridge": "none" too)
            return;
        }
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"minirun-test-daemon-{Environment.ProcessId}.json");
        File.WriteAllText(Path, """{ "bridge": "none" }""");
        Environment.SetEnvironmentVariable(MiniRun.Security.DaemonConfig.PathVariable, Path);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { File.Delete(Path); } catch (IOException) { } };
    }
}
