// Tests of SpecGenerator: the config.json produced for `minirun run`, and its JSON round trip.
using MiniImage.Oci;
using MiniRun.Spec;

namespace MiniRun.Tests.Spec;

public class SpecGeneratorTests
{
    private const string Id = "3f4e5d6c7b8a9f0e1d2c3b4a5968778695a4b3c2d1e0f9e8d7c6b5a49382716a";
    private const string Dir = "/var/lib/minirun/containers/" + Id;
    private static readonly string[] Layers = { "/store/layers/base", "/store/layers/middle", "/store/layers/top" };

    private static ImageConfig Image(Action<ContainerConfig>? edit = null)
    {
        var c = new ContainerConfig
        {
            Env = new List<string> { "PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8" },
            Cmd = new List<string> { "/bin/sh" },
        };
        edit?.Invoke(c);
        return new ImageConfig { Architecture = "amd64", Os = "linux", Config = c };
    }

    private static RuntimeSpec Gen(ImageConfig image, RunOptions o) =>
        SpecGenerator.Generate(image, o, Id, Layers, Dir, _ => null, appArmor: MiniRun.Security.NoAppArmorHost.Instance);

    [Fact]
    public void OnlyRmContainersGetAVolatileOverlay()
    {
        Assert.Null(Gen(Image(), new RunOptions { Image = "alpine" }).Linux.Overlay!.Volatile);
        Assert.True(Gen(Image(), new RunOptions { Image = "alpine", Rm = true }).Linux.Overlay!.Volatile);
    }

    [Fact]
    public void Defaults()
    {
        var s = Gen(Image(), new RunOptions { Image = "alpine:3.20" });

        Assert.Equal("3f4e5d6c7b8a", s.Hostname);
        Assert.False(s.Process.Terminal);
        Assert.Null(s.Process.ConsoleSize);
        Assert.Equal(new[] { "/bin/sh" }, s.Process.Args);
        Assert.Equal(new[] { "PATH=/usr/local/bin:/usr/bin:/bin", "HOSTNAME=3f4e5d6c7b8a", "LANG=C.UTF-8" }, s.Process.Env);
        Assert.Equal("/", s.Process.Cwd);
        Assert.Equal(0u, s.Process.User.Uid);
        Assert.Equal(0u, s.Process.User.Gid);
        Assert.Equal("", s.Process.User.Username); // "" = default user (root, with its image groups), resolved by init
        Assert.Equal(Dir + "/rootfs", s.Root.Path);
        Assert.False(s.Root.Readonly);
        Assert.Equal(new[] { "pid", "network", "ipc", "uts", "mount", "cgroup" }, s.Linux.Namespaces.Select(n => n.Type));
        Assert.All(s.Linux.Namespaces, n => Assert.Null(n.Path));
        Assert.Equal("alpine:3.20", s.Annotations![SpecGenerator.ImageAnnotation]);
        Assert.False(s.Annotations.ContainsKey(SpecGenerator.NameAnnotation));
    }

