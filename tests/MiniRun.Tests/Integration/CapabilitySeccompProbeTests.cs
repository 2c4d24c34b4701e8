// CapabilitySeccompProbeTests: the engine's security defaults and flags, seen from inside real containers
// of the busybox fixture (the real binary, a temporary root): Docker's capability mask, seccomp
// in filter mode, the clock and mount refused, --cap-drop ALL, --privileged, seccomp=unconfined
// and seccomp=FILE, a non-root user without effective capabilities, exec and health probes
// confined like the container, exec --privileged, the filter cache, and Docker's errors.
//
// Harmless if a protection fails: the clock is only ever set to the second it already is, mounts
// happen inside the container's own mount namespace on its own directory, and user namespaces
// created by the probes are empty.
using System.Text.Json;

namespace MiniRun.Tests.Integration;

public sealed class CapabilitySeccompProbeTests : IClassFixture<CapabilitySeccompProbeTests.Host>
{
    public sealed class Host : IDisposable
    {
        public MiniRunHost MiniRun { get; } = new();
        public void Dispose() => MiniRun.Dispose();
    }

    private readonly MiniRunHost _m;
    public CapabilitySeccompProbeTests(Host host) => _m = host.MiniRun;

    private const string Docker14 = "00000000a80425fb";
    private const string Status = "grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status";

    private RunResult Run(params string[] args) => _m.Run(["run", "--rm", "--pull", "never", .. args]);

