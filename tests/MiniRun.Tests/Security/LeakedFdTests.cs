// CVE-2024-21626: no descriptor of the host reaches a container, so no working directory can be one.
//
// The attack (runc 1.0.0-rc93 to 1.1.11): runc init held a directory descriptor of the host's
// /sys/fs/cgroup (it leaked from the runtime, without O_CLOEXEC mattering: the chdir happens
// before exec). A config.json with process.cwd "/proc/self/fd/7" (or `docker run -w`, `docker
// exec -w`, an image's WORKDIR) made the chdir follow that magic link to the HOST directory: the
// container's process started with its working directory outside its root, and `cat
// ../../../../etc/shadow` read the host. A leaked descriptor that survives exec is the same hole
// for any program in the container.
//
// What a naive runtime does: the container starts, `pwd -P` fails (getcwd: the directory is not
// below the process's root) or shows a host path. MiniRun's defence: the working directory is
// checked after chdir (getcwd must give an absolute path inside the container's root, or the start
// fails: Init/WorkdirSteps.cs, Native/exec_stage.c), and close_range(3, ~0, CLOSE_RANGE_CLOEXEC)
// before every execve, so only 0, 1 and 2 reach the program.
using MiniRun.Tests.Integration;

namespace MiniRun.Tests.Security;

public sealed class LeakedFdTests : IClassFixture<MiniRunHost>
{
    private const string Probe = "echo STARTED; pwd -P; ls /proc/$$/fd; true";
    private readonly MiniRunHost _host;

    public LeakedFdTests(MiniRunHost host) => _host = host;

    /// <summary>Either the start failed, or the program's working directory is a path inside its root.</summary>
    private static void AssertNoEscape(RunResult r, string what)
    {
        if (!r.Stdout.Contains("STARTED")) return;   // refused: the protection (any exit status)
        var lines = r.Stdout.Split('\n');
        string cwd = lines[Array.IndexOf(lines, "STARTED") + 1];
        Assert.True(cwd.StartsWith('/') && !cwd.Contains("unreachable"),
            $"{what}: the program started with a working directory outside its root (pwd -P: \"{cwd}\", stderr: {r.Stderr.Trim()})");
    }

    [Fact]
    public void Config_cwd_through_every_inherited_descriptor_stays_inside_the_root()
    {
        for (int n = 3; n < 32; n++)
        {
            var spec = BundleRunner.Spec("sh", "-c", Probe);
            spec.Process.Cwd = $"/proc/self/fd/{n}";
            AssertNoEscape(BundleRunner.Run(spec), $"process.cwd /proc/self/fd/{n}");
        }
    }

    [Fact]
    public void Run_w_through_inherited_descriptors_stays_inside_the_root()
    {
        for (int n = 3; n < 16; n++)
            AssertNoEscape(_host.Run("run", "--rm", "-w", $"/proc/self/fd/{n}", "busybox", "sh", "-c", Probe), $"run -w /proc/self/fd/{n}");
    }

    [Fact]
    public void Exec_w_through_every_inherited_descriptor_stays_inside_the_root()
    {
        Assert.Equal(0, _host.Run("run", "-d", "--name", "fdleak", "busybox", "sleep", "600").ExitCode);
        try
        {
            for (int n = 3; n < 40; n++)
                AssertNoEscape(_host.Run("exec", "-w", $"/proc/self/fd/{n}", "fdleak", "sh", "-c", Probe), $"exec -w /proc/self/fd/{n}");
        }
        finally
        {
            _host.Run("rm", "-f", "fdleak");
        }
    }

    /// <summary>The descriptors a container's program holds, as `ls /proc/$$/fd` of its shell shows them.</summary>
    private static string[] Descriptors(RunResult r)
    {
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return lines[(Array.IndexOf(lines, "STARTED") + 2)..];
    }

    [Fact]
    public void Only_stdin_stdout_and_stderr_reach_the_program()
    {
        Assert.Equal(["0", "1", "2"], Descriptors(BundleRunner.Run(BundleRunner.Spec("sh", "-c", Probe))));
        Assert.Equal(["0", "1", "2"], Descriptors(_host.Run("run", "--rm", "busybox", "sh", "-c", Probe)));
        Assert.Equal(0, _host.Run("run", "-d", "--name", "fdlist", "busybox", "sleep", "600").ExitCode);
        try
        {
            Assert.Equal(["0", "1", "2"], Descriptors(_host.Run("exec", "fdlist", "sh", "-c", Probe)));
            Assert.Equal(["0", "1", "2"], Descriptors(_host.Run("exec", "-i", "fdlist", "sh", "-c", Probe)));
        }
        finally
        {
            _host.Run("rm", "-f", "fdlist");
        }
    }
}
