// FilesystemBundleRunner: runs a plain OCI bundle (config.json + rootfs) through the runtime core alone -
// ContainerStarter.Start with the real NativeAOT `minirun init` - and returns the command's exit
// code and output.
//
// Why: the engine's `run` writes its own config.json; fields it never writes (linux.devices,
// root.readonly, rootfsPropagation, bind mounts with options) can only be tested with a bundle
// made by hand, the way podman or containerd would hand one over. The rootfs holds the host's
// static busybox (/bin/busybox from busybox-static, one symlink per applet, /bin/sh among
// them) and empty /proc, /dev, /sys. config.json is written and read back with the real writer
// and reader, so what runs is what a bundle on disk would give.
//
// Cleanup: the bundle directory is removed on Dispose; a command still running after the
// timeout is killed; the container's process is always reaped. Every mount the container makes
// lives in its own mount namespace and goes away with it.
//
// Needs: root, artifacts/bin/minirun (./minirun --version builds it), /bin/busybox (static).
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using MiniRun.Kernel;
using MiniRun.Runtime;
using MiniRun.Spec;

namespace MiniRun.Tests.Integration;

public sealed class FilesystemBundleRunner : IDisposable
{
    public const string Busybox = "/bin/busybox";

    public string BundleDir { get; } = Directory.CreateTempSubdirectory("minirun-bundle-").FullName;
    public string Rootfs => Path.Combine(BundleDir, "rootfs");

    public FilesystemBundleRunner()
    {
        if (geteuid() != 0) throw new InvalidOperationException("bundle tests need root (they create namespaces and mounts)");
        if (!File.Exists(MiniRunHost.Binary))
            throw new InvalidOperationException($"{MiniRunHost.Binary} is missing: build it with ./minirun --version");
        if (!File.Exists(Busybox)) throw new InvalidOperationException($"{Busybox} is missing: apt-get install busybox-static");
        foreach (var dir in new[] { "bin", "proc", "dev", "sys", "tmp", "etc" })
            Directory.CreateDirectory(Path.Combine(Rootfs, dir));
        File.Copy(Busybox, Path.Combine(Rootfs, "bin/busybox"));
        foreach (var applet in Applets())
            if (!File.Exists(Path.Combine(Rootfs, "bin", applet)))
                File.CreateSymbolicLink(Path.Combine(Rootfs, "bin", applet), "busybox");
        File.WriteAllText(Path.Combine(Rootfs, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
        File.WriteAllText(Path.Combine(Rootfs, "etc/group"), "root:x:0:\n");
    }

    private static IEnumerable<string> Applets()
    {
        var psi = new System.Diagnostics.ProcessStartInfo(Busybox, "--list") { RedirectStandardOutput = true };
        using var p = System.Diagnostics.Process.Start(psi)!;
        string list = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return list.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(a => !a.Contains('/'));
    }

    /// <summary>A minimal bundle spec: new pid, mount, ipc, uts and network namespaces; /proc, a tmpfs /dev, read-only /sys; `sh -c script`.</summary>
    public static RuntimeSpec Spec(string script) => new()
    {
        Process = { Args = ["sh", "-c", script], Env = ["PATH=/bin"], Cwd = "/" },
        Root = { Path = "rootfs" },
        Hostname = "bundle",
        Mounts =
        [
            new SpecMount { Destination = "/proc", Type = "proc", Source = "proc", Options = ["nosuid", "noexec", "nodev"] },
            new SpecMount { Destination = "/dev", Type = "tmpfs", Source = "tmpfs", Options = ["nosuid", "strictatime", "mode=755", "size=65536k"] },
            new SpecMount { Destination = "/sys", Type = "sysfs", Source = "sysfs", Options = ["nosuid", "noexec", "nodev", "ro"] },
        ],
        Linux =
        {
            Namespaces = [new() { Type = "pid" }, new() { Type = "mount" }, new() { Type = "ipc" }, new() { Type = "uts" }, new() { Type = "network" }],
        },
    };

    /// <summary>Writes config.json, reads it back as init will, starts the container and waits for it.</summary>
    public RunResult Run(RuntimeSpec spec, int timeoutMs = 30_000)
    {
        string config = Path.Combine(BundleDir, "config.json");
        spec.Save(config);
        var loaded = RuntimeSpec.Load(config);
        var (outR, outW) = Libc.Pipe();
        var (errR, errW) = Libc.Pipe();
        int devNull = Libc.open("/dev/null", Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        var stdout = ReadAll(outR);
        var stderr = ReadAll(errR);
        StartResult started;
        try
        {
            started = ContainerStarter.Start(new StartRequest(BundleDir, loaded, MiniRunHost.Binary, ConnectStdin: false,
                Stdio: new StdioFds(devNull, outW, errW)));
        }
        finally
        {
            // Only the container holds the write ends now: its exit gives EOF.
            Libc.close(outW);
            Libc.close(errW);
            Libc.close(devNull);
        }
        if (started.TerminalMaster >= 0) Libc.close(started.TerminalMaster);
        bool done = Task.WaitAll([stdout, stderr], timeoutMs);
        if (!done) Libc.kill(started.Pid, 9);
        int status;
        while (Libc.waitpid(started.Pid, out status, 0) < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR) { }
        if (!done) throw new TimeoutException($"the container did not end within {timeoutMs} ms: {stdout.Result}{stderr.Result}");
        int code = started.FailureCode ?? ((status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f));
        string err = stderr.Result + (started.FailureMessage is { } m ? m + "\n" : "");
        return new RunResult(code, stdout.Result, err);
    }

    private static Task<string> ReadAll(int fd) => Task.Run(() =>
    {
        using var stream = new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Read, 1);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    public void Dispose()
    {
        try { Directory.Delete(BundleDir, recursive: true); }
        catch (IOException) { /* a busy mount point would mean a leak: the tests check for that themselves */ }
    }

    [DllImport("libc")]
    private static extern uint geteuid();
}