    /// <summary>/proc/self/status fields of a container's shell as "Name value".</summary>
    private Dictionary<string, string> StatusOf(params string[] flags)
    {
        var r = Run([.. flags, "busybox", "sh", "-c", Status]);
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stderr}");
        return Fields(r.Stdout);
    }

    private static Dictionary<string, string> Fields(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(':', 2))
            .ToDictionary(p => p[0].Trim(), p => p[1].Trim());

    /// <summary>Every capability the kernel has that root here holds: this test process's bounding set (root on the development machine lacks CAP_SYS_RESOURCE).</summary>
    private static string AllCaps() =>
        File.ReadLines("/proc/self/status").Single(l => l.StartsWith("CapBnd:", StringComparison.Ordinal))[7..].Trim();

    [Fact]
    public void ByDefaultRootHasDockersFourteenCapabilitiesAndASeccompFilter()
    {
        var s = StatusOf();
        Assert.Equal(Docker14, s["CapEff"]);
        Assert.Equal(Docker14, s["CapPrm"]);
        Assert.Equal(Docker14, s["CapBnd"]);
        Assert.Equal("0000000000000000", s["CapInh"]);
        Assert.Equal("0000000000000000", s["CapAmb"]);
        Assert.Equal("2", s["Seccomp"]);
        Assert.Equal("0", s["NoNewPrivs"]);
    }

    [Fact]
    public void SettingTheClockIsRefused()
    {
        // Set to the current second only: harmless even if the protection failed.
        // (busybox date reports the failure but exits 0, so the message is what tells.)
        var r = Run("busybox", "sh", "-c", "date -s \"@$(date +%s)\" 2>&1 >/dev/null");
        Assert.Equal("date: can't set date: Operation not permitted", r.Stdout.Trim());
    }

    [Fact]
    public void MountingIsRefusedAndAFilesystemNeverAppears()
    {
        var r = Run("busybox", "sh", "-c", "mkdir -p /m; mount -t tmpfs none /m 2>/dev/null || echo refused; grep -c ' /m ' /proc/mounts");
        Assert.Contains("refused", r.Stdout);
        Assert.EndsWith("0", r.Stdout.Trim());
    }

    [Fact]
    public void ABlockedSystemCallFailsWithEpermUnlessSeccompIsUnconfined()
    {
        // unshare(CLONE_NEWUSER) needs no capability, so only the filter stops it (Docker's profile
        // allows unshare only with CAP_SYS_ADMIN).
        string probe = "unshare -U true 2>&1; echo status=$?";
        var confined = Run("busybox", "sh", "-c", probe);
        Assert.Contains("Operation not permitted", confined.Stdout);
        Assert.Contains("status=1", confined.Stdout);
        var unconfined = Run("--security-opt", "seccomp=unconfined", "busybox", "sh", "-c", probe);
        Assert.Equal("status=0", unconfined.Stdout.Trim());
        var s = StatusOf("--security-opt", "seccomp=unconfined");
        Assert.Equal("0", s["Seccomp"]);
        Assert.Equal(Docker14, s["CapEff"]);   // capabilities unchanged
    }

    [Fact]
    public void CapDropAllLeavesNoCapabilityAndCapAddGivesOne()
    {
        var none = StatusOf("--cap-drop", "ALL");
        Assert.Equal("0000000000000000", none["CapEff"]);
        Assert.Equal("0000000000000000", none["CapBnd"]);
        var r = Run("--cap-drop", "all", "busybox", "sh", "-c", "chown 1:1 /tmp; echo status=$?");
        Assert.Contains("status=1", r.Stdout);   // even root cannot chown without CAP_CHOWN
        var one = StatusOf("--cap-drop", "ALL", "--cap-add", "chown");
        Assert.Equal("0000000000000001", one["CapEff"]);
    }

    [Fact]
    public void PrivilegedHasEveryCapabilityNoFilterAndAWritableSys()
    {
        var s = StatusOf("--privileged");
        Assert.Equal(AllCaps(), s["CapEff"]);
        Assert.Equal(AllCaps(), s["CapBnd"]);
        Assert.Equal("0", s["Seccomp"]);
        var r = Run("--privileged", "busybox", "sh", "-c", "grep ' /sys sysfs ' /proc/mounts; grep -c /proc/kcore /proc/mounts");
        Assert.Contains("sysfs rw,", r.Stdout);
        Assert.EndsWith("0", r.Stdout.Trim());   // /proc/kcore not masked
    }

    [Fact]
    public void ANonRootUserHasNoEffectiveCapabilities()
    {
        var s = StatusOf("-u", "nobody");
        Assert.Equal("0000000000000000", s["CapEff"]);
        Assert.Equal("0000000000000000", s["CapPrm"]);
        Assert.Equal(Docker14, s["CapBnd"]);
        Assert.Equal("2", s["Seccomp"]);
    }

    [Fact]
    public void ASetuidRootProgramStillWorksWithinTheBoundingSet()
    {
        // nobody cannot open a raw socket (ping); a setuid-root copy of busybox can, because exec
        // of a setuid-root file gives the bounding set (CAP_NET_RAW is in Docker's 14) - and
        // cannot once --cap-drop NET_RAW took it out of the bounding set.
        const string script = "mkdir /tmp/s && cp /bin/busybox /tmp/s/busybox && chmod 4755 /tmp/s/busybox && " +
            "su -s /bin/sh nobody -c 'ping -c 1 -W 1 127.0.0.1 >/dev/null 2>&1; echo plain=$?; /tmp/s/busybox ping -c 1 -W 1 127.0.0.1 >/dev/null 2>&1; echo setuid=$?'";
        var r = Run("busybox", "sh", "-c", script);
        Assert.Equal("plain=1\nsetuid=0\n", r.Stdout);
        var dropped = Run("--cap-drop", "NET_RAW", "busybox", "sh", "-c", script);
        Assert.Equal("plain=1\nsetuid=1\n", dropped.Stdout);
    }

    [Fact]
    public void NoNewPrivilegesIsSetOnRequest() =>
        Assert.Equal("1", StatusOf("--security-opt", "no-new-privileges")["NoNewPrivs"]);

    [Fact]
    public void ASeccompProfileFileInDockersFormatIsApplied()
    {
        string file = Path.Combine(_m.Root, "no-mkdir.json");
        File.WriteAllText(file, """
            { "defaultAction": "SCMP_ACT_ALLOW",
              "archMap": [ { "architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"] } ],
              "syscalls": [ { "names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1 },
                            { "names": ["chroot"], "action": "SCMP_ACT_ERRNO", "includes": { "caps": ["CAP_SYS_ADMIN"] } } ] }
            """);
        var r = Run("--security-opt", "seccomp=" + file, "busybox", "sh", "-c", "mkdir /tmp/x 2>&1; test -d /tmp/x && echo made || echo absent; grep Seccomp: /proc/self/status");
        Assert.Contains("Operation not permitted", r.Stdout);
        Assert.Contains("absent", r.Stdout);
    }

    [Fact]
    public void BadFlagsAreRefusedInDockersWordsAndNothingIsCreated()
    {
        int before = _m.ContainerIds().Count;
        var cap = _m.Run("run", "--pull", "never", "--cap-add", "FOO", "busybox", "true");
        Assert.Equal(125, cap.ExitCode);
        Assert.Equal("minirun: Error response from daemon: invalid CapAdd: unknown capability: \"CAP_FOO\".\nSee 'minirun run --help'.\n", cap.Stderr);
        var opt = _m.Run("create", "--pull", "never", "--security-opt", "apparmor=minirun-test-absent", "busybox", "true");
        Assert.Equal(125, opt.ExitCode);
        Assert.Matches("apparmor=minirun-test-absent: (AppArmor is not enabled on this host|the kernel has no AppArmor profile)", opt.Stderr);
        var label = _m.Run("run", "--pull", "never", "--security-opt", "label=disable", "busybox", "true");
        Assert.Equal(125, label.ExitCode);
        Assert.Contains("SELinux", label.Stderr);
        Assert.Equal(before, _m.ContainerIds().Count);
    }

    [Fact]
    public void InspectShowsTheFlagsInDockersShape()
    {
        string name = "sec-" + Guid.NewGuid().ToString("N")[..8];
        var c = _m.Run("create", "--pull", "never", "--name", name, "--cap-add", "NET_ADMIN", "--cap-drop", "chown",
            "--security-opt", "no-new-privileges", "--security-opt", "apparmor=unconfined", "busybox", "true");
        Assert.True(c.ExitCode == 0, c.Stderr);
        var h = JsonDocument.Parse(_m.Run("inspect", name).Stdout).RootElement[0].GetProperty("HostConfig");
        Assert.Equal(["NET_ADMIN"], h.GetProperty("CapAdd").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["chown"], h.GetProperty("CapDrop").EnumerateArray().Select(e => e.GetString()));
        Assert.False(h.GetProperty("Privileged").GetBoolean());
        Assert.Equal(["no-new-privileges", "apparmor=unconfined"], h.GetProperty("SecurityOpt").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(0, _m.Run("rm", name).ExitCode);
    }

    [Fact]
    public void InspectShowsTheLiveConfinementNextToTheHostsInit()
    {
        string name = "sec-conf-" + Guid.NewGuid().ToString("N")[..8];
        var run = _m.Run("run", "-d", "--pull", "never", "--name", name, "--cap-drop", "NET_RAW", "busybox", "sleep", "300");
        Assert.True(run.ExitCode == 0, run.Stderr);
        try
        {
            var conf = JsonDocument.Parse(_m.Run("inspect", name).Stdout).RootElement[0].GetProperty("MiniRun").GetProperty("Confinement");
            var asked = conf.GetProperty("Asked");
            Assert.Equal("filter", asked.GetProperty("Seccomp").GetString());
            Assert.Equal(13, asked.GetProperty("Effective").GetArrayLength());
            var live = conf.GetProperty("Live");
            Assert.Equal("00000000a80405fb", live.GetProperty("CapEff").GetString());   // Docker's 14 without NET_RAW (bit 13)
            Assert.DoesNotContain("CAP_NET_RAW", live.GetProperty("Effective").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal("filter", live.GetProperty("Seccomp").GetString());
            var host = conf.GetProperty("Host");
            Assert.Equal("disabled", host.GetProperty("Seccomp").GetString());
            Assert.Contains("CAP_SYS_ADMIN", host.GetProperty("Effective").EnumerateArray().Select(e => e.GetString()));
        }
        finally { _m.Run("rm", "-f", name); }
    }

    [Fact]
    public void ExecAndHealthProbesRunConfinedLikeTheContainerAndExecPrivilegedGetsEveryCapability()
    {
        string name = "sec-exec-" + Guid.NewGuid().ToString("N")[..8];
        var run = _m.Run("run", "-d", "--pull", "never", "--name", name, "--security-opt", "no-new-privileges",
            "--health-cmd", Status, "--health-interval", "200ms", "busybox", "sleep", "300");
        Assert.True(run.ExitCode == 0, run.Stderr);
        try
        {
            var exec = _m.Run("exec", name, "sh", "-c", Status);
            var s = Fields(exec.Stdout);
            Assert.Equal((Docker14, "2", "1"), (s["CapEff"], s["Seccomp"], s["NoNewPrivs"]));
            var priv = Fields(_m.Run("exec", "--privileged", name, "sh", "-c", Status).Stdout);
            Assert.Equal(AllCaps(), priv["CapEff"]);
            Assert.Equal("2", priv["Seccomp"]);   // as in Docker, the container's filter still applies

            var limit = DateTime.UtcNow + TimeSpan.FromSeconds(90);
            string? output = null;
            while (output is null)
            {
                var record = _m.Record(name).GetProperty("State");
                if (record.TryGetProperty("Health", out var h) && h.ValueKind == JsonValueKind.Object &&
                    h.GetProperty("Log").EnumerateArray().LastOrDefault() is { ValueKind: JsonValueKind.Object } last)
                    output = last.GetProperty("Output").GetString();
                else if (DateTime.UtcNow > limit) throw new TimeoutException("waiting for a health probe");
                else Thread.Sleep(50);
            }
            var probe = Fields(output!);
            Assert.Equal((Docker14, "2", "1"), (probe["CapEff"], probe["Seccomp"], probe["NoNewPrivs"]));
        }
        finally
        {
            _m.Run("rm", "-f", name);
        }
    }

    [Fact]
    public void TheFilterIsCompiledOnceAndACorruptedCacheFileIsReplaced()
    {
        // A profile no other test uses, so this test's file is known.
        string file = Path.Combine(_m.Root, "cache-probe.json");
        File.WriteAllText(file, """{ "defaultAction": "SCMP_ACT_ALLOW", "syscalls": [ { "names": ["rmdir"], "action": "SCMP_ACT_ERRNO" } ] }""");
        string cache = Path.Combine(_m.Root, "runtime", "seccomp-cache");
        var before = Directory.Exists(cache) ? Directory.GetFiles(cache, "*.bpf").ToHashSet() : [];
        string[] flags = ["--security-opt", "seccomp=" + file];
        Assert.Equal(0, Run([.. flags, "busybox", "true"]).ExitCode);
        string added = Assert.Single(Directory.GetFiles(cache, "*.bpf"), f => !before.Contains(f));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(added));
        var written = File.GetLastWriteTimeUtc(added);

        Assert.Equal(0, Run([.. flags, "busybox", "true"]).ExitCode);
        Assert.Equal(written, File.GetLastWriteTimeUtc(added));   // a hit: not written again

        File.WriteAllBytes(added, File.ReadAllBytes(added)[..^5]);   // a partial file
        var r = Run([.. flags, "busybox", "sh", "-c", "mkdir /tmp/d; rmdir /tmp/d 2>&1; grep Seccomp: /proc/self/status"]);
        Assert.Contains("Operation not permitted", r.Stdout);   // the filter is whole
        Assert.Equal(0, (new FileInfo(added).Length - 44) % 8);   // and the file was replaced by a whole one
    }
}
