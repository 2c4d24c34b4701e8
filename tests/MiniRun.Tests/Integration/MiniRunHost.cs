// MiniRunHost: runs the real NativeAOT `minirun` binary against a temporary MiniRun root that
// holds the busybox fixture image, for tests that observe facts inside real containers.
//
// Why: these tests must see what a student sees: real namespaces, mounts and exit codes. Each
// test class gets its own root under /tmp (so no test touches /var/lib/minirun), and Dispose
// runs `rm -f` on every container of that root (supervisors included), then removes the root. MiniRun mounts
// nothing on the host side (every mount happens inside the container's mount namespace), and
// the tests assert that too.
//
// Needs: root, artifacts/bin/minirun (built by ./minirun or tests/run-all.sh) and
// rootfs-fixtures/out/busybox (built by rootfs-fixtures/build-busybox.sh).
using System.Diagnostics;
using System.Text.Json;

namespace MiniRun.Tests.Integration;

public sealed record RunResult(int ExitCode, string Stdout, string Stderr);

public sealed class MiniRunHost : IDisposable
{
    public static string RepoRoot { get; } = FindRepoRoot();
    public static string Binary => Environment.GetEnvironmentVariable("MINIRUN_BIN") is { Length: > 0 } b ? b : Path.Combine(RepoRoot, "artifacts/bin/minirun");
    public static string FixtureLayout => Path.Combine(RepoRoot, "rootfs-fixtures/out/busybox");

    public string Root { get; }
    /// <summary>A command every minirun runs under, e.g. nsenter into a test's network namespace (Network/NetnsHost.cs).</summary>
    private readonly IReadOnlyList<string> _prefix;
    /// <summary>Environment given to every minirun (e.g. its own daemon.json).</summary>
    private readonly IReadOnlyDictionary<string, string> _env;

    public MiniRunHost() : this([], new Dictionary<string, string>()) { }

    /// <summary>A host whose root is <paramref name="root"/> (made here; e.g. a very long path). Dispose removes it.</summary>
    internal MiniRunHost(string root) : this([], new Dictionary<string, string>(), root) { }

    internal MiniRunHost(IReadOnlyList<string> prefix, IReadOnlyDictionary<string, string> env, string? root = null)
    {
        _prefix = prefix;
        _env = env;
        if (Environment.UserName != "root" && geteuid() != 0)
            throw new InvalidOperationException("the integration tests need root (they create namespaces and mounts)");
        if (!File.Exists(Binary))
            throw new InvalidOperationException($"{Binary} is missing: build it with ./minirun --version (or run tests/run-all.sh)");
        if (!Directory.Exists(FixtureLayout))
            throw new InvalidOperationException($"{FixtureLayout} is missing: run rootfs-fixtures/build-busybox.sh");
        Root = root is null ? Directory.CreateTempSubdirectory("minirun-test-").FullName : Directory.CreateDirectory(root).FullName;
        var load = Run("load", "-i", FixtureLayout);
        if (load.ExitCode != 0) throw new InvalidOperationException($"load failed: {load.Stderr}");
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern uint geteuid();

    /// <summary>Alive and not a zombie (a process may vanish between any two reads of /proc).</summary>
    public static bool Alive(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            char state = stat[(stat.LastIndexOf(')') + 2)];
            return state is not ('Z' or 'X');
        }
        catch (IOException) { return false; }
    }

    public RunResult Run(params string[] args) => RunWith(null, null, args);

    /// <summary>Run, asserting exit 0 (the failure names the command, its status and stderr); returns stdout.</summary>
    public string Ok(params string[] args)
    {
        var r = Run(args);
        Assert.True(r.ExitCode == 0, $"minirun {string.Join(' ', args)}: exit {r.ExitCode}: {r.Stderr}");
        return r.Stdout;
    }

    /// <summary>Runs minirun with --root set; optional stdin text and extra environment.</summary>
    public RunResult RunWith(string? stdin, IDictionary<string, string>? env, params string[] args)
    {
        var psi = StartInfo(args);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        // A command that does not read stdin (exec without -i) may be gone before the text is
        // written, or close it first: a broken pipe then is expected, not a failure.
        try
        {
            if (stdin is not null) p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        catch (IOException)
        {
            try { p.StandardInput.Close(); } catch (IOException) { }   // Dispose closes the pipe even when the flush fails
        }
        if (!p.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"minirun {string.Join(' ', args)} did not finish in 60 s");
        }
        p.WaitForExit();
        return new RunResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Starts minirun without waiting (for signal tests); the caller waits and disposes.</summary>
    public Process Start(params string[] args) => Process.Start(StartInfo(args))!;

    /// <summary>
    /// As Start, with SIGINT back to its default (coreutils `env --default-signal=INT`, which execs,
    /// so the pid is minirun's): a test host started in the background (CI, nohup) ignores SIGINT,
    /// exec keeps an ignored signal ignored, and .NET then never raises Console.CancelKeyPress:
    /// a test of Ctrl-C would test the test host's launch instead.
    /// </summary>
    public Process StartInterruptible(params string[] args) => Process.Start(StartInfo(args, ["env", "--default-signal=INT"]))!;

    /// <summary>As Start, through <paramref name="wrapper"/> (a command that ends by exec'ing its arguments, so the pid is minirun's).</summary>
    public Process StartWrapped(IReadOnlyList<string> wrapper, params string[] args) => Process.Start(StartInfo(args, wrapper))!;

    private ProcessStartInfo StartInfo(string[] args, IReadOnlyList<string>? wrapper = null)
    {
        var launch = _prefix.Concat(wrapper ?? []).ToList();
        var psi = new ProcessStartInfo(launch.Count > 0 ? launch[0] : Binary)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        if (launch.Count > 0)
        {
            foreach (var a in launch.Skip(1)) psi.ArgumentList.Add(a);
            psi.ArgumentList.Add(Binary);
        }
        psi.ArgumentList.Add("--root");
        psi.ArgumentList.Add(Root);
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in _env) psi.Environment[k] = v;
        return psi;
    }

