// OciHooksTests: runtime-spec hooks through `minirun-oci` on a umoci bundle. The hooks are small
// shell scripts that record what they see into files: the state on their stdin, their mount
// namespace (createRuntime: the host's; createContainer: the container's), and one line each in
// a shared "order" file, where the test adds its own lines around `start`. A failing or
// timed-out hook makes create (or start) fail with one line and leaves nothing behind.
using System.Text.Json.Nodes;
using MiniRun.Tests.Integration;

namespace MiniRun.Tests.Oci;

public sealed class OciHooksTests
{
    private static string MountNs(string pid) => new FileInfo($"/proc/{pid}/ns/mnt").LinkTarget ?? "";

    /// <summary>A host script in the bundle directory (outside the rootfs).</summary>
    private static string HostScript(OciBundle b, string name, string body)
    {
        string path = Path.Combine(b.Dir, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, (UnixFileMode)0x1ed /*0755*/);
        return path;
    }

    private static JsonObject Hook(string path, int? timeout = null, params string[] env)
    {
        var hook = new JsonObject { ["path"] = path };
        if (timeout is int t) hook["timeout"] = t;
        if (env.Length > 0) hook["env"] = new JsonArray(env.Select(e => (JsonNode)JsonValue.Create(e)!).ToArray());
        return hook;
    }

    private static void SetHooks(OciBundle b, params (string Kind, JsonObject Hook)[] hooks) => b.Edit(c =>
    {
        var all = new JsonObject();
        foreach (var group in hooks.GroupBy(h => h.Kind))
            all[group.Key] = new JsonArray(group.Select(h => (JsonNode)h.Hook).ToArray());
        c["hooks"] = all;
    });

    private static string[] Order(OciBundle b) => File.ReadAllLines(Path.Combine(b.Rootfs, "order"));
    private static void Mark(OciBundle b, string line) => File.AppendAllText(Path.Combine(b.Rootfs, "order"), line + "\n");

