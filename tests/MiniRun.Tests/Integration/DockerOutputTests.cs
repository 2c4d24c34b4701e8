// DockerOutputTests: issue 17's points through the real binary; each expectation is what Docker's
// CLI prints for the same command (the handout's view), with `minirun` where Docker says `docker`.
using System.Text.Json;

namespace MiniRun.Tests.Integration;

public sealed class DockerOutputTests : IDisposable
{
    private readonly MiniRunHost _host = new();

    public void Dispose() => _host.Dispose();

    private string Ok(params string[] args) => _host.Ok(args);

    private (int, string) Fails(params string[] args)
    {
        var r = _host.Run(args);
        return (r.ExitCode, r.Stderr);
    }

    [Fact]
    public void Errors_have_dockers_dressing_per_command()
    {
        Assert.Equal((1, "Error: No such container: nosuch\n"), Fails("rm", "nosuch"));
        Assert.Equal((1, "Error: No such container: nosuch\n"), Fails("logs", "nosuch"));
        Assert.Equal((1, "Error: No such container: nosuch\n"), Fails("exec", "nosuch", "true"));
        Assert.Equal((1, "Error response from daemon: No such container: nosuch\n"), Fails("stop", "nosuch"));
        Assert.Equal((1, "Error response from daemon: No such container: nosuch\n"), Fails("kill", "nosuch"));
        Assert.Equal((1, "Error response from daemon: No such container: nosuch\n"), Fails("diff", "nosuch"));
        Assert.Equal((1, "Error response from daemon: No such container: nosuch\n"), Fails("commit", "nosuch"));
        Assert.Equal((1, "Error response from daemon: No such container: nosuch\nError: failed to start containers: nosuch\n"),
            Fails("start", "nosuch"));
        Assert.Equal((125, "minirun: Error response from daemon: invalid CapAdd: unknown capability: \"CAP_FOO\".\nSee 'minirun run --help'.\n"),
            Fails("run", "--rm", "--cap-add", "FOO", "busybox", "true"));
        Assert.Equal((125, "minirun: Error response from daemon: invalid CapAdd: unknown capability: \"CAP_FOO\".\nSee 'minirun create --help'.\n"),
            Fails("create", "--cap-add", "FOO", "busybox", "true"));
        Assert.Equal((1, "Error response from daemon: No such image: nothere:latest\n"), Fails("tag", "nothere", "x"));

        string id = Ok("create", "--name", "idle", "busybox", "sleep", "600").Trim();
        Assert.Equal((1, $"Error response from daemon: Cannot kill container: idle: container {id} is not running\n"), Fails("kill", "idle"));
        Assert.Equal((1, "Error: No such container:path: idle:/nosuch\n"), Fails("cp", "idle:/nosuch", "/tmp"));
        Ok("start", "idle");
        Assert.Equal((1, "Error response from daemon: cannot remove container \"/idle\": container is running: stop the container before removing or force remove\n"),
            Fails("rm", "idle"));
        Assert.Equal("idle\n", Ok("rm", "-f", "idle"));
    }

    [Fact]
    public void Image_network_volume_and_inspect_errors_are_dockers()
    {
        Assert.Equal((1, "Error response from daemon: No such image: nosuch:latest\n"), Fails("rmi", "nosuch"));
        Assert.Equal((1, "Error response from daemon: No such image: nosuch:latest\n"), Fails("image", "rm", "nosuch"));
        var forced = _host.Run("rmi", "-f", "nosuch");   // -f: the error is printed, the command succeeds
        Assert.Equal((0, "Error response from daemon: No such image: nosuch:latest\n"), (forced.ExitCode, forced.Stderr));
        Assert.Equal((1, "Error response from daemon: No such image: nosuch:latest\n"), Fails("history", "nosuch"));
        Assert.Equal((1, "Error response from daemon: No such image: nosuch:latest\n"), Fails("save", "-o", Path.Combine(_host.Root, "x.tar"), "nosuch"));
        Assert.Equal((1, "open /nonexistent/x.tar: no such file or directory\n"), Fails("load", "-i", "/nonexistent/x.tar"));

        var inspect = _host.Run("inspect", "nosuch");
        Assert.Equal((1, "[]\n", "Error: No such object: nosuch\n"), (inspect.ExitCode, inspect.Stdout, inspect.Stderr));
        var image = _host.Run("image", "inspect", "nosuch");
        Assert.Equal((1, "[]\n", "Error: No such image: nosuch\n"), (image.ExitCode, image.Stdout, image.Stderr));
        Assert.Equal((1, "\"foo\" is not a valid value for --type\n"), Fails("inspect", "--type", "foo", "x"));

        Assert.Equal((1, "Error response from daemon: network nosuch not found\n"), Fails("network", "rm", "nosuch"));
        Assert.Equal((1, "Error response from daemon: get nosuch: no such volume\n"), Fails("volume", "rm", "nosuch"));
        Ok("network", "create", "twice");
        try { Assert.Equal((1, "Error response from daemon: network with name twice already exists\n"), Fails("network", "create", "twice")); }
        finally { _host.Run("network", "rm", "twice"); }
        Assert.Equal((1, "Error response from daemon: invalid filter 'foo'\n"), Fails("network", "ls", "--filter", "foo=bar"));
        Assert.Equal((1, "Error response from daemon: invalid filter 'foo'\n"), Fails("volume", "ls", "--filter", "foo=bar"));
    }

