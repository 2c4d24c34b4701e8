// SecurityPolicyTests: the engine's security policy without a container: Docker's device allow
// list read as the filter reads it, --device / --tmpfs / --ulimit / --sysctl parsing with Docker's
// error texts, what they write into config.json, the masked and read-only path lists against
// Docker's, --group-add names resolved in a group file, and HostConfig's JSON shapes.
using System.Text.Json;
using MiniRun.Cgroups;
using MiniRun.Security;
using MiniRun.Spec;

namespace MiniRun.Tests.Security;

public sealed class SecurityPolicyTests
{
    private static IReadOnlyList<DeviceRule> DockerRules => DeviceFilter.Rules(DevicePolicy.DefaultRules());

    [Theory]
    [InlineData('c', 1, 3, "rwm")]     // null
    [InlineData('c', 1, 5, "rwm")]     // zero
    [InlineData('c', 1, 7, "rwm")]     // full
    [InlineData('c', 1, 8, "rwm")]     // random
    [InlineData('c', 1, 9, "rwm")]     // urandom
    [InlineData('c', 5, 0, "rwm")]     // tty
    [InlineData('c', 5, 1, "rwm")]     // console
    [InlineData('c', 5, 2, "rwm")]     // ptmx
    [InlineData('c', 136, 4, "rwm")]   // pts/4
    [InlineData('c', 10, 200, "rwm")]  // net/tun
    [InlineData('c', 10, 229, "m")]    // fuse: made, never opened
    [InlineData('c', 1, 11, "m")]      // kmsg
    [InlineData('c', 1, 1, "m")]       // mem
    [InlineData('b', 8, 0, "m")]       // sda
    [InlineData('b', 7, 0, "m")]       // loop0
    [InlineData('c', 240, 0, "m")]     // no driver
    public void Dockers_default_list_opens_only_the_harmless_devices(char type, long major, long minor, string allowed) =>
        Assert.Equal(allowed, DeviceRule.AccessText(DeviceAllowList.Allowed(DockerRules, type, major, minor)));

    [Fact]
    public void Only_allow_everything_counts_as_everything()
    {
        Assert.False(DeviceAllowList.AllowsEverything(DockerRules));
        Assert.True(DeviceAllowList.AllowsEverything(DeviceFilter.Rules([new SpecDeviceCgroup { Allow = true, Access = "rwm" }])));
        Assert.False(DeviceAllowList.AllowsEverything(DeviceFilter.Rules([
            new SpecDeviceCgroup { Allow = true, Access = "rwm" }, new SpecDeviceCgroup { Allow = false, Type = "b", Access = "w" }])));
        Assert.False(DeviceAllowList.AllowsEverything(DeviceFilter.Rules([new SpecDeviceCgroup { Allow = true, Access = "rm" }])));
    }

    [Theory]
    [InlineData("/dev/fuse", "/dev/fuse", "/dev/fuse", "rwm")]
    [InlineData("/dev/fuse:r", "/dev/fuse", "/dev/fuse", "r")]
    [InlineData("/dev/full:/dev/x", "/dev/full", "/dev/x", "rwm")]
    [InlineData("/dev/full:/dev/x/../y:rw", "/dev/full", "/dev/y", "rw")]
    [InlineData("/dev/full:/rwm", "/dev/full", "/rwm", "rwm")]
    public void Device_values_parse_as_dockers_cli_does(string value, string host, string container, string perms) =>
        Assert.Equal(new DeviceMapping(host, container, perms), DevicePolicy.Parse(value));

    [Theory]
    [InlineData("", "bad format for path: ")]
    [InlineData(":/dev/x", "bad format for path: :/dev/x")]
    [InlineData("/dev/a:/dev/b:rwx", "bad mode specified: rwx")]
    [InlineData("/dev/a:/dev/b:rr", "bad mode specified: rr")]
    [InlineData("/dev/a:b:c:d", "bad format for path: /dev/a:b:c:d")]
    [InlineData("/dev/a:dev/b", "dev/b is not an absolute path")]
    public void Bad_device_values_fail_with_dockers_text(string value, string why)
    {
        var e = Assert.Throws<RunConfigException>(() => DevicePolicy.Parse(value));
        Assert.Equal($"invalid argument \"{value}\" for \"--device\" flag: {why}", e.Message);
    }

