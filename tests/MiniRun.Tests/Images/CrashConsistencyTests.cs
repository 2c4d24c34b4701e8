// CrashConsistencyTests: `kill -9` of `load`, of a first `run` (which unpacks) and of `pull` (from
// Debian's docker-registry on 127.0.0.1, Registry/RegistryServer.cs) at random moments, many
// times (100 kills in all); then `images`, `run` and `image prune` must leave a consistent store:
// nothing in tmp/, no blob and no layer directory that images.json does not reference, every
// short link leading to a layer; and no cgroup a killed `run` made (Containers/CgroupReservation.cs).
//
// Why: issue 15 asks for garbage collection that is complete whatever moment an operation dies
// at (Store/StoreJournal.cs, Store/StoreRecovery.cs). The moments are random within a fixed
// number of tries; nothing asserts how long anything takes.
// Follows: docker-load(1), docker-image-prune(1); kill(2) SIGKILL.
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using MiniRun.Tests.Integration;
using MiniRun.Tests.Registry;

namespace MiniRun.Tests.Images;

public sealed class CrashConsistencyTests : IDisposable
{
    private readonly MiniRunHost _host = new();
    private readonly string _layouts = Directory.CreateTempSubdirectory("minirun-crash-").FullName;
    private readonly Random _random = new();
    private TestCgroup? _cgroups;

    public void Dispose()
    {
        _host.Dispose();
        _cgroups?.Dispose();   // after the host's containers are gone
        Directory.Delete(_layouts, recursive: true);
    }