    [Fact]
    public void Each_hook_runs_at_its_point_with_the_state_on_stdin()
    {
        using var b = new OciBundle("sh", "-c", "echo program >> /order; exec sleep 30");
        string order = Path.Combine(b.Rootfs, "order");
        // Host side: the state and the mount namespace of the hook.
        string record = $"cat > {b.Dir}/$1.json; readlink /proc/self/ns/mnt > {b.Dir}/$1.mnt; echo $1 >> {order}";
        string host = HostScript(b, "record.sh", record);
        string poststart = HostScript(b, "poststart.sh",
            $"cat > {b.Dir}/poststart.json; pid=$(sed 's/.*\"pid\":\\([0-9]*\\).*/\\1/' {b.Dir}/poststart.json); " +
            $"readlink /proc/$pid/exe > {b.Dir}/poststart.exe; echo poststart >> {order}");
        string poststop = HostScript(b, "poststop.sh",
            $"cat > {b.Dir}/poststop.json; if [ -e \"$STATE/h1\" ]; then echo present; else echo gone; fi > {b.Dir}/poststop.dir; echo poststop >> {order}");
        // Container side: startContainer's path resolves in the container's tree.
        Directory.CreateDirectory(Path.Combine(b.Rootfs, "hooks"));
        File.WriteAllText(Path.Combine(b.Rootfs, "hooks/start.sh"), "#!/bin/sh\ncat > /startContainer.json\necho startContainer >> /order\n");
        File.SetUnixFileMode(Path.Combine(b.Rootfs, "hooks/start.sh"), (UnixFileMode)0x1ed);
        JsonObject Named(string path, string name) { var h = Hook(path); h["args"] = new JsonArray("record.sh", name); return h; }
        SetHooks(b, ("createRuntime", Named(host, "createRuntime")), ("createContainer", Named(host, "createContainer")),
            ("startContainer", Hook("/hooks/start.sh")), ("poststart", Hook(poststart)), ("poststop", Hook(poststop, null, "STATE=" + b.StateRoot)));

        var created = b.Run("create", "--bundle", b.Dir, "h1");
        Assert.True(created.Code == 0, created.Err);
        var state = b.State("h1");
        string pid = state["pid"]!.ToString();
        Assert.Equal(["createRuntime", "createContainer"], Order(b));
        foreach (var kind in new[] { "createRuntime", "createContainer" })
        {
            var seen = JsonNode.Parse(File.ReadAllText(Path.Combine(b.Dir, kind + ".json")))!;
            Assert.Equal(("h1", "creating", pid, b.Dir), ((string?)seen["id"], (string?)seen["status"], seen["pid"]!.ToString(), (string?)seen["bundle"]));
        }
        string hostNs = MountNs("self"), containerNs = MountNs(pid);
        Assert.NotEqual(hostNs, containerNs);
        Assert.Equal(hostNs, File.ReadAllText(Path.Combine(b.Dir, "createRuntime.mnt")).Trim());
        Assert.Equal(containerNs, File.ReadAllText(Path.Combine(b.Dir, "createContainer.mnt")).Trim());

        Mark(b, "start called");
        var started = b.Run("start", "h1");
        Mark(b, "start returned");
        Assert.True(started.Code == 0, started.Err);
        var lines = Order(b).ToList();
        Assert.Equal(["createRuntime", "createContainer", "start called", "startContainer"], lines.Take(4));
        Assert.True(lines.IndexOf("program") > lines.IndexOf("startContainer"), string.Join(",", lines));
        Assert.True(lines.IndexOf("poststart") < lines.IndexOf("start returned"), string.Join(",", lines));
        Assert.EndsWith("busybox", File.ReadAllText(Path.Combine(b.Dir, "poststart.exe")).Trim());   // the program was exec'd
        Assert.Equal("running", (string?)JsonNode.Parse(File.ReadAllText(Path.Combine(b.Dir, "poststart.json")))!["status"]);
        var inside = JsonNode.Parse(File.ReadAllText(Path.Combine(b.Rootfs, "startContainer.json")))!;
        Assert.Equal(("h1", "created", pid), ((string?)inside["id"], (string?)inside["status"], inside["pid"]!.ToString()));

        Assert.Equal(0, b.Run("delete", "--force", "h1").Code);
        Assert.Equal("poststop", Order(b)[^1]);
        Assert.Equal("gone", File.ReadAllText(Path.Combine(b.Dir, "poststop.dir")).Trim());   // after the container's state went
        var stopped = JsonNode.Parse(File.ReadAllText(Path.Combine(b.Dir, "poststop.json")))!;
        Assert.Equal(("h1", "stopped"), ((string?)stopped["id"], (string?)stopped["status"]));
    }

    [Fact]
    public void A_failing_createRuntime_hook_fails_create_and_leaves_nothing()
    {
        using var b = new OciBundle("sleep", "30");
        string prestart = HostScript(b, "prestart.sh", $"cat > {b.Dir}/prestart.json");
        string failing = HostScript(b, "fail.sh", "exit 3");
        string poststop = HostScript(b, "poststop.sh", $"cat > {b.Dir}/poststop.json");
        SetHooks(b, ("prestart", Hook(prestart)), ("createRuntime", Hook(failing)), ("poststop", Hook(poststop)));

        var r = b.Run("create", "--bundle", b.Dir, "f1");
        Assert.Equal(1, r.Code);
        Assert.Equal($"minirun-oci: create container \"f1\": createRuntime hook 0 ({failing}) exited with status 3", r.Err.Trim());
        int pid = (int)JsonNode.Parse(File.ReadAllText(Path.Combine(b.Dir, "prestart.json")))!["pid"]!;
        Assert.False(MiniRunHost.Alive(pid));
        Assert.Empty(Directory.GetDirectories(b.StateRoot));
        Assert.Equal("stopped", (string?)JsonNode.Parse(File.ReadAllText(Path.Combine(b.Dir, "poststop.json")))!["status"]);   // destroyed, then poststop
        Assert.DoesNotContain(File.ReadAllText("/proc/self/mountinfo").Split('\n'), l => l.Contains(b.Dir));
    }