    [Fact]
    public void MountsInOrderWithDockerOptions()
    {
        var m = Gen(Image(), new RunOptions { Image = "x" }).Mounts;
        Assert.Equal(new[] { "/proc", "/sys", "/sys/fs/cgroup", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/.dockerenv" },
            m.Select(x => x.Destination));
        Assert.Equal(new[] { "proc", "sysfs", "cgroup2", "tmpfs", "devpts", "tmpfs", "mqueue", "bind", "bind", "bind", "bind" }, m.Select(x => x.Type));
        Assert.Equal(new[] { "nosuid", "noexec", "nodev", "ro" }, m[2].Options!);
        m.RemoveAt(2);
        Assert.Equal(new[] { "nosuid", "noexec", "nodev" }, m[0].Options!);
        Assert.Equal(new[] { "nosuid", "noexec", "nodev", "ro" }, m[1].Options!);
        Assert.Equal(new[] { "nosuid", "strictatime", "mode=755", "size=65536k" }, m[2].Options!);
        Assert.Equal(new[] { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" }, m[3].Options!);
        Assert.Equal(new[] { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" }, m[4].Options!);
        Assert.Equal(new[] { "nosuid", "noexec", "nodev" }, m[5].Options!);
        Assert.Equal(Dir + "/hostname", m[6].Source);
        Assert.Equal(Dir + "/hosts", m[7].Source);
        Assert.Equal(Dir + "/resolv.conf", m[8].Source);
        Assert.Equal(Dir + "/dockerenv", m[9].Source);   // the container marker, read-only
        Assert.Equal(new[] { "bind", "rprivate", "ro" }, m[9].Options!);
        Assert.All(m.Skip(6).Take(3), x => Assert.Equal(new[] { "bind", "rprivate" }, x.Options!));
    }

    [Fact]
    public void MaskedAndReadonlyPaths()
    {
        var s = Gen(Image(), new RunOptions { Image = "x" });
        // Docker's list (since 28.0 with /proc/interrupts), then each CPU's thermal_throttle this host has.
        Assert.Equal(new[] { "/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
            "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap" }, s.Linux.MaskedPaths!.Take(12));
        Assert.All(s.Linux.MaskedPaths!.Skip(12), p => Assert.Matches("^/sys/devices/system/cpu/cpu[0-9]+/thermal_throttle$", p));
        Assert.Equal(new[] { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger" }, s.Linux.ReadonlyPaths!);
    }

    [Fact]
    public void OverlayLowerDirsTopMostFirst()
    {
        var ov = Gen(Image(), new RunOptions { Image = "x" }).Linux.Overlay!;
        Assert.Equal(new[] { "/store/layers/top", "/store/layers/middle", "/store/layers/base" }, ov.LowerDirs);
        Assert.Equal(Dir + "/upper", ov.UpperDir);
        Assert.Equal(Dir + "/work", ov.WorkDir);
    }

    [Fact]
    public void FlagsAreApplied()
    {
        using var dir = new SpecTempDir();
        var o = new RunOptions
        {
            Image = "busybox", Name = "web", Hostname = "box", Tty = true, Interactive = true,
            ConsoleWidth = 120, ConsoleHeight = 40, User = "nobody:nogroup", Workdir = "/srv//app/",
            Entrypoint = "/bin/echo", Command = { "hello", "world" },
            EnvFiles = { dir.File("e.env", "FROMFILE=1\nLANG=file\n") }, Env = { "LANG=flag" },
        };
        var s = Gen(Image(c => { c.Entrypoint = new List<string> { "/docker-entrypoint.sh" }; c.User = "daemon"; c.WorkingDir = "/img"; }), o);

        Assert.Equal("box", s.Hostname);
        Assert.True(s.Process.Terminal);
        Assert.Equal(120u, s.Process.ConsoleSize!.Width);
        Assert.Equal(40u, s.Process.ConsoleSize.Height);
        Assert.Equal(new[] { "/bin/echo", "hello", "world" }, s.Process.Args);
        Assert.Equal(new[] { "PATH=/usr/local/bin:/usr/bin:/bin", "HOSTNAME=box", "TERM=xterm", "FROMFILE=1", "LANG=flag" }, s.Process.Env);
        Assert.Equal("/srv/app", s.Process.Cwd);
        Assert.Equal("nobody:nogroup", s.Process.User.Username);
        Assert.Equal("web", s.Annotations![SpecGenerator.NameAnnotation]);
    }

    [Fact]
    public void TtyWithoutKnownSizeHasNoConsoleSize()
    {
        var s = Gen(Image(), new RunOptions { Image = "x", Tty = true });
        Assert.True(s.Process.Terminal);
        Assert.Null(s.Process.ConsoleSize);
        // Size without -t is ignored.
        Assert.Null(Gen(Image(), new RunOptions { Image = "x", ConsoleWidth = 80, ConsoleHeight = 24 }).Process.ConsoleSize);
    }

    [Fact]
    public void ImageUserAndWorkdirAreDefaults()
    {
        var s = Gen(Image(c => { c.User = "1000:1000"; c.WorkingDir = "/home/app"; c.StopSignal = "SIGQUIT"; }), new RunOptions { Image = "x", User = "" });
        Assert.Equal("1000:1000", s.Process.User.Username);
        Assert.Equal("/home/app", s.Process.Cwd);
        Assert.Equal("SIGQUIT", s.Annotations![SpecGenerator.StopSignalAnnotation]);
    }

    [Fact]
    public void RelativeWorkdirIsRejected()
    {
        var e = Assert.Throws<RunConfigException>(() => Gen(Image(), new RunOptions { Image = "x", Workdir = "app" }));
        Assert.Equal("the working directory 'app' is invalid, it needs to be an absolute path", e.Message);
        Assert.Throws<RunConfigException>(() => Gen(Image(c => c.WorkingDir = "rel"), new RunOptions { Image = "x" }));
    }

    [Theory]
    [InlineData("/", "/")]
    [InlineData("/a/b/", "/a/b")]
    [InlineData("//a//./b", "/a/b")]
    [InlineData("/a/../../b", "/b")]
    [InlineData("/a/..", "/")]
    public void WorkdirIsCleaned(string given, string expected) =>
        Assert.Equal(expected, SpecGenerator.ResolveWorkdir(given, null));

    [Fact]
    public void NoCommandIsAnError()
    {
        var e = Assert.Throws<RunConfigException>(() => Gen(Image(c => c.Cmd = null), new RunOptions { Image = "x" }));
        Assert.Equal("no command specified", e.Message);
    }

    [Fact]
    public void ImageWithoutConfigSectionNeedsACommand()
    {
        var image = new ImageConfig { Architecture = "amd64", Os = "linux" };
        Assert.Throws<RunConfigException>(() => Gen(image, new RunOptions { Image = "x" }));
        var s = Gen(image, new RunOptions { Image = "x", Command = { "/hello" } });
        Assert.Equal(new[] { "/hello" }, s.Process.Args);
        Assert.Equal(new[] { "PATH=" + EnvMerge.DefaultPath, "HOSTNAME=3f4e5d6c7b8a" }, s.Process.Env);
    }

    [Fact]
    public void BadHostnamesAreRejected()
    {
        Assert.Throws<RunConfigException>(() => Gen(Image(), new RunOptions { Image = "x", Hostname = new string('a', 65) }));
        Assert.Throws<RunConfigException>(() => Gen(Image(), new RunOptions { Image = "x", Hostname = "a b" }));
        Assert.Equal(new string('a', 64), Gen(Image(), new RunOptions { Image = "x", Hostname = new string('a', 64) }).Hostname);
    }

    [Fact]
    public void EnvLookupUsesCallingEnvironment()
    {
        var s = SpecGenerator.Generate(Image(), new RunOptions { Image = "x", Env = { "SECRET", "LANG" } }, Id, Layers, Dir,
            n => n == "SECRET" ? "s3" : null, appArmor: MiniRun.Security.NoAppArmorHost.Instance);
        // SECRET copied from the caller; LANG unset there, so the image's LANG is removed (Docker).
        Assert.Equal(new[] { "PATH=/usr/local/bin:/usr/bin:/bin", "HOSTNAME=3f4e5d6c7b8a", "SECRET=s3" }, s.Process.Env);
    }

    [Fact]
    public void JsonRoundTripThroughSaveAndLoad()
    {
        using var dir = new SpecTempDir();
        var o = new RunOptions { Image = "alpine", Name = "n1", Tty = true, ConsoleWidth = 100, ConsoleHeight = 30, User = "alice", Command = { "sh", "-c", "echo \"hi\"" } };
        var s = Gen(Image(), o);
        string path = Path.Combine(dir.Path, "config.json");
        s.Save(path);
        Assert.False(File.Exists(path + ".tmp"));

        string json = File.ReadAllText(path);
        Assert.Contains("\"io.minirun.overlay\"", json);
        Assert.Contains("\"io.minirun.user\": \"alice\"", json);
        Assert.DoesNotContain("\"path\": null", json);

        var r = RuntimeSpec.Load(path);
        Assert.Equal(s.OciVersion, r.OciVersion);
        Assert.Equal(s.Hostname, r.Hostname);
        Assert.Equal(s.Process.Args, r.Process.Args);
        Assert.Equal(s.Process.Env, r.Process.Env);
        Assert.Equal(s.Process.Cwd, r.Process.Cwd);
        Assert.True(r.Process.Terminal);
        Assert.Equal((100u, 30u), (r.Process.ConsoleSize!.Width, r.Process.ConsoleSize.Height));
        Assert.Equal("alice", r.Process.User.Username);
        Assert.Equal(s.Root.Path, r.Root.Path);
        Assert.Equal(s.Mounts.Select(m => (m.Destination, m.Type, m.Source, string.Join(',', m.Options!))),
            r.Mounts.Select(m => (m.Destination, m.Type, m.Source, string.Join(',', m.Options!))));
        Assert.Equal(s.Linux.Namespaces.Select(n => n.Type), r.Linux.Namespaces.Select(n => n.Type));
        Assert.Equal(s.Linux.MaskedPaths, r.Linux.MaskedPaths);
        Assert.Equal(s.Linux.ReadonlyPaths, r.Linux.ReadonlyPaths);
        Assert.Equal(s.Linux.Overlay!.LowerDirs, r.Linux.Overlay!.LowerDirs);
        Assert.Equal(s.Linux.Overlay.UpperDir, r.Linux.Overlay.UpperDir);
        Assert.Equal(s.Linux.Overlay.WorkDir, r.Linux.Overlay.WorkDir);
        Assert.Equal(s.Annotations, r.Annotations);
    }
}
