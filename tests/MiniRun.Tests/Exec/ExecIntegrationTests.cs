// ExecIntegrationTests: `minirun exec` into a real running busybox container: same PID namespace,
// files, hostname; env, -w, -u; exit statuses; Docker's errors; no leaked descriptors; -d; -t.
//
// Needs root, the NativeAOT binary and the busybox fixture (see MiniRunHost). One container
// (`sleep 300`, started in the foreground by the fixture) serves every test; the fixture kills
// it and removes its temporary root afterwards.
//
// Follows: docker-exec(1).
using MiniRun.Tests.Integration;

namespace MiniRun.Tests.Exec;

public sealed class ExecIntegrationTests : IClassFixture<ExecIntegrationTests.Fixture>
{
    public sealed class Fixture : IDisposable
    {
        public MiniRunHost Host { get; } = new();
        public RunningContainer C { get; }

        public Fixture()
        {
            try
            {
                C = new RunningContainer(Host, "exec-target", "-e", "FROMRUN=yes", "busybox",
                    "sh", "-c", "echo written-by-the-container > /tmp/marker; exec sleep 300");
            }
            catch
            {
                Host.Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            C.Dispose();
            Host.Dispose();
        }
    }

    private readonly Fixture _f;
    public ExecIntegrationTests(Fixture f) => _f = f;

    private RunResult Exec(params string[] args) => _f.C.Exec(args);
    private string Out(params string[] args)
    {
        var r = Exec(args);
        Assert.True(r.ExitCode == 0, $"exec {string.Join(' ', args)}: {r.ExitCode} {r.Stderr}");
        return r.Stdout.Trim();
    }

    [Fact]
    public void SeesTheContainersPidNamespace()
    {
        string ps = Out("exec-target", "ps", "-o", "pid,args");
        Assert.Contains(ps.Split('\n'), l => l.Trim().StartsWith("1 ") && l.Contains("sleep 300"));
        string self = Out("exec-target", "sh", "-c", "echo $$");
        Assert.NotEqual("1", self);
        Assert.True(int.Parse(self) < 1000, $"pid {self} looks like a host pid");
    }

    [Fact]
    public void SeesTheContainersFilesAndHostname()
    {
        Assert.Equal("written-by-the-container", Out("exec-target", "cat", "/tmp/marker"));
        Assert.Equal(_f.C.Id[..12], Out("exec-target", "hostname"));
    }

    [Fact]
    public void EnvironmentIsTheContainersPlusDashE()
    {
        var env = Out("-e", "EXTRA=1", "-e", "FROMRUN=changed", "exec-target", "env").Split('\n');
        Assert.Contains("EXTRA=1", env);
        Assert.Contains("FROMRUN=changed", env);
        Assert.Contains(env, e => e.StartsWith("PATH="));
        Assert.Contains($"HOSTNAME={_f.C.Id[..12]}", env);
        Assert.Contains("yes", Out("exec-target", "sh", "-c", "echo $FROMRUN"));
    }

    [Fact]
    public void WorkdirAndUser()
    {
        Assert.Equal("/tmp", Out("-w", "/tmp", "exec-target", "pwd"));
        Assert.Equal("/", Out("exec-target", "pwd"));
        Assert.StartsWith("uid=65534(nobody)", Out("-u", "nobody", "exec-target", "id"));
        Assert.StartsWith("uid=0(root)", Out("exec-target", "id"));
        Assert.StartsWith("uid=1234 gid=99", Out("-u", "1234:99", "exec-target", "id"));
    }

    [Fact]
    public void ExitStatusIsTheCommands()
    {
        Assert.Equal(3, Exec("exec-target", "sh", "-c", "exit 3").ExitCode);
        Assert.Equal(137, Exec("exec-target", "sh", "-c", "kill -9 $$").ExitCode);
        var missing = Exec("exec-target", "no-such-command");
        Assert.Equal(127, missing.ExitCode);
        Assert.Contains("executable file not found in $PATH", missing.Stderr);
        var notExecutable = Exec("exec-target", "/etc/passwd");
        Assert.Equal(126, notExecutable.ExitCode);
        Assert.Contains("permission denied", notExecutable.Stderr);
    }

    [Fact]
    public void UnknownContainerIsDockersError()
    {
        var r = Exec("no-such-container", "true");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("Error: No such container: no-such-container\n", r.Stderr);   // Docker's client-side lookup
    }

    [Fact]
    public void StoppedContainerIsDockersError()
    {
        Assert.Equal(0, _f.Host.Run("run", "--pull", "never", "--name", "exec-stopped", "busybox", "true").ExitCode);
        string id = _f.Host.Record("exec-stopped").GetProperty("Id").GetString()!;
        var r = Exec("exec-stopped", "true");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"Error response from daemon: container {id} is not running", r.Stderr);
    }

    [Fact]
    public void NoHostDescriptorLeaksIn()
    {
        // ls itself holds one descriptor (3: the directory it reads); anything more came from the host.
        var fds = Out("exec-target", "ls", "/proc/self/fd").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(fds, fd => Assert.True(int.Parse(fd) <= 3, $"unexpected fd {fd}: {string.Join(' ', fds)}"));
    }

    [Fact]
    public void DetachedProcessKeepsRunningUnderPid1()
    {
        var r = Exec("-d", "exec-target", "sleep", "271");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Stdout);
        var lines = Out("exec-target", "ps", "-o", "ppid,args").Split('\n');
        Assert.Contains(lines, l => l.Contains("sleep 271") && l.Trim().StartsWith("1 "));
    }

    [Fact]
    public void TtyGivesAPseudoTerminalFromTheContainersDevpts()
    {
        var r = Exec("-t", "exec-target", "sh", "-c", "tty; exit 4");
        Assert.Equal(4, r.ExitCode);
        Assert.StartsWith("/dev/pts/", r.Stdout.Trim());
    }

    [Fact]
    public void StdinOnlyWithDashI()
    {
        var with = _f.Host.RunWith("hello", null, "exec", "-i", "exec-target", "cat");
        Assert.Equal("hello", with.Stdout);
        var without = _f.Host.RunWith("hello", null, "exec", "exec-target", "cat");
        Assert.Equal(0, without.ExitCode);
        Assert.Equal("", without.Stdout);
    }
}
