// OciExecSecurityTests: `minirun-oci exec` confines the process it starts like the container's own
// process, as runc does: the capability sets, no_new_privs, the seccomp filter, rlimits and umask
// of config.json's process (argument form, --cap adding capabilities) or of a process.json, seen
// from inside in /proc/self/status next to what the container's PID 1 shows; and the filter's
// place in the order (before the uid switch without no_new_privs, last with it).
//
// Needs what OciBundle needs (root, umoci, artifacts/bin/minirun) and libseccomp.
using System.Text.Json.Nodes;

namespace MiniRun.Tests.Oci;

public sealed class OciExecSecurityTests
{
    private const string StatusLines = "grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status";

    private static JsonArray Names(params string[] names) => new(names.Select(n => (JsonNode)JsonValue.Create(n)!).ToArray());

    private static JsonObject Syscalls(string action, params string[] names) => new()
    {
        ["names"] = Names(names), ["action"] = action, ["errnoRet"] = 1,
    };

    [Fact]
    public void Exec_gets_the_containers_capabilities_no_new_privs_seccomp_rlimits_and_umask()
    {
        // written whole, then renamed: the test reads it as soon as it exists
        using var b = new OciBundle("sh", "-c", $"{{ {StatusLines}; ulimit -n; umask; }} > /pid1-status.tmp; mv /pid1-status.tmp /pid1-status; exec sleep 30");
        b.Edit(c =>
        {
            var p = c["process"]!.AsObject();
            p["noNewPrivileges"] = true;
            p["capabilities"] = new JsonObject
            {
                ["bounding"] = Names("CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"), ["effective"] = Names("CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"),
                ["permitted"] = Names("CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"), ["inheritable"] = Names(), ["ambient"] = Names(),
            };
            p["rlimits"] = new JsonArray(new JsonObject { ["type"] = "RLIMIT_NOFILE", ["soft"] = 500, ["hard"] = 600 });
            p["user"]!["umask"] = 23;   // 027
            c["linux"]!["seccomp"] = new JsonObject
            {
                ["defaultAction"] = "SCMP_ACT_ALLOW", ["syscalls"] = new JsonArray(Syscalls("SCMP_ACT_ERRNO", "mkdir", "mkdirat")),
            };
        });
        var run = b.Run("run", "-d", "--bundle", b.Dir, "s1");
        Assert.True(run.Code == 0, run.Err);
        var pid1 = b.WaitForFile("pid1-status").TrimEnd().Split('\n');
        Assert.Contains("CapBnd:\t0000000000000421", pid1);   // CHOWN (0), KILL (5), NET_BIND_SERVICE (10)
        Assert.Contains("NoNewPrivs:\t1", pid1);
        Assert.Contains("Seccomp:\t2", pid1);

        var exec = b.Run("exec", "s1", "sh", "-c", $"{StatusLines}; ulimit -n; umask; mkdir /tmp/made 2>/dev/null; echo mkdir=$?");
        Assert.True(exec.Code == 0, exec.Err);
        var lines = exec.Out.TrimEnd().Split('\n');
        Assert.Equal(pid1, lines[..^1]);                     // the same seven status lines, 500 open files, umask 0027
        Assert.Equal(["500", "0027"], pid1[^2..]);
        Assert.Equal("mkdir=1", lines[^1]);                  // the container's seccomp filter: mkdir fails with EPERM
        Assert.False(Directory.Exists(Path.Combine(b.Rootfs, "tmp/made")));
    }

    [Fact]
    public void The_argument_form_without_user_runs_as_the_containers_user_as_runc_does()
    {
        using var b = new OciBundle("sleep", "30");
        b.Edit(c => { c["process"]!["user"] = new JsonObject { ["uid"] = 1000, ["gid"] = 1000 }; });
        var run = b.Run("run", "-d", "--bundle", b.Dir, "u1");
        Assert.True(run.Code == 0, run.Err);
        var asContainer = b.Run("exec", "u1", "id", "-u");
        Assert.True(asContainer.Code == 0, asContainer.Err);
        Assert.Equal("1000", asContainer.Out.Trim());        // process.user of config.json
        var asRoot = b.Run("exec", "--user", "0:0", "u1", "id", "-u");
        Assert.True(asRoot.Code == 0, asRoot.Err);
        Assert.Equal("0", asRoot.Out.Trim());                // --user given: that one
    }

