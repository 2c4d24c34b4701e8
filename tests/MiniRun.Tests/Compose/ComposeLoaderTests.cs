// ComposeLoaderTests: compose files -> the project model, without running anything: discovery,
// project names, .env and ${VAR} interpolation, -f merging, validation errors naming the path and
// YAML errors naming line and column, depends_on order and its errors, and the service keys
// mapped onto RunOptions (the flags `minirun run` would get).
// Follows: compose-spec 03..07, 12-interpolation.md, 13-merge.md.
using MiniRun.Compose;

namespace MiniRun.Tests.Compose;

public sealed class ComposeLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("minirun-compose-unit-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (DirectoryNotFoundException) { }
    }

    private string Dir(string name)
    {
        string d = Path.Combine(_dir, name);
        Directory.CreateDirectory(d);
        return d;
    }

    private ComposeProject Load(string yaml, string dir = "App_Dir", IReadOnlyDictionary<string, string>? env = null, string? p = null,
        string file = "compose.yaml")
    {
        string d = Dir(dir);
        File.WriteAllText(Path.Combine(d, file), yaml);
        return ComposeLoader.Load(new ComposeRequest([], p, null, []), d, env ?? new Dictionary<string, string>());
    }

    private ComposeException Fails(string yaml, IReadOnlyDictionary<string, string>? env = null) =>
        Assert.Throws<ComposeException>(() => Load(yaml, env: env));

    [Fact]
    public void Finds_the_default_file_names_in_order_and_in_parent_directories()
    {
        string d = Dir("find");
        File.WriteAllText(Path.Combine(d, "docker-compose.yml"), "services: {a: {image: busybox}}");
        Assert.Equal(Path.Combine(d, "docker-compose.yml"), ComposeFiles.Find([], d, null).Files.Single());
        File.WriteAllText(Path.Combine(d, "compose.yaml"), "services: {a: {image: busybox}}");
        Assert.Equal(Path.Combine(d, "compose.yaml"), ComposeFiles.Find([], d, null).Files.Single());
        string sub = Dir("find/sub/deeper");
        var found = ComposeFiles.Find([], sub, null);
        Assert.Equal(d, found.ProjectDir);
        Assert.Contains("no configuration file provided", Assert.Throws<ComposeException>(() => ComposeFiles.Find([], "/", null)).Message);
    }

    [Theory]
    [InlineData("compose.yaml")]
    [InlineData("compose.yml")]
    [InlineData("docker-compose.yaml")]
    [InlineData("docker-compose.yml")]
    public void Each_default_file_name_is_found_and_an_earlier_name_wins(string name)
    {
        string d = Dir("each-" + name);
        File.WriteAllText(Path.Combine(d, name), "services: {a: {image: busybox}}");
        Assert.Equal(Path.Combine(d, name), ComposeFiles.Find([], d, null).Files.Single());
        // Every later name beside it is not read: the first in Compose's order is the file.
        foreach (var later in ComposeFiles.DefaultNames.SkipWhile(n => n != name).Skip(1))
            File.WriteAllText(Path.Combine(d, later), "services: {b: {image: busybox}}");
        Assert.Equal(Path.Combine(d, name), ComposeFiles.Find([], d, null).Files.Single());
    }

    [Fact]
    public void Project_name_and_build_args_from_the_dotenv_file()
    {
        string d = Dir("dotenvname");
        File.WriteAllText(Path.Combine(d, ".env"), "COMPOSE_PROJECT_NAME=fromdotenv\nVERSION=3.1\n");
        var p = Load("services:\n  web:\n    build: {context: ., args: [VERSION, UNSET_ARG]}\n", "dotenvname");
        Assert.Equal("fromdotenv", p.Name);
        // An arg given without a value takes the variable (.env here); one that is nowhere is left out.
        Assert.Equal([new KeyValuePair<string, string>("VERSION", "3.1")], p.Service("web").Build!.Args);
        Assert.Equal("shell", Load("services: {a: {image: busybox}}", "dotenvname",
            new Dictionary<string, string> { ["COMPOSE_PROJECT_NAME"] = "shell" }).Name);   // the shell's wins over .env's
    }

    [Fact]
    public void Project_name_from_flag_variable_top_level_or_directory()
    {
        Assert.Equal("app_dir", Load("services: {a: {image: busybox}}").Name);
        Assert.Equal("named", Load("name: named\nservices: {a: {image: busybox}}").Name);
        Assert.Equal("fromenv", Load("name: named\nservices: {a: {image: busybox}}", env: new Dictionary<string, string> { ["COMPOSE_PROJECT_NAME"] = "fromenv" }).Name);
        Assert.Equal("flag", Load("name: named\nservices: {a: {image: busybox}}", p: "flag").Name);
        Assert.Contains("invalid project name \"Bad Name\"", Assert.Throws<ComposeException>(() => Load("services: {a: {image: busybox}}", p: "Bad Name")).Message);
    }

    [Fact]
    public void Interpolates_from_the_shell_over_dotenv()
    {
        string d = Dir("interp");
        File.WriteAllText(Path.Combine(d, ".env"), "# comment\nTAG=1.0\nexport PORT=8080\nQUOTED=\"a b\\nc\"\nLIT='$x'\nDERIVED=${TAG}-x\n");
        var project = Load("""
            services:
              web:
                image: "busybox:${TAG}"
                ports: ["${PORT}:80"]
                environment:
                  A: ${QUOTED}
                  B: ${LIT}
                  C: ${MISSING:-fallback}
                  D: ${EMPTY-unset-only}
                  E: $${NOT_A_VAR}
                  F: ${DERIVED}
                  G: ${TAG:+set}
            """, "interp", new Dictionary<string, string> { ["PORT"] = "9090", ["EMPTY"] = "" });
        var web = project.Service("web");
        Assert.Equal("busybox:1.0", web.Image);
        Assert.Equal(["9090:80"], web.Options.Publish);
        Assert.Equal(["A=a b\nc", "B=$x", "C=fallback", "D=", "E=${NOT_A_VAR}", "F=1.0-x", "G=set"], web.Options.Env);
    }

    [Fact]
    public void A_required_variable_names_the_field_and_the_message()
    {
        var e = Fails("services:\n  web:\n    image: ${IMAGE:?set IMAGE first}\n");
        Assert.Equal("error while interpolating services.web.image: required variable IMAGE is missing a value: set IMAGE first", e.Message);
        Assert.Contains("invalid interpolation format for services.web.image", Fails("services:\n  web:\n    image: ${IMAGE\n").Message);
        // Without the colon only an unset variable is an error; an empty one is kept.
        Assert.Equal("error while interpolating services.web.command: required variable CMD is missing a value: give CMD",
            Fails("services:\n  web:\n    image: busybox\n    command: ${CMD?give CMD}\n").Message);
        Assert.Empty(Load("services:\n  web:\n    image: busybox\n    command: ${CMD?give CMD}\n", "emptyok",
            new Dictionary<string, string> { ["CMD"] = "" }).Service("web").Options.Command);
    }

    [Fact]
    public void Yaml_errors_give_line_and_column()
    {
        var e = Fails("services:\n  web:\n    image: busybox\n   bad: [\n");
        Assert.StartsWith("yaml: compose.yaml: line ", e.Message);
        Assert.Contains("column", e.Message);
        Assert.StartsWith("yaml: compose.yaml: line 4, column 5: Duplicate key",
            Fails("services:\n  web:\n    image: a\n    image: b\n").Message);
    }

    [Fact]
    public void Yaml_the_parser_cannot_read_is_a_yaml_error()
    {
        // YamlDotNet throws InvalidOperationException / ArgumentException here, not a YamlException
        // (found by fuzzing: tests/MiniRun.Fuzz/corpus/compose/crash-*).
        Assert.Equal("yaml: compose.yaml: malformed YAML the parser cannot read: Operation is not valid due to the current state of the object.",
            Fails("services: [\n0").Message);
        Assert.StartsWith("yaml: compose.yaml: malformed YAML the parser cannot read: ", Fails("services: [\n  web: {\n0").Message);
        Assert.Equal("yaml: compose.yaml: malformed YAML the parser cannot read: The current event is of an unsupported type. (Parameter 'parser')",
            Fails("x: &x 1\nb: *x: *x\n").Message);
    }

    [Fact]
    public void Validation_errors_name_the_field_path()
    {
        Assert.Equal("validating compose.yaml: services.web: additional property \"imagee\" is not allowed (line 3, column 13)",
            Fails("services:\n  web:\n    imagee: busybox\n").Message);
        Assert.Contains("services.web.ports[0]", Fails("services:\n  web:\n    image: busybox\n    ports: [\"80:abc\"]\n").Message);
        Assert.Contains("services.web.init: must be a boolean, not \"maybe\"", Fails("services:\n  web:\n    image: busybox\n    init: maybe\n").Message);
        Assert.Contains("services.web.depends_on.db.condition: must be one of", Fails(
            "services:\n  web:\n    image: busybox\n    depends_on:\n      db: {condition: started}\n  db: {image: busybox}\n").Message);
        Assert.Contains("has neither an image nor a build context", Fails("services:\n  web:\n    command: true\n").Message);
        Assert.Contains("additional property \"servces\" is not allowed", Fails("servces: {}\n").Message);
        Assert.Contains("refers to undefined volume data", Fails("services:\n  web:\n    image: busybox\n    volumes: [\"data:/d\"]\n").Message);
        Assert.Contains("refers to undefined network back", Fails("services:\n  web:\n    image: busybox\n    networks: [back]\n").Message);
        Assert.Contains("replicas must be 1", Fails("services:\n  web:\n    image: busybox\n    deploy: {replicas: 3}\n").Message);
        // A long-syntax mount's keys are checked too: `readonly` (for read_only) would leave it writable.
        Assert.Equal("validating compose.yaml: services.web.volumes[0]: additional property \"readonly\" is not allowed (line 4, column 61)",
            Fails("services:\n  web:\n    image: busybox\n    volumes: [{type: bind, source: ., target: /x, readonly: true}]\n").Message);
        Assert.Contains("services.web.volumes[0].bind: additional property \"propagaton\" is not allowed",
            Fails("services:\n  web:\n    image: busybox\n    volumes: [{type: bind, source: ., target: /x, bind: {propagaton: rshared}}]\n").Message);
    }

    [Fact]
    public void Depends_on_order_unknown_services_and_cycles()
    {
        var p = Load("""
            services:
              web:
                image: busybox
                depends_on:
                  redis: {condition: service_healthy}
                  init: {condition: service_completed_successfully}
              redis: {image: busybox, depends_on: [init]}
              init: {image: busybox}
            """);
        Assert.Equal(["init", "redis", "web"], ComposeOrder.Select(p, [], false).Select(s => s.Name));
        Assert.Equal(["web"], ComposeOrder.Select(p, ["web"], true).Select(s => s.Name));
        Assert.Equal("service_healthy", p.Service("web").DependsOn[0].Condition);
        Assert.Equal("service \"web\" depends on undefined service \"db\": invalid compose project",
            Fails("services:\n  web: {image: busybox, depends_on: [db]}\n").Message);
        Assert.Equal("dependency cycle detected: a -> b -> c -> a",
            Fails("services:\n  a: {image: busybox, depends_on: [b]}\n  b: {image: busybox, depends_on: [c]}\n  c: {image: busybox, depends_on: [a]}\n").Message);
    }

    [Fact]
    public void Service_keys_become_run_options_with_compose_names_and_labels()
    {
        string d = Dir("keys");
        File.WriteAllText(Path.Combine(d, "web.env"), "FROM_FILE=1\nA=file\n");
        var p = Load("""
            services:
              web:
                build: {context: ./app, dockerfile: Dockerfile.web, args: {V: "2"}, target: final}
                command: sh -c 'echo "hi there"'
                entrypoint: ["/bin/tini", "--"]
                environment: [A=env, B]
                env_file: web.env
                ports: ["8080:80", {target: 443, published: "8443", protocol: tcp}]
                volumes: ["data:/data:ro", "./html:/www", "/anon", {type: tmpfs, target: /run}]
                networks: {front: {aliases: [www]}, back: null}
                restart: on-failure:3
                healthcheck: {test: ["CMD", "wget", "-q", "localhost"], interval: 5s, retries: 2}
                working_dir: /app
                user: "1000:1000"
                stop_signal: SIGINT
                stop_grace_period: 1m30s
                init: true
                read_only: true
                cap_add: [NET_ADMIN]
                cap_drop: [ALL]
                tmpfs: /tmp
                deploy: {resources: {limits: {cpus: "0.5", memory: 64M, pids: 50}}}
                labels: {tier: front}
                logging: {driver: json-file}
            volumes: {data: {}}
            networks: {front: {}, back: {internal: true}}
            """, "keys");
        var s = p.Service("web");
        Assert.Equal(Path.Combine(d, "app"), s.Build!.Context);
        Assert.Equal("Dockerfile.web", s.Build.Dockerfile);
        Assert.Equal("final", s.Build.Target);
        Assert.Equal("keys-web", s.ImageName(p.Name));
        var o = ComposeServiceMapper.ForContainer(p, s, s.ImageName(p.Name));
        Assert.Equal("keys-web-1", o.Name);
        Assert.Equal("/bin/tini", o.Entrypoint);
        Assert.Equal(["--", "sh", "-c", "echo \"hi there\""], o.Command);
        Assert.Equal(["FROM_FILE=1", "A=file", "A=env", "B"], o.Env);
        Assert.Equal(["8080:80", "8443:443/tcp"], o.Publish);
        Assert.Equal(["keys_data:/data:ro", Path.Combine(d, "html") + ":/www", "/anon"], o.Volumes);
        Assert.Equal(["type=tmpfs,target=/run"], o.Mounts);
        Assert.Equal("keys_front", o.Network);
        Assert.Equal(["web", "www"], o.NetworkAliases);
        Assert.Equal(["front", "back"], s.Networks.Select(n => n.Key));
        Assert.True(p.Networks["back"].Internal);
        Assert.Equal("on-failure:3", s.Restart);
        Assert.Equal(["CMD", "wget", "-q", "localhost"], o.Health.Test);
        Assert.Equal("5000ms", o.Health.Interval);
        Assert.Equal(2, o.Health.Retries);
        Assert.Equal("/app", o.Workdir);
        Assert.Equal("1000:1000", o.User);
        Assert.Equal("SIGINT", o.StopSignal);
        Assert.Equal(90, o.StopTimeout);
        Assert.True(o.Init && o.ReadOnly);
        Assert.Equal(["NET_ADMIN"], o.CapAdd);
        Assert.Equal(["ALL"], o.CapDrop);
        Assert.Equal(["/tmp"], o.Tmpfs);
        Assert.Equal(("0.5", "64M", "50"), (o.Resources.Cpus, o.Resources.Memory, o.Resources.PidsLimit));
        Assert.Contains("tier=front", o.Labels);
        Assert.Contains("com.docker.compose.project=keys", o.Labels);
        Assert.Contains("com.docker.compose.service=web", o.Labels);
        Assert.Contains("com.docker.compose.container-number=1", o.Labels);
        Assert.Contains($"com.docker.compose.config-hash={s.ConfigHash}", o.Labels);
        Assert.Contains(p.Warnings, w => w.Contains("`logging` is not supported by MiniRun and is ignored"));
    }

    [Fact]
    public void The_remaining_service_keys_of_the_course_become_run_options()
    {
        var p = Load("""
            services:
              db:
                image: busybox
                hostname: dbhost
                container_name: the-db
                mem_limit: 128m
                cpus: "1.5"
                expose: ["6379"]
                restart: always
                environment: {A: "1"}
              web:
                image: busybox
                restart: "no"
                depends_on:
                  db: {condition: service_started, restart: true}
            """, "morekeys");
        var db = p.Service("db");
        var o = ComposeServiceMapper.ForContainer(p, db, db.ImageName(p.Name));
        Assert.Equal("the-db", o.Name);   // container_name replaces <project>-<service>-1
        Assert.Equal("dbhost", o.Hostname);
        Assert.Equal(("128m", "1.5"), (o.Resources.Memory, o.Resources.Cpus));
        Assert.Equal("always", db.Restart);
        Assert.Equal(["A=1"], o.Env);
        Assert.Empty(o.Publish);   // expose publishes nothing
        var web = p.Service("web");
        Assert.Equal("no", web.Restart);
        Assert.Equal("morekeys-web-1", ComposeServiceMapper.ForContainer(p, web, web.ImageName(p.Name)).Name);
        Assert.Equal(new ComposeDependency("db", "service_started", true, true), web.DependsOn.Single());
        Assert.Contains("com.docker.compose.depends_on=db:service_started:true",
            ComposeServiceMapper.ForContainer(p, web, web.ImageName(p.Name)).Labels);
        // What MiniRun does not do is said, never dropped in silence: restarting web with db, a link's alias.
        Assert.Contains("services.web.depends_on.db.restart is not supported by MiniRun and is ignored", p.Warnings);
        var linked = Load("services:\n  db: {image: busybox}\n  web: {image: busybox, links: [\"db:database\", db]}\n", "links");
        Assert.Equal(["db"], linked.Service("web").DependsOn.Select(d => d.Service));
        Assert.Single(linked.Warnings, w => w.StartsWith("service \"web\": the alias \"database\" in services.web.links is not supported", StringComparison.Ordinal));
    }

    [Fact]
    public void Several_files_merge_and_the_hash_follows_the_service()
    {
        string d = Dir("merge");
        File.WriteAllText(Path.Combine(d, "compose.yaml"), """
            services:
              web: {image: busybox, command: [sleep, "10"], environment: {A: "1", B: "2"}, ports: ["80:80"]}
              db: {image: busybox}
            """);
        File.WriteAllText(Path.Combine(d, "override.yaml"), """
            services:
              web: {command: [sleep, "20"], environment: [B=3, C=4], ports: ["81:81"]}
            """);
        var one = ComposeLoader.Load(new ComposeRequest(["compose.yaml"], null, null, []), d, new Dictionary<string, string>());
        var both = ComposeLoader.Load(new ComposeRequest(["compose.yaml", "override.yaml"], null, null, []), d, new Dictionary<string, string>());
        var web = both.Service("web");
        Assert.Equal(["sleep", "20"], web.Options.Command);
        Assert.Equal(["A=1", "B=3", "C=4"], web.Options.Env);
        Assert.Equal(["80:80", "81:81"], web.Options.Publish);
        Assert.NotEqual(one.Service("web").ConfigHash, web.ConfigHash);
        Assert.Equal(one.Service("db").ConfigHash, both.Service("db").ConfigHash);
    }

    [Fact]
    public void Port_conflicts_between_services_are_refused()
    {
        Assert.Contains("both publish host port 8080/tcp", Fails("services:\n  a: {image: busybox, ports: [\"8080:80\"]}\n  b: {image: busybox, ports: [\"127.0.0.1:8080:81\"]}\n").Message);
        Load("services:\n  a: {image: busybox, ports: [\"8080:80\"]}\n  b: {image: busybox, ports: [\"8080:80/udp\", \"80\"]}\n", "noconflict");
    }

    [Fact]
    public void Profiles_enable_services()
    {
        var p = Load("services:\n  web: {image: busybox}\n  debug: {image: busybox, profiles: [dev]}\n", "profiles");
        Assert.Equal(["web"], p.Enabled.Select(s => s.Name));
        Assert.Equal(["debug"], ComposeOrder.Select(p, ["debug"], false).Select(s => s.Name));
    }

    [Fact]
    public void Merge_keys_and_anchors_are_applied()
    {
        var p = Load("""
            x-common: &common
              image: busybox
              environment: {A: "1"}
            services:
              web:
                <<: *common
                command: [true]
            """, "anchors");
        Assert.Equal("busybox", p.Service("web").Image);
        Assert.Equal(["A=1"], p.Service("web").Options.Env);
    }

    [Fact]
    public void An_exec_form_healthcheck_stays_exec_form_and_disable_turns_it_off()
    {
        var p = Load("services:\n  a: {image: busybox, healthcheck: {test: [CMD, wget, -q, x], timeout: 3s}}\n" +
            "  b: {image: busybox, healthcheck: {disable: true}}\n  c: {image: busybox, healthcheck: {test: \"exit 0\"}}\n", "health");
        var a = MiniRun.Health.HealthSettings.Resolve(p.Service("a").Options.Health, null)!;
        Assert.Equal(["CMD", "wget", "-q", "x"], a.Test);
        Assert.Equal(3_000_000_000, a.Timeout);
        Assert.Null(MiniRun.Health.HealthSettings.Resolve(p.Service("b").Options.Health,
            new MiniImage.Oci.ImageHealthcheck { Test = ["CMD", "true"] }));
        Assert.Equal(["CMD-SHELL", "exit 0"], MiniRun.Health.HealthSettings.Resolve(p.Service("c").Options.Health, null)!.Test);
        Assert.True(p.Service("a").HasHealthcheck);
        Assert.False(p.Service("b").HasHealthcheck);
    }

    [Fact]
    public void Config_output_reads_back_as_the_same_model()
    {
        var p = Load("""
            x-base: &base {image: busybox}
            services:
              web:
                <<: *base
                command: ["sh", "-c", "echo 'a: b' # not a comment"]
                environment: {EMPTY: "", NUM: "010", FLAG: "true", TEXT: "yes"}
                ports: ["8080:80"]
                healthcheck: {test: ["CMD", "true"], retries: 3}
            volumes: {data: {}}
            """, "configout");
        string text = ComposeConfigWriter.Write(p);
        Assert.StartsWith("name: configout\n", text);
        Assert.DoesNotContain("x-base", text);
        var again = Load(text, "configout2");
        Assert.Equal(p.Service("web").ConfigHash, again.Service("web").ConfigHash);
        Assert.Equal(p.Service("web").Options.Env, again.Service("web").Options.Env);
        Assert.Equal(p.Service("web").Options.Command, again.Service("web").Options.Command);
    }

    [Fact]
    public void The_docs_key_table_names_every_key_the_mapper_supports_ignores_or_refuses()
    {
        string doc = File.ReadAllText(Path.Combine(MiniRun.Tests.Integration.MiniRunHost.RepoRoot, "docs/compose.md"));
        var missing = ComposeServiceMapper.Supported.Concat(ComposeServiceMapper.Ignored).Concat(ComposeServiceMapper.Refused)
            .Concat(ComposeLoader.TopLevelKeys)
            .Where(k => !System.Text.RegularExpressions.Regex.IsMatch(doc, "`" + System.Text.RegularExpressions.Regex.Escape(k) + "[`.:]")).ToList();   // `deploy.resources...` names deploy
        Assert.Empty(missing);
    }

    [Theory]
    [InlineData("1m30s", 90)]
    [InlineData("500ms", 0.5)]
    [InlineData("10", 10)]
    [InlineData("1h", 3600)]
    public void Durations(string text, double seconds)
    {
        Assert.True(ComposeDurations.TryParse(text, out var d));
        Assert.Equal(seconds, d.TotalSeconds, 3);
        Assert.False(ComposeDurations.TryParse("10 parsecs", out _));
    }
}
