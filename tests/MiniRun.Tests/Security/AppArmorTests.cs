// AppArmorTests: which profile a container gets (Security/AppArmor.cs, with a fake host), how
// minirun-default is loaded, the core's step that sets the label (through the kernel fake), and
// on a host without AppArmor (the development machine): no profile, `inspect` says so, a bundle
// asking for one is refused. Confined containers (attr/current "minirun-default (enforce)", a
// denied mount) are AppArmorConfinementTests, which run in the test VM (docs/security.md "AppArmor").
using MiniRun.Init;
using MiniRun.Kernel;
using MiniRun.Security;
using MiniRun.Spec;
using MiniRun.Tests.Init;
using MiniRun.Tests.Integration;
using MiniRun.Trace;

namespace MiniRun.Tests.Security;

public sealed class AppArmorTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("minirun-apparmor-").FullName;
    public void Dispose() => Directory.Delete(_root, recursive: true);

    private sealed class FakeHost : IAppArmorHost
    {
        public bool Enabled { get; init; } = true;
        public HashSet<string> Loaded { get; } = ["docker-default"];
        public List<string> Loads { get; } = new();
        public IReadOnlySet<string> LoadedProfiles() => Loaded;
        public void Load(string file)
        {
            Loads.Add(File.ReadAllText(file));
            Loaded.Add(AppArmor.DefaultProfile);
        }
    }

    [Fact]
    public void Without_AppArmor_containers_get_no_profile_and_a_named_one_is_refused()
    {
        var host = new FakeHost { Enabled = false };
        Assert.Null(AppArmor.ProfileFor(null, privileged: false, _root, host));
        Assert.Null(AppArmor.ProfileFor("unconfined", privileged: false, _root, host));
        var e = Assert.Throws<RunConfigException>(() => AppArmor.ProfileFor("docker-default", privileged: false, _root, host));
        Assert.Equal("--security-opt apparmor=docker-default: AppArmor is not enabled on this host (or apparmor_parser is not installed)", e.Message);
        Assert.Empty(host.Loads);
    }

    [Fact]
    public void With_AppArmor_the_default_profile_is_loaded_once_and_again_when_changed()
    {
        var host = new FakeHost();
        Assert.Equal("minirun-default", AppArmor.ProfileFor(null, privileged: false, _root, host));
        Assert.Equal("minirun-default", AppArmor.ProfileFor(null, privileged: false, _root, host));
        Assert.Equal([AppArmor.DefaultProfileText], host.Loads);   // the second start found it loaded
        File.WriteAllText(Path.Combine(_root, "apparmor", "minirun-default"), "an older version");
        AppArmor.ProfileFor(null, privileged: false, _root, host);
        Assert.Equal(2, host.Loads.Count);
        host.Loaded.Remove("minirun-default");                       // unloaded meanwhile (aa-remove-unknown, reboot)
        AppArmor.ProfileFor(null, privileged: false, _root, host);
        Assert.Equal(3, host.Loads.Count);
    }

    [Fact]
    public void With_AppArmor_the_flag_chooses()
    {
        var host = new FakeHost();
        Assert.Null(AppArmor.ProfileFor("unconfined", privileged: false, _root, host));
        Assert.Null(AppArmor.ProfileFor(null, privileged: true, _root, host));
        Assert.Equal("docker-default", AppArmor.ProfileFor("docker-default", privileged: true, _root, host));
        var e = Assert.Throws<RunConfigException>(() => AppArmor.ProfileFor("nope", privileged: false, _root, host));
        Assert.Equal("--security-opt apparmor=nope: the kernel has no AppArmor profile \"nope\" (load it with apparmor_parser -r)", e.Message);
        Assert.Empty(host.Loads);
    }

    [Fact]
    public void Before_a_start_or_exec_minirun_default_is_loaded_again_only_for_containers_that_use_it()
    {
        var store = new MiniRun.Containers.ContainerStore(_root);
        void Config(string id, string? profile)
        {
            Directory.CreateDirectory(store.DirOf(id));
            string apparmor = profile is null ? "" : $",\"apparmorProfile\":\"{profile}\"";
            File.WriteAllText(Path.Combine(store.DirOf(id), "config.json"),
                $"{{\"ociVersion\":\"1.0.2\",\"process\":{{\"args\":[\"true\"],\"cwd\":\"/\"{apparmor}}}}}");
        }
        Config("a", "minirun-default");
        Config("b", "docker-default");
        Config("c", null);
        var host = new FakeHost();
        AppArmor.EnsureLoadedFor(store, "b", host);
        AppArmor.EnsureLoadedFor(store, "c", host);
        AppArmor.EnsureLoadedFor(store, "gone", host);                 // no config.json: nothing to start
        Assert.Empty(host.Loads);
        AppArmor.EnsureLoadedFor(store, "a", host);                    // the kernel lost it (a reboot): loaded
        AppArmor.EnsureLoadedFor(store, "a", host);                    // loaded already: not again
        Assert.Equal([AppArmor.DefaultProfileText], host.Loads);
        Assert.Equal(AppArmor.DefaultProfileText, File.ReadAllText(Path.Combine(_root, "apparmor", "minirun-default")));
        var off = new FakeHost { Enabled = false };
        AppArmor.EnsureLoadedFor(store, "a", off);                     // no AppArmor: the core refuses the label itself
        Assert.Empty(off.Loads);
    }

    [Fact]
    public void Exec_privileged_keeps_the_containers_profile_as_dockers_does()
    {
        var container = new SpecProcess { Args = ["sh"], ApparmorProfile = "minirun-default" };
        var exec = CapabilityPolicy.PrivilegedExec(container, lastCap: 40);
        Assert.Equal("minirun-default", exec.ApparmorProfile);
        Assert.Equal(41, exec.Capabilities!.Effective!.Count);
    }

    [Fact]
    public void The_default_profile_denies_what_dockers_does()
    {
        string p = AppArmor.DefaultProfileText;
        Assert.Contains("profile minirun-default flags=(attach_disconnected,mediate_deleted) {", p);
        foreach (var rule in new[] { "deny mount,", "deny @{PROC}/sysrq-trigger rwklx,", "deny @{PROC}/kcore rwklx,",
            "deny @{PROC}/sys/kernel/sh[^m]** w,", "deny /sys/fs/cg[^r]** wklx,", "deny /sys/firmware/** rwklx,",
            "deny /sys/kernel/security/** rwklx,", "ptrace (trace, read, tracedby, readby) peer=minirun-default," })
            Assert.Contains(rule, p);
    }

    private static (FakeKernel, InitContext) Step(string? profile, string? enabled)
    {
        var k = new FakeKernel();
        if (enabled is not null) k.Files[AppArmorStep.EnabledFile] = enabled;
        var spec = new RuntimeSpec { Process = { Args = ["true"], ApparmorProfile = profile } };
        return (k, new InitContext { Spec = spec, BundleDir = "/b", Kernel = k, Trace = NullTrace.Instance });
    }

    [Fact]
    public void Init_writes_the_label_through_its_private_procfs()
    {
        var (k, c) = Step("minirun-default", "Y\n");
        AppArmorStep.Run(c);
        Assert.Equal(["write /proc/thread-self/attr/apparmor/exec exec minirun-default"], k.Calls);
        Assert.Equal(["/proc/thread-self/attr/apparmor/exec"], k.ProcWrites);
    }

    [Fact]
    public void Init_falls_back_to_attr_exec_on_kernels_before_5_8()
    {
        var (k, c) = Step("p", "Y\n");
        k.FailOn = "write /proc/thread-self/attr/apparmor/";
        k.FailErrno = Errno.ENOENT;
        AppArmorStep.Run(c);
        Assert.Equal("write /proc/thread-self/attr/exec exec p", k.Calls.Last());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("N\n")]
    public void Init_refuses_a_profile_on_a_host_without_AppArmor(string? enabled)
    {
        var (k, c) = Step("minirun-default", enabled);
        var e = Assert.Throws<InitFailure>(() => AppArmorStep.Run(c));
        Assert.Equal("process.apparmorProfile \"minirun-default\": AppArmor is not enabled on this host (/sys/module/apparmor/parameters/enabled is not Y)", e.Message);
        Assert.Empty(k.Calls);
    }

    [Fact]
    public void Init_does_nothing_without_a_profile_or_unconfined()
    {
        foreach (var profile in new[] { null, "unconfined" })
        {
            var (k, c) = Step(profile, "Y\n");
            AppArmorStep.Run(c);
            Assert.Empty(k.Calls);
        }
    }

    /// <summary>This host has no AppArmor: containers run without a profile, and inspect says so.</summary>
    [WithoutAppArmorFact]
    public void On_this_host_containers_have_no_profile()
    {
        using var host = new MiniRunHost();
        var r = host.Run("run", "--name", "noaa", "busybox", "true");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("", host.Run("inspect", "-f", "{{.AppArmorProfile}}", "noaa").Stdout.Trim());
        var spec = BundleRunner.Spec("true");
        spec.Process.ApparmorProfile = "minirun-default";
        var refused = BundleRunner.Run(spec);
        Assert.Equal(125, refused.ExitCode);
        Assert.Contains("process.apparmorProfile \"minirun-default\": AppArmor is not enabled on this host", refused.Stderr);
    }
}
