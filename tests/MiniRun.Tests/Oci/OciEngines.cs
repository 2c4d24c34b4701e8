// OciEngines: the engines that drive minirun-oci in tests, each private to one test - podman
// (storage, run directory and containers.conf under a temporary directory, the busybox fixture
// pulled into it) and containerd (its own config, root, state, socket and namespace, the fixture
// imported) - and Sh, a shell command with its exit code and output. Shared by
// Oci/OciEngineTests (hybrid host, podman --cgroups=disabled) and CgroupV2/OciEnginesCgroupTests
// (the cgroup v2 VM, real limits). Dispose removes everything the engine made, also on failure:
// containers, mounts, directories, and the cgroups under the test's own parent.
//
// Needs: root, podman and containerd (installed by .ci/install-deps.sh), the busybox fixture.
using System.Diagnostics;
using MiniRun.Tests.Integration;

namespace MiniRun.Tests.Oci;

public static class OciEngines
{
    /// <summary>`sh -c SCRIPT`: exit code and stdout followed by stderr; fails the test after the timeout.</summary>
    public static (int Code, string Output) Sh(string script, IDictionary<string, string>? env = null, int timeoutSeconds = 120)
    {
        var psi = new ProcessStartInfo("/bin/sh", ["-c", script]) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(timeoutSeconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"timed out: {script}");
        }
        return (p.ExitCode, output + err.Result);
    }

    /// <summary>Whether PROGRAM is an executable file in a directory of PATH.</summary>
    public static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(d => File.Exists(Path.Combine(d, program)));

    /// <summary>Removes the cgroup v2 directory PATH and its children, deepest first (rmdir: only empty cgroups go).</summary>
    public static void RemoveCgroupTree(string path)
    {
        if (!Directory.Exists(path)) return;
        foreach (var child in Directory.GetDirectories(path)) RemoveCgroupTree(child);
        try { Directory.Delete(path); } catch (IOException) { }
    }

    /// <summary>podman with minirun-oci as its runtime (by name, so podman's per-runtime lists apply to it).</summary>
    public sealed class Podman : IDisposable
    {
        public string Dir { get; } = Path.Combine(Path.GetTempPath(), "minirun-podman-" + Guid.NewGuid().ToString("N")[..8]);
        public Dictionary<string, string> Env { get; }
        public string Cmd => $"podman --root {Dir}/storage --runroot {Dir}/run --storage-driver vfs --runtime minirun-oci";

        /// <summary>A cgroup parent of this test's own (`run --cgroup-parent`), removed by Dispose; for hosts with cgroup v2.</summary>
        public string CgroupParent { get; } = "/minirun-test-podman-" + Guid.NewGuid().ToString("N")[..8];

        public Podman()
        {
            Directory.CreateDirectory(Dir);
            if (!File.Exists(OciBundle.Oci)) File.CreateSymbolicLink(OciBundle.Oci, "minirun");
            // Limits this host allows (it has no CAP_SYS_RESOURCE); the cgroupfs manager (no systemd here).
            File.WriteAllText(Path.Combine(Dir, "containers.conf"), $"""
                [containers]
                default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
                [engine]
                cgroup_manager = "cgroupfs"
                events_logger = "file"
                runtime_supports_nocgroup = ["minirun-oci"]
                runtime_supports_json = ["minirun-oci"]
                [engine.runtimes]
                minirun-oci = ["{OciBundle.Oci}"]
                """);
            Env = new() { ["CONTAINERS_CONF"] = Path.Combine(Dir, "containers.conf") };
            var pull = Sh($"{Cmd} pull -q oci:{MiniRunHost.FixtureLayout}:latest && {Cmd} tag $({Cmd} images -q | head -n1) busybox", Env);
            Assert.True(pull.Code == 0, pull.Output);
        }

        public void Dispose()
        {
            Sh($"{Cmd} rm -af -t 0", Env);
            Sh($"umount -R {Dir}/storage {Dir}/run 2>/dev/null; rm -rf {Dir}");
            RemoveCgroupTree("/sys/fs/cgroup" + CgroupParent);   // exists only on a cgroup v2 host whose tests used it
        }
    }

    /// <summary>A containerd of the test's own (config, root, state and socket under a temporary directory) with the busybox fixture imported.</summary>
    public sealed class Containerd : IDisposable
    {
        public const string Image = "docker.io/library/busybox:latest";
        public string Dir { get; } = Path.Combine(Path.GetTempPath(), "minirun-ctd-" + Guid.NewGuid().ToString("N")[..8]);
        /// <summary>The containerd namespace; the runc shim names each container's cgroup /NAMESPACE/ID.</summary>
        public string Namespace { get; } = "minirun-test-" + Guid.NewGuid().ToString("N")[..8];
        public string Ctr => $"ctr --address {Dir}/containerd.sock -n {Namespace}";
        public static string RuncBinary => $"--runc-binary {OciBundle.Oci}";
        private readonly Process _daemon;

        public Containerd()
        {
            Directory.CreateDirectory(Dir);
            File.WriteAllText(Path.Combine(Dir, "config.toml"), $"""
                version = 2
                root = "{Dir}/root"
                state = "{Dir}/state"
                [grpc]
                  address = "{Dir}/containerd.sock"
                """);
            if (!File.Exists(OciBundle.Oci)) File.CreateSymbolicLink(OciBundle.Oci, "minirun");
            _daemon = Process.Start(new ProcessStartInfo("containerd", ["--config", Path.Combine(Dir, "config.toml")])
                { RedirectStandardOutput = true, RedirectStandardError = true })!;
            _daemon.OutputDataReceived += (_, _) => { };
            _daemon.ErrorDataReceived += (_, _) => { };
            _daemon.BeginOutputReadLine();
            _daemon.BeginErrorReadLine();
            try
            {
                var deadline = DateTime.UtcNow.AddSeconds(60);
                while (Sh($"{Ctr} version").Code != 0) { Assert.True(DateTime.UtcNow < deadline, "containerd did not come up"); Thread.Sleep(100); }
                var import = Sh($"tar -C {MiniRunHost.FixtureLayout} -cf {Dir}/bb.tar . && {Ctr} images import --base-name docker.io/library/busybox {Dir}/bb.tar");
                Assert.True(import.Code == 0, import.Output);
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            Sh($"for c in $({Ctr} task ls -q); do {Ctr} task kill -s SIGKILL $c; done; sleep 0.5; for c in $({Ctr} container ls -q); do {Ctr} task delete $c; {Ctr} container delete $c; done");
            if (!_daemon.HasExited) _daemon.Kill();
            _daemon.WaitForExit();
            _daemon.Dispose();
            Sh($"for m in $(grep -o '{Dir}[^ ]*' /proc/self/mountinfo | sort -r); do umount -l $m; done; rm -rf {Dir} /run/containerd/runc/{Namespace}");
            foreach (var root in new[] { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" })
                RemoveCgroupTree(Path.Combine(root, Namespace));   // the shim's cgroupsPath parent: /NS/ID
        }
    }
}