    [Fact]
    public void A_device_is_read_from_the_host_and_added_after_dockers_rules()
    {
        var spec = new RuntimeSpec();
        var mappings = DevicePolicy.Apply(spec, new RunOptions { Devices = ["/dev/full:/dev/xfull:r"] });
        Assert.Equal([new DeviceMapping("/dev/full", "/dev/xfull", "r")], mappings);
        var node = Assert.Single(spec.Linux.Devices!);
        Assert.Equal(("/dev/xfull", "c", 1L, 7L), (node.Path, node.Type, node.Major!.Value, node.Minor!.Value));
        Assert.Equal(Convert.ToUInt32("666", 8), node.FileMode);
        var rules = spec.Linux.Resources!.Devices!;
        Assert.Equal(DevicePolicy.DefaultRules().Count + 1, rules.Count);
        var last = rules[^1];
        Assert.Equal((true, "c", 1L, 7L, "r"), (last.Allow, last.Type, last.Major!.Value, last.Minor!.Value, last.Access));
    }

    [Fact]
    public void A_missing_or_regular_file_is_no_device()
    {
        var e = Assert.Throws<RunConfigException>(() => DevicePolicy.Apply(new RuntimeSpec(), new RunOptions { Devices = ["/dev/minirun-nope"] }));
        Assert.Equal("error gathering device information while adding custom device \"/dev/minirun-nope\": no such file or directory", e.Message);
        e = Assert.Throws<RunConfigException>(() => DevicePolicy.Apply(new RuntimeSpec(), new RunOptions { Devices = ["/etc/hostname"] }));
        Assert.EndsWith("\"/etc/hostname\": not a device node", e.Message);
    }

    [Fact]
    public void Privileged_allows_everything_and_lists_the_hosts_nodes_but_its_own_pts_and_ptmx()
    {
        var spec = new RuntimeSpec();
        DevicePolicy.Apply(spec, new RunOptions { Privileged = true });
        var rule = Assert.Single(spec.Linux.Resources!.Devices!);
        Assert.True(rule.Allow);
        Assert.Null(rule.Type);
        Assert.Equal("rwm", rule.Access);
        var paths = spec.Linux.Devices!.Select(d => d.Path).ToList();
        Assert.Contains("/dev/null", paths);
        Assert.DoesNotContain("/dev/ptmx", paths);
        Assert.DoesNotContain("/dev/console", paths);
        Assert.DoesNotContain(paths, p => p.StartsWith("/dev/pts/", StringComparison.Ordinal));
        Assert.Equal(paths.Count, paths.Distinct().Count());
    }

