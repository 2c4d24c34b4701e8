// OciVerbsTests: `minirun-oci` on a bundle made by umoci, verb by verb, as an engine drives it:
// the create/start split (a created container's process exists and has not exec'd), state,
// kill, delete, run, exec --process, list, features, and bad input (one line, runc's exit
// status 1, nothing left behind).
using System.Text.Json.Nodes;
using MiniRun.Tests.Integration;

namespace MiniRun.Tests.Oci;

public sealed class OciVerbsTests
{
    private static string Exe(int pid) => new FileInfo($"/proc/{pid}/exe").LinkTarget ?? "";

    [Fact]
    public void Create_leaves_init_waiting_and_start_runs_the_program()
    {
        using var b = new OciBundle("sh", "-c", "hostname > /started; exec sleep 30");
        var created = b.Run("create", "--bundle", b.Dir, "--pid-file", Path.Combine(b.Dir, "pid"), "c1");
        Assert.True(created.Code == 0, created.Err);
        var state = b.State("c1");
        Assert.Equal("created", (string?)state["status"]);
        int pid = (int)state["pid"]!;
        Assert.Equal(pid.ToString(), File.ReadAllText(Path.Combine(b.Dir, "pid")));
        Assert.True(MiniRunHost.Alive(pid));
        // Still minirun init, the program has not run: its binary is MiniRun's, executed from a
        // private read-only bind mount (Runtime/SealedExe.cs), which /proc shows as "/".
        Assert.Equal("minirun\0init\0", File.ReadAllText($"/proc/{pid}/cmdline"));
        Assert.Equal("/", Exe(pid));
        Assert.False(File.Exists(Path.Combine(b.Rootfs, "started")));
        Assert.Equal(b.Dir, (string?)state["bundle"]);

        Assert.Equal(0, b.Run("start", "c1").Code);
        Assert.Equal("umoci-default", b.WaitForFile("started").Trim());
        Assert.Equal("running", (string?)b.State("c1")["status"]);
        Assert.EndsWith("busybox", Exe(pid));

        var again = b.Run("start", "c1");
        Assert.Equal(1, again.Code);
        Assert.Contains("not created", again.Err);

        var refused = b.Run("delete", "c1");
        Assert.Equal(1, refused.Code);
        Assert.Contains("not stopped: running", refused.Err);
        Assert.True(MiniRunHost.Alive(pid));

        Assert.Equal(0, b.Run("kill", "c1", "KILL").Code);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((string?)b.State("c1")["status"] != "stopped" && DateTime.UtcNow < deadline) Thread.Sleep(20);
        Assert.Equal("stopped", (string?)b.State("c1")["status"]);
        var dead = b.Run("kill", "c1");
        Assert.Equal(1, dead.Code);
        Assert.Contains("container not running", dead.Err);
        Assert.Equal(0, b.Run("delete", "c1").Code);
        Assert.False(Directory.Exists(Path.Combine(b.StateRoot, "c1")));
        var gone = b.Run("state", "c1");
        Assert.Equal(1, gone.Code);
        Assert.Contains("does not exist", gone.Err);
    }

    [Fact]
    public void Delete_force_ends_a_running_container_and_delete_removes_a_created_one()
    {
        using var b = new OciBundle("sleep", "30");
        Assert.Equal(0, b.Run("create", "--bundle", b.Dir, "made").Code);
        int made = (int)b.State("made")["pid"]!;
        Assert.Equal(0, b.Run("delete", "made").Code);   // runc: a created container may be deleted
        Assert.False(MiniRunHost.Alive(made));

        Assert.Equal(0, b.Run("run", "--detach", "--bundle", b.Dir, "up").Code);
        int up = (int)b.State("up")["pid"]!;
        Assert.Equal("running", (string?)b.State("up")["status"]);
        Assert.Equal(0, b.Run("delete", "--force", "up").Code);
        Assert.False(MiniRunHost.Alive(up));
        Assert.Empty(Directory.GetDirectories(b.StateRoot));
    }

    [Fact]
    public void Run_waits_returns_the_exit_status_and_deletes_the_container()
    {
        using var b = new OciBundle("sh", "-c", "echo out; exit 3");
        var r = b.Run("run", "--bundle", b.Dir, "r1");
        Assert.Equal(3, r.Code);
        Assert.Equal("out\n", r.Out);
        Assert.False(Directory.Exists(Path.Combine(b.StateRoot, "r1")));
    }

