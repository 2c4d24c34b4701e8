// ComposeIntegrationTests: `minirun compose` with the real binary inside a network namespace the
// test creates (NetnsHost: its bridges, nftables table, published ports and resolvers live there
// and no packet leaves it). The course's app (ComposeApp) is built, started, asked through its
// published port from the test's namespace, its logs read, and `down -v` must leave no container,
// network, bridge, firewall rule, address lease or volume. Then depends_on with service_healthy
// (and a dependency that never becomes healthy), two projects side by side, the recreation of only
// a changed service, a restart policy, Ctrl-C on a foreground `up`, a service that fails to start
// (after a service_completed_successfully dependency) leaving what `down` removes, and the other
// verbs (ps -q, logs --tail/-f, top, images, stop, start, restart, kill, rm, up --no-deps, run --rm)
// with a network alias resolved by name.
// Follows: docker compose v2 reference (up, down, ps, logs, exec, run); compose-spec 05-services.md.
using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using MiniRun.Tests.Integration;
using MiniRun.Tests.Network;

namespace MiniRun.Tests.Compose;

public sealed class ComposeIntegrationTests : IDisposable
{
    private readonly NetnsHost _h = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("minirun-compose-").FullName;

    public void Dispose()
    {
        _h.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (DirectoryNotFoundException) { }
    }

    private RunResult Compose(string file, params string[] args) => _h.Run(["compose", "-f", file, .. args]);

