// BundleRunner: runs a RuntimeSpec as a plain OCI bundle through the runtime core - no engine,
// no image store - and returns the container's exit status, stdout and stderr.
//
// Why: the engine's `run` writes only the config.json fields its flags produce; a core feature
// (capabilities, rlimits, sysctls, ...) is tested before any flag exists by handing the core
// the exact spec. Each Run makes a bundle in a fresh /tmp directory: rootfs/ holds a copy of the
// host's static busybox with a link per applet and small /etc/passwd and /etc/group files (root,
// student 1000, staff 50, nobody); it clones through ContainerStarter with the real NativeAOT
// `minirun init` and the container's stdout and stderr on pipes; then it reaps the container and
// deletes the bundle, also when the start fails. Every mount is made inside the container's own
// mount namespace, so the host sees only the directory.
//
// Use: `var spec = BundleRunner.Spec("sh", "-c", "cat /proc/self/status"); spec.Process.X = ...;
// var r = BundleRunner.Run(spec);` A failed start gives init's exit code (125, 126, 127) and its
// one-line message as stderr, prefixed "minirun: ". Tests that put host files next to the bundle
// or look into the rootfs afterwards (bind mounts, root.readonly) hold a `BundleRunner.Bundle`
// (Dir, Rootfs, Run) and dispose it. config.json is written and read back with the real writer
// and reader, so what runs is what a bundle on disk would give.
//
// Needs: root, artifacts/bin/minirun (./minirun --version builds it) and a statically linked
// busybox on the host (Debian's busybox-static, which rootfs-fixtures/build-busybox.sh needs too).
using System.Diagnostics;
using System.Runtime.InteropServices;
using MiniRun.Kernel;
using MiniRun.Runtime;
using MiniRun.Spec;

namespace MiniRun.Tests.Integration;

public static class BundleRunner
{
    private static readonly Lazy<(string Path, string[] Applets)> Busybox = new(FindBusybox);

    /// <summary>
    /// A spec like `run`'s default for a plain rootfs: PID, network, IPC, UTS, mount and cgroup
    /// namespaces; /proc, /sys, /dev and friends; the masked and read-only paths; root; PATH=/bin.
    /// </summary>
    public static RuntimeSpec Spec(params string[] args) => new()
    {
        Process = new SpecProcess { Args = [.. args], Env = ["PATH=/bin", "HOME=/root"], Cwd = "/" },
        Root = new SpecRoot { Path = "rootfs" },
        Hostname = "bundle",
        Mounts = SpecGenerator.DefaultMounts("/unused").Where(m => m.Type != "bind").ToList(),   // no /etc bind files
        Linux = new SpecLinux
        {
            Namespaces = new[] { "pid", "network", "ipc", "uts", "mount", "cgroup" }.Select(t => new SpecNamespace { Type = t }).ToList(),
            MaskedPaths = SpecGenerator.DefaultMaskedPaths.ToList(),
            ReadonlyPaths = SpecGenerator.DefaultReadonlyPaths.ToList(),
        },
    };

    /// <summary>
    /// Runs the spec as a bundle in a fresh directory, removed afterwards; waits at most
    /// <paramref name="timeout"/> (default 60 s), then kills it. With <paramref name="trace"/>,
    /// the --trace narration (parent and init) is written there.
    /// </summary>
    public static RunResult Run(RuntimeSpec spec, TimeSpan? timeout = null, TextWriter? trace = null)
    {
        using var bundle = new Bundle();
        return bundle.Run(spec, timeout, trace);
    }

    /// <summary>
    /// A bundle directory that exists before and after the run, for tests that place host files
    /// next to it or look into the rootfs afterwards; removed on Dispose.
    /// </summary>
    public sealed class Bundle : IDisposable
    {
        public string Dir { get; } = Directory.CreateTempSubdirectory("minirun-bundle-").FullName;
        public string Rootfs => Path.Combine(Dir, "rootfs");