    [Fact]
    public void Exec_with_a_process_file_uses_its_environment_and_returns_its_status()
    {
        using var b = new OciBundle("sleep", "30");
        Assert.Equal(0, b.Run("run", "-d", "--bundle", b.Dir, "x1").Code);
        string process = Path.Combine(b.Dir, "process.json");
        File.WriteAllText(process, """
            {"args": ["sh", "-c", "echo $ONLY; echo TERM=$TERM.; cat /proc/1/cmdline; exit 4"], "env": ["ONLY=this", "PATH=/bin"], "cwd": "/tmp", "user": {"uid": 0, "gid": 0}}
            """);
        var r = b.Run("exec", "--process", process, "x1");
        Assert.Equal(4, r.Code);
        var lines = r.Out.Split('\n');
        Assert.Equal("this", lines[0]);
        Assert.Equal("TERM=.", lines[1]);   // config.json's TERM=xterm is not added: process.json is the whole environment
        Assert.StartsWith("sleep", lines[2]);
        var argForm = b.Run("exec", "-e", "EXTRA=1", "x1", "sh", "-c", "echo $EXTRA");
        Assert.Equal((0, "1\n"), (argForm.Code, argForm.Out));
        var notFound = b.Run("exec", "x1", "no-such-program");
        Assert.Equal(1, notFound.Code);
        Assert.Contains("no-such-program", notFound.Err);
    }

    [Fact]
    public void List_and_features_answer_in_runc_s_formats()
    {
        using var b = new OciBundle("sleep", "30");
        Assert.Equal(0, b.Run("create", "--bundle", b.Dir, "l1").Code);
        var table = b.Run("list");
        Assert.StartsWith("ID", table.Out);
        Assert.Contains("created", table.Out);
        Assert.Equal("l1\n", b.Run("list", "-q").Out);
        var json = JsonNode.Parse(b.Run("list", "--format", "json").Out)!.AsArray();
        Assert.Equal("l1", (string?)json.Single()!["id"]);
        var ps = JsonNode.Parse(b.Run("ps", "--format", "json", "l1").Out)!.AsArray();
        Assert.Contains((int)b.State("l1")["pid"]!, ps.Select(p => (int)p!));
        var features = JsonNode.Parse(b.Run("features").Out)!;
        Assert.Equal("1.2.0", (string?)features["ociVersionMax"]);
        Assert.Contains("pid", features["linux"]!["namespaces"]!.AsArray().Select(n => (string?)n));
    }

    [Fact]
    public void Bad_input_is_one_line_exit_1_and_leaves_nothing()
    {
        using var b = new OciBundle("true");
        var missing = b.Run("create", "--bundle", Path.Combine(b.Dir, "nowhere"), "m1");
        Assert.Equal(1, missing.Code);
        Assert.Contains("no config.json", missing.Err);
        Assert.Single(missing.Err.TrimEnd().Split('\n'));

        var badId = b.Run("create", "--bundle", b.Dir, "../escape");
        Assert.Equal(1, badId.Code);
        Assert.Contains("invalid container id", badId.Err);

        Assert.Equal(0, b.Run("create", "--bundle", b.Dir, "dup").Code);
        int pid = (int)b.State("dup")["pid"]!;
        var dup = b.Run("create", "--bundle", b.Dir, "dup");
        Assert.Equal(1, dup.Code);
        Assert.Contains("already exists", dup.Err);
        Assert.Equal(pid, (int)b.State("dup")["pid"]!);   // the first one is untouched
        Assert.Equal(0, b.Run("delete", "dup").Code);

        b.Edit(c => c["process"]!["args"] = "not a list");
        var malformed = b.Run("create", "--bundle", b.Dir, "bad");
        Assert.Equal(1, malformed.Code);
        Assert.Contains("config.json", malformed.Err);

        b.Edit(c => { c["process"]!["args"] = new JsonArray("no-such-program"); });
        var notFound = b.Run("create", "--bundle", b.Dir, "nf");
        Assert.Equal(1, notFound.Code);
        Assert.Contains("no-such-program", notFound.Err);

        b.Edit(c => c["process"]!["terminal"] = true);
        var tty = b.Run("create", "--bundle", b.Dir, "tty");
        Assert.Equal(1, tty.Code);
        Assert.Contains("--console-socket", tty.Err);

        var noPivot = b.Run("create", "--no-pivot", "--bundle", b.Dir, "np");
        Assert.Equal(1, noPivot.Code);
        Assert.Contains("--no-pivot is not supported", noPivot.Err);

        var systemd = b.Run("--systemd-cgroup", "create", "--bundle", b.Dir, "sd");
        Assert.Equal(1, systemd.Code);
        Assert.Contains("systemd cgroup manager is not supported", systemd.Err);

        Assert.Empty(Directory.Exists(b.StateRoot) ? Directory.GetDirectories(b.StateRoot) : []);
        Assert.DoesNotContain(File.ReadAllText("/proc/self/mountinfo").Split('\n'), l => l.Contains(b.Dir));
    }

    [Fact]
    public void Errors_go_to_the_log_file_as_json_when_asked()
    {
        using var b = new OciBundle("true");
        string log = Path.Combine(b.Dir, "log.json");
        var r = b.Run("--log", log, "--log-format", "json", "state", "nothing");
        Assert.Equal(1, r.Code);
        var line = JsonNode.Parse(File.ReadAllText(log).Trim())!;
        Assert.Equal("error", (string?)line["level"]);
        Assert.Contains("does not exist", (string?)line["msg"]);
    }
}