    private static void Ok(RunResult r) => Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}\n{r.Stdout}\n{r.Stderr}");

    private string Write(string relative, string text)
    {
        string path = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private string[] Links() => _h.In("ip -o link show").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
        .Select(l => l.Split(':')[1].Trim().Split('@')[0]).ToArray();

    private JsonElement Labels(string container) => _h.M.Record(container).GetProperty("Config").GetProperty("Labels");

    [Fact]
    public void Course_app_counts_through_the_published_port_and_down_v_leaves_nothing()
    {
        string file = ComposeApp.WriteTo(_dir);
        Ok(_h.Run("network", "ls"));   // the built-in networks' records exist from here on
        var networksBefore = Directory.GetDirectories(Path.Combine(_h.M.Root, "networks")).Length;
        var linksBefore = Links();

        var up = Compose(file, "up", "-d");
        Ok(up);
        Assert.Contains("[+] Running 4/4", up.Stderr);
        Assert.Matches(@" ✔ Network app_default\s+Created", up.Stderr);
        Assert.Matches(@" ✔ Volume ""app_data""\s+Created", up.Stderr);
        Assert.Matches(@" ✔ Container app-redis-1\s+Healthy", up.Stderr);
        Assert.Matches(@" ✔ Container app-web-1\s+Started", up.Stderr);
        // The project network's bridge: the new link besides veths (and minirun0, which the build's RUN step used).
        string bridge = Links().Except(linksBefore).Single(l => l != "minirun0" && !l.StartsWith("veth", StringComparison.Ordinal));

        // The web service reaches `redis` by name; the count lives in the store.
        for (int i = 1; i <= 3; i++)
        {
            var page = _h.In("busybox wget -qO- http://127.0.0.1:8000/cgi-bin/counter");
            Assert.Equal($"Hello from web! I have been seen {i} times.", page.Stdout.Trim());
        }
        var ps = Compose(file, "ps");
        Ok(ps);
        Assert.Matches(@"app-redis-1\s+busybox\s+""nc -ll -p 6379 -e /…""\s+redis\s+.*Up .* \(healthy\)", ps.Stdout);
        Assert.Matches(@"app-web-1\s+app-web\s+.*web\s+.*Up .*0\.0\.0\.0:8000->80/tcp", ps.Stdout);
        var logs = Compose(file, "logs", "web");
        Ok(logs);
        Assert.Matches(@"web-1\s+\| counter: request number 3", logs.Stdout);
        Assert.Matches(@"redis-1\s+\| store: INCR hits", Compose(file, "logs").Stdout);
        Assert.Equal("3", Compose(file, "exec", "-T", "redis", "cat", "/data/hits").Stdout.Trim());

        var labels = Labels("app-web-1");
        Assert.Equal("app", labels.GetProperty("com.docker.compose.project").GetString());
        Assert.Equal("web", labels.GetProperty("com.docker.compose.service").GetString());
        Assert.Equal("1", labels.GetProperty("com.docker.compose.container-number").GetString());
        Assert.Equal(64, labels.GetProperty("com.docker.compose.config-hash").GetString()!.Length);

        var down = Compose(file, "down", "-v", "--rmi", "local");
        Ok(down);
        Assert.Matches(@" ✔ Container app-web-1\s+Removed", down.Stderr);
        Assert.Matches(@" ✔ Image app-web\s+Removed", down.Stderr);   // local: the image built for the project, not busybox
        Assert.DoesNotContain("app-web", _h.Run("images").Stdout);
        Assert.Contains("busybox", _h.Run("images").Stdout);
        Assert.Matches(@" ✔ Network app_default\s+Removed", down.Stderr);
        Assert.Matches(@" ✔ Volume app_data\s+Removed", down.Stderr);
        Assert.Empty(_h.M.ContainerIds());
        Assert.DoesNotContain("app_default", _h.Run("network", "ls").Stdout);
        Assert.Equal(networksBefore, Directory.GetDirectories(Path.Combine(_h.M.Root, "networks")).Length);   // its record and address leases
        Assert.Empty(Directory.GetDirectories(Path.Combine(_h.M.Root, "volumes")));
        Assert.DoesNotContain(bridge, Links());
        Assert.DoesNotContain(Links(), l => l.StartsWith("veth", StringComparison.Ordinal));
        Assert.DoesNotContain(bridge, _h.In("nft list table ip minirun").Stdout);
        Assert.DoesNotContain("8000", _h.In("nft list table ip minirun").Stdout);
        Assert.Empty(Directory.Exists(Path.Combine(_h.M.Root, "netns")) ? Directory.GetFiles(Path.Combine(_h.M.Root, "netns")) : []);
    }

    [Fact]
    public void Depends_on_service_healthy_waits_and_a_never_healthy_dependency_fails_cleanly()
    {
        // web looks, as it starts, for the file whose existence makes db healthy: "ok" proves the
        // order whatever the load (db's health log keeps only its last probes, so their times cannot).
        string good = Write("healthy/compose.yaml", """
            services:
              web:
                image: busybox
                command: ["sh", "-c", "if test -f /v/ready; then echo ok > /v/web; else echo early > /v/web; fi; exec sleep 300"]
                volumes: ["shared:/v"]
                depends_on:
                  db: {condition: service_healthy}
              db:
                image: busybox
                command: ["sh", "-c", "sleep 1; touch /v/ready; exec sleep 300"]
                volumes: ["shared:/v"]
                healthcheck: {test: ["CMD", "test", "-f", "/v/ready"], interval: 300ms, retries: 30}
            volumes:
              shared: {}
            """);
        var up = Compose(good, "up", "-d");
        Ok(up);
        Assert.Matches(@" ✔ Container healthy-db-1\s+Healthy", up.Stderr);
        string seen = "";
        for (int i = 0; i < 100 && seen.Length == 0; i++)   // web writes it as it starts
        {
            seen = _h.Run("compose", "-f", good, "exec", "web", "cat", "/v/web").Stdout.Trim();
            if (seen.Length == 0) Thread.Sleep(100);
        }
        Assert.Equal("ok", seen);
        Ok(Compose(good, "down", "-v"));

        string bad = Write("bad/compose.yaml", """
            services:
              web:
                image: busybox
                command: ["sleep", "300"]
                depends_on:
                  db: {condition: service_healthy}
              db:
                image: busybox
                command: ["sleep", "300"]
                healthcheck: {test: ["CMD", "false"], interval: 200ms, retries: 2}
            """);
        var failed = Compose(bad, "up", "-d");
        Assert.Equal(1, failed.ExitCode);
        Assert.Contains("dependency failed to start: container bad-db-1 is unhealthy", failed.Stderr);
        Assert.Matches(@" ✘ Container bad-db-1\s+Error", failed.Stderr);
        Assert.DoesNotContain("bad-web-1", _h.Run("ps", "-a").Stdout);
        Ok(Compose(bad, "down"));
        Assert.Empty(_h.M.ContainerIds());
        Assert.DoesNotContain("bad_default", _h.Run("network", "ls").Stdout);
    }

    private const string KeyValueProject = """
        services:
          kv:
            image: busybox
            command: ["nc", "-ll", "-p", "6379", "-e", "/store/store.sh"]
            volumes: ["./store:/store:ro", "data:/data"]
          client:
            image: busybox
            command: ["sleep", "300"]
            depends_on: [kv]
        volumes:
          data:
        """;

    [Fact]
    public void Two_projects_side_by_side_keep_their_own_networks_names_and_volumes()
    {
        string file = Write("kv/compose.yaml", KeyValueProject);
        Write("kv/store/store.sh", ComposeApp.StoreSh);
        File.SetUnixFileMode(Path.Combine(_dir, "kv/store/store.sh"), (UnixFileMode)0b111_101_101);
        Ok(Compose(file, "-p", "one", "up", "-d"));
        Ok(Compose(file, "-p", "two", "up", "-d"));
        string Incr(string project) =>
            Compose(file, "-p", project, "exec", "-T", "client", "sh", "-c", "echo INCR n | nc kv 6379").Stdout.Trim();
        Assert.Equal("1", Incr("one"));
        Assert.Equal("2", Incr("one"));
        Assert.Equal("1", Incr("two"));   // its own kv, on its own network, with its own volume
        var networks = _h.Run("network", "ls").Stdout;
        Assert.Contains("one_default", networks);
        Assert.Contains("two_default", networks);
        Assert.Contains("one_data", _h.Run("volume", "ls").Stdout);
        Assert.Contains("two-client-1", Compose(file, "-p", "two", "ps").Stdout);
        Assert.DoesNotContain("one-client-1", Compose(file, "-p", "two", "ps").Stdout);

        Ok(Compose(file, "-p", "one", "down", "-v"));
        Assert.Equal("2", Incr("two"));   // untouched
        Assert.DoesNotContain("one_", _h.Run("volume", "ls").Stdout + _h.Run("network", "ls").Stdout);
        Ok(Compose(file, "-p", "two", "down", "-v"));
        Assert.Empty(_h.M.ContainerIds());
    }

    [Fact]
    public void A_changed_service_is_recreated_while_the_unchanged_one_keeps_running()
    {
        string file = Write("change/compose.yaml", """
            services:
              a: {image: busybox, command: ["sleep", "300"], environment: {VERSION: "1"}}
              b: {image: busybox, command: ["sleep", "300"]}
            """);
        Ok(Compose(file, "up", "-d"));
        string aId = _h.M.Record("change-a-1").GetProperty("Id").GetString()!;
        var bBefore = _h.M.Record("change-b-1");
        int bPid = bBefore.GetProperty("State").GetProperty("Pid").GetInt32();

        var same = Compose(file, "up", "-d");
        Ok(same);
        Assert.Matches(@" ✔ Container change-a-1\s+Running", same.Stderr);
        Assert.Equal(aId, _h.M.Record("change-a-1").GetProperty("Id").GetString());

        File.WriteAllText(file, File.ReadAllText(file).Replace("VERSION: \"1\"", "VERSION: \"2\""));
        var changed = Compose(file, "up", "-d");
        Ok(changed);
        Assert.Matches(@" ✔ Container change-a-1\s+Started", changed.Stderr);
        Assert.Matches(@" ✔ Container change-b-1\s+Running", changed.Stderr);
        var a = _h.M.Record("change-a-1");
        Assert.NotEqual(aId, a.GetProperty("Id").GetString());
        Assert.Contains("VERSION=2", a.GetProperty("Config").GetProperty("Env").EnumerateArray().Select(e => e.GetString()));
        var bAfter = _h.M.Record("change-b-1");
        Assert.Equal(bBefore.GetProperty("Id").GetString(), bAfter.GetProperty("Id").GetString());
        Assert.Equal(bPid, bAfter.GetProperty("State").GetProperty("Pid").GetInt32());
        Assert.True(MiniRunHost.Alive(bPid));

        var forced = Compose(file, "up", "-d", "--force-recreate", "b");
        Ok(forced);
        Assert.NotEqual(bBefore.GetProperty("Id").GetString(), _h.M.Record("change-b-1").GetProperty("Id").GetString());
        Ok(Compose(file, "down"));
        Assert.Empty(_h.M.ContainerIds());
    }

    [Fact]
    public void Restart_on_failure_is_the_service_restart_policy()
    {
        string file = Write("restart/compose.yaml", """
            services:
              flaky: {image: busybox, command: ["sh", "-c", "exit 3"], restart: "on-failure:2"}
            """);
        Ok(Compose(file, "up", "-d"));
        var policy = _h.M.Record("restart-flaky-1").GetProperty("HostConfig").GetProperty("RestartPolicy");
        Assert.Equal("on-failure", policy.GetProperty("Name").GetString());
        Assert.Equal(2, policy.GetProperty("MaximumRetryCount").GetInt32());
        // The supervisor restarts it twice, then it stays exited with 3.
        var wait = _h.Run("wait", "restart-flaky-1");
        for (int i = 0; i < 100 && _h.M.Record("restart-flaky-1").GetProperty("RestartCount").GetInt32() < 2; i++)
        {
            Thread.Sleep(200);
            wait = _h.Run("wait", "restart-flaky-1");
        }
        Assert.Equal(2, _h.M.Record("restart-flaky-1").GetProperty("RestartCount").GetInt32());
        Assert.Equal("3", wait.Stdout.Trim());
        Ok(Compose(file, "down"));
    }

    [Fact]
    public async Task Foreground_up_prefixes_the_logs_and_ctrl_c_stops_the_services()
    {
        string file = Write("fg/compose.yaml", """
            services:
              talker: {image: busybox, command: ["sh", "-c", "echo hello from talker; exec sleep 300"], init: true}
            """);
        using var p = _h.M.StartInterruptible("compose", "-f", file, "up");   // SIGINT as a terminal's Ctrl-C, whatever the test host ignores
        var stdout = new System.Text.StringBuilder();
        var seen = new ManualResetEventSlim();
        p.OutputDataReceived += (_, e) => { if (e.Data is null) return; lock (stdout) stdout.AppendLine(e.Data); if (e.Data.Contains("hello from talker")) seen.Set(); };
        var stderr = p.StandardError.ReadToEndAsync();
        p.BeginOutputReadLine();
        Assert.True(seen.Wait(TimeSpan.FromSeconds(60)), "no output from the container");
        NetnsHost.Sh($"kill -INT {p.Id}");   // nsenter execs minirun: this pid is minirun's
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)));
        p.WaitForExit();
        Assert.Equal(130, p.ExitCode);
        lock (stdout) Assert.Matches(@"talker-1\s+\| hello from talker", stdout.ToString());
        string err = await stderr;
        Assert.Contains("Gracefully stopping...", err);
        Assert.Matches(@" ✔ Container fg-talker-1\s+Stopped", err);
        Assert.Equal("exited", _h.M.Record("fg-talker-1").GetProperty("State").GetProperty("Status").GetString());
        Ok(Compose(file, "down"));
    }

    [Fact]
    public void A_service_that_fails_to_start_is_one_line_and_down_removes_what_up_made()
    {
        // init must complete (exit 0) before broken starts; broken's command does not exist, so
        // its start fails; after (which depends on broken) is never made.
        string file = Write("fail/compose.yaml", """
            services:
              init:
                image: busybox
                command: ["sh", "-c", "echo migrating; echo migrated > /v/done"]
                volumes: ["shared:/v"]
              broken:
                image: busybox
                command: ["/nonexistent-binary"]
                depends_on:
                  init: {condition: service_completed_successfully}
              after:
                image: busybox
                command: ["sleep", "300"]
                depends_on: [broken]
            volumes:
              shared: {}
            """);
        var up = Compose(file, "up", "-d");
        Assert.Equal(1, up.ExitCode);
        Assert.Matches(@" ✔ Container fail-init-1\s+Exited", up.Stderr);
        Assert.Matches(@" ✘ Container fail-broken-1\s+Error", up.Stderr);
        var lines = up.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // One line for the error, after the progress lines (which all start with "[+]" or " ✔"/" ✘").
        Assert.Single(lines, l => !l.StartsWith("[+] ", StringComparison.Ordinal) && !l.StartsWith(' '));
        Assert.StartsWith("Error response from daemon: failed to start container fail-broken-1: ", lines[^1]);
        Assert.Contains("/nonexistent-binary", lines[^1]);
        Assert.Equal(0, _h.M.Record("fail-init-1").GetProperty("State").GetProperty("ExitCode").GetInt32());
        Assert.DoesNotContain("fail-after-1", _h.Run("ps", "-a").Stdout);
        var follow = Compose(file, "logs", "-f", "init");   // follows until its container ended: returns at once here
        Ok(follow);
        Assert.Equal("init-1  | migrating", follow.Stdout.Trim());

        var down = Compose(file, "down", "-v");
        Ok(down);
        Assert.Matches(@" ✔ Container fail-broken-1\s+Removed", down.Stderr);
        Assert.Matches(@" ✔ Container fail-init-1\s+Removed", down.Stderr);
        Assert.Empty(_h.M.ContainerIds());
        Assert.DoesNotContain("fail_default", _h.Run("network", "ls").Stdout);
        Assert.Empty(Directory.GetDirectories(Path.Combine(_h.M.Root, "volumes")));
    }

    [Fact]
    public void The_container_verbs_act_on_the_project_and_its_aliases_resolve()
    {
        string file = Write("cmd/compose.yaml", """
            services:
              db:
                image: busybox
                command: ["sh", "-c", "echo db line 1; echo db line 2; echo db line 3; exec sleep 300"]
                init: true
                networks:
                  back: {aliases: [database]}
              web:
                image: busybox
                command: ["sleep", "300"]
                init: true
                depends_on: [db]
                networks: [back]
            networks:
              back: {}
            """);
        Ok(Compose(file, "up", "-d"));
        Assert.Equal(["db", "web"], Compose(file, "config", "--services").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        // The service name and the alias both resolve through the project network's resolver.
        string dbIp = Regex.Match(Compose(file, "exec", "-T", "db", "ip", "-4", "-o", "addr", "show", "eth0").Stdout, @"inet ([0-9.]+)/").Groups[1].Value;
        Assert.NotEqual("", dbIp);
        foreach (var name in new[] { "db", "database" })
        {
            var look = Compose(file, "exec", "-T", "web", "nslookup", name);
            Ok(look);
            Assert.Matches($@"Name:\s+{name}\s+Address: {Regex.Escape(dbIp)}", look.Stdout);
        }

        var ids = Compose(file, "ps", "-a", "-q").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(_h.M.ContainerIds().Order(), ids.Order());

        string tail = "";
        for (int i = 0; i < 100 && !tail.Contains("db line 3"); i++)   // the supervisor writes the log as the lines come
        {
            if (i > 0) Thread.Sleep(100);
            tail = Compose(file, "logs", "--tail", "2", "db").Stdout;
        }
        Assert.Equal(["db-1  | db line 2", "db-1  | db line 3"], tail.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        var top = Compose(file, "top", "db");
        Ok(top);
        Assert.StartsWith("cmd-db-1\n", top.Stdout);
        Assert.Contains("sleep 300", top.Stdout);
        Assert.Matches(@"cmd-web-1\s+busybox\s+latest\s+[0-9a-f]{12}\s", Compose(file, "images").Stdout);

        var stop = Compose(file, "stop", "web");
        Ok(stop);
        Assert.Matches(@" ✔ Container cmd-web-1\s+Stopped", stop.Stderr);
        Assert.DoesNotContain("cmd-web-1", Compose(file, "ps").Stdout);
        Assert.Matches(@"cmd-web-1 .*Exited \(\d+\)", Compose(file, "ps", "-a").Stdout);
        var start = Compose(file, "start", "web");
        Ok(start);
        Assert.Matches(@" ✔ Container cmd-web-1\s+Started", start.Stderr);

        int dbPid = _h.M.Record("cmd-db-1").GetProperty("State").GetProperty("Pid").GetInt32();
        var restart = Compose(file, "restart", "db");
        Ok(restart);
        Assert.Matches(@" ✔ Container cmd-db-1\s+Started", restart.Stderr);
        Assert.NotEqual(dbPid, _h.M.Record("cmd-db-1").GetProperty("State").GetProperty("Pid").GetInt32());

        var kill = Compose(file, "kill", "-s", "SIGKILL", "web");
        Ok(kill);
        Assert.Matches(@" ✔ Container cmd-web-1\s+Killed", kill.Stderr);
        Assert.Equal("137", _h.Run("wait", "cmd-web-1").Stdout.Trim());
        var rm = Compose(file, "rm", "-f", "web");
        Ok(rm);
        Assert.Matches(@" ✔ Container cmd-web-1\s+Removed", rm.Stderr);
        Assert.DoesNotContain("cmd-web-1", _h.Run("ps", "-a").Stdout);

        // --no-deps: only the named service is touched (db is not even listed).
        var again = Compose(file, "up", "-d", "--no-deps", "web");
        Ok(again);
        Assert.Matches(@" ✔ Container cmd-web-1\s+Started", again.Stderr);
        Assert.DoesNotContain("cmd-db-1", again.Stderr);

        // run --rm: a one-off container on the project network, gone when it ends.
        var run = Compose(file, "run", "--rm", "-T", "web", "sh", "-c", "nslookup database >/dev/null && echo one-off found database");
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal("one-off found database", run.Stdout.Trim());
        Assert.Equal(2, _h.M.ContainerIds().Count);

        var down = Compose(file, "down");
        Ok(down);
        Assert.Matches(@" ✔ Network cmd_back\s+Removed", down.Stderr);
        Assert.Empty(_h.M.ContainerIds());
    }

    [Fact]
    public void Pull_policy_build_builds_on_every_up_and_build_if_missing_only_once()
    {
        Write("policy/web/Dockerfile", "FROM busybox\nCMD [\"sleep\", \"300\"]\n");
        string file = Write("policy/compose.yaml", """
            services:
              always: {build: ./web, pull_policy: build, init: true}
              once: {build: ./web, init: true}
            """);
        var first = Compose(file, "up", "-d");
        Ok(first);
        Assert.Matches(@" ✔ Service always\s+Built", first.Stderr);
        Assert.Matches(@" ✔ Service once\s+Built", first.Stderr);
        var second = Compose(file, "up", "-d");
        Ok(second);
        Assert.Matches(@" ✔ Service always\s+Built", second.Stderr);
        Assert.DoesNotContain("Service once", second.Stderr);   // its image is there: not built again
        Assert.Matches(@" ✔ Container policy-always-1\s+Running", second.Stderr);   // the same image again: nothing to recreate
        Ok(Compose(file, "down", "--rmi", "local"));
        Assert.Empty(_h.M.ContainerIds());
    }

    [Fact]
    public void Bad_files_are_one_line_and_make_nothing()
    {
        var missing = _h.Run("compose", "-f", Path.Combine(_dir, "nope.yaml"), "up", "-d");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("no such file or directory", missing.Stderr);
        string broken = Write("broken/compose.yaml", "services:\n  web:\n    image: busybox\n   oops: [\n");
        var yaml = Compose(broken, "up", "-d");
        Assert.Equal(1, yaml.ExitCode);
        Assert.Matches(@"^yaml: compose\.yaml: line \d+, column \d+: ", yaml.Stderr);
        string conflict = Write("conflict/compose.yaml", "services:\n  a: {image: busybox, ports: [\"8080:80\"]}\n  b: {image: busybox, ports: [\"8080:81\"]}\n");
        var ports = Compose(conflict, "up", "-d");
        Assert.Equal(1, ports.ExitCode);
        Assert.Contains("services \"a\" and \"b\" both publish host port 8080/tcp", ports.Stderr);
        Assert.Empty(_h.M.ContainerIds());
        Assert.DoesNotContain("conflict_default", _h.Run("network", "ls").Stdout);
    }
}
