// ProcessAttributesProbeTests: config.json's process fields and linux.sysctl, observed inside
// real containers started from a bundle (BundleRunner): the capability sets and NoNewPrivs in
// /proc/self/status, `ulimit -n`, `umask`, `id -G`, /proc/self/oom_score_adj, sysctls read back
// inside while the host's values stay, and the one-line errors for what cannot be done.
//
// Harmless if a protection failed: the sysctls written are ones whose host value changing by
// one would not matter (an AF_UNIX queue length, the IPC segment count); they are compared with
// the host's before and after, and put back if they ever changed. Hard rlimits are only lowered,
// oom_score_adj only raised (for the container's process, never the test's).
//
// Needs root, artifacts/bin/minirun and a static busybox (see BundleRunner).
using MiniRun.Spec;

namespace MiniRun.Tests.Integration;

public sealed class ProcessAttributesProbeTests
{
    /// <summary>The "Cap*" and "NoNewPrivs" lines of a status file: name -> value.</summary>
    private static Dictionary<string, string> StatusFields(string status) =>
        status.Split('\n').Select(l => l.Split(':', 2)).Where(f => f.Length == 2 && (f[0].StartsWith("Cap") || f[0] == "NoNewPrivs"))
            .ToDictionary(f => f[0], f => f[1].Trim());

