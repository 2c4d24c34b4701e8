// CapabilitySeccompPolicyTests: the engine's security policy as config.json shows it - Docker's 14
// capabilities for root and only the bounding set for other users, --cap-add / --cap-drop in
// Docker's order of evaluation (names in any case, with or without CAP_, ALL), unknown names in
// Docker's words, --privileged (every capability of the kernel, no seccomp, no masked paths,
// /sys read-write), --security-opt parsing, and the default seccomp profile converted for the
// container's capabilities, architecture and kernel.
using MiniImage.Oci;
using MiniRun.Security;
using MiniRun.Spec;

namespace MiniRun.Tests.Security;

public sealed class CapabilitySeccompPolicyTests
{
    private const int LastCap = 40;   // CAP_CHECKPOINT_RESTORE: kernel 5.9 and later
    private static readonly SeccompHost Amd64 = new("amd64", "SCMP_ARCH_X86_64", 6, 1);

    private static RuntimeSpec Gen(RunOptions o, string? imageUser = null, SeccompHost? host = null) =>
        SpecGenerator.Generate(new ImageConfig { Config = new ContainerConfig { Cmd = ["sh"], User = imageUser } }, o,
            new string('c', 64), ["/l/base"], "/var/lib/minirun/containers/x", _ => null,
            new SpecGenerator.SecurityHostFacts(LastCap, host ?? Amd64), appArmor: MiniRun.Security.NoAppArmorHost.Instance);

    private static RunOptions Opts(Action<RunOptions>? edit = null)
    {
        var o = new RunOptions { Image = "busybox" };
        edit?.Invoke(o);
        return o;
    }

    /// <summary>The set as a CapEff-style hex mask, for comparing with /proc/self/status.</summary>
    private static string Mask(IEnumerable<string>? names) =>
        (names ?? []).Aggregate(0UL, (m, n) => m | 1UL << MiniRun.Kernel.CapabilityNames.Number(n)!.Value).ToString("x16");

    [Fact]
    public void RootGetsDockersFourteenInBoundingEffectiveAndPermittedAndNothingElse()
    {
        var caps = Gen(Opts()).Process.Capabilities!;
        Assert.Equal(CapabilityPolicy.DockerDefaults, caps.Bounding);
        Assert.Equal("00000000a80425fb", Mask(caps.Effective));   // what Docker's containers show as CapEff
        Assert.Equal(caps.Bounding, caps.Permitted);
        Assert.True(caps.Inheritable is null or [], "no inheritable set");
        Assert.True(caps.Ambient is null or [], "no ambient set");
    }

    [Theory]
    [InlineData("nobody")]
    [InlineData("1000")]
    [InlineData("1000:1000")]
    [InlineData("student:root")]
    public void AnyOtherUserGetsOnlyTheBoundingSet(string user)
    {
        var caps = Gen(Opts(o => o.User = user)).Process.Capabilities!;
        Assert.Equal(CapabilityPolicy.DockerDefaults, caps.Bounding);
        Assert.True(caps.Effective is null or [] && caps.Permitted is null or [], "effective and permitted empty");
    }

    [Theory]
    [InlineData("root")]
    [InlineData("0")]
    [InlineData("0:0")]
    [InlineData("root:wheel")]
    public void RootByNameOrNumberIsRoot(string user) =>
        Assert.Equal("00000000a80425fb", Mask(Gen(Opts(o => o.User = user)).Process.Capabilities!.Effective));

    [Fact]
    public void TheImagesUserCountsWhenNoFlagIsGiven() =>
        Assert.True(Gen(Opts(), imageUser: "daemon").Process.Capabilities!.Effective is null or []);

    [Fact]
    public void CapDropAndCapAddTakeAnyCaseWithOrWithoutThePrefix()
    {
        var caps = Gen(Opts(o => { o.CapDrop = ["chown", "CAP_KILL"]; o.CapAdd = ["net_admin", "CAP_SYS_TIME", "NET_RAW"]; })).Process.Capabilities!;
        Assert.DoesNotContain("CAP_CHOWN", caps.Bounding!);
        Assert.DoesNotContain("CAP_KILL", caps.Bounding!);
        Assert.Contains("CAP_NET_ADMIN", caps.Bounding!);
        Assert.Contains("CAP_SYS_TIME", caps.Effective!);
        Assert.Single(caps.Bounding!, c => c == "CAP_NET_RAW");   // already a default: not listed twice
        Assert.Equal(14 - 2 + 2, caps.Bounding!.Count);
    }

