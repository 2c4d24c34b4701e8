// BuilderIntegrationTests: `minirun build` as a student runs it - the real binary, a temporary
// root holding the busybox fixture, a context directory per test - and what the built image is:
// its config, its files (seen from a container of it), its layers, its history, the cache.
//
// Why: the builder is the course's image lesson (each RUN/COPY a layer, the cache reused up to the
// first changed step, multi-stage images keep only the last stage's layers): these tests check the
// lesson's facts on real images, and that every bad input is one line, exit 1 and leaves nothing
// behind (no tag, no container, no mount on the host).
// Follows: docker-build(1); Dockerfile reference; OCI image-spec config.md.
using System.Text.Json;
using MiniRun.Tests.Integration;

namespace MiniRun.Tests.Build;

public sealed class BuilderIntegrationTests : IDisposable
{
    private readonly MiniRunHost _m = new();
    private readonly string _ctx = Directory.CreateTempSubdirectory("minirun-build-ctx-").FullName;

    public void Dispose()
    {
        _m.Dispose();
        try { Directory.Delete(_ctx, recursive: true); } catch (DirectoryNotFoundException) { }
    }

    private void Write(string relative, string text)
    {
        string path = Path.Combine(_ctx, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private RunResult Build(params string[] args) => _m.Run(["build", .. args, _ctx]);

    private RunResult BuildOk(params string[] args)
    {
        var r = Build(args);
        Assert.True(r.ExitCode == 0, $"build failed ({r.ExitCode}): {r.Stdout}\n{r.Stderr}");
        return r;
    }

    private string Id(RunResult build) =>
        System.Text.RegularExpressions.Regex.Match(build.Stdout, @"Successfully built ([0-9a-f]{12})").Groups[1].Value;

    private JsonElement Config(string image)
    {
        var r = _m.Run("image", "inspect", image);
        Assert.Equal(0, r.ExitCode);
        return JsonDocument.Parse(r.Stdout).RootElement[0];
    }

    private string RunIn(string image, params string[] command)
    {
        var r = _m.Run(["run", "--rm", image, .. command]);
        Assert.True(r.ExitCode == 0, $"run {image} {string.Join(' ', command)}: {r.ExitCode} {r.Stdout} {r.Stderr}");
        return r.Stdout;
    }

    [Fact]
    public void CourseDockerfile_ClassicOutput_History_AndPid1IsTheShell()
    {
        Write("Dockerfile", "FROM busybox\nRUN echo hello > /hello.txt && echo from-stderr >&2\nCMD [\"sh\", \"-c\", \"ps\"]\n");

        var r = BuildOk("-t", "course:v1");

        string[] lines = r.Stdout.TrimEnd().Split('\n');
        Assert.Equal("Step 1/3 : FROM busybox", lines[0]);
        Assert.Matches(@"^ ---> [0-9a-f]{12}$", lines[1]);
        Assert.Equal("Step 2/3 : RUN echo hello > /hello.txt && echo from-stderr >&2", lines[2]);
        var running = System.Text.RegularExpressions.Regex.Match(lines[3], @"^ ---> Running in ([0-9a-f]{12})$");
        Assert.True(running.Success, lines[3]);
        Assert.Equal("from-stderr", lines[4]);   // the command's stderr is part of the build output
        Assert.Equal($"Removing intermediate container {running.Groups[1].Value}", lines[5]);
        Assert.Matches(@"^ ---> [0-9a-f]{12}$", lines[6]);
        Assert.Equal("Step 3/3 : CMD [\"sh\", \"-c\", \"ps\"]", lines[7]);
        Assert.Equal($"Successfully built {Id(r)}", lines[^2]);
        Assert.Equal("Successfully tagged course:v1", lines[^1]);
        Assert.Empty(_m.ContainerIds());   // the step's container is gone

        Assert.Equal("hello\n", RunIn("course:v1", "cat", "/hello.txt"));
        string ps = RunIn("course:v1");
        var pid1 = ps.Split('\n').Single(l => l.TrimStart().StartsWith("1 "));
        Assert.Contains("sh -c ps", pid1);

        // History's IMAGE column: each step's image (the classic builder keeps them), then the base's ID.
        Assert.Equal([Id(r), lines[6][6..], lines[1][6..]], _m.Run("history", "-q", "course:v1").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var history = _m.Run("history", "--no-trunc", "course:v1").Stdout;
        Assert.Contains("/bin/sh -c #(nop)  CMD [\"sh\" \"-c\" \"ps\"]", history);
        Assert.Contains("/bin/sh -c echo hello > /hello.txt && echo from-stderr >&2", history);
        var config = Config("course:v1");
        Assert.Equal(["sh", "-c", "ps"], config.GetProperty("Config").GetProperty("Cmd").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(2, config.GetProperty("RootFS").GetProperty("Layers").GetArrayLength());   // busybox + RUN; CMD adds none
    }

    [Fact]
    public void Instructions_ChangeTheConfig_AndRunSeesEnvArgWorkdirUser()
    {
        Write("Dockerfile", """
            ARG BASE=busybox
            FROM ${BASE}
            ARG GREETING=hi
            ENV APP_HOME=/srv/app PATH=/usr/local/bin:/bin:/usr/bin
            LABEL course="containers 101" version=${GREETING}
            EXPOSE 8080 53/udp
            WORKDIR ${APP_HOME}
            WORKDIR sub
            RUN echo "$GREETING $APP_HOME $(pwd)" > /srv/seen && id -u >> /srv/seen
            USER 1000:1000
            RUN id -u > /tmp/uid
            VOLUME ["/data"]
            STOPSIGNAL SIGQUIT
            HEALTHCHECK --interval=30s --timeout=1m30s --retries=2 CMD wget -q localhost:8080 || exit 1
            SHELL ["/bin/sh", "-ec"]
            ONBUILD RUN echo triggered > /tmp/onbuild
            ENTRYPOINT ["/bin/sh"]
            CMD ["-c", "echo run"]
            """);

        BuildOk("-t", "all", "--build-arg", "GREETING=hey");

        var c = Config("all").GetProperty("Config");
        var env = c.GetProperty("Env").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains("APP_HOME=/srv/app", env);
        Assert.DoesNotContain(env, e => e!.StartsWith("GREETING"));   // an ARG is not in the image
        Assert.Equal("containers 101", c.GetProperty("Labels").GetProperty("course").GetString());
        Assert.Equal("hey", c.GetProperty("Labels").GetProperty("version").GetString());
        Assert.True(c.GetProperty("ExposedPorts").TryGetProperty("8080/tcp", out _));
        Assert.True(c.GetProperty("ExposedPorts").TryGetProperty("53/udp", out _));
        Assert.Equal("/srv/app/sub", c.GetProperty("WorkingDir").GetString());
        Assert.Equal("1000:1000", c.GetProperty("User").GetString());
        Assert.True(c.GetProperty("Volumes").TryGetProperty("/data", out _));
        Assert.Equal("SIGQUIT", c.GetProperty("StopSignal").GetString());
        var health = c.GetProperty("Healthcheck");
        Assert.Equal(["CMD-SHELL", "wget -q localhost:8080 || exit 1"], health.GetProperty("Test").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(30_000_000_000L, health.GetProperty("Interval").GetInt64());
        Assert.Equal(90_000_000_000L, health.GetProperty("Timeout").GetInt64());
        Assert.Equal(2, health.GetProperty("Retries").GetInt32());
        Assert.Equal(["/bin/sh", "-ec"], c.GetProperty("Shell").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["RUN echo triggered > /tmp/onbuild"], c.GetProperty("OnBuild").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["/bin/sh"], c.GetProperty("Entrypoint").EnumerateArray().Select(e => e.GetString()));

        Assert.Equal("hey /srv/app /srv/app/sub\n0\n", RunIn("all", "-c", "cat /srv/seen"));
        Assert.Equal("1000\n", RunIn("all", "-c", "cat /tmp/uid"));
        Assert.Equal("run\n", RunIn("all"));

        // The ONBUILD trigger runs when another build starts FROM this image.
        Write("Dockerfile", "FROM all\nCMD [\"-c\", \"cat /tmp/onbuild\"]\n");
        var child = BuildOk("-t", "child");
        Assert.Contains("# Executing 1 build trigger", child.Stdout);
        Assert.Equal("triggered\n", RunIn("child"));
        Assert.False(Config("child").GetProperty("Config").TryGetProperty("OnBuild", out var ob) && ob.ValueKind == JsonValueKind.Array);
    }

    [Fact]
    public void RunStep_HasRunsSecurityDefaults()
    {
        // Issue 13: each RUN is a MiniRun container with the same security defaults as `run`
        // (seccomp filter, capabilities, no_new_privs, /sys/firmware masked): the probe prints the same in both.
        const string probe = "grep -E '^(Seccomp|CapBnd|CapEff|NoNewPrivs):' /proc/self/status; ls -A /sys/firmware | wc -l";
        Write("Dockerfile", $"FROM busybox\nRUN {probe}\n");
        var build = BuildOk("--no-cache", "-t", "secprobe");
        string fromRun = RunIn("busybox", "sh", "-c", probe);
        var lines = build.Stdout.Split('\n');
        int at = Array.FindIndex(lines, l => l.StartsWith(" ---> Running in", StringComparison.Ordinal));
        Assert.Equal(fromRun, string.Join('\n', lines[(at + 1)..(at + 1 + fromRun.TrimEnd('\n').Split('\n').Length)]) + "\n");
        Assert.Contains("Seccomp:\t2", fromRun);   // a filter is loaded, in both
        Assert.EndsWith("\n0\n", fromRun);          // /sys/firmware is masked (empty), in both
    }

    [Fact]
    public void RunThatDeletes_MakesWhiteouts_FileGoneInTheNewImage()
    {
        Write("Dockerfile", "FROM busybox\nRUN rm /bin/vi && rm -r /usr && mkdir /usr && echo new > /usr/only\n");
        BuildOk("-t", "deleted");
        Assert.Equal("gone\n", RunIn("deleted", "sh", "-c", "test -e /bin/vi || echo gone"));
        Assert.Equal("only\n", RunIn("deleted", "ls", "/usr"));   // opaque directory: the base's /usr/bin, /usr/sbin are hidden
        Assert.Equal("new\n", RunIn("deleted", "cat", "/usr/only"));
    }

    [Fact]
    public void Cache_HitThenMissAfterAChangedFile_ThenMissAfterAChangedInstruction()
    {
        Write("a.txt", "one");
        Write("Dockerfile", "FROM busybox\nRUN echo first > /first\nCOPY a.txt /a.txt\nRUN cat /a.txt > /copy\nCMD [\"cat\", \"/copy\"]\n");
        var cold = BuildOk("-t", "cached");
        var warm = BuildOk("-t", "cached");
        Assert.Equal(Id(cold), Id(warm));
        Assert.Equal(4, CountOf(warm.Stdout, " ---> Using cache"));
        Assert.DoesNotContain("Running in", warm.Stdout);

        Write("a.txt", "two");
        var changedFile = BuildOk("-t", "cached");
        Assert.Equal(1, CountOf(changedFile.Stdout, " ---> Using cache"));   // only the first RUN
        Assert.NotEqual(Id(cold), Id(changedFile));
        Assert.Equal("two", RunIn("cached"));

        Write("Dockerfile", "FROM busybox\nRUN echo changed > /first\nCOPY a.txt /a.txt\nRUN cat /a.txt > /copy\nCMD [\"cat\", \"/copy\"]\n");
        var changedStep = BuildOk("-t", "cached");
        Assert.Equal(0, CountOf(changedStep.Stdout, " ---> Using cache"));   // every step after the change is rebuilt
        Assert.Equal(2, CountOf(changedStep.Stdout, " ---> Running in"));

        var noCache = BuildOk("-t", "cached", "--no-cache");
        Assert.Equal(0, CountOf(noCache.Stdout, " ---> Using cache"));
    }

    private static int CountOf(string text, string what) => text.Split('\n').Count(l => l.StartsWith(what, StringComparison.Ordinal));

    [Fact]
    public void MultiStage_CopyFrom_FinalImageHasOnlyItsStagesLayers_AndTargetStops()
    {
        Write("Dockerfile", """
            FROM busybox AS builder
            RUN mkdir -p /out && echo artifact > /out/app && chmod 700 /out/app
            FROM busybox AS unused
            RUN echo unused > /unused
            FROM scratch
            COPY --from=builder /out/app /app
            COPY --from=0 /bin/busybox /bin/busybox
            COPY --from=busybox --chown=1:2 --chmod=640 /etc/passwd /passwd
            CMD ["/bin/busybox", "cat", "/app"]
            """);
        BuildOk("-t", "small");
        var layers = Config("small").GetProperty("RootFS").GetProperty("Layers");
        Assert.Equal(3, layers.GetArrayLength());   // the three COPY layers, none of busybox's
        Assert.Equal("artifact\n", RunIn("small"));
        Assert.Equal("1 2 640\n", RunIn("small", "/bin/busybox", "stat", "-c", "%u %g %a", "/passwd"));

        var target = BuildOk("--target", "unused", "-t", "stage");
        Assert.DoesNotContain("FROM scratch", target.Stdout);
        Assert.Equal("unused\n", RunIn("stage", "cat", "/unused"));
    }

    [Fact]
    public void DockerIgnore_ExcludesFiles_AndChownByName()
    {
        Write("keep.txt", "keep");
        Write("secret.env", "password");
        Write("logs/x.log", "log");
        Write(".dockerignore", "*.env\nlogs\n");
        Write("Dockerfile", "FROM busybox\nCOPY --chown=student:users . /ctx/\n");
        BuildOk("-t", "ignored");
        var files = RunIn("ignored", "ls", "-A", "/ctx").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("keep.txt", files);
        Assert.DoesNotContain("secret.env", files);
        Assert.DoesNotContain("logs", files);
        Assert.Equal("1000 100", RunIn("ignored", "stat", "-c", "%u %g", "/ctx/keep.txt").Trim());   // the fixture's student, users
    }

    [Fact]
    public void Quiet_Iidfile_Labels_AndUnusedBuildArgWarning()
    {
        Write("Dockerfile", "FROM busybox\nARG USED\nRUN echo $USED > /used\n");
        string iid = Path.Combine(_ctx, "..", Path.GetFileName(_ctx) + ".iid");
        try
        {
            var q = BuildOk("-q", "--iidfile", iid, "--build-arg", "USED=yes", "--label", "team=ops", "-t", "quiet");
            Assert.Matches(@"^sha256:[0-9a-f]{64}\n$", q.Stdout);
            Assert.Equal(q.Stdout.Trim(), File.ReadAllText(iid));
            Assert.Equal("yes\n", RunIn("quiet", "cat", "/used"));
            Assert.Equal("ops", Config("quiet").GetProperty("Config").GetProperty("Labels").GetProperty("team").GetString());
            Assert.Contains("|1 USED=yes /bin/sh -c echo $USED > /used", _m.Run("history", "--no-trunc", "quiet").Stdout);

            var warned = BuildOk("--build-arg", "USED=yes", "--build-arg", "NOPE=1", "--build-arg", "HTTP_PROXY=x");
            Assert.Contains("[Warning] One or more build-args [NOPE] were not consumed", warned.Stdout);
        }
        finally { File.Delete(iid); }
    }

    [Fact]
    public void Intermediates_HiddenFromImages_ShownWithAll_RemovedWithTheImage()
    {
        Write("Dockerfile", "FROM busybox\nRUN echo 1 > /one\nENV A=1\nCMD [\"true\"]\n");
        BuildOk("-t", "layers");
        int Rows(params string[] args) => _m.Run(["images", .. args]).Stdout.TrimEnd().Split('\n').Length - 1;
        Assert.Equal(2, Rows());            // busybox, layers
        Assert.Equal(4, Rows("-a"));        // + the RUN and ENV steps
        var all = _m.Run("images", "-a", "-q", "--no-trunc").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string busybox = _m.Run("images", "-q", "--no-trunc", "busybox").Stdout.Trim();
        var rmi = _m.Run("rmi", "layers");
        Assert.Equal(0, rmi.ExitCode);
        foreach (string id in all.Where(i => i != busybox))
            Assert.Contains($"Deleted: {id}", rmi.Stdout);   // the image and its intermediate steps
        Assert.Equal(1, Rows("-a"));        // busybox only
    }

    public static TheoryData<string, string> BadInputs => new()
    {
        { "FROM busybox\nRUN echo out; exit 1\n", "The command '/bin/sh -c echo out; exit 1' returned a non-zero code: 1" },
        { "FROM busybox\nFORM x\n", "unknown instruction: FORM" },
        { "RUN echo no from\n", "no build stage" },
        { "FROM busybox\nCOPY ../outside /x\n", "forbidden path outside the build context: ../outside" },
        { "FROM busybox\nCOPY escape/passwd /x\n", "COPY failed: file not found in build context" },
        { "FROM busybox\nCOPY --from=nostage /x /x\n", "invalid from flag value nostage" },
        { "FROM busybox\nADD http://192.0.2.1/x /x\n", "ADD from a URL is not implemented" },
    };

    [Fact]
    public void A_failing_RUN_is_builds_exit_status_as_with_dockers_builder()
    {
        Write("Dockerfile", "FROM busybox\nRUN exit 3\n");
        var r = Build("-t", "three");
        Assert.Equal((3, "The command '/bin/sh -c exit 3' returned a non-zero code: 3\n"), (r.ExitCode, r.Stderr));
    }

    [Fact]
    public void Quiet_build_that_fails_prints_what_it_held_back_then_the_error_on_stderr()
    {
        // Docker's CLI with -q keeps the build's output and prints it on stderr when the build fails.
        Write("Dockerfile", "FROM busybox\nRUN echo first-step\nRUN echo to-stdout; echo to-stderr >&2; exit 3\n");
        var r = Build("-q", "-t", "quietfail");
        Assert.Equal(3, r.ExitCode);
        Assert.Equal("", r.Stdout);
        var lines = r.Stderr.TrimEnd().Split('\n');
        Assert.Equal("Step 1/3 : FROM busybox", lines[0]);
        Assert.Contains("first-step", lines);
        int run = Array.IndexOf(lines, "Step 3/3 : RUN echo to-stdout; echo to-stderr >&2; exit 3");
        Assert.True(run > 0, r.Stderr);
        Assert.Equal(["to-stdout", "to-stderr"], lines[(run + 2)..(run + 4)]);   // after " ---> Running in ID", in order
        Assert.Equal("The command '/bin/sh -c echo to-stdout; echo to-stderr >&2; exit 3' returned a non-zero code: 3", lines[^1]);
        Assert.Empty(_m.ContainerIds());
    }

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void BadInput_OneLine_Exit1_NothingLeftBehind(string dockerfile, string message)
    {
        Directory.CreateSymbolicLink(Path.Combine(_ctx, "escape"), "/etc");
        Write("Dockerfile", dockerfile);
        var before = _m.Run("images", "-a", "-q").Stdout;

        var r = Build("-t", "bad");

        Assert.Equal(1, r.ExitCode);
        var errors = r.Stderr.TrimEnd().Split('\n');
        Assert.Single(errors);
        Assert.Contains(message, errors[0]);
        Assert.DoesNotContain("bad", _m.Run("images").Stdout);
        Assert.Empty(_m.ContainerIds());
        Assert.DoesNotContain(_m.Root, File.ReadAllText("/proc/self/mountinfo"));
        Assert.False(Directory.Exists(Path.Combine(_m.Root, "build")) && Directory.EnumerateFileSystemEntries(Path.Combine(_m.Root, "build")).Any());
        if (!dockerfile.Contains("RUN echo out")) Assert.Equal(before, _m.Run("images", "-a", "-q").Stdout);
    }

    [Fact]
    public void BadInput_Target_Dockerfile_Context()
    {
        Write("Dockerfile", "FROM busybox AS one\n");
        var target = Build("--target", "two");
        Assert.Equal(1, target.ExitCode);
        Assert.Equal("failed to reach build target two in Dockerfile\n", target.Stderr);

        var missing = _m.Run("build", "-f", Path.Combine(_ctx, "Nope"), _ctx);
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal($"unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat {Path.Combine(_ctx, "Nope")}: no such file or directory\n", missing.Stderr);

        Assert.Contains("not implemented", _m.Run("build", "https://example.invalid/repo.git").Stderr);
        Assert.Equal(1, _m.Run("build", "-").ExitCode);
    }

    [Fact]
    public void DockerfileFromStdin_AndHeredoc()
    {
        var r = _m.RunWith("FROM busybox\nRUN <<EOF\necho from-heredoc > /h\necho line2 >> /h\nEOF\n", null, "build", "-f", "-", "-t", "stdin", _ctx);
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        Assert.Equal("from-heredoc\nline2\n", RunIn("stdin", "cat", "/h"));
    }

    [Fact]
    public void SavedBuild_LoadsInSkopeo_WithTheSameConfig()
    {
        Assert.True(File.Exists("/usr/bin/skopeo"), "skopeo is missing: .ci/install-deps.sh installs it");
        Write("Dockerfile", "FROM busybox\nRUN echo x > /x\nENV COURSE=1\nCMD [\"sh\"]\n");
        BuildOk("-t", "saved:v1");
        string archive = Path.Combine(_ctx, "..", Path.GetFileName(_ctx) + ".tar");
        try
        {
            Assert.Equal(0, _m.Run("save", "-o", archive, "saved:v1").ExitCode);
            var psi = new System.Diagnostics.ProcessStartInfo("skopeo", ["inspect", "--config", $"docker-archive:{archive}"])
            { RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = System.Diagnostics.Process.Start(psi)!;
            string output = p.StandardOutput.ReadToEnd();
            string error = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, error);
            var skopeo = JsonDocument.Parse(output).RootElement.GetProperty("config");
            var ours = Config("saved:v1").GetProperty("Config");
            static List<string?> Strings(JsonElement e) => e.EnumerateArray().Select(x => x.GetString()).ToList();
            Assert.Equal(Strings(ours.GetProperty("Env")), Strings(skopeo.GetProperty("Env")));
            Assert.Equal(Strings(ours.GetProperty("Cmd")), Strings(skopeo.GetProperty("Cmd")));
            Assert.Contains("COURSE=1", Strings(skopeo.GetProperty("Env")));
        }
        finally { File.Delete(archive); }
    }
}
