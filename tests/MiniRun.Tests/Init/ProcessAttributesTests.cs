// ProcessAttributesTests: the process fields of config.json that init applies to itself -
// capabilities, rlimits, oom_score_adj, umask, no_new_privs, additional groups - and
// linux.sysctl, through the kernel fake: the exact calls, their order around the user switch,
// and the one-line errors for names that do not exist or would change the host.
using MiniRun.Init;
using MiniRun.Kernel;
using MiniRun.Spec;
using MiniRun.Trace;

namespace MiniRun.Tests.Init;

public sealed class ProcessAttributesTests : IDisposable
{
    private readonly string _bundle = Directory.CreateTempSubdirectory("minirun-procattr-").FullName;
    public void Dispose() => Directory.Delete(_bundle, recursive: true);

    private RuntimeSpec Spec(string user = "")
    {
        var image = new MiniImage.Oci.ImageConfig { Config = new MiniImage.Oci.ContainerConfig { Cmd = ["sh"], Env = ["PATH=/usr/bin:/bin"] } };
        return SpecGenerator.Generate(image, new RunOptions { Image = "busybox", User = user },
            new string('a', 64), ["/store/layers/base"], _bundle, _ => null, appArmor: MiniRun.Security.NoAppArmorHost.Instance);
    }

    private (FakeKernel Kernel, InitContext Context, StringWriter Trace) Make(RuntimeSpec spec, string capLastCap = "40\n")
    {
        var k = new FakeKernel();
        k.Files["/etc/passwd"] = "root:x:0:0:root:/root:/bin/sh\nstudent:x:1000:1000::/home/student:/bin/sh\n";
        k.Files["/etc/group"] = "root:x:0:\nstaff:x:50:student\nstudent:x:1000:\n";
        k.Files["/proc/sys/kernel/cap_last_cap"] = capLastCap;
        k.Executables.Add("/bin/sh");
        k.Paths.Add("/bin/sh");
        var trace = new StringWriter();
        var c = new InitContext { Spec = spec, BundleDir = _bundle, Kernel = k, Trace = new ConsoleTrace(trace, pause: false), Env = new(spec.Process.Env) };
        return (k, c, trace);
    }

    private static int IndexOf(FakeKernel k, string prefix)
    {
        int i = k.Calls.FindIndex(c => c.StartsWith(prefix, StringComparison.Ordinal));
        Assert.True(i >= 0, $"no call starting with \"{prefix}\" in:\n{string.Join('\n', k.Calls)}");
        return i;
    }

    /// <summary>Runs every init step up to exec; returns the failure as init would report it, or null when exec was reached.</summary>
    private static (int Code, string Message)? RunInit(InitContext c)
    {
        try { InitProcess.Run(c); }
        catch (FakeKernel.ExecReached) { return null; }
        catch (Exception e) { return InitProcess.Describe(e, c.CurrentStep); }
        throw new InvalidOperationException("init returned without exec");
    }

    private static SpecCapabilities Caps(string[] bounding, string[] effective, string[] permitted, string[] inheritable, string[] ambient) =>
        new() { Bounding = [.. bounding], Effective = [.. effective], Permitted = [.. permitted], Inheritable = [.. inheritable], Ambient = [.. ambient] };

    [Fact]
    public void AmbientCapabilitiesThatAreNotAlsoInheritableAreLeftOutNotFatal()
    {
        // `runc spec` writes ambient = bounding = effective = permitted and no inheritable set: the
        // kernel would refuse PR_CAP_AMBIENT_RAISE (EPERM), runtime-spec asks for a warning.
        var caps = new SpecCapabilities
        {
            Bounding = ["CAP_KILL", "CAP_AUDIT_WRITE"], Effective = ["CAP_KILL", "CAP_AUDIT_WRITE"],
            Permitted = ["CAP_KILL", "CAP_AUDIT_WRITE"], Inheritable = ["CAP_KILL"], Ambient = ["CAP_KILL", "CAP_AUDIT_WRITE"],
        };
        var sets = CapabilitiesStep.Masks(caps, 40, out _);
        Assert.Equal(1UL << 5, sets.Ambient);   // CAP_KILL only: it is permitted and inheritable
        Assert.Equal(["CAP_AUDIT_WRITE"], CapabilitiesStep.AmbientNotGrantable(caps));

        var spec = Spec(user: "student");
        spec.Process.Capabilities = caps;
        var (k, c, _) = Make(spec);
        Assert.Null(RunInit(c));   // init goes on to exec
        Assert.Equal(["prctl PR_CAP_AMBIENT_RAISE CAP_KILL"], k.Calls.Where(x => x.StartsWith("prctl PR_CAP_AMBIENT_RAISE", StringComparison.Ordinal)));
    }