    [Fact]
    public void DropAllKeepsOnlyWhatIsAdded()
    {
        Assert.Equal([], Gen(Opts(o => o.CapDrop = ["ALL"])).Process.Capabilities!.Bounding!);
        Assert.Equal(["CAP_NET_BIND_SERVICE"], Gen(Opts(o => { o.CapDrop = ["all"]; o.CapAdd = ["net_bind_service"]; })).Process.Capabilities!.Bounding!);
    }

    [Fact]
    public void AddAllGivesEverythingButTheDropsEvenWhenDropAllIsGivenToo()
    {
        var caps = CapabilityPolicy.Resolve(["ALL"], ["SYS_ADMIN"], privileged: false, LastCap);
        Assert.Equal(LastCap + 1 - 1, caps.Count);
        Assert.DoesNotContain("CAP_SYS_ADMIN", caps);
        // Docker checks "add ALL" first: everything but the drops, and the "ALL" in --cap-drop drops nothing by name.
        Assert.Equal(LastCap + 1, CapabilityPolicy.Resolve(["ALL"], ["ALL"], privileged: false, LastCap).Count);
    }

    [Fact]
    public void PrivilegedGetsEveryCapabilityTheKernelHasAndIgnoresDrops()
    {
        var caps = Gen(Opts(o => { o.Privileged = true; o.CapDrop = ["ALL"]; })).Process.Capabilities!;
        Assert.Equal(LastCap + 1, caps.Bounding!.Count);
        Assert.Equal("000001ffffffffff", Mask(caps.Effective));
        // an older kernel (cap_last_cap 37, CAP_AUDIT_READ): only what it has
        Assert.Equal(38, CapabilityPolicy.Resolve([], [], privileged: true, 37).Count);
        // a runtime whose own bounding set lacks CAP_SYS_RESOURCE (24) cannot give it
        ulong withoutSysResource = 0x1ffffffffffUL & ~(1UL << 24);
        var usable = CapabilityPolicy.Resolve([], [], privileged: true, LastCap, withoutSysResource);
        Assert.Equal(LastCap, usable.Count);
        Assert.DoesNotContain("CAP_SYS_RESOURCE", usable);
        Assert.DoesNotContain("CAP_SYS_RESOURCE", CapabilityPolicy.Resolve(["ALL"], [], privileged: false, LastCap, withoutSysResource));
    }

    [Theory]
    [InlineData("CAP_FOO", "invalid CapAdd: unknown capability: \"CAP_FOO\"")]
    [InlineData("foo", "invalid CapAdd: unknown capability: \"CAP_FOO\"")]
    [InlineData("CAP_CHECKPOINT_RESTORE", "invalid CapAdd: unknown capability: \"CAP_CHECKPOINT_RESTORE\"")]   // above this kernel's cap_last_cap
    public void UnknownCapabilitiesAreRefusedInDockersWords(string name, string message)
    {
        var e = Assert.Throws<RunConfigException>(() => CapabilityPolicy.Resolve([name], [], privileged: false, lastCap: 39));
        Assert.Equal(message, e.Message);
        Assert.Equal("invalid CapDrop: unknown capability: \"CAP_NOPE\"",
            Assert.Throws<RunConfigException>(() => CapabilityPolicy.Resolve([], ["nope"], false, LastCap)).Message);
    }

    [Fact]
    public void PrivilegedTurnsOffSeccompMaskedAndReadonlyPathsAndSysIsWritable()
    {
        var plain = Gen(Opts());
        Assert.NotNull(plain.Linux.Seccomp);
        Assert.Contains("/proc/kcore", plain.Linux.MaskedPaths!);
        Assert.Contains("ro", plain.Mounts.Single(m => m.Destination == "/sys").Options!);

        var s = Gen(Opts(o => o.Privileged = true));
        Assert.Null(s.Linux.Seccomp);
        Assert.Empty(s.Linux.MaskedPaths!);
        Assert.Empty(s.Linux.ReadonlyPaths!);
        Assert.DoesNotContain("ro", s.Mounts.Single(m => m.Destination == "/sys").Options!);
        Assert.DoesNotContain("ro", s.Mounts.Single(m => m.Destination == "/sys/fs/cgroup").Options!);
        Assert.Contains("nosuid", s.Mounts.Single(m => m.Destination == "/sys").Options!);
    }

