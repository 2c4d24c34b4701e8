// VolumeIntegrationTests: volumes and bind mounts in real containers (the real minirun binary,
// the busybox fixture, a temporary root and host directory per test): bind rw and ro, a missing
// host path, named volumes with copy-up, anonymous volumes from -v PATH and from an image's VOLUME,
// --volumes-from, two containers sharing a volume, what rm, rm -v and --rm keep, a symlinked mount
// target in the image, and `volume rm` of a volume in use. Every test checks that no mount is
// left in this process's mount namespace.
//
// An image with a VOLUME and seeded content is made the way a user would: a container prepares
// the files, `commit --change 'VOLUME /seed'` makes the image.
//
// Follows: docker-run(1) "-v", "--mount", "--volumes-from", VOLUME; docker-volume-rm(1); docker-rm(1) -v.
using System.Text.Json;
using MiniRun.Tests.Integration;

namespace MiniRun.Tests.Volumes;

[Collection(MiniRun.Tests.Oci.OciEngineTests.HostMountTable)]
public sealed class VolumeIntegrationTests : IDisposable
{
    private readonly MiniRunHost _host = new();
    private readonly string _work = Directory.CreateTempSubdirectory("minirun-vol-test-").FullName;
    private readonly string[] _mountsBefore = MiniRunHost.HostMounts();

    public void Dispose()
    {
        try { _host.Dispose(); }
        finally { Directory.Delete(_work, recursive: true); }
    }

    private RunResult Ok(params string[] args)
    {
        var r = _host.Run(args);
        Assert.True(r.ExitCode == 0, $"minirun {string.Join(' ', args)} -> {r.ExitCode}: {r.Stderr}");
        return r;
    }

    private RunResult Run(params string[] args) => Ok(["run", "--pull", "never", .. args]);

    private void NoMountsLeft() => Assert.Equal(_mountsBefore.Order(), MiniRunHost.HostMounts().Order());

    private string VolumeData(string name) => Path.Combine(_host.Root, "volumes", name, "_data");

    private List<string> VolumeNames() =>
        Ok("volume", "ls", "-q").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();

    /// <summary>An image whose /seed holds sub/f (1000:1001, 0640) in a 0750 directory owned by 1000:1001; VOLUME /seed.</summary>
    private void SeedImage(string tag = "seeded")
    {
        Run("--name", "seedmaker", "busybox", "sh", "-c",
            "mkdir -p /seed/sub && echo from-image > /seed/sub/f && chmod 640 /seed/sub/f && chown -R 1000:1001 /seed && chmod 750 /seed");
        Ok("commit", "--change", "VOLUME /seed", "seedmaker", tag);
        Ok("rm", "seedmaker");
    }

    [Fact]
    public void Bind_ReadWrite_SeesAndWritesHostFiles()
    {
        string host = Directory.CreateDirectory(Path.Combine(_work, "rw")).FullName;
        File.WriteAllText(Path.Combine(host, "in"), "from-host\n");
        var r = Run("--rm", "-v", host + ":/data", "busybox", "sh", "-c", "cat /data/in; echo from-container > /data/out");
        Assert.Equal("from-host\n", r.Stdout);
        Assert.Equal("from-container\n", File.ReadAllText(Path.Combine(host, "out")));
        NoMountsLeft();
    }

    [Fact]
    public void Bind_ReadOnly_WriteRefusedWithEROFS()
    {
        string host = Directory.CreateDirectory(Path.Combine(_work, "ro")).FullName;
        var r = _host.Run("run", "--pull", "never", "--rm", "-v", host + ":/data:ro", "busybox", "sh", "-c", "echo x > /data/f");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("Read-only file system", r.Stderr);
        r = _host.Run("run", "--pull", "never", "--rm", "--mount", $"type=bind,source={host},target=/data,readonly", "busybox", "touch", "/data/g");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("Read-only file system", r.Stderr);
        Assert.Empty(Directory.EnumerateFileSystemEntries(host));
        NoMountsLeft();
    }