    private static RunResult Ok(RunResult r)
    {
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stderr}");
        return r;
    }

    private static string Hex(params int[] caps) => caps.Aggregate(0UL, (m, c) => m | 1UL << c).ToString("x16");

    [Fact]
    public void WithoutCapabilitiesTheContainerKeepsWhatItInheritsAsToday()
    {
        var inside = StatusFields(Ok(BundleRunner.Run(BundleRunner.Spec("cat", "/proc/self/status"))).Stdout);
        var host = StatusFields(File.ReadAllText("/proc/self/status"));
        Assert.Equal(host["CapBnd"], inside["CapBnd"]);
        Assert.Equal(host["CapBnd"], inside["CapEff"]);
        Assert.Equal("0", inside["NoNewPrivs"]);
    }

    [Fact]
    public void RootGetsExactlyTheListedCapabilities()
    {
        var spec = BundleRunner.Spec("cat", "/proc/self/status");
        string[] caps = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"];
        spec.Process.Capabilities = new SpecCapabilities { Bounding = [.. caps], Effective = [.. caps], Permitted = [.. caps], Inheritable = [], Ambient = [] };
        var inside = StatusFields(Ok(BundleRunner.Run(spec)).Stdout);
        string expected = Hex(0, 5, 10);
        Assert.Equal(expected, inside["CapBnd"]);
        Assert.Equal(expected, inside["CapPrm"]);
        Assert.Equal(expected, inside["CapEff"]);
        Assert.Equal(Hex(), inside["CapInh"]);
        Assert.Equal(Hex(), inside["CapAmb"]);
    }

    [Fact]
    public void ANonRootUserKeepsAmbientCapabilitiesAcrossExec()
    {
        var spec = BundleRunner.Spec("sh", "-c", "id -u; cat /proc/self/status");
        spec.Process.User = new SpecUser { Uid = 1000, Gid = 1000 };
        string[] one = ["CAP_NET_BIND_SERVICE"];
        spec.Process.Capabilities = new SpecCapabilities
        {
            Bounding = ["CAP_NET_BIND_SERVICE", "CAP_KILL"], Effective = [.. one], Permitted = [.. one], Inheritable = [.. one], Ambient = [.. one],
        };
        var r = Ok(BundleRunner.Run(spec));
        Assert.StartsWith("1000\n", r.Stdout);
        var inside = StatusFields(r.Stdout);
        Assert.Equal(Hex(5, 10), inside["CapBnd"]);
        Assert.Equal(Hex(10), inside["CapAmb"]);
        Assert.Equal(Hex(10), inside["CapEff"]);   // a non-root execve keeps exactly the ambient set
        Assert.Equal(Hex(10), inside["CapPrm"]);
        Assert.Equal(Hex(10), inside["CapInh"]);
    }

    [Fact]
    public void WithInitTheCommandGetsTheSameCapabilitiesUmaskAndNoNewPrivs()
    {
        var spec = BundleRunner.Spec("sh", "-c", "umask; cat /proc/self/status");
        spec.Annotations = new() { [MiniRun.Init.InitSupervisorStep.Annotation] = "true" };   // init stays PID 1 and spawns the command
        spec.Process.Capabilities = new SpecCapabilities { Bounding = ["CAP_KILL"], Effective = ["CAP_KILL"], Permitted = ["CAP_KILL"] };
        spec.Process.User.Umask = 0x12;   // 022
        spec.Process.NoNewPrivileges = true;
        var r = Ok(BundleRunner.Run(spec));
        Assert.StartsWith("0022\n", r.Stdout);
        var inside = StatusFields(r.Stdout);
        Assert.Equal(Hex(5), inside["CapBnd"]);
        Assert.Equal(Hex(5), inside["CapEff"]);
        Assert.Equal("1", inside["NoNewPrivs"]);
    }

    [Fact]
    public void AnUnknownCapabilityStopsTheStartNamingIt()
    {
        var spec = BundleRunner.Spec("true");
        spec.Process.Capabilities = new SpecCapabilities { Bounding = ["CAP_KILL", "CAP_TELEPORT"] };
        var r = BundleRunner.Run(spec);
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("unknown capability \"CAP_TELEPORT\" in process.capabilities.bounding", r.Stderr);
    }

    [Fact]
    public void TraceNarratesEachCapabilityCallByName()
    {
        var spec = BundleRunner.Spec("true");
        spec.Process.Capabilities = new SpecCapabilities { Bounding = ["CAP_KILL"], Effective = ["CAP_KILL"], Permitted = ["CAP_KILL"] };
        spec.Process.NoNewPrivileges = true;
        var trace = new StringWriter();
        Ok(BundleRunner.Run(spec, trace: trace));
        string text = trace.ToString();
        Assert.Contains("prctl(PR_SET_KEEPCAPS, 1) = 0", text);
        Assert.Contains("prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN) = 0", text);
        Assert.DoesNotContain("prctl(PR_CAPBSET_DROP, CAP_KILL)", text);
        MiniRun.Tests.Trace.TraceText.Contains("capset({_LINUX_CAPABILITY_VERSION_3, 0}, {effective=CAP_KILL, permitted=CAP_KILL, inheritable=0}) = 0", text);
        Assert.Contains("prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL) = 0", text);
        Assert.Contains("prctl(PR_SET_NO_NEW_PRIVS, 1) = 0", text);
    }

    [Fact]
    public void NoNewPrivilegesIsSetForTheCommand()
    {
        var spec = BundleRunner.Spec("cat", "/proc/self/status");
        spec.Process.NoNewPrivileges = true;
        Assert.Equal("1", StatusFields(Ok(BundleRunner.Run(spec)).Stdout)["NoNewPrivs"]);
    }

    [Fact]
    public void RlimitsAtOrBelowTheHardLimitAreWhatUlimitShows()
    {
        var spec = BundleRunner.Spec("sh", "-c", "ulimit -Sn; ulimit -Hn; ulimit -Sc");
        spec.Process.Rlimits =
        [
            new SpecRlimit { Type = "RLIMIT_NOFILE", Soft = 1000, Hard = 2000 },
            new SpecRlimit { Type = "RLIMIT_CORE", Soft = 0, Hard = 0 },
        ];
        Assert.Equal(["1000", "2000", "0"], Ok(BundleRunner.Run(spec)).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void RaisingAHardLimitWithoutCapSysResourceNamesTheLimitAndErrno()
    {
        var host = StatusFields(File.ReadAllText("/proc/self/status"));
        if ((Convert.ToUInt64(host["CapEff"], 16) & (1UL << 24)) != 0)
            return;   // with CAP_SYS_RESOURCE the kernel allows it: nothing to observe on this host
        ulong hard = ulong.Parse(File.ReadAllLines("/proc/self/limits").Single(l => l.StartsWith("Max open files"))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[4]);
        var spec = BundleRunner.Spec("true");
        spec.Process.Rlimits = [new SpecRlimit { Type = "RLIMIT_NOFILE", Soft = hard + 1, Hard = hard + 1 }];
        var r = BundleRunner.Run(spec);
        Assert.Equal(125, r.ExitCode);
        Assert.Contains($"setrlimit(RLIMIT_NOFILE, {{soft {hard + 1}, hard {hard + 1}}}): Operation not permitted (EPERM)", r.Stderr);
    }

    [Fact]
    public void UmaskAppliesToTheCommandsFiles()
    {
        var spec = BundleRunner.Spec("sh", "-c", "umask; touch /tmp/f; stat -c %a /tmp/f");
        spec.Process.User.Umask = 0x3f;   // 077
        Assert.Equal(["0077", "600"], Ok(BundleRunner.Run(spec)).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData(null, "1000 4242")]           // uid:gid given as numbers: no groups from /etc/group, as in Docker
    [InlineData("student", "1000 50 4242")]   // a name: its /etc/group memberships (staff) and additionalGids
    public void AdditionalGidsAreJoinedToTheUsersGroups(string? username, string expected)
    {
        var spec = BundleRunner.Spec("id", "-G");
        spec.Process.User = new SpecUser { Uid = 1000, Gid = 1000, AdditionalGids = [4242], Username = username };
        Assert.Equal(expected, Ok(BundleRunner.Run(spec)).Stdout.Trim());
    }

    [Fact]
    public void OomScoreAdjIsSetInTheContainer()
    {
        int current = int.Parse(File.ReadAllText("/proc/self/oom_score_adj").Trim());
        int target = Math.Min(1000, Math.Max(500, current + 1));   // raising needs no CAP_SYS_RESOURCE
        var spec = BundleRunner.Spec("cat", "/proc/self/oom_score_adj");
        spec.Process.OomScoreAdj = target;
        Assert.Equal(target.ToString(), Ok(BundleRunner.Run(spec)).Stdout.Trim());
        Assert.Equal(current.ToString(), File.ReadAllText("/proc/self/oom_score_adj").Trim());
    }

    [Fact]
    public void NamespacedSysctlsChangeInsideButNotOnTheHost()
    {
        const string qlen = "/proc/sys/net/unix/max_dgram_qlen", shmmni = "/proc/sys/kernel/shmmni";
        string hostQlen = File.ReadAllText(qlen).Trim(), hostShmmni = File.ReadAllText(shmmni).Trim();
        string wantQlen = (long.Parse(hostQlen) + 1).ToString(), wantShmmni = (long.Parse(hostShmmni) - 1).ToString();
        try
        {
            var spec = BundleRunner.Spec("sh", "-c", $"cat {qlen} {shmmni}");
            spec.Linux.Sysctl = new() { ["net.unix.max_dgram_qlen"] = wantQlen, ["kernel.shmmni"] = wantShmmni };
            Assert.Equal([wantQlen, wantShmmni], Ok(BundleRunner.Run(spec)).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Equal(hostQlen, File.ReadAllText(qlen).Trim());
            Assert.Equal(hostShmmni, File.ReadAllText(shmmni).Trim());
        }
        finally
        {
            // Only if the namespaces failed: put the host's values back.
            if (File.ReadAllText(qlen).Trim() != hostQlen) File.WriteAllText(qlen, hostQlen);
            if (File.ReadAllText(shmmni).Trim() != hostShmmni) File.WriteAllText(shmmni, hostShmmni);
        }
    }

    [Fact]
    public void AGlobalSysctlIsRefusedNamingIt()
    {
        string before = File.ReadAllText("/proc/sys/kernel/panic");
        var spec = BundleRunner.Spec("true");
        spec.Linux.Sysctl = new() { ["kernel.panic"] = before.Trim() };   // the host's own value: harmless even if written
        var r = BundleRunner.Run(spec);
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("sysctl \"kernel.panic\" is not namespaced: writing it would change the host", r.Stderr);
        Assert.Equal(before, File.ReadAllText("/proc/sys/kernel/panic"));
    }
}