    [Fact]
    public void CapabilitiesAreSetAroundTheUserSwitchInTheKernelsOrder()
    {
        var spec = Spec(user: "student");
        spec.Process.Capabilities = Caps(["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"], ["CAP_NET_BIND_SERVICE"],
            ["CAP_KILL", "CAP_NET_BIND_SERVICE"], ["CAP_NET_BIND_SERVICE"], ["CAP_NET_BIND_SERVICE"]);
        var (k, c, _) = Make(spec);
        Assert.Null(RunInit(c));

        var drops = k.Calls.Where(x => x.StartsWith("prctl PR_CAPBSET_DROP ", StringComparison.Ordinal)).ToList();
        var expected = Enumerable.Range(0, 41).Where(cap => cap is not (0 or 5 or 10)).Select(cap => "prctl PR_CAPBSET_DROP " + CapabilityNames.Name(cap)).ToList();
        Assert.Equal(expected, drops);   // every capability of the kernel (0..cap_last_cap) not listed, in order
        int keep = IndexOf(k, "prctl PR_SET_KEEPCAPS 1");
        int firstDrop = IndexOf(k, "prctl PR_CAPBSET_DROP CAP_DAC_OVERRIDE");
        int lastDrop = IndexOf(k, "prctl PR_CAPBSET_DROP CAP_CHECKPOINT_RESTORE");
        int groups = IndexOf(k, "setgroups [1000,50]");
        int uid = IndexOf(k, "setresuid 1000");
        int chdir = k.Calls.FindLastIndex(x => x == "chdir /");
        int capset = IndexOf(k, "capset effective=CAP_NET_BIND_SERVICE permitted=CAP_KILL|CAP_NET_BIND_SERVICE inheritable=CAP_NET_BIND_SERVICE");
        int clear = IndexOf(k, "prctl PR_CAP_AMBIENT_CLEAR_ALL");
        int raise = IndexOf(k, "prctl PR_CAP_AMBIENT_RAISE CAP_NET_BIND_SERVICE");
        int exec = IndexOf(k, "execve /bin/sh");
        Assert.True(keep < firstDrop && lastDrop < groups && groups < uid, "keepcaps and the bounding set before the user switch");
        Assert.True(uid < chdir && chdir < capset && capset < clear && clear < raise && raise < exec, "capset after setresuid, ambient after capset");
        Assert.Single(k.Calls, x => x.StartsWith("capset", StringComparison.Ordinal));
        Assert.Single(k.Calls, x => x.StartsWith("prctl PR_CAP_AMBIENT_RAISE", StringComparison.Ordinal));
    }

    [Fact]
    public void WithoutCapabilitiesInTheSpecNoCapabilityCallIsMade()
    {
        var spec = Spec();
        spec.Process.Capabilities = null;   // a foreign bundle's config.json may have none (the engine always writes them)
        spec.Linux.Seccomp = null;
        var (k, c, _) = Make(spec);
        Assert.Null(RunInit(c));
        Assert.DoesNotContain(k.Calls, x => x.StartsWith("prctl", StringComparison.Ordinal) || x.StartsWith("capset", StringComparison.Ordinal));
    }

    [Fact]
    public void AnEmptyCapabilitiesObjectDropsEverythingWithoutKeepcaps()
    {
        var spec = Spec();
        spec.Process.Capabilities = new SpecCapabilities();
        var (k, c, _) = Make(spec);
        Assert.Null(RunInit(c));
        Assert.Equal(41, k.Calls.Count(x => x.StartsWith("prctl PR_CAPBSET_DROP", StringComparison.Ordinal)));
        Assert.DoesNotContain("prctl PR_SET_KEEPCAPS 1", k.Calls);   // nothing permitted: nothing to keep
        Assert.Contains("capset effective=0 permitted=0 inheritable=0", k.Calls);
        Assert.Contains("prctl PR_CAP_AMBIENT_CLEAR_ALL", k.Calls);
    }

    [Theory]
    [InlineData("bounding")]
    [InlineData("ambient")]
    public void AnUnknownCapabilityIsNamedBeforeAnyCall(string set)
    {
        var spec = Spec();
        spec.Process.Capabilities = set == "bounding"
            ? Caps(["CAP_KILL", "CAP_FLY"], [], [], [], [])
            : Caps(["CAP_KILL"], ["CAP_KILL"], ["CAP_KILL"], ["CAP_KILL"], ["CAP_KILL", "CAP_FLY"]);
        var (k, c, _) = Make(spec);
        var failure = RunInit(c);
        Assert.Equal((125, $"init step \"limit the capability bounding set\": unknown capability \"CAP_FLY\" in process.capabilities.{set}"), failure);
        Assert.DoesNotContain(k.Calls, x => x.StartsWith("prctl", StringComparison.Ordinal) || x.StartsWith("setresuid", StringComparison.Ordinal));
    }