    [Fact]
    public void Bind_MissingHostPath_VolumeFlagMakesIt_MountFlagRefuses()
    {
        string missing = Path.Combine(_work, "made", "here");
        Run("--rm", "-v", missing + ":/data", "busybox", "touch", "/data/f");
        Assert.True(File.Exists(Path.Combine(missing, "f")));

        string absent = Path.Combine(_work, "absent");
        var r = _host.Run("run", "--pull", "never", "--rm", "--mount", $"type=bind,source={absent},target=/data", "busybox", "true");
        Assert.Equal(125, r.ExitCode);
        Assert.Equal($"minirun: Error response from daemon: invalid mount config for type \"bind\": bind source path does not exist: {absent}.\nSee 'minirun run --help'.\n", r.Stderr);
        Assert.False(Directory.Exists(absent));
        Assert.Empty(_host.ContainerIds());
        NoMountsLeft();
    }

    [Fact]
    public void Bind_SymlinkSource_ResolvedOnTheHost()
    {
        string real = Directory.CreateDirectory(Path.Combine(_work, "real")).FullName;
        File.WriteAllText(Path.Combine(real, "f"), "real\n");
        string link = Path.Combine(_work, "link");
        File.CreateSymbolicLink(link, real);
        Assert.Equal("real\n", Run("--name", "symsrc", "-v", link + ":/data", "busybox", "cat", "/data/f").Stdout);
        var mounts = JsonDocument.Parse(Ok("inspect", "-f", "{{json .Mounts}}", "symsrc").Stdout).RootElement;
        Assert.Equal(real, mounts[0].GetProperty("Source").GetString());
        NoMountsLeft();
    }

    [Fact]
    public void Named_CopyUp_KeepsOwnershipAndMode_DataKeptAfterRm()
    {
        SeedImage();
        var r = Run("--name", "n1", "-v", "named:/seed", "seeded", "sh", "-c",
            "stat -c '%u:%g %a' /seed /seed/sub/f; cat /seed/sub/f; echo more > /seed/added");
        Assert.Equal("1000:1001 750\n1000:1001 640\nfrom-image\n", r.Stdout);
        Assert.Equal("from-image\n", File.ReadAllText(Path.Combine(VolumeData("named"), "sub", "f")));

        var inspect = JsonDocument.Parse(Ok("inspect", "n1").Stdout).RootElement[0];
        var m = Assert.Single(inspect.GetProperty("Mounts").EnumerateArray());
        Assert.Equal(("volume", "named", VolumeData("named"), "/seed", "local", "z", true),
            (m.GetProperty("Type").GetString(), m.GetProperty("Name").GetString(), m.GetProperty("Source").GetString(),
             m.GetProperty("Destination").GetString(), m.GetProperty("Driver").GetString(), m.GetProperty("Mode").GetString(), m.GetProperty("RW").GetBoolean()));
        Assert.Equal("named:/seed", inspect.GetProperty("HostConfig").GetProperty("Binds")[0].GetString());

        Ok("rm", "-v", "n1");   // -v removes anonymous volumes only
        Assert.Contains("named", VolumeNames());
        // Not empty any more: no copy-up over what the first container wrote.
        Assert.Equal("more\nfrom-image\n", Run("--rm", "-v", "named:/seed", "seeded", "sh", "-c", "cat /seed/added /seed/sub/f").Stdout);
        NoMountsLeft();
    }

    [Fact]
    public void Named_Nocopy_StaysEmpty()
    {
        SeedImage();
        Assert.Equal("", Run("--rm", "-v", "bare:/seed:nocopy", "seeded", "ls", "/seed").Stdout);
        NoMountsLeft();
    }

    [Fact]
    public void Anonymous_FromVolumeFlag_KeptByRm_RemovedByRmV()
    {
        Run("--name", "a1", "-v", "/cache", "busybox", "sh", "-c", "echo kept > /cache/f");
        string anon = Assert.Single(VolumeNames());
        Assert.Matches("^[0-9a-f]{64}$", anon);
        Assert.Equal("{\"/cache\":{}}", Ok("inspect", "-f", "{{json .Config.Volumes}}", "a1").Stdout.Trim());
        Ok("rm", "a1");
        Assert.Equal([anon], VolumeNames());   // plain rm leaves it (dangling), as Docker

        Run("--name", "a2", "-v", "/cache", "busybox", "true");
        string second = Assert.Single(VolumeNames(), n => n != anon);
        Ok("rm", "-v", "a2");
        Assert.Equal([anon], VolumeNames());
        Assert.False(Directory.Exists(Path.Combine(_host.Root, "volumes", second)));
        NoMountsLeft();
    }