        public Bundle()
        {
            try
            {
                if (geteuid() != 0) throw new InvalidOperationException("BundleRunner needs root (it creates namespaces and mounts)");
                if (!File.Exists(MiniRunHost.Binary))
                    throw new InvalidOperationException($"{MiniRunHost.Binary} is missing: build it with ./minirun --version");
                MakeRootfs(Rootfs);
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        /// <summary>
        /// Writes config.json, reads it back as init will, starts the container and waits for it.
        /// With process.terminal the master side is closed at once (the program gets a hangup),
        /// or with <paramref name="holdTerminal"/> only after the container ended.
        /// </summary>
        public RunResult Run(RuntimeSpec spec, TimeSpan? timeout = null, TextWriter? trace = null, bool holdTerminal = false)
        {
            string config = Path.Combine(Dir, "config.json");
            spec.Save(config);
            var loaded = RuntimeSpec.Load(config);   // what runs is what a bundle on disk gives
            var fds = new List<int>();
            try
            {
                var (outRead, outWrite) = Libc.Pipe();
                var (errRead, errWrite) = Libc.Pipe();
                int devNull = Libc.open("/dev/null", Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
                fds.AddRange([outWrite, errWrite, devNull]);
                using var stdout = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(outRead, ownsHandle: true), FileAccess.Read, 1);
                using var stderr = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(errRead, ownsHandle: true), FileAccess.Read, 1);
                var outText = new StreamReader(stdout).ReadToEndAsync();
                var errText = new StreamReader(stderr).ReadToEndAsync();

                var started = ContainerStarter.Start(new StartRequest(Dir, loaded, MiniRunHost.Binary, ConnectStdin: false,
                    Trace: trace is null ? null : new MiniRun.Trace.ConsoleTrace(trace, pause: false), Stdio: new StdioFds(devNull, outWrite, errWrite)));
                foreach (int fd in fds) Libc.close(fd);   // the container holds its own copies: EOF once it ends
                fds.Clear();
                if (started.TerminalMaster >= 0 && !holdTerminal) Libc.close(started.TerminalMaster);
                int status = Reap(started.Pid, timeout ?? TimeSpan.FromSeconds(60));
                if (started.TerminalMaster >= 0 && holdTerminal) Libc.close(started.TerminalMaster);
                if (!Task.WaitAll([outText, errText], TimeSpan.FromSeconds(30)))
                    throw new TimeoutException("the container ended but its stdout/stderr stayed open (a leftover process?)");
                if (started.FailureCode is int code)
                    return new RunResult(code, outText.Result, errText.Result + $"minirun: {started.FailureMessage}\n");
                return new RunResult(status, outText.Result, errText.Result);
            }
            finally
            {
                foreach (int fd in fds) Libc.close(fd);
            }
        }

        public void Dispose()
        {
            try { Directory.Delete(Dir, recursive: true); }
            catch (IOException) { /* a busy mount point would mean a leak: the tests check for that themselves */ }
        }
    }

    /// <summary>waitpid for the container's first process; SIGKILL after the timeout. Returns the shell-style status.</summary>
    private static int Reap(int pid, TimeSpan timeout)
    {
        using var killer = new Timer(_ => Libc.kill(pid, 9), null, timeout, Timeout.InfiniteTimeSpan);
        int status;
        while (Libc.waitpid(pid, out status, 0) < 0)
            if (Marshal.GetLastPInvokeError() != Errno.EINTR)
                throw new KernelException($"waitpid {pid}", Marshal.GetLastPInvokeError());
        return ProcessWaiter.ExitStatus(status);
    }

    private static void MakeRootfs(string rootfs)
    {
        var (busybox, applets) = Busybox.Value;
        foreach (var dir in new[] { "bin", "etc", "proc", "sys", "dev", "tmp", "root", "home/student" })
            Directory.CreateDirectory(Path.Combine(rootfs, dir));
        File.Copy(busybox, Path.Combine(rootfs, "bin/busybox"));
        foreach (var applet in applets)
            File.CreateSymbolicLink(Path.Combine(rootfs, "bin", applet), "busybox");
        File.WriteAllText(Path.Combine(rootfs, "etc/passwd"),
            "root:x:0:0:root:/root:/bin/sh\nstudent:x:1000:1000::/home/student:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
        File.WriteAllText(Path.Combine(rootfs, "etc/group"), "root:x:0:\nstaff:x:50:student\nstudent:x:1000:\nnogroup:x:65534:\n");
    }

    private static (string, string[]) FindBusybox()
    {
        string path = new[] { "/bin/busybox", "/usr/bin/busybox" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("no busybox on the host: install busybox-static");
        var psi = new ProcessStartInfo(path, "--list") { RedirectStandardOutput = true, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        string list = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        var applets = list.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(a => a != "busybox" && !a.Contains('/')).ToArray();
        if (applets.Length == 0) throw new InvalidOperationException($"{path} --list printed no applets");
        return (path, applets);
    }

    [DllImport("libc")]
    private static extern uint geteuid();
}