    /// <summary>The container.json of the container with this name.</summary>
    public JsonElement Record(string name)
    {
        foreach (var dir in Directory.EnumerateDirectories(Path.Combine(Root, "containers")))
        {
            if (Path.GetFileName(dir).StartsWith('.')) continue;   // .removed-ID: a --rm container's files being deleted
            string path = Path.Combine(dir, "container.json");
            if (!File.Exists(path)) continue;
            var doc = JsonDocument.Parse(File.ReadAllText(path)).RootElement;
            if (doc.GetProperty("Name").GetString() == name) return doc;
        }
        throw new InvalidOperationException($"no container named {name}");
    }

    /// <summary>Ids of every container in this root.</summary>
    public IReadOnlyList<string> ContainerIds()
    {
        string containers = Path.Combine(Root, "containers");
        return Directory.Exists(containers)
            ? Directory.EnumerateDirectories(containers).Select(Path.GetFileName).Where(n => !n!.StartsWith('.')).Select(n => n!).ToList()
            : [];
    }

    public void Dispose()
    {
        // `rm -f` every container of this root: it ends supervisors and containers (checked by
        // start time), cgroups and directories, so no detached container outlives a test.
        var ids = ContainerIds();
        if (ids.Count > 0)
        {
            try { Run(["rm", "-f", .. ids]); }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException or System.ComponentModel.Win32Exception) { }
        }
        foreach (var id in ContainerIds())
        {
            // Whatever rm -f could not remove: end only processes this test root started (recorded pids).
            string path = Path.Combine(Root, "containers", id, "container.json");
            if (!File.Exists(path)) continue;
            try
            {
                var state = JsonDocument.Parse(File.ReadAllText(path)).RootElement.GetProperty("State");
                foreach (var (p, t) in new[] { ("SupervisorPid", "SupervisorStartTime"), ("Pid", "PidStartTime") })
                {
                    if (!state.TryGetProperty(p, out var pidValue) || !state.TryGetProperty(t, out var startValue)) continue;
                    int pid = pidValue.GetInt32();
                    ulong start = startValue.GetUInt64();
                    if (pid > 0 && MiniRun.Runtime.ProcessIdentity.IsAlive(pid, start)) kill(pid, 9);
                }
            }
            catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException or InvalidOperationException) { }
        }
        try { MiniImage.Layers.TreeRemover.DeletePath(Root); } catch (IOException) { Thread.Sleep(200); MiniImage.Layers.TreeRemover.DeletePath(Root); }
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern int kill(int pid, int sig);

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MiniRun.sln"))) return dir.FullName;
        throw new InvalidOperationException("cannot find the repository root (MiniRun.sln) above " + AppContext.BaseDirectory);
    }

    /// <summary>
    /// Mount points of the host (this test process's mount namespace), to check nothing leaked -
    /// without network namespace files (nsfs): networking tests running at the same time hold
    /// theirs (ROOT/netns/ID, /run/netns/NAME), and they check those with <see cref="HostMountsWithNamespaces"/>;
    /// nor /run/netns itself, which the first `ip netns add` of such a test bind-mounts onto itself
    /// and leaves for the rest of the boot (iproute2's rule; seen once in CI's VM stage); nor the
    /// mounts of a benchmark running beside the tests (bench/*.sh keep buildah's and podman's
    /// storage under /tmp/minirun-bench*: a build bench's overlays failed a lifecycle test once).
    /// </summary>
    public static string[] HostMounts() =>
        File.ReadAllLines("/proc/self/mountinfo").Where(l => !l.Contains(" - nsfs ")).Select(l => l.Split(' ')[4])
            .Where(m => m != "/run/netns" && !m.StartsWith("/tmp/minirun-bench", StringComparison.Ordinal)).ToArray();

    /// <summary>Every mount point, network namespace files included.</summary>
    public static string[] HostMountsWithNamespaces() =>
        File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4]).ToArray();
}