    [Fact]
    public void ImageVolume_AnonymousWithCopyUp_RemovedByRunRm()
    {
        SeedImage();
        Assert.Equal("from-image\n", Run("--rm", "seeded", "cat", "/seed/sub/f").Stdout);
        Assert.Empty(VolumeNames());   // --rm removed the anonymous volume

        Run("--name", "kept", "seeded", "sh", "-c", "echo w > /seed/w");
        string anon = Assert.Single(VolumeNames());
        Assert.Equal("w\n", File.ReadAllText(Path.Combine(VolumeData(anon), "w")));
        // A -v on the image's VOLUME path replaces the anonymous volume.
        Run("--rm", "-v", "instead:/seed", "seeded", "true");
        Assert.Equal([anon, "instead"], VolumeNames().Order(StringComparer.Ordinal));
        NoMountsLeft();
    }

    [Fact]
    public void VolumesFrom_SeesTheSameVolumes_ReadOnlyOverride()
    {
        string host = Directory.CreateDirectory(Path.Combine(_work, "b")).FullName;
        Run("--name", "src", "-v", "/anon", "-v", "shared1:/named", "-v", host + ":/bind", "busybox", "sh", "-c",
            "echo a > /anon/f; echo n > /named/f; echo b > /bind/f");
        Assert.Equal("a\nn\nb\n", Run("--rm", "--volumes-from", "src", "busybox", "sh", "-c", "cat /anon/f /named/f /bind/f; echo 2 > /named/g").Stdout);
        var r = _host.Run("run", "--pull", "never", "--rm", "--volumes-from", "src:ro", "busybox", "sh", "-c", "cat /named/g; echo x > /anon/f");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("2\n", r.Stdout);
        Assert.Contains("Read-only file system", r.Stderr);
        Assert.Equal(2, VolumeNames().Count);   // the --rm containers removed no volume of src's
        NoMountsLeft();
    }

    [Fact]
    public void TwoContainers_SharingAVolume_SeeEachOthersWrites()
    {
        Ok("volume", "create", "meet");
        Run("-d", "--name", "first", "-v", "meet:/v", "busybox", "sh", "-c",
            "echo from-first > /v/a; while [ ! -f /v/b ]; do sleep 0.1; done; cat /v/b");
        var second = Run("--rm", "-v", "meet:/v", "busybox", "sh", "-c",
            "while [ ! -f /v/a ]; do sleep 0.1; done; cat /v/a; echo from-second > /v/b");
        Assert.Equal("from-first\n", second.Stdout);
        Assert.Equal("0", Ok("wait", "first").Stdout.Trim());
        Assert.Equal("from-second\n", Ok("logs", "first").Stdout);
        NoMountsLeft();
    }

    [Fact]
    public void SymlinkedTargetInImage_StaysInsideTheRootfs()
    {
        string marker = "minirun-voltarget-" + Guid.NewGuid().ToString("N");
        Run("--name", "links", "busybox", "sh", "-c", "ln -s / /abs && ln -s ../../.. /up");
        Ok("commit", "links", "linky");
        string h1 = Directory.CreateDirectory(Path.Combine(_work, "h1")).FullName, h2 = Directory.CreateDirectory(Path.Combine(_work, "h2")).FullName;
        File.WriteAllText(Path.Combine(h1, "f"), "one\n");
        File.WriteAllText(Path.Combine(h2, "f"), "two\n");
        try
        {
            var r = Run("--rm", "-v", $"{h1}:/abs/tmp/{marker}", "-v", $"{h2}:/up/{marker}", "linky", "sh", "-c",
                $"cat /tmp/{marker}/f /{marker}/f");
            Assert.Equal("one\ntwo\n", r.Stdout);
            Assert.False(Path.Exists(Path.Combine("/tmp", marker)), "a mount target followed /abs -> / out of the rootfs");
            Assert.False(Path.Exists(Path.Combine("/", marker)), "a mount target followed ../.. out of the rootfs");
        }
        finally
        {
            foreach (var p in new[] { Path.Combine("/tmp", marker), Path.Combine("/", marker) })
                if (Directory.Exists(p) && !Directory.EnumerateFileSystemEntries(p).Any()) Directory.Delete(p);
        }
        NoMountsLeft();
    }

