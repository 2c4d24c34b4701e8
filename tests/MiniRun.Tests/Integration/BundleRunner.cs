// BundleRunner: runs one command in a real container made from a plain OCI bundle - a temporary
// directory with config.json and a rootfs holding only a static busybox - through the runtime core
// directly (ContainerStarter.Start with the AOT `minirun` as init), no image store, no engine.
//
// Why: a spec field the CLI does not write yet (linux.seccomp, ...) still has to be checked in a
// real container. The test describes the spec; this makes the bundle, starts the container with
// stdout and stderr on pipes, reads them, reaps PID 1 and removes the bundle, also when it fails.
//
// Needs: root, artifacts/bin/minirun (./minirun --version builds it), /bin/busybox from Debian's
// busybox-static (a static binary: the rootfs needs no libraries).
using System.Runtime.InteropServices;
using MiniRun.Kernel;
using MiniRun.Runtime;
using MiniRun.Spec;

namespace MiniRun.Tests.Integration;

public sealed record BundleResult(int ExitCode, string Stdout, string Stderr, int? FailureCode, string? FailureMessage);

public static class BundleRunner
{
    public const string Busybox = "/bin/busybox";

    /// <summary>A spec for a root shell in new pid, mount, uts, ipc and network namespaces with /proc and a tmpfs /dev.</summary>
    public static RuntimeSpec DefaultSpec(params string[] args)
    {
        var spec = new RuntimeSpec { Hostname = "bundle" };
        spec.Process.Args = [.. args];
        spec.Process.Env = ["PATH=/bin", "HOME=/root"];
        spec.Root.Path = "rootfs";
        spec.Mounts =
        [
            new SpecMount { Destination = "/proc", Type = "proc", Source = "proc", Options = ["nosuid", "noexec", "nodev"] },
            new SpecMount { Destination = "/dev", Type = "tmpfs", Source = "tmpfs", Options = ["nosuid", "mode=755", "size=1024k"] },
        ];
        foreach (var type in new[] { "pid", "mount", "uts", "ipc", "network" })
            spec.Linux.Namespaces.Add(new SpecNamespace { Type = type });
        return spec;
    }

    /// <summary>Makes the bundle, runs the container to its end, returns its exit status and output; --trace lines go to <paramref name="trace"/>.</summary>
    public static BundleResult Run(RuntimeSpec spec, TimeSpan? timeout = null, TextWriter? trace = null)
    {
        if (Libc.geteuid() != 0) throw new InvalidOperationException("BundleRunner needs root (namespaces and mounts)");
        if (!File.Exists(MiniRunHost.Binary)) throw new InvalidOperationException($"{MiniRunHost.Binary} is missing: build it with ./minirun --version");
        if (!File.Exists(Busybox)) throw new InvalidOperationException($"{Busybox} is missing: apt-get install busybox-static");
        string bundle = Directory.CreateTempSubdirectory("minirun-bundle-").FullName;
        try
        {
            MakeRootfs(Path.Combine(bundle, "rootfs"));
            spec.Save(Path.Combine(bundle, "config.json"));
            return Start(bundle, spec, timeout ?? TimeSpan.FromSeconds(60), trace is null ? null : new MiniRun.Trace.ConsoleTrace(trace, pause: false));
        }
        finally
        {
            Directory.Delete(bundle, recursive: true);
        }
    }

    private static void MakeRootfs(string rootfs)
    {
        foreach (var dir in new[] { "bin", "etc", "proc", "dev", "tmp", "root" })
            Directory.CreateDirectory(Path.Combine(rootfs, dir));
        File.Copy(Busybox, Path.Combine(rootfs, "bin/busybox"));
        File.SetUnixFileMode(Path.Combine(rootfs, "bin/busybox"), (UnixFileMode)0x1ed);   // 0755
        File.SetUnixFileMode(Path.Combine(rootfs, "tmp"), (UnixFileMode)0x3ff);           // 1777
        foreach (var applet in new[] { "sh", "mkdir", "cat", "grep", "echo", "true", "ls", "id", "rmdir", "touch" })
            File.CreateSymbolicLink(Path.Combine(rootfs, "bin", applet), "busybox");
        File.WriteAllText(Path.Combine(rootfs, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n");
        File.WriteAllText(Path.Combine(rootfs, "etc/group"), "root:x:0:\nnogroup:x:65534:\n");
    }

    private static BundleResult Start(string bundle, RuntimeSpec spec, TimeSpan timeout, MiniRun.Trace.ConsoleTrace? trace)
    {
        var (outRead, outWrite) = Libc.Pipe();
        var (errRead, errWrite) = Libc.Pipe();
        int devNull = Libc.open("/dev/null", Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        StartResult started;
        try
        {
            started = ContainerStarter.Start(new StartRequest(bundle, spec, MiniRunHost.Binary, ConnectStdin: false, Trace: trace,
                Stdio: new StdioFds(devNull, outWrite, errWrite)));
        }
        finally
        {
            Libc.close(outWrite);   // only the container holds the write ends now: EOF when it ends
            Libc.close(errWrite);
            Libc.close(devNull);
        }
        var stdout = ReadAll(outRead);
        var stderr = ReadAll(errRead);
        if (!Task.WaitAll([stdout, stderr], timeout))
            Libc.kill(started.Pid, 9);   // hung: kill it; the pipes then close and the reads end
        int status;
        while (Libc.waitpid(started.Pid, out status, 0) < 0)
        {
            if (Marshal.GetLastPInvokeError() != Errno.EINTR) { status = -1; break; }
        }
        return new BundleResult(status < 0 ? -1 : ProcessWaiter.ExitStatus(status), stdout.Result, stderr.Result,
            started.FailureCode, started.FailureMessage);
    }

    private static Task<string> ReadAll(int fd) => Task.Run(() =>
    {
        using var stream = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true), FileAccess.Read);
        return new StreamReader(stream).ReadToEnd();
    });
}