    [Fact]
    public void CapabilitiesTheKernelLacksAreSkippedWithANote()
    {
        var spec = Spec();
        spec.Process.Capabilities = Caps(["CAP_KILL", "CAP_BPF", "CAP_PERFMON"], ["CAP_KILL", "CAP_BPF"], ["CAP_KILL", "CAP_BPF"], [], []);
        var (k, c, trace) = Make(spec, capLastCap: "37\n");   // a kernel from before CAP_PERFMON (38) and CAP_BPF (39)
        Assert.Null(RunInit(c));
        var drops = k.Calls.Where(x => x.StartsWith("prctl PR_CAPBSET_DROP ", StringComparison.Ordinal)).ToList();
        Assert.Equal(37, drops.Count);   // 0..37 except CAP_KILL
        Assert.Equal("prctl PR_CAPBSET_DROP CAP_AUDIT_READ", drops[^1]);
        Assert.Contains("capset effective=CAP_KILL permitted=CAP_KILL inheritable=0", k.Calls);
        Assert.Contains("skipped, this kernel does not have them (cap_last_cap = 37): CAP_BPF, CAP_PERFMON", trace.ToString());
    }

    [Fact]
    public void AFailedDropNamesTheCapabilityTheErrnoAndTheStep()
    {
        var spec = Spec();
        spec.Process.Capabilities = Caps(["CAP_KILL"], [], [], [], []);
        var (k, c, _) = Make(spec);
        k.FailOn = "prctl PR_CAPBSET_DROP CAP_SYS_ADMIN";
        var failure = RunInit(c);
        Assert.Equal((125, "init step \"limit the capability bounding set\": prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN): Operation not permitted (EPERM)"), failure);
        Assert.DoesNotContain(k.Calls, x => x.StartsWith("setresuid", StringComparison.Ordinal));
    }

    [Fact]
    public void RlimitsAndOomScoreAreSetBeforeTheUserSwitch()
    {
        var spec = Spec(user: "student");
        spec.Process.Rlimits = [new SpecRlimit { Type = "RLIMIT_NOFILE", Soft = 512, Hard = 1024 }, new SpecRlimit { Type = "RLIMIT_CORE", Soft = 0, Hard = ulong.MaxValue }];
        spec.Process.OomScoreAdj = 500;
        var (k, c, _) = Make(spec);
        Assert.Null(RunInit(c));
        int nofile = IndexOf(k, "setrlimit RLIMIT_NOFILE 512 1024");
        int core = IndexOf(k, "setrlimit RLIMIT_CORE 0 unlimited");
        int oom = IndexOf(k, "write /proc/self/oom_score_adj 500");
        int gid = IndexOf(k, "setresgid 1000");
        Assert.True(nofile < core && core < oom && oom < gid);
    }

    [Theory]
    [InlineData("RLIMIT_FLY", "unknown rlimit type \"RLIMIT_FLY\" in process.rlimits")]
    [InlineData("RLIMIT_NOFILE", "rlimit type \"RLIMIT_NOFILE\" appears twice in process.rlimits")]
    public void AnUnknownOrRepeatedRlimitIsNamedBeforeAnyIsSet(string second, string message)
    {
        var spec = Spec();
        spec.Process.Rlimits = [new SpecRlimit { Type = "RLIMIT_NOFILE", Soft = 1, Hard = 2 }, new SpecRlimit { Type = second, Soft = 1, Hard = 2 }];
        var (k, c, _) = Make(spec);
        Assert.Equal((125, $"init step \"set resource limits and the OOM score\": {message}"), RunInit(c));
        Assert.DoesNotContain(k.Calls, x => x.StartsWith("setrlimit", StringComparison.Ordinal));
    }

    [Fact]
    public void AFailedSetrlimitNamesTheLimitAndTheErrno()
    {
        var spec = Spec();
        spec.Process.Rlimits = [new SpecRlimit { Type = "RLIMIT_NOFILE", Soft = 30000, Hard = 30000 }];
        var (k, c, _) = Make(spec);
        k.FailOn = "setrlimit RLIMIT_NOFILE";
        Assert.Equal((125, "init step \"set resource limits and the OOM score\": setrlimit(RLIMIT_NOFILE, {soft 30000, hard 30000}): Operation not permitted (EPERM)"), RunInit(c));
    }