    [Fact]
    public void Bind_Rslave_SeesAMountTheHostMakesLater_PrivateSourceRefused()
    {
        // In a mount namespace of the test's own (unshare -m makes every mount private there), so the
        // machine's mount table never changes: a shared bind mount of a test directory, a detached
        // container with it as /d:rslave, then a tmpfs mounted below it on the "host" side. The
        // container waits on a plain bind mount (/w/go), not on time.
        string shared = Directory.CreateDirectory(Path.Combine(_work, "shared")).FullName;
        string plain = Directory.CreateDirectory(Path.Combine(_work, "plain")).FullName;
        string go = Directory.CreateDirectory(Path.Combine(_work, "go")).FullName;
        string m = $"{MiniRunHost.Binary} --root {_host.Root}";
        string script = $"""
            set -e
            mount --bind {shared} {shared}
            mount --make-shared {shared}
            id=$({m} run -d --pull never -v {shared}:/d:rslave -v {go}:/w busybox sh -c 'while [ ! -e /w/go ]; do sleep 0.1; done; grep " /d " /proc/self/mountinfo | grep -c master: ; cat /d/sub/seen')
            mkdir -p {shared}/sub
            mount -t tmpfs -o size=1m minirun-test {shared}/sub
            echo from-host > {shared}/sub/seen
            touch {go}/go
            echo "exit=$({m} wait $id)"
            {m} logs $id
            {m} rm $id >/dev/null
            {m} run --rm --pull never -v {plain}:/d:rslave busybox true 2>&1 || echo "private=$?"
            """;
        string hostMount = MiniRun.Volumes.BindPropagation.HostMountOf(plain, File.ReadAllLines("/proc/self/mountinfo")).MountPoint;
        var r = MiniRun.Tests.Registry.Tool.Run("/usr/bin/unshare", ["-m", "/bin/sh", "-c", script]);
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        Assert.Equal("exit=0\n1\nfrom-host\n" +
            $"minirun: Error response from daemon: path {plain} is mounted on {hostMount} but it is not a shared or slave mount.\n" +
            "See 'minirun run --help'.\nprivate=125\n", r.Stdout);

        Assert.Empty(_host.ContainerIds());
        NoMountsLeft();
    }

    [Fact]
    public void Bind_Rshared_MountsCrossBothWays_TheRootfsNeverReachesTheHost_PrivateSourceRefused()
    {
        // Everything in a mount namespace of the test's own (unshare -m --propagation private), so
        // the machine's mount table never changes. There, two shared mounts: a tmpfs as the bind
        // source, and MiniRun's root bound onto itself (so that an overlay or any other mount of the
        // container escaping through the rootfs's parent mount would show in this namespace).
        // The container (allowed to mount: SYS_ADMIN, no AppArmor) mounts a tmpfs below /d and says
        // so on a plain bind mount (/w/mounted); the namespace then checks it sees that mount and
        // no mount under MiniRun's root, mounts a tmpfs below the source, and lets the container
        // read it (/w/go). Waiting is on files, never on time.
        string src = Directory.CreateDirectory(Path.Combine(_work, "src")).FullName;
        string plain = Directory.CreateDirectory(Path.Combine(_work, "plain")).FullName;
        string go = Directory.CreateDirectory(Path.Combine(_work, "go")).FullName;
        string config = Path.Combine(_work, "daemon.json");
        File.WriteAllText(config, "{\"bridge\":\"none\"}");
        string root = _host.Root;
        string m = $"{MiniRunHost.Binary} --root {root}";
        string script = $$"""
            set -e
            export MINIRUN_DAEMON_CONFIG={{config}}
            mount -t tmpfs -o size=1m minirun-src {{src}}
            mount --make-shared {{src}}
            mount --bind {{root}} {{root}}
            mount --make-shared {{root}}
            under_root() { awk -v r={{root}} 'index($5, r "/") == 1' /proc/self/mountinfo | wc -l; }
            id=$({{m}} run -d --pull never --cap-add SYS_ADMIN --security-opt apparmor=unconfined -v {{src}}:/d:rshared -v {{go}}:/w busybox sh -c 'grep " /d " /proc/self/mountinfo | grep -c shared: ; mkdir /d/sub && mount -t tmpfs -o size=1m inside /d/sub && echo from-container > /d/sub/f && touch /w/mounted; while [ ! -e /w/go ]; do sleep 0.1; done; cat /d/host/seen')
            while [ ! -e {{go}}/mounted ] && [ "$({{m}} inspect -f '{{"{{.State.Running}}"}}' $id)" = true ]; do sleep 0.1; done
            echo "seen-here=$(cat {{src}}/sub/f 2>&1) $(awk '$5 == "{{src}}/sub" { for (i = 7; $i != "-"; i++); print $(i + 1) }' /proc/self/mountinfo)"
            echo "under-root-while-running=$(under_root)"
            mkdir {{src}}/host
            mount -t tmpfs -o size=1m minirun-host {{src}}/host
            echo from-host > {{src}}/host/seen
            touch {{go}}/go
            echo "exit=$({{m}} wait $id)"
            {{m}} logs $id
            {{m}} rm -f $id >/dev/null
            echo "under-root-after-rm=$(under_root)"
            {{m}} run --rm --pull never -v {{plain}}:/d:rshared busybox true 2>&1 || echo "private=$?"
            """;
        string hostMount = MiniRun.Volumes.BindPropagation.HostMountOf(plain, File.ReadAllLines("/proc/self/mountinfo")).MountPoint;
        var r = MiniRun.Tests.Registry.Tool.Run("/usr/bin/unshare", ["-m", "--propagation", "private", "/bin/sh", "-c", script]);
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        Assert.Equal("seen-here=from-container tmpfs\nunder-root-while-running=0\nexit=0\n1\nfrom-host\nunder-root-after-rm=0\n" +
            $"minirun: Error response from daemon: path {plain} is mounted on {hostMount} but it is not a shared mount.\n" +
            "See 'minirun run --help'.\nprivate=125\n", r.Stdout);
        Assert.Empty(_host.ContainerIds());
        NoMountsLeft();
    }