    /// <summary>busybox's layer, then a layer of 4 MiB of random bytes (so unpacking takes a while); loaded as crash:1.</summary>
    private string Layout()
    {
        string fixture = MiniRunHost.FixtureLayout;
        string Blob(string digest) => Path.Combine(fixture, "blobs", "sha256", digest[7..]);
        var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(fixture, "index.json"))).RootElement;
        var manifest = JsonDocument.Parse(File.ReadAllText(Blob(index.GetProperty("manifests")[0].GetProperty("digest").GetString()!))).RootElement;
        var config = JsonDocument.Parse(File.ReadAllText(Blob(manifest.GetProperty("config").GetProperty("digest").GetString()!))).RootElement;
        var bottom = manifest.GetProperty("layers")[0];
        var layout = new OciLayoutWriter(Path.Combine(_layouts, "crash"));
        var busybox = new LayerBlob(layout.AddBlob(File.ReadAllBytes(Blob(bottom.GetProperty("digest").GetString()!)), bottom.GetProperty("mediaType").GetString()!),
            config.GetProperty("rootfs").GetProperty("diff_ids")[0].GetString()!);
        var data = new LayerTar().Dir("data");
        for (int i = 0; i < 16; i++) data.File($"data/{i}", Convert.ToBase64String(RandomNumberGenerator.GetBytes(192 << 10)));
        var big = layout.AddLayer(data.ToTar(), LayerCompression.Gzip);
        layout.Tag(layout.AddImage([busybox, big], cmd: ["sh"]), "crash:1").Save();
        return layout.Dir;
    }

    /// <summary>Starts minirun, lets it run a random part of `typical` (a little longer at most), then SIGKILL.</summary>
    private void KillAtRandom(TimeSpan typical, params string[] args) => KillAtRandom(typical, [], args);

    /// <summary>As above, started through <paramref name="wrapper"/> (which execs minirun).</summary>
    private void KillAtRandom(TimeSpan typical, IReadOnlyList<string> wrapper, params string[] args)
    {
        using var p = wrapper.Count == 0 ? _host.Start(args) : _host.StartWrapped(wrapper, args);
        var wait = TimeSpan.FromMilliseconds(_random.NextDouble() * typical.TotalMilliseconds * 1.2);
        if (!p.WaitForExit(wait))
        {
            try { p.Kill(entireProcessTree: false); } catch (InvalidOperationException) { }   // SIGKILL; it may have ended meanwhile
        }
        p.WaitForExit();
    }

    private TimeSpan Timed(params string[] args)
    {
        var clock = Stopwatch.StartNew();
        var r = _host.Run(args);
        Assert.True(r.ExitCode == 0, $"{string.Join(' ', args)}: {r.Stderr}");
        return clock.Elapsed;
    }

    [Fact]
    public void KilledLoadsRunsAndPulls_ThenImagesRunAndPrune_LeaveAConsistentStore()
    {
        string layout = Layout();
        var typicalLoad = Timed("load", "-i", layout);
        string crashLayer = Path.Combine(_host.Root, "layers",
            JsonDocument.Parse(File.ReadAllText(Path.Combine(_host.Root, "images.json"))).RootElement.GetProperty("images").EnumerateObject()
                .Select(i => i.Value.GetProperty("diffIds")).First(d => d.GetArrayLength() == 2)[1].GetString()![7..]);
        Assert.True(Directory.Exists(crashLayer));
        var cgroups = _cgroups = new TestCgroup();
        string[] killedRun = ["run", "--rm", .. cgroups.RunFlags, "crash:1", "true"];
        var typicalRun = Timed(killedRun);

        // 100 kills in all: 34 of `load`, 33 of a first `run`, 33 of `pull`.
        // `load`, killed: each time from a store without the image (so the load has work to do).
        for (int i = 0; i < 34; i++)
        {
            _host.Run("rmi", "-f", "crash:1");
            KillAtRandom(typicalLoad, "load", "-i", layout);
        }
        // The first `run`, killed while it unpacks (or while it makes the container's cgroup and
        // clones into it, before the record exists): the image's layer as an older MiniRun's load
        // left it (not unpacked), so PrepareLayers unpacks it under the store lock. Each starts in
        // the test's cgroup, so the cgroups it makes land there too.
        Assert.Equal(0, _host.Run("load", "-i", layout).ExitCode);
        for (int i = 0; i < 33; i++)
        {
            if (Directory.Exists(crashLayer)) Directory.Delete(crashLayer, recursive: true);
            KillAtRandom(i % 2 == 0 ? typicalRun : typicalRun / 4, cgroups.Wrapper, killedRun);   // every other one early: the cgroup's window
        }
        // `pull`, killed: the image pushed to a registry of this test, pulled into a store without it.
        using var registry = new RegistryServer();
        string remote = $"{registry.Host}/crash:1";
        Assert.Equal(0, _host.Run("tag", "crash:1", remote).ExitCode);
        var push = _host.Run("push", remote);
        Assert.True(push.ExitCode == 0, push.Stderr);
        _host.Run("rmi", "-f", remote, "crash:1");
        var typicalPull = Timed("pull", remote);
        for (int i = 0; i < 33; i++)
        {
            _host.Run("rmi", "-f", remote, "crash:1");
            KillAtRandom(typicalPull, "pull", remote);
        }
        _host.Run("rmi", "-f", remote);
        Assert.Equal(0, _host.Run("load", "-i", layout).ExitCode);

        var leftovers = _host.ContainerIds();
        if (leftovers.Count > 0) _host.Run(["rm", "-f", .. leftovers]);   // containers of killed runs

        var images = _host.Run("images");
        Assert.True(images.ExitCode == 0, images.Stderr);
        Assert.Contains("busybox", images.Stdout);
        var run = _host.Run("run", "--rm", "crash:1", "sh", "-c", "cat /data/15 | wc -c");
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(((192 << 10) + 2) / 3 * 4 + "\n", run.Stdout.TrimStart());
        var prune = _host.Run("image", "prune", "-f");
        Assert.True(prune.ExitCode == 0, prune.Stderr);

        AssertConsistent(_host.Root);
        // No cgroup of a killed `run` is left: once their processes have left (the inits of killed
        // runs end when they read EOF), a removal sweeps the notes of runs that died before their record.
        cgroups.WaitQuiet();
        Assert.Equal(0, _host.Run("container", "prune", "-f").ExitCode);
        Assert.Empty(cgroups.Leftovers());
        Assert.Empty(Directory.GetFiles(Path.Combine(_host.Root, "containers"), ".cgroup-*"));
    }

    /// <summary>
    /// A cgroup of this test, T, below the host's cgroup2 mount, with T/runner where the killed
    /// `run`s start (the wrapper moves itself there, then execs minirun). Their containers' cgroups
    /// land in T: beside the runtime's own where cgroup v2 has no controllers (this host), under
    /// --cgroup-parent T where it has. Any child of T but runner at the end is a leak. Without a
    /// cgroup2 mount nothing is made and there is nothing to check. Removed at the end with what
    /// is left in it (all of it this test's).
    /// </summary>
    private sealed class TestCgroup : IDisposable
    {
        private readonly string? _dir;
        public IReadOnlyList<string> Wrapper { get; } = [];
        public IReadOnlyList<string> RunFlags { get; } = [];

        public TestCgroup()
        {
            if (MiniRun.Cgroups.CgroupV2Host.Detect().MountPoint is not string mount) return;
            _dir = Path.Combine(mount, "minirun-crashtest-" + Guid.NewGuid().ToString("N")[..12]);
            Directory.CreateDirectory(Path.Combine(_dir, "runner"));
            Wrapper = ["sh", "-c", $"echo $$ > {Path.Combine(_dir, "runner", "cgroup.procs")} && exec \"$@\"", "sh"];
            RunFlags = ["--cgroup-parent", Path.GetFileName(_dir)];
        }

        private IEnumerable<string> All() => _dir is null ? [] : Directory.EnumerateDirectories(_dir);

        public List<string> Leftovers() => All().Select(Path.GetFileName).Where(n => n != "runner").Select(n => n!).ToList();

        /// <summary>Until no process of a killed run (supervisor or init) is in T's cgroups, for at most a minute.</summary>
        public void WaitQuiet()
        {
            for (int i = 0; i < 600 && All().Any(d => File.ReadAllText(Path.Combine(d, "cgroup.procs")).Trim().Length > 0); i++)
                Thread.Sleep(100);
        }

        public void Dispose()
        {
            if (_dir is null || !Directory.Exists(_dir)) return;
            WaitQuiet();
            foreach (string child in All()) try { Directory.Delete(child); } catch (IOException) { }
            try { Directory.Delete(_dir); } catch (IOException) { }
        }
    }

    /// <summary>Walks the store: tmp/ empty, every blob and layer referenced by images.json, every link leads to a layer.</summary>
    internal static void AssertConsistent(string root)
    {
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(root, "tmp")));
        var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "images.json"))).RootElement;
        var blobs = new HashSet<string>();
        var layers = new HashSet<string>();
        foreach (var image in doc.GetProperty("images").EnumerateObject())
        {
            blobs.Add(image.Name[7..]);
            string manifest = image.Value.GetProperty("manifest").GetString()![7..];
            blobs.Add(manifest);
            var m = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "blobs", "sha256", manifest))).RootElement;
            Assert.Equal(image.Name, m.GetProperty("config").GetProperty("digest").GetString());
            foreach (var l in m.GetProperty("layers").EnumerateArray()) blobs.Add(l.GetProperty("digest").GetString()![7..]);
            foreach (var d in image.Value.GetProperty("diffIds").EnumerateArray()) layers.Add(d.GetString()![7..]);
        }
        var blobsOnDisk = Directory.GetFileSystemEntries(Path.Combine(root, "blobs", "sha256")).Select(Path.GetFileName).ToHashSet();
        var layersOnDisk = Directory.GetFileSystemEntries(Path.Combine(root, "layers")).Select(Path.GetFileName).ToHashSet();
        Assert.Equal(blobs.Order(), blobsOnDisk.Order());     // each referenced blob there, no other
        Assert.Equal(layers.Order(), layersOnDisk.Order());   // each layer unpacked, no other
        foreach (string link in Directory.GetFileSystemEntries(Path.Combine(root, "l")))
            Assert.True(Directory.Exists(link), $"{link} leads nowhere");
    }
}