    [Fact]
    public void NoNewPrivilegesAndUnconfined()
    {
        Assert.False(Gen(Opts()).Process.NoNewPrivileges);
        Assert.True(Gen(Opts(o => o.SecurityOpt = ["no-new-privileges"])).Process.NoNewPrivileges);
        Assert.True(Gen(Opts(o => o.SecurityOpt = ["no-new-privileges=true"])).Process.NoNewPrivileges);
        Assert.False(Gen(Opts(o => o.SecurityOpt = ["no-new-privileges:false"])).Process.NoNewPrivileges);
        Assert.Null(Gen(Opts(o => o.SecurityOpt = ["seccomp=unconfined"])).Linux.Seccomp);
        Assert.NotNull(Gen(Opts(o => o.SecurityOpt = ["seccomp=builtin"])).Linux.Seccomp);
    }

    [Fact]
    public void SecurityOptParsingFollowsDocker()
    {
        var files = new Dictionary<string, string> { ["/p.json"] = "{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\",\n  \"syscalls\": []\n}\n" };
        string Read(string path) => files.TryGetValue(path, out var t) ? t : throw new FileNotFoundException("no such file", path);
        var s = SecurityOptions.Parse(["seccomp=/p.json", "apparmor=unconfined", "no-new-privileges=1"], Read);
        Assert.Equal(["seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[]}", "apparmor=unconfined", "no-new-privileges=1"], s.Recorded);
        Assert.True(s.NoNewPrivileges);
        Assert.Equal("unconfined", s.AppArmor);
        // the recorded form parses again to the same (a restart or `create` + `start` reads the record)
        Assert.Equal(s.Seccomp, SecurityOptions.Parse(s.Recorded).Seccomp);

        string Error(string opt) => Assert.Throws<RunConfigException>(() => SecurityOptions.Parse([opt], Read)).Message;
        Assert.Equal("invalid --security-opt 2: \"no-new-privileges=maybe\"", Error("no-new-privileges=maybe"));
        Assert.Equal("invalid --security-opt 2: \"foo=bar\"", Error("foo=bar"));
        Assert.Equal("Invalid --security-opt: \"seccomp\"", Error("seccomp"));
        Assert.StartsWith("opening seccomp profile (/missing.json) failed", Error("seccomp=/missing.json"));
        // A named AppArmor profile is parsed and recorded; whether the host has it is Security/AppArmor.cs's check (AppArmorTests).
        Assert.Equal("docker-default", SecurityOptions.Parse(["apparmor=docker-default"], Read).AppArmor);
        Assert.Contains("SELinux labels are not supported", Error("label=disable"));
        files["/bad.json"] = "{ not json";
        Assert.StartsWith("compacting json for seccomp profile (/bad.json) failed", Error("seccomp=/bad.json"));
    }

    // --- the default seccomp profile, converted ---

    private static SpecSeccomp Default(IReadOnlyCollection<string> caps, SeccompHost? host = null) =>
        SeccompPolicy.Convert(SeccompPolicy.DefaultProfileJson(), caps, host ?? Amd64)!;

    [Fact]
    public void TheDefaultProfileFromItsBytesConvertsAsFromItsText()
    {
        // run converts the embedded bytes (SecurityPolicy.Apply); a profile given as text goes
        // through the string overload: both must give the same linux.seccomp, byte for byte.
        string[] caps = ["CAP_CHOWN", "CAP_SYS_ADMIN", "CAP_NET_RAW"];
        byte[] Json(SpecSeccomp s)
        {
            var spec = new RuntimeSpec();
            spec.Linux.Seccomp = s;
            var stream = new MemoryStream();
            RuntimeSpecWriter.Write(stream, spec);
            return stream.ToArray();
        }
        var fromText = SeccompPolicy.Convert(SeccompPolicy.DefaultProfileJson(), caps, Amd64)!;
        var fromBytes = SeccompPolicy.Convert(SeccompPolicy.DefaultProfileUtf8(), caps, Amd64)!;
        Assert.True(fromText.Syscalls!.Count > 10, $"{fromText.Syscalls!.Count} entries");
        Assert.Equal(Json(fromText), Json(fromBytes));
        Assert.Contains("seccomp profile: not JSON", Assert.Throws<RunConfigException>(() => SeccompPolicy.Convert("{ nope"u8.ToArray(), caps, Amd64)).Message);
    }