    [Fact]
    public void UmaskAndNoNewPrivsComeLastBeforeExec()
    {
        var spec = Spec(user: "student");
        spec.Process.User.Umask = 0x3f;   // 077
        spec.Process.NoNewPrivileges = true;
        spec.Process.Capabilities = Caps(["CAP_KILL"], [], [], [], []);
        var (k, c, _) = Make(spec);
        Assert.Null(RunInit(c));
        int uid = IndexOf(k, "setresuid 1000");
        int capset = IndexOf(k, "capset");
        int umask = IndexOf(k, "umask 77");
        int nnp = IndexOf(k, "prctl PR_SET_NO_NEW_PRIVS 1");
        int close = IndexOf(k, "close_range 3");
        int exec = IndexOf(k, "execve /bin/sh");
        Assert.True(uid < capset && capset < umask && umask < nnp && nnp < close && close < exec);
    }

    [Fact]
    public void WithoutUmaskAndNoNewPrivilegesNeitherCallIsMade()
    {
        var (k, c, _) = Make(Spec());
        Assert.Null(RunInit(c));
        Assert.DoesNotContain(k.Calls, x => x.StartsWith("umask", StringComparison.Ordinal) || x.StartsWith("prctl PR_SET_NO_NEW_PRIVS", StringComparison.Ordinal));
    }

    [Fact]
    public void AnUmaskThatIsNoModeMaskIsRefused()
    {
        var spec = Spec();
        spec.Process.User.Umask = 0x200;   // 01000
        var (_, c, _) = Make(spec);
        Assert.Equal((125, "init step \"set the umask and no_new_privs\": process.user.umask 1000 (octal) is not a file mode mask (at most 0777)"), RunInit(c));
    }

    [Fact]
    public void AdditionalGidsJoinTheImageGroups()
    {
        var spec = Spec(user: "student");
        spec.Process.User.AdditionalGids = [50, 4242];
        var (k, c, _) = Make(spec);
        Assert.Null(RunInit(c));
        Assert.True(IndexOf(k, "setgroups [1000,50,4242]") < IndexOf(k, "setresuid 1000"));
    }

    [Theory]   // Docker's daemon: the primary gid is also a supplementary group (`id`: groups=2000)
    [InlineData("2000:2000", "setgroups [2000]")]
    [InlineData("student", "setgroups [1000,50]")]
    [InlineData("", "setgroups [0]")]
    public void The_engine_asks_for_the_primary_gid_among_the_groups(string user, string expected)
    {
        var spec = Spec(user: user);
        Assert.True(spec.Process.User.PrimaryGidSupplementary);
        var (k, c, _) = Make(spec);
        Assert.Null(RunInit(c));
        Assert.Contains(expected, k.Calls);
    }