    [Theory]
    [InlineData("ps", "-f, --filter")]
    [InlineData("container ls", "-f, --filter")]
    [InlineData("images", "-f, --filter")]
    [InlineData("network ls", "-f, --filter")]
    [InlineData("volume ls", "-f, --filter")]
    [InlineData("container prune", "--filter")]
    [InlineData("volume prune", "--filter")]
    public void A_filter_without_a_name_is_a_flag_error(string command, string flag)
    {
        var words = command.Split(' ');
        Assert.Equal((125, $"invalid argument \"foo\" for \"{flag}\" flag: bad format of filter (expected name=value)\nSee 'minirun {command} --help'.\n"),
            Fails([.. words, "--filter", "foo"]));
    }

    [Fact]
    public void Images_filter_reference_dangling_before_since_label()
    {
        Ok("create", "--name", "base", "busybox", "true");
        Ok("commit", "-c", "LABEL course=containers", "-m", "first commit", "base", "course/app:v1");
        string dangling = Ok("commit", "base").Trim();   // no name: <none>:<none>
        string Names(params string[] filters) =>
            Ok(["images", .. filters.SelectMany(f => new[] { "--filter", f }), "--format", "{{.Repository}}:{{.Tag}}"]);

        Assert.Equal("busybox:latest\n", Names("reference=busy*"));
        Assert.Equal("course/app:v1\n", Names("reference=*/*"));
        Assert.Equal("course/app:v1\n", Names("label=course=containers"));
        Assert.Equal("course/app:v1\n", Names("label=course"));
        Assert.Equal("", Names("label=course=other"));
        Assert.Equal("<none>:<none>\n", Names("dangling=true"));
        Assert.Equal(dangling[7..19] + "\n", Ok("images", "-q", "--filter", "dangling=true"));
        Assert.Equal("busybox:latest\n", Names("before=course/app:v1", "reference=busybox"));
        Assert.Equal("course/app:v1\n", Names("since=busybox", "dangling=false"));
        Assert.Equal("first commit\n", Ok("image", "inspect", "-f", "{{.Comment}}", "course/app:v1"));

        Assert.Equal((1, "Error response from daemon: invalid filter 'foo'\n"), Fails("images", "--filter", "foo=bar"));
        Assert.Equal((1, "Error response from daemon: invalid filter 'dangling=[maybe]'\n"), Fails("images", "--filter", "dangling=maybe"));
        Assert.Equal((1, "Error response from daemon: No such image: nothere:latest\n"), Fails("images", "--filter", "before=nothere"));
        Assert.Equal((125, "invalid argument \"dangling\" for \"-f, --filter\" flag: bad format of filter (expected name=value)\nSee 'minirun images --help'.\n"),
            Fails("images", "--filter", "dangling"));
    }

    [Fact]
    public void Top_has_dockers_columns_and_passes_ps_options()
    {
        Ok("run", "-d", "--name", "topper", "busybox", "sleep", "600");
        int pid = int.Parse(Ok("inspect", "-f", "{{.State.Pid}}", "topper").Trim());
        var lines = Ok("top", "topper").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("UID                 PID                 PPID                C                   STIME               TTY                 TIME                CMD", lines[0]);
        Assert.StartsWith($"root                {pid,-20}", lines[1]);
        Assert.EndsWith("sleep 600", lines[1]);
        Assert.Equal($"PID                 COMMAND\n{pid,-20}sleep\n", Ok("top", "topper", "-o", "pid,comm"));
        Assert.StartsWith("UID                 PID                 NSPID               PPID", Ok("top", "--nspid", "topper"));
    }

    [Fact]
    public void User_flag_sets_the_primary_gid_as_a_supplementary_group_in_run_and_exec()
    {
        Assert.Equal("uid=2000 gid=2000 groups=2000\n", Ok("run", "--rm", "-u", "2000:2000", "busybox", "id"));
        Assert.Equal("uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n", Ok("run", "--rm", "-u", "nobody", "busybox", "id"));
        Ok("run", "-d", "--name", "idler", "busybox", "sleep", "600");
        Assert.Equal("uid=2000 gid=2000 groups=2000\n", Ok("exec", "-u", "2000:2000", "idler", "id"));
        Assert.Equal("uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n", Ok("exec", "-u", "nobody", "idler", "id"));
    }

    [Fact]
    public void Inspect_env_order_marker_file_and_logs_timestamps()
    {
        Ok("run", "--name", "marked", "-e", "A=1", "busybox", "sh", "-c", "stat -c %a:%s /.dockerenv; echo hi");
        Assert.Equal("[\"A=1\",\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"]\n",
            Ok("inspect", "-f", "{{json .Config.Env}}", "marked"));
        Assert.Equal("[]||\n", Ok("inspect", "-f", "{{.ExecIDs}}|{{.MountLabel}}|{{.ProcessLabel}}", "marked"));
        using (var doc = JsonDocument.Parse(Ok("inspect", "marked")))
        {
            var keys = doc.RootElement[0].EnumerateObject().Select(p => p.Name).ToList();
            Assert.Equal(["MountLabel", "ProcessLabel", "AppArmorProfile", "ExecIDs"], keys.SkipWhile(k => k != "MountLabel").Take(4));
        }
        Assert.Equal("", Ok("diff", "marked"));   // the marker is no change of the container's
        string logs = Ok("logs", "-t", "marked");
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z 755:0\n\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z hi\n$", logs);
    }
}