    [Fact]
    public void Privileged_walks_a_directory_of_nodes_without_following_symlinks()
    {
        var dir = Directory.CreateTempSubdirectory("minirun-devwalk-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "sub"));
            Directory.CreateDirectory(Path.Combine(dir, "pts"));
            Assert.Equal(0, Mknod(Path.Combine(dir, "sub/null"), 0x2000 | 0x1b6, 1, 3));   // c 1:3, never opened
            File.SetUnixFileMode(Path.Combine(dir, "sub/null"), (UnixFileMode)0x1b6);        // mknod's mode went through the umask
            Assert.Equal(0, Mknod(Path.Combine(dir, "pts/0"), 0x2000 | 0x180, 136, 0));
            Assert.Equal(0, Mknod(Path.Combine(dir, "ptmx"), 0x2000 | 0x1b6, 5, 2));
            File.CreateSymbolicLink(Path.Combine(dir, "link"), Path.Combine(dir, "sub/null"));
            File.WriteAllText(Path.Combine(dir, "file"), "");
            var nodes = DevicePolicy.PrivilegedNodes(dir);
            var node = Assert.Single(nodes);
            Assert.Equal(("/dev/sub/null", "c", 1L, 3L, 0x1b6u), (node.Path, node.Type, node.Major!.Value, node.Minor!.Value, node.FileMode!.Value));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int mknod(string path, uint mode, ulong dev);
    private static int Mknod(string path, uint mode, uint major, uint minor) =>
        mknod(path, mode, ((ulong)(major & 0xfff) << 8) | (minor & 0xff) | ((ulong)(minor & ~0xffu) << 12) | ((ulong)(major & ~0xfffu) << 32));

    [Theory]
    [InlineData("", new[] { "noexec", "nosuid", "nodev", "rprivate" })]
    [InlineData("exec,size=64m", new[] { "nosuid", "nodev", "rprivate", "exec", "size=64m" })]
    [InlineData("size=1m,mode=1777,size=2m", new[] { "noexec", "nosuid", "nodev", "rprivate", "mode=1777", "size=2m" })]
    [InlineData("ro,rw,shared", new[] { "noexec", "nosuid", "nodev", "rw", "shared" })]
    [InlineData("dev,defaults", new[] { "noexec", "nosuid", "rprivate", "dev" })]
    public void Tmpfs_options_merge_as_docker_merges_them(string user, string[] merged) =>
        Assert.Equal(merged, TmpfsMounts.MergedOptions(user));

    [Fact]
    public void A_bad_tmpfs_option_or_path_is_refused()
    {
        Assert.Equal("invalid tmpfs option [\"foo\"]", Assert.Throws<RunConfigException>(() => TmpfsMounts.MergedOptions("foo")).Message);
        Assert.Equal("invalid tmpfs option [\"bogus\" \"1\"]", Assert.Throws<RunConfigException>(() => TmpfsMounts.MergedOptions("bogus=1")).Message);
        Assert.Contains("mount path must be absolute",
            Assert.Throws<RunConfigException>(() => TmpfsMounts.Apply(new RuntimeSpec(), new RunOptions { Tmpfs = ["tmp"] })).Message);
        Assert.Contains("destination can't be '/'",
            Assert.Throws<RunConfigException>(() => TmpfsMounts.Apply(new RuntimeSpec(), new RunOptions { Tmpfs = ["/"] })).Message);
    }

    [Fact]
    public void Read_only_sets_root_readonly_and_the_etc_files_and_tmpfs_replaces_a_default_mount()
    {
        var spec = new RuntimeSpec { Mounts = SpecGenerator.DefaultMounts("/c") };
        var tmpfs = TmpfsMounts.Apply(spec, new RunOptions { ReadOnly = true, Tmpfs = ["/run:size=1m", "/dev/shm:exec"] });
        Assert.True(spec.Root.Readonly);
        Assert.Equal(new Dictionary<string, string> { ["/run"] = "size=1m", ["/dev/shm"] = "exec" }, tmpfs);
        foreach (var etc in new[] { "/etc/hostname", "/etc/hosts", "/etc/resolv.conf" })
            Assert.Contains("ro", spec.Mounts.Single(m => m.Destination == etc).Options!);
        Assert.DoesNotContain("ro", spec.Mounts.Single(m => m.Destination == "/dev").Options!);
        var shm = Assert.Single(spec.Mounts, m => m.Destination == "/dev/shm");
        Assert.Equal(["nosuid", "nodev", "rprivate", "exec"], shm.Options);
        Assert.Equal(["noexec", "nosuid", "nodev", "rprivate", "size=1m"], spec.Mounts[^1].Options);
        Assert.Equal("/run", spec.Mounts[^1].Destination);
    }

    [Theory]
    [InlineData("nofile=1024", "nofile", 1024, 1024)]
    [InlineData("nofile=100:200", "nofile", 100, 200)]
    [InlineData("core=-1", "core", -1, -1)]
    [InlineData("memlock=64:-1", "memlock", 64, -1)]
    public void Ulimits_parse_as_go_units_does(string value, string name, long soft, long hard) =>
        Assert.Equal(new Ulimit(name, soft, hard), Ulimits.Parse(value));

    [Theory]
    [InlineData("nofile", "invalid ulimit argument: nofile")]
    [InlineData("files=1", "invalid ulimit type: files")]
    [InlineData("nofile=2:1", "ulimit soft limit must be less than or equal to hard limit: 2 > 1")]
    [InlineData("nofile=1:2:3", "too many limit value arguments - 1:2:3, can only have up to two, `soft[:hard]`")]
    [InlineData("nofile=x", "strconv.ParseInt: parsing \"x\": invalid syntax")]
    public void Bad_ulimits_fail_with_dockers_text(string value, string why) =>
        Assert.Equal($"invalid argument \"{value}\" for \"--ulimit\" flag: {why}", Assert.Throws<RunConfigException>(() => Ulimits.Parse(value)).Message);

    [Fact]
    public void Ulimits_become_rlimits_the_last_of_a_name_winning()
    {
        var spec = new RuntimeSpec();
        Ulimits.Apply(spec, new RunOptions { Ulimits = ["nofile=1:2", "nproc=-1", "nofile=10:20"] });
        Assert.Equal(["RLIMIT_NPROC -1 -1", "RLIMIT_NOFILE 10 20"],
            spec.Process.Rlimits!.Select(l => $"{l.Type} {(l.Soft == ulong.MaxValue ? "-1" : l.Soft)} {(l.Hard == ulong.MaxValue ? "-1" : l.Hard)}"));
    }

    [Theory]
    [InlineData("net.ipv4.ip_forward=1")]
    [InlineData("net.core.somaxconn=1024")]
    [InlineData("kernel.shmmax=65536")]
    [InlineData("kernel.sem=250 32000 32 128")]
    [InlineData("fs.mqueue.msg_max=20")]
    public void Namespaced_sysctls_are_accepted(string value)
    {
        var spec = new RuntimeSpec();
        Sysctls.Apply(spec, new RunOptions { Sysctls = [value] });
        var (k, v) = Assert.Single(spec.Linux.Sysctl!);
        Assert.Equal(value, k + "=" + v);
    }

    [Theory]
    [InlineData("kernel.panic=1")]
    [InlineData("vm.swappiness=0")]
    [InlineData("kernel.hostname=x")]
    [InlineData("net.ipv4.ip_forward")]
    public void Other_sysctls_are_refused_with_dockers_text(string value) =>
        Assert.Equal($"invalid argument \"{value}\" for \"--sysctl\" flag: sysctl '{value}' is not allowed",
            Assert.Throws<RunConfigException>(() => Sysctls.Parse(value)).Message);

    [Fact]
    public void Masked_and_read_only_paths_are_dockers()
    {
        Assert.Equal(["/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
            "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap"],
            SystemPaths.Masked);
        Assert.Equal(["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"], SystemPaths.ReadOnly);
    }

    [Fact]
    public void Each_cpus_thermal_throttle_is_masked_when_the_host_has_it()
    {
        var sys = Directory.CreateTempSubdirectory("minirun-sys-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(sys, "devices/system/cpu/cpu0/thermal_throttle"));
            Directory.CreateDirectory(Path.Combine(sys, "devices/system/cpu/cpu1"));
            Directory.CreateDirectory(Path.Combine(sys, "devices/system/cpu/cpufreq/thermal_throttle"));
            var masked = SystemPaths.MaskedForHost(sys);
            Assert.Equal([.. SystemPaths.Masked, "/sys/devices/system/cpu/cpu0/thermal_throttle"], masked);
        }
        finally { Directory.Delete(sys, recursive: true); }
    }

    [Fact]
    public void Group_add_names_and_numbers_are_resolved_in_the_group_file()
    {
        const string group = "root:x:0:\nwheel:x:10:\naudio:x:29:alice\n";
        Assert.Equal([10u, 29u, 4242u], UserResolver.ResolveGroups(["wheel", "29", "audio", "4242"], group));
        Assert.Equal("unable to find group video: no matching entries in group file",
            Assert.Throws<RunConfigException>(() => UserResolver.ResolveGroups(["video"], group)).Message);
    }

    [Fact]
    public void Host_config_fields_round_trip_in_dockers_shapes()
    {
        var s = new MiniRun.Containers.ContainerRecordHostConfig
        {
            Privileged = true, ReadonlyRootfs = true, Devices = [new DeviceMapping("/dev/fuse", "/dev/fuse", "rwm")],
            Tmpfs = new() { ["/run"] = "size=1m" }, Ulimits = [new Ulimit("nofile", 10, 20)],
            Sysctls = new() { ["net.ipv4.ip_forward"] = "1" }, GroupAdd = ["audio"],
        };
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer)) { w.WriteStartObject(); SecurityHostConfigJson.Write(w, s); w.WriteEndObject(); }
        string json = System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
        Assert.Equal("""{"Privileged":true,"ReadonlyRootfs":true,"Devices":[{"PathOnHost":"/dev/fuse","PathInContainer":"/dev/fuse","CgroupPermissions":"rwm"}],"Tmpfs":{"/run":"size=1m"},"Ulimits":[{"Name":"nofile","Soft":10,"Hard":20}],"Sysctls":{"net.ipv4.ip_forward":"1"},"GroupAdd":["audio"]}""", json);
        var back = new MiniRun.Containers.ContainerRecordHostConfig();
        var r = new Utf8JsonReader(buffer.WrittenSpan);
        r.Read();
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            string name = r.GetString()!;
            r.Read();
            Assert.True(SecurityHostConfigJson.ReadField(ref r, name, back));
        }
        Assert.Equal(s.Devices, back.Devices);
        Assert.Equal(s.Ulimits, back.Ulimits);
        Assert.Equal(s.Tmpfs, back.Tmpfs);
        Assert.Equal(s.Sysctls, back.Sysctls);
        Assert.Equal(s.GroupAdd, back.GroupAdd);
        Assert.True(back.Privileged && back.ReadonlyRootfs);
    }
}