    [Fact]
    public void Where_setgroups_is_denied_the_primary_gid_rule_is_left_out()
    {
        var spec = Spec();
        spec.Linux.Namespaces.Add(new SpecNamespace { Type = "user" });
        spec.Linux.UidMappings = [new SpecIdMapping { ContainerId = 0, HostId = 100000, Size = 65536 }];
        spec.Linux.GidMappings = [new SpecIdMapping { ContainerId = 0, HostId = 100000, Size = 65536 }];
        var (k, c, _) = Make(spec);
        k.Files["/proc/self/setgroups"] = "deny\n";
        Assert.Null(RunInit(c));
        Assert.DoesNotContain(k.Calls, x => x.StartsWith("setgroups", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_the_extension_the_groups_are_runcs()
    {
        var spec = Spec(user: "2000:2000");
        spec.Process.User.PrimaryGidSupplementary = null;   // a plain OCI bundle
        var (k, c, _) = Make(spec);
        Assert.Null(RunInit(c));
        Assert.Contains("setgroups []", k.Calls);
    }

    [Theory]
    [InlineData("allow\n", true)]    // the runtime wrote the maps as a privileged writer: groups are set, an empty list drops the runtime's
    [InlineData("deny\n", false)]    // an unprivileged writer had to deny setgroups: the empty list is skipped
    public void In_a_user_namespace_an_empty_group_list_is_set_unless_setgroups_is_denied(string setgroups, bool called)
    {
        var spec = Spec();
        spec.Process.User.PrimaryGidSupplementary = null;   // runc's groups: root's are none here
        spec.Linux.Namespaces.Add(new SpecNamespace { Type = "user" });
        spec.Linux.UidMappings = [new SpecIdMapping { ContainerId = 0, HostId = 100000, Size = 65536 }];
        spec.Linux.GidMappings = [new SpecIdMapping { ContainerId = 0, HostId = 100000, Size = 65536 }];
        var (k, c, _) = Make(spec);
        k.Files["/proc/self/setgroups"] = setgroups;
        Assert.Null(RunInit(c));
        Assert.Equal(called, k.Calls.Contains("setgroups []"));
    }

    [Fact]
    public void NamespacedSysctlsAreWrittenAfterPivotRootAndBeforeMasking()
    {
        var spec = Spec();
        spec.Linux.Sysctl = new() { ["net.ipv4.ip_forward"] = "1", ["kernel.shmmni"] = "4000", ["fs.mqueue.msg_max"] = "20",
            ["kernel.hostname"] = "h", ["net/ipv4/conf/eth0.100/forwarding"] = "0", ["kernel.sem"] = "250 32000 32 128" };
        var (k, c, _) = Make(spec);
        k.Paths.Add("/proc/kcore");
        Assert.Null(RunInit(c));
        int pivot = IndexOf(k, "pivot_root");
        int first = IndexOf(k, "write /proc/sys/net/ipv4/ip_forward 1");
        int mask = IndexOf(k, "mount /dev/null /proc/kcore");
        Assert.True(pivot < first && first < mask);
        Assert.Equal(["write /proc/sys/net/ipv4/ip_forward 1", "write /proc/sys/kernel/shmmni 4000", "write /proc/sys/fs/mqueue/msg_max 20",
            "write /proc/sys/kernel/hostname h", "write /proc/sys/net/ipv4/conf/eth0.100/forwarding 0", "write /proc/sys/kernel/sem 250 32000 32 128"],
            k.Calls.Skip(first).Take(6));
    }

    [Theory]
    [InlineData("kernel.panic", null, "sysctl \"kernel.panic\" is not namespaced: writing it would change the host (allowed: kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.* with a new IPC namespace; kernel.hostname, kernel.domainname with a new UTS namespace; net.* with a new network namespace)")]
    [InlineData("vm.swappiness", null, "sysctl \"vm.swappiness\" is not namespaced: ")]
    [InlineData("kernel.sem_next_idx", null, "sysctl \"kernel.sem_next_idx\" is not namespaced: ")]
    [InlineData("net.ipv4.ip_forward", "network", "sysctl \"net.ipv4.ip_forward\" needs a new network namespace: without one writing it would change the host")]
    [InlineData("kernel.shmmax", "ipc", "sysctl \"kernel.shmmax\" needs a new IPC namespace: ")]
    [InlineData("kernel.domainname", "uts", "sysctl \"kernel.domainname\" needs a new UTS namespace: ")]
    [InlineData("net.ipv4..ip_forward", null, "sysctl \"net.ipv4..ip_forward\" is not a kernel parameter name")]
    [InlineData("net/../kernel/panic", null, "sysctl \"net/../kernel/panic\" is not a kernel parameter name")]
    public void SysctlsThatWouldChangeTheHostAreRefusedBeforeAnyWrite(string key, string? sharedNamespace, string message)
    {
        var spec = Spec();
        spec.Linux.Sysctl = new() { [key] = "1", ["net.core.somaxconn"] = "100" };   // checked in order: the bad key is named
        if (sharedNamespace is not null) spec.Linux.Namespaces.RemoveAll(n => n.Type == sharedNamespace);
        var (k, c, _) = Make(spec);
        var failure = RunInit(c);
        Assert.NotNull(failure);
        Assert.Equal(125, failure.Value.Code);
        Assert.StartsWith("init step \"set 2 namespaced kernel parameter(s) in /proc/sys\": " + message, failure.Value.Message);
        Assert.DoesNotContain('\n', failure.Value.Message);
        Assert.DoesNotContain(k.Calls, x => x.StartsWith("write", StringComparison.Ordinal));
    }

    [Fact]
    public void ASysctlInAJoinedNamespaceIsRefused()
    {
        var spec = Spec();
        spec.Linux.Namespaces.Single(n => n.Type == "network").Path = "/proc/1/ns/net";
        spec.Linux.Sysctl = new() { ["net.ipv4.ip_forward"] = "1" };
        var (k, c, _) = Make(spec);
        var failure = RunInit(c);
        Assert.Equal(125, failure!.Value.Code);
        Assert.Contains("sysctl \"net.ipv4.ip_forward\" needs a new network namespace", failure.Value.Message);
        Assert.DoesNotContain(k.Calls, x => x.StartsWith("write", StringComparison.Ordinal));
    }
}
