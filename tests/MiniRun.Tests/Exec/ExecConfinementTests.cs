// ExecConfinementTests: `minirun exec` gives the command the container's confinement from its
// config.json process (capabilities, no_new_privs, rlimits, umask) and linux.seccomp, as Docker's
// exec does. `run` writes Docker's defaults (14 capabilities, the default seccomp profile); the
// test then replaces them in the container's config.json - the file exec reads each time - while
// the container runs, and the next exec has the new ones.
//
// Needs root, the NativeAOT binary and the busybox fixture (see MiniRunHost).
using System.Text.Json.Nodes;
using MiniRun.Tests.Integration;

namespace MiniRun.Tests.Exec;

public sealed class ExecConfinementTests
{
    [Fact]
    public void ExecGetsTheCapabilitiesNoNewPrivsSeccompAndLimitsOfTheContainersConfig()
    {
        using var host = new MiniRunHost();
        using var c = new RunningContainer(host, "confined", "busybox", "sleep", "300");
        var before = c.Exec("confined", "grep", "-E", "^(CapBnd|NoNewPrivs|Seccomp):", "/proc/self/status");
        Assert.Contains("NoNewPrivs:\t0", before.Stdout.Split('\n'));   // the defaults `run` wrote: Docker's 14, the default filter
        Assert.Contains("Seccomp:\t2", before.Stdout.Split('\n'));
        Assert.Contains("CapBnd:\t00000000a80425fb", before.Stdout.Split('\n'));

        string path = Path.Combine(host.Root, "containers", c.Id, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var process = config["process"]!.AsObject();
        JsonArray Caps() => new("CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE");
        process["capabilities"] = new JsonObject { ["bounding"] = Caps(), ["effective"] = Caps(), ["permitted"] = Caps() };
        process["noNewPrivileges"] = true;
        process["rlimits"] = new JsonArray(new JsonObject { ["type"] = "RLIMIT_NOFILE", ["soft"] = 321, ["hard"] = 321 });
        process["user"]!["umask"] = 63;   // 077
        config["linux"]!["seccomp"] = new JsonObject
        {
            ["defaultAction"] = "SCMP_ACT_ALLOW",
            ["syscalls"] = new JsonArray(new JsonObject { ["names"] = new JsonArray("mkdir", "mkdirat"), ["action"] = "SCMP_ACT_ERRNO", ["errnoRet"] = 1 }),
        };
        File.WriteAllText(path, config.ToJsonString());

        var r = c.Exec("confined", "sh", "-c", "grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status; ulimit -n; umask; mkdir /made 2>/dev/null; echo mkdir=$?");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(["CapEff:\t0000000000000421", "CapBnd:\t0000000000000421", "NoNewPrivs:\t1", "Seccomp:\t2", "321", "0077", "mkdir=1"],
            r.Stdout.TrimEnd().Split('\n'));
    }
}