    private static IEnumerable<SpecSyscall> Rules(SpecSeccomp s, string name) => s.Syscalls!.Where(c => c.Names.Contains(name));

    private static bool Allowed(SpecSeccomp s, string name) =>
        Rules(s, name).Any(c => c.Action == "SCMP_ACT_ALLOW" && c.Args is null);

    [Fact]
    public void TheDefaultProfileDeniesWithEpermAndAllowsTheEverydayCalls()
    {
        var s = Default(CapabilityPolicy.DockerDefaults);
        Assert.Equal("SCMP_ACT_ERRNO", s.DefaultAction);
        Assert.Equal(1u, s.DefaultErrnoRet);
        Assert.Equal(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], s.Architectures);
        foreach (var name in new[] { "read", "write", "openat", "execve", "mkdirat", "chown", "setuid", "kill", "arch_prctl", "modify_ldt", "ptrace", "chroot" })
            Assert.True(Allowed(s, name), name);
        foreach (var name in new[] { "mount", "umount2", "unshare", "setns", "keyctl", "add_key", "reboot", "clock_settime", "settimeofday",
                     "init_module", "kexec_load", "bpf", "perf_event_open", "sethostname", "swapon", "iopl", "open_by_handle_at", "acct" })
            Assert.False(Allowed(s, name), name);
        Assert.Empty(Rules(s, "s390_runtime_instr"));   // another architecture's calls are left out
        Assert.Empty(Rules(s, "set_tls"));
    }

    [Fact]
    public void WithoutCapSysAdminCloneIsAllowedOnlyWithoutNamespaceFlagsAndClone3SaysEnosys()
    {
        var s = Default(CapabilityPolicy.DockerDefaults);
        var clone = Assert.Single(Rules(s, "clone"));
        var arg = Assert.Single(clone.Args!);
        Assert.Equal((0u, 0x7E020000UL, 0UL, "SCMP_CMP_MASKED_EQ"), (arg.Index, arg.Value, arg.ValueTwo ?? 0, arg.Op));
        var clone3 = Assert.Single(Rules(s, "clone3"));
        Assert.Equal(("SCMP_ACT_ERRNO", 38u), (clone3.Action, clone3.ErrnoRet ?? 0));
    }

    [Fact]
    public void CapAddSysAdminOpensMountUnshareAndCloneInTheFilter()
    {
        var caps = CapabilityPolicy.Resolve(["SYS_ADMIN"], [], false, LastCap);
        var s = Default(caps);
        foreach (var name in new[] { "mount", "umount2", "unshare", "setns", "clone", "clone3", "sethostname" })
            Assert.True(Allowed(s, name), name);
        Assert.DoesNotContain(Rules(s, "clone"), c => c.Args is not null);
        Assert.DoesNotContain(Rules(s, "clone3"), c => c.Action == "SCMP_ACT_ERRNO");
        Assert.True(Allowed(Default(CapabilityPolicy.Resolve(["SYS_TIME"], [], false, LastCap)), "clock_settime"));
        Assert.False(Allowed(Default(CapabilityPolicy.Resolve([], ["SYS_CHROOT"], false, LastCap)), "chroot"));
    }

    [Fact]
    public void SocketIsAllowedByAddressFamilyAndPersonalityByValue()
    {
        var s = Default(CapabilityPolicy.DockerDefaults);
        bool SocketAllowed(ulong family) => Rules(s, "socket").Any(r =>
            r.Args![0].Op == "SCMP_CMP_LT" ? family < r.Args[0].Value : family == r.Args[0].Value);
        foreach (ulong family in new ulong[] { 1, 2, 10, 16, 17 }) Assert.True(SocketAllowed(family), $"AF {family}");
        foreach (ulong family in new ulong[] { 12, 19, 20, 23, 25, 34, 37, 38, 40, 46 }) Assert.False(SocketAllowed(family), $"AF {family}");
        Assert.Equal([0UL, 8, 131072, 131080, 4294967295], Rules(s, "personality").Select(r => r.Args![0].Value).Order().ToArray());
    }

    [Fact]
    public void ArchitectureAndKernelVersionPickTheEntries()
    {
        var arm = Default(CapabilityPolicy.DockerDefaults, new SeccompHost("arm64", "SCMP_ARCH_AARCH64", 6, 1));
        Assert.Equal(["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"], arm.Architectures);
        Assert.True(Allowed(arm, "set_tls"));
        Assert.Empty(Rules(arm, "arch_prctl"));
        var s390 = Default(CapabilityPolicy.DockerDefaults, new SeccompHost("s390x", "SCMP_ARCH_S390X", 6, 1));
        Assert.Equal(1u, Assert.Single(Rules(s390, "clone")).Args![0].Index);   // s390 passes the flags second
        var old = Default(CapabilityPolicy.DockerDefaults, Amd64 with { KernelMajor = 4, KernelMinor = 4 });
        Assert.False(Allowed(old, "ptrace"));   // before 4.8 ptrace could bypass seccomp: only with CAP_SYS_PTRACE
        Assert.True(Allowed(Default(CapabilityPolicy.DockerDefaults, Amd64 with { KernelMajor = 4, KernelMinor = 8 }), "ptrace"));
    }

    [Fact]
    public void AnOciObjectAndTheOldSingleNameAreAccepted()
    {
        var s = SeccompPolicy.Convert("""
            { "defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"], "flags": ["SECCOMP_FILTER_FLAG_LOG"],
              "syscalls": [ { "name": "mkdir", "action": "SCMP_ACT_ERRNO", "errnoRet": 13 },
                            { "names": ["personality"], "action": "SCMP_ACT_ERRNO", "args": [ { "index": 0, "value": 65535, "valueTwo": 8, "op": "SCMP_CMP_MASKED_EQ" } ] } ] }
            """, CapabilityPolicy.DockerDefaults, Amd64)!;
        Assert.Equal(["SCMP_ARCH_X86_64"], s.Architectures);
        Assert.Equal(["SECCOMP_FILTER_FLAG_LOG"], s.Flags);
        Assert.Equal(["mkdir"], s.Syscalls![0].Names);
        Assert.Equal(13u, s.Syscalls[0].ErrnoRet);
        Assert.Equal(8UL, s.Syscalls[1].Args![0].ValueTwo);
        // and the result is a linux.seccomp the core accepts
        SeccompProfile.Compile(s, noNewPrivileges: false);
    }

    [Theory]
    [InlineData("""{ "defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86"], "archMap": [ { "architecture": "SCMP_ARCH_X86_64" } ] }""", "both 'architectures' and 'archMap'")]
    [InlineData("""{ "defaultAction": "SCMP_ACT_ALLOW", "syscalls": [ { "name": "a", "names": ["b"], "action": "SCMP_ACT_ERRNO" } ] }""", "syscalls[0]: both 'name' and 'names'")]
    [InlineData("""{ "defaultAction": "SCMP_ACT_ALLOW", "syscalls": [ { "names": ["a"], "action": "SCMP_ACT_ERRNO", "includes": { "minKernel": "four" } } ] }""", "syscalls[0].includes.minKernel")]
    [InlineData("""[1, 2]""", "not a JSON object")]
    public void BadProfilesAreNamedInOneLine(string json, string expected) =>
        Assert.Contains(expected, Assert.Throws<RunConfigException>(() => SeccompPolicy.Convert(json, [], Amd64)).Message);

    [Fact]
    public void AnEmptyProfileMeansNoFilterAsInDocker() =>
        Assert.Null(SeccompPolicy.Convert("{}", [], Amd64));

    [Fact]
    public void TheShippedProfileCompilesInTheCoreForEveryCapabilitySet()
    {
        foreach (var caps in new[] { CapabilityPolicy.DockerDefaults, CapabilityPolicy.AllOf(LastCap), (IReadOnlyList<string>)[] })
        {
            var p = SeccompProfile.Compile(Default(caps), noNewPrivileges: false);
            Assert.True(p.Rules.Count > 350, $"{p.Rules.Count} rules");
        }
    }
}
