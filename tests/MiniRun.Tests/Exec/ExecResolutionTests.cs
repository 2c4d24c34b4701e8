// ExecResolutionTests: the C#-side decisions of `exec` and `--init` that need no container:
// PATH lookup with Docker's 126/127, the kernel's execute-permission rule, the environment
// (container's env, then -e, then HOME), and the spec annotation that asks init to stay PID 1.
//
// Follows: execvp(3), path_resolution(7), docker-exec(1), docker-run(1) --init.
using MiniImage.Oci;
using MiniRun.Init;
using MiniRun.Runtime;
using MiniRun.Spec;

namespace MiniRun.Tests.Exec;

public sealed class ExecResolutionTests
{
    private const uint Reg = 0x8000, Dir = 0x4000;

    private static readonly Dictionary<string, (uint Mode, uint Uid, uint Gid)> Files = new()
    {
        ["/bin/ls"] = (Reg | 0x1ed /*0755*/, 0, 0),
        ["/usr/bin/ls"] = (Reg | 0x1ed, 0, 0),
        ["/bin/secret"] = (Reg | 0x1c0 /*0700*/, 0, 0),
        ["/bin/notexec"] = (Reg | 0x1a4 /*0644*/, 0, 0),
        ["/usr/bin/notexec"] = (Reg | 0x1a4, 0, 0),
        ["/bin/grouponly"] = (Reg | 0x1e8 /*0750*/, 0, 50),
        ["/bin/dir"] = (Dir | 0x1ed, 0, 0),
        ["/app/run.sh"] = (Reg | 0x1ed, 1000, 1000),
    };

    private static (uint, uint, uint)? Stat(string path) => Files.TryGetValue(SpecGenerator.CleanAbsolute(path), out var s) ? s : null;

    private static string Find(string name, string path = "/bin:/usr/bin", uint uid = 0, uint gid = 0, uint[]? groups = null, string cwd = "/") =>
        ExecPathLookup.Find(name, path, cwd, Stat, uid, gid, groups ?? []);

    [Fact]
    public void FindsTheFirstExecutableInPathOrder()
    {
        Assert.Equal("/bin/ls", Find("ls"));
        Assert.Equal("/usr/bin/ls", Find("ls", "/usr/bin:/bin"));
    }

    [Fact]
    public void MissingCommandIs127WithDockersMessage()
    {
        var e = Assert.Throws<ExecFailure>(() => Find("nosuch"));
        Assert.Equal(127, e.ExitCode);
        Assert.Equal("exec: \"nosuch\": executable file not found in $PATH", e.Message);
    }

    [Fact]
    public void FoundButNotExecutableIs126()
    {
        var e = Assert.Throws<ExecFailure>(() => Find("notexec"));
        Assert.Equal(126, e.ExitCode);
        Assert.Contains("permission denied", e.Message);
    }

    [Fact]
    public void DirectoriesInPathAreSkipped() =>
        Assert.Equal(127, Assert.Throws<ExecFailure>(() => Find("dir")).ExitCode);

    [Fact]
    public void PathsWithSlashAreNotSearched()
    {
        Assert.Equal("/bin/ls", Find("/bin/ls", path: ""));
        Assert.Equal("./run.sh", Find("./run.sh", cwd: "/app"));
        Assert.Equal(127, Assert.Throws<ExecFailure>(() => Find("/bin/none")).ExitCode);
        Assert.Equal(126, Assert.Throws<ExecFailure>(() => Find("/bin/notexec")).ExitCode);
    }

    [Fact]
    public void PermissionIsCheckedForTheTargetUser()
    {
        Assert.Equal("/bin/secret", Find("secret", uid: 0));                        // root: any x bit
        Assert.Equal(126, Assert.Throws<ExecFailure>(() => Find("secret", uid: 65534, gid: 65534)).ExitCode);
        Assert.Equal("/bin/grouponly", Find("grouponly", uid: 1000, gid: 1000, groups: [50]));   // supplementary group
        Assert.Equal(126, Assert.Throws<ExecFailure>(() => Find("grouponly", uid: 1000, gid: 1000)).ExitCode);
    }

    [Fact]
    public void RootCannotExecuteAFileWithoutAnyExecuteBit() =>
        Assert.False(ExecPathLookup.CanExecute((Reg | 0x1a4, 0, 0), 0, 0, []));

    [Fact]
    public void EnvironmentIsTheContainersThenDashEThenHome()
    {
        var spec = new RuntimeSpec { Hostname = "abc" };
        spec.Process.Env = ["PATH=/bin", "HOSTNAME=abc", "A=1", "B=2"];
        var env = ExecStarter.BuildEnv(spec, ["B=changed", "C=3", "A"], tty: false, home: "/root");
        Assert.Equal(["PATH=/bin", "HOSTNAME=abc", "B=changed", "C=3", "HOME=/root"], env);
    }

    [Fact]
    public void TtyAddsTermAndHomeIsNotOverridden()
    {
        var spec = new RuntimeSpec { Hostname = "abc" };
        spec.Process.Env = ["PATH=/bin", "HOME=/data"];
        var env = ExecStarter.BuildEnv(spec, [], tty: true, home: "/root");
        Assert.Contains("TERM=xterm", env);
        Assert.Contains("HOME=/data", env);
        Assert.DoesNotContain("HOME=/root", env);
    }

    [Fact]
    public void InitFlagBecomesAnAnnotationThatInitReads()
    {
        var image = new ImageConfig { Architecture = "amd64", Os = "linux", Config = new ContainerConfig { Cmd = ["/bin/sh"] } };
        string id = new('a', 64);
        var with = SpecGenerator.Generate(image, new RunOptions { Image = "x", Init = true }, id, ["/l"], "/c/" + id, _ => null, appArmor: MiniRun.Security.NoAppArmorHost.Instance);
        var without = SpecGenerator.Generate(image, new RunOptions { Image = "x" }, id, ["/l"], "/c/" + id, _ => null, appArmor: MiniRun.Security.NoAppArmorHost.Instance);
        Assert.Equal("true", with.Annotations![SpecGenerator.InitAnnotation]);
        Assert.True(InitSupervisorStep.Requested(with));
        Assert.False(InitSupervisorStep.Requested(without));
        Assert.True(InitSupervisorStep.Requested(RuntimeSpecReader.Parse(System.Text.Encoding.UTF8.GetBytes(with.ToJson()))));
    }

    [Fact]
    public void InitStepComesRightBeforeExec()
    {
        var names = InitSteps.All.Select(s => s.Name).ToList();
        Assert.Equal(names.IndexOf("exec") - 1, names.IndexOf("stay PID 1 (--init)"));
    }
}
