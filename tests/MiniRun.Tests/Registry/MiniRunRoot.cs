// MiniRunRoot: an empty temporary MiniRun root (no image loaded, unlike MiniRunHost) plus a
// private HOME and DOCKER_CONFIG, for running the real `minirun` binary in the registry tests.
//
// Why: a pull test must start from a store that holds nothing, or blobs already present would
// hide the download. `minirun login` writes Docker's config.json: HOME and DOCKER_CONFIG point
// into the temporary directory so no test ever reads or writes the machine's real credentials.
// Dispose kills container processes recorded under this root (MiniRunHost's rule) and removes it.
// Follows: docker-login(1) (config.json under $DOCKER_CONFIG, default $HOME/.docker).
using System.Diagnostics;
using MiniRun.Tests.Integration;

namespace MiniRun.Tests.Registry;

public sealed class MiniRunRoot : IDisposable
{
    private readonly string dir;

    public string Root { get; }
    public string DockerConfig { get; }
    /// <summary>$MINIRUN_CONFIG: where `minirun login` keeps its own config.json.</summary>
    public string MiniRunConfig { get; }
    public string Home { get; }
    /// <summary>Extra environment for every minirun call (e.g. MINIRUN_INSECURE_REGISTRIES).</summary>
    public Dictionary<string, string> Env { get; } = new();

    public MiniRunRoot(string? dockerConfig = null)
    {
        if (!File.Exists(MiniRunHost.Binary))
            throw new InvalidOperationException($"{MiniRunHost.Binary} is missing: build it with ./minirun --version");
        dir = Directory.CreateTempSubdirectory("minirun-pull-").FullName;
        Root = Path.Combine(dir, "root");
        Home = Path.Combine(dir, "home");
        DockerConfig = dockerConfig ?? Path.Combine(dir, "docker-config");
        MiniRunConfig = Path.Combine(dir, "minirun-config");
        Directory.CreateDirectory(Home);
    }

    public string BlobsDir => Path.Combine(Root, "blobs", "sha256");
    public string LayersDir => Path.Combine(Root, "layers");
    public string TmpDir => Path.Combine(Root, "tmp");

    /// <summary>Every config.json under this root's private HOME, DOCKER_CONFIG and MINIRUN_CONFIG (where login may write).</summary>
    public string[] CredentialFiles() =>
        new[] { Home, DockerConfig, MiniRunConfig }.Where(Directory.Exists)
            .SelectMany(d => Directory.GetFiles(d, "config.json", SearchOption.AllDirectories)).Distinct().ToArray();

    private ProcessStartInfo Psi(string[] args)
    {
        var psi = new ProcessStartInfo(MiniRunHost.Binary)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        psi.ArgumentList.Add("--root");
        psi.ArgumentList.Add(Root);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["HOME"] = Home;
        psi.Environment["DOCKER_CONFIG"] = DockerConfig;
        psi.Environment["MINIRUN_CONFIG"] = MiniRunConfig;
        psi.Environment.Remove("MINIRUN_ROOT");
        foreach (var (k, v) in Env) psi.Environment[k] = v;
        return psi;
    }

    public RunResult Run(params string[] args) => RunWith(null, args);

    public RunResult RunWith(string? stdin, params string[] args)
    {
        using var p = Start(args);
        return Finish(p, args, stdin);
    }

    public Process Start(params string[] args) => Process.Start(Psi(args)) ?? throw new InvalidOperationException("start minirun failed");

    /// <summary>Waits for a process from <see cref="Start"/> (at most 120 s) and collects its output.</summary>
    public static RunResult Finish(Process p, string[] args, string? stdin = null)
    {
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"minirun {string.Join(' ', args)} did not finish in 120 s");
        }
        p.WaitForExit();
        return new RunResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs and asserts exit 0, with the output in the failure message.</summary>
    public RunResult Ok(params string[] args)
    {
        var r = Run(args);
        Assert.True(r.ExitCode == 0, $"minirun {string.Join(' ', args)} exited {r.ExitCode}\nstdout: {r.Stdout}\nstderr: {r.Stderr}");
        return r;
    }

    /// <summary>Full image IDs from `images --no-trunc -q` (one line per tag, as Docker), each once, sorted.</summary>
    public string[] ImageIds() =>
        Ok("images", "--no-trunc", "-q").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().Order().ToArray();

    /// <summary>Names of files in blobs/sha256 (hex digests).</summary>
    public string[] Blobs() => Directory.Exists(BlobsDir) ? Directory.GetFiles(BlobsDir).Select(Path.GetFileName).OfType<string>().Order().ToArray() : [];

    public string[] Layers() => Directory.Exists(LayersDir) ? Directory.GetDirectories(LayersDir).Select(Path.GetFileName).OfType<string>().Order().ToArray() : [];

    /// <summary>Every blob's content hashes to its name, and tmp/ holds nothing: the store is consistent.</summary>
    public void AssertConsistent()
    {
        foreach (string hex in Blobs())
        {
            using var f = File.OpenRead(Path.Combine(BlobsDir, hex));
            string actual = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(f));
            Assert.True(actual == hex, $"blob {hex} in the store has content sha256:{actual}");
        }
        if (Directory.Exists(TmpDir))
            Assert.Empty(Directory.GetFileSystemEntries(TmpDir));
    }

    /// <summary>Kills container processes recorded under this root (only those: pid and start time must match).</summary>
    private void KillRecordedContainers()
    {
        string containers = Path.Combine(Root, "containers");
        if (!Directory.Exists(containers)) return;
        foreach (var d in Directory.EnumerateDirectories(containers))
        {
            string path = Path.Combine(d, "container.json");
            if (!File.Exists(path)) continue;
            try
            {
                var state = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path)).RootElement.GetProperty("State");
                int pid = state.GetProperty("Pid").GetInt32();
                ulong start = state.GetProperty("PidStartTime").GetUInt64();
                if (pid > 0 && MiniRun.Runtime.ProcessIdentity.IsAlive(pid, start)) kill(pid, 9);
            }
            catch (Exception e) when (e is IOException or System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException) { }
        }
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern int kill(int pid, int sig);

    public void Dispose()
    {
        KillRecordedContainers();
        try { Directory.Delete(dir, recursive: true); }
        catch (IOException) { Thread.Sleep(200); Directory.Delete(dir, recursive: true); }
    }
}