    [Fact]
    public void A_hook_that_outlives_its_timeout_is_killed_and_fails_create()
    {
        using var b = new OciBundle("sleep", "30");
        string slow = HostScript(b, "slow.sh", $"sleep 300 & echo $! > {b.Dir}/child; wait");
        // createRuntime: on the host, where nothing but the timeout would end the hook's child
        // (in the container's PID namespace, init's death would take it along anyway).
        SetHooks(b, ("createRuntime", Hook(slow, timeout: 1)));
        var r = b.Run("create", "--bundle", b.Dir, "t1");
        Assert.Equal(1, r.Code);
        Assert.Equal($"minirun-oci: create container \"t1\": createRuntime hook 0 ({slow}) timed out after 1 s and was killed", r.Err.Trim());
        int child = int.Parse(File.ReadAllText(Path.Combine(b.Dir, "child")).Trim());
        Assert.False(MiniRunHost.Alive(child));
        Assert.Empty(Directory.GetDirectories(b.StateRoot));

        SetHooks(b, ("createContainer", Hook(slow, timeout: 1)));   // init's own hook: init kills and reaps it
        var inside = b.Run("create", "--bundle", b.Dir, "t2");
        Assert.Equal(1, inside.Code);
        Assert.Equal($"minirun-oci: create container \"t2\": createContainer hook 0 ({slow}) timed out after 1 s and was killed", inside.Err.Trim());
        Assert.Empty(Directory.GetDirectories(b.StateRoot));
    }

    [Fact]
    public void A_failing_startContainer_hook_fails_start_and_destroys_the_container()
    {
        using var b = new OciBundle("sh", "-c", "touch /ran; exec sleep 30");
        Directory.CreateDirectory(Path.Combine(b.Rootfs, "hooks"));
        File.WriteAllText(Path.Combine(b.Rootfs, "hooks/fail.sh"), "#!/bin/sh\nexit 7\n");
        File.SetUnixFileMode(Path.Combine(b.Rootfs, "hooks/fail.sh"), (UnixFileMode)0x1ed);
        string warn = HostScript(b, "warn.sh", "exit 1");
        SetHooks(b, ("startContainer", Hook("/hooks/fail.sh")), ("poststop", Hook(warn)));
        Assert.Equal(0, b.Run("create", "--bundle", b.Dir, "s1").Code);
        int pid = (int)b.State("s1")["pid"]!;

        var r = b.Run("start", "s1");
        Assert.Equal(1, r.Code);
        var lines = r.Err.Trim().Split('\n');
        Assert.Equal($"minirun-oci: warning: poststop hook 0 ({warn}) exited with status 1", lines[0]);   // a warning only
        Assert.Equal("minirun-oci: cannot start container \"s1\": startContainer hook 0 (/hooks/fail.sh) exited with status 7", lines[1]);
        Assert.False(File.Exists(Path.Combine(b.Rootfs, "ran")));
        Assert.False(MiniRunHost.Alive(pid));
        Assert.Empty(Directory.GetDirectories(b.StateRoot));
    }

    [Fact]
    public void Run_runs_the_hooks_too_and_poststart_precedes_the_wait()
    {
        using var b = new OciBundle("sh", "-c", "echo program >> /order; exit 4");
        string order = Path.Combine(b.Rootfs, "order");
        string record = HostScript(b, "record.sh", $"echo $1 >> {order}");
        JsonObject Named(string name) { var h = Hook(record); h["args"] = new JsonArray("record.sh", name); return h; }
        SetHooks(b, ("createRuntime", Named("createRuntime")), ("poststart", Named("poststart")), ("poststop", Named("poststop")));
        var r = b.Run("run", "--bundle", b.Dir, "r1");
        Assert.Equal(4, r.Code);
        var lines = Order(b);
        Assert.Equal("createRuntime", lines[0]);
        Assert.Equal("poststop", lines[^1]);
        Assert.Equal(["createRuntime", "poststart", "poststop", "program"], lines.Order(StringComparer.Ordinal));
        Assert.Empty(Directory.GetDirectories(b.StateRoot));
    }
}