    [Fact]
    public void A_process_file_with_fewer_capabilities_gets_fewer_and_cap_adds_to_the_argument_form()
    {
        using var b = new OciBundle("sleep", "30");
        b.Edit(c =>
        {
            c["process"]!["capabilities"] = new JsonObject
            {
                ["bounding"] = Names("CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"), ["effective"] = Names("CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"),
                ["permitted"] = Names("CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"),
            };
        });
        Assert.Equal(0, b.Run("run", "-d", "--bundle", b.Dir, "s2").Code);
        string process = Path.Combine(b.Dir, "process.json");
        File.WriteAllText(process, $$"""
            {"args": ["sh", "-c", "{{StatusLines}}; id -u"], "env": ["PATH=/bin"], "cwd": "/", "user": {"uid": 1000, "gid": 1000},
             "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"], "inheritable": ["CAP_KILL"], "ambient": ["CAP_KILL"]} }
            """);
        var fewer = b.Run("exec", "--process", process, "s2");
        Assert.True(fewer.Code == 0, fewer.Err);
        var lines = fewer.Out.TrimEnd().Split('\n');
        Assert.Contains("CapBnd:\t0000000000000020", lines);
        Assert.Contains("CapEff:\t0000000000000020", lines);   // a non-root user keeps CAP_KILL through execve: ambient
        Assert.Contains("CapAmb:\t0000000000000020", lines);
        Assert.Contains("NoNewPrivs:\t0", lines);
        Assert.Equal("1000", lines[^1]);

        var more = b.Run("exec", "--cap", "CAP_SYS_ADMIN", "s2", "sh", "-c", StatusLines);
        Assert.True(more.Code == 0, more.Err);
        Assert.Contains("CapBnd:\t0000000000200421", more.Out.Split('\n'));   // + CAP_SYS_ADMIN (21)
        Assert.Contains("CapEff:\t0000000000200421", more.Out.Split('\n'));
        var plain = b.Run("exec", "--no-new-privs", "s2", "sh", "-c", StatusLines);
        Assert.Contains("CapBnd:\t0000000000000421", plain.Out.Split('\n'));
        Assert.Contains("NoNewPrivs:\t1", plain.Out.Split('\n'));
    }

    [Fact]
    public void Without_no_new_privs_the_filter_is_loaded_before_the_uid_switch_with_it_after()
    {
        // The container sets no_new_privs, so its init loads the filter after its own setresuid.
        using var b = new OciBundle("sleep", "30");
        b.Edit(c =>
        {
            c["process"]!["noNewPrivileges"] = true;
            c["linux"]!["seccomp"] = new JsonObject
            {
                ["defaultAction"] = "SCMP_ACT_ALLOW", ["syscalls"] = new JsonArray(Syscalls("SCMP_ACT_ERRNO", "setresuid")),
            };
        });
        Assert.Equal(0, b.Run("run", "-d", "--bundle", b.Dir, "s3").Code);
        var late = b.Run("exec", "s3", "true");   // the container's no_new_privs: the filter comes last
        Assert.True(late.Code == 0, late.Err);

        string process = Path.Combine(b.Dir, "process.json");
        File.WriteAllText(process, """{"args": ["true"], "env": ["PATH=/bin"], "cwd": "/", "user": {"uid": 0, "gid": 0}}""");
        var early = b.Run("exec", "--process", process, "s3");   // no no_new_privs: loaded while privileged, before setresuid
        Assert.Equal(1, early.Code);
        Assert.Contains("setresuid: Operation not permitted", early.Err);
    }
}