    [Fact]
    public void VolumeRm_RefusedWhileAContainerUsesIt()
    {
        Run("--name", "user", "-v", "busy:/d", "busybox", "true");
        string id = _host.Record("user").GetProperty("Id").GetString()!;
        var r = _host.Run("volume", "rm", "busy");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"Error response from daemon: remove busy: volume is in use - [{id}]\n", r.Stderr);
        Assert.Equal(id[..12], Ok("ps", "-aq", "--filter", "volume=busy").Stdout.Trim());   // by name or by destination
        Assert.Equal(id[..12], Ok("ps", "-aq", "--filter", "volume=/d").Stdout.Trim());
        Assert.Equal("", Ok("ps", "-aq", "--filter", "volume=other").Stdout);
        Ok("rm", "user");
        Assert.Equal("busy\n", Ok("volume", "rm", "busy").Stdout);
        Assert.Empty(VolumeNames());
        NoMountsLeft();
    }

    [Fact]
    public void StartAfterStop_MountsTheSameVolume()
    {
        Run("--name", "again", "-v", "persist:/p", "busybox", "sh", "-c", "echo x >> /p/log; wc -l < /p/log");
        Assert.Equal("2\n", Ok("start", "-a", "again").Stdout);
        NoMountsLeft();
    }

    [Fact]
    public void MountTmpfs_AndVolumeInspectJson()
    {
        Assert.Contains("size=1024k", Run("--rm", "--mount", "type=tmpfs,target=/t,tmpfs-size=1m", "busybox", "grep", " /t ", "/proc/mounts").Stdout);
        Ok("volume", "create", "--label", "k=v", "insp");
        var v = JsonDocument.Parse(Ok("volume", "inspect", "insp").Stdout).RootElement[0];
        Assert.Equal(["CreatedAt", "Driver", "Labels", "Mountpoint", "Name", "Options", "Scope"], v.EnumerateObject().Select(p => p.Name));
        Assert.Equal(("local", "v", VolumeData("insp"), "insp", "local"),
            (v.GetProperty("Driver").GetString(), v.GetProperty("Labels").GetProperty("k").GetString(), v.GetProperty("Mountpoint").GetString(),
             v.GetProperty("Name").GetString(), v.GetProperty("Scope").GetString()));
        Assert.Equal("insp\n", Ok("volume", "inspect", "-f", "{{.Name}}", "insp").Stdout);
        Assert.Equal("DRIVER    VOLUME NAME\nlocal     insp\n", Ok("volume", "ls").Stdout);
        NoMountsLeft();
    }
}
