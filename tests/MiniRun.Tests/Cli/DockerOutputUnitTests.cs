// DockerOutputUnitTests: the pieces of issue 17 that need no container: the per-command error
// dressing (Cli/ErrorReport.cs), the images filter's glob and errors, top's ps parsing, logs -t's
// nine fraction digits and the configured Env order. Each expectation is Docker's text.
using MiniRun.Cli;
using MiniRun.Containers;
using MiniRun.Spec;

namespace MiniRun.Tests.Cli;

public sealed class DockerOutputUnitTests
{
    private static readonly ContainerNotFoundException Missing = new("x");

    [Theory]
    [InlineData("rm", "Error: No such container: x")]
    [InlineData("minirun container rm", "Error: No such container: x")]
    [InlineData("logs", "Error: No such container: x")]
    [InlineData("exec", "Error: No such container: x")]
    [InlineData("stop", "Error response from daemon: No such container: x")]
    [InlineData("kill", "Error response from daemon: No such container: x")]
    [InlineData("minirun diff", "Error response from daemon: No such container: x")]
    [InlineData("commit", "Error response from daemon: No such container: x")]
    public void A_missing_container_is_dressed_per_command(string verb, string line) =>
        Assert.Equal([line], ErrorReport.Lines(verb, Missing));

    [Theory]
    [InlineData("minirun run")]
    [InlineData("minirun container create")]
    public void Run_and_create_add_the_period_and_the_help_line(string path)
    {
        string verb = path.Split(' ')[^1];
        var e = new ContainerException("invalid CapAdd: unknown capability: \"CAP_FOO\"", 125);
        Assert.Equal([$"minirun: Error response from daemon: invalid CapAdd: unknown capability: \"CAP_FOO\".", $"See 'minirun {verb} --help'."],
            ErrorReport.Lines(path, e));
        Assert.Equal(["the input device is not a TTY"], ErrorReport.Lines(path, InputTty.Error()));   // Docker's client check, as it is
    }

    [Fact]
    public void Client_errors_are_bare_daemon_errors_prefixed_and_other_groups_keep_their_line()
    {
        Assert.Equal(["Error response from daemon: Cannot kill container: c: container abc is not running"],
            ErrorReport.Lines("kill", new ContainerException("Cannot kill container: c: container abc is not running", 1)));
        Assert.Equal(["you cannot start and attach multiple containers at once"],
            ErrorReport.Lines("start", new CliError("you cannot start and attach multiple containers at once", 1)));
        Assert.Equal(["Error response from daemon: No such image: nothere:latest"], ErrorReport.Lines("minirun image tag", CliError.Daemon("No such image: nothere:latest")));
        Assert.Equal(["Error: No such container:path: c:/nosuch"], ErrorReport.Lines("cp", new ContainerPathNotFoundException("c", "/nosuch")));
        // "network create" is not run's create: Docker's main prints the daemon's error as it is
        Assert.Equal(["Error response from daemon: network with name n already exists"],
            ErrorReport.Lines("minirun network create", new MiniRun.Network.NetworkException("network with name n already exists")));
    }

    [Theory]
    [InlineData("rmi")]
    [InlineData("minirun image rm")]
    [InlineData("minirun history")]
    [InlineData("minirun pull")]
    [InlineData("minirun network rm")]
    [InlineData("minirun volume create")]
    [InlineData("minirun compose up")]
    [InlineData("minirun system prune")]
    [InlineData("stats")]
    [InlineData("")]   // an error before any command was chosen
    public void Every_other_command_prints_dockers_line_without_a_minirun_prefix(string path)
    {
        Assert.Equal(["Error response from daemon: No such image: x:latest"], ErrorReport.Lines(path, CliError.Daemon("No such image: x:latest")));
        Assert.Equal(["Error response from daemon: No such container: x"], ErrorReport.Lines(path, Missing));
        Assert.Equal(["Error response from daemon: get v: no such volume"],
            ErrorReport.Lines(path, new ContainerException("get v: no such volume", 1)));   // the engine states only the message
        Assert.Equal(["unauthorized: authentication required"], ErrorReport.Lines(path, new CliError("unauthorized: authentication required", 1)));
        Assert.Equal(["no configuration file provided: not found"], ErrorReport.Lines(path, new MiniRun.Compose.ComposeException("no configuration file provided: not found")));
    }

    [Theory]
    [InlineData("busy*", "busybox:latest", true)]
    [InlineData("busybox", "busybox", true)]
    [InlineData("busybox:lat?st", "busybox:latest", true)]
    [InlineData("*", "library/busybox", false)]   // `*` stops at `/`, as path.Match
    [InlineData("*/*", "library/busybox", true)]
    [InlineData("b[a-u]sybox", "busybox", true)]
    [InlineData("b[^u]sybox", "busybox", false)]
    public void Reference_filters_are_go_globs(string pattern, string name, bool matches) =>
        Assert.Equal(matches, ImageFilter.Glob(pattern).IsMatch(name));

    [Theory]
    [InlineData("foo=bar", "Error response from daemon: invalid filter 'foo'")]
    [InlineData("dangling=maybe", "Error response from daemon: invalid filter 'dangling=[maybe]'")]
    public void Bad_image_filters_are_the_daemons_errors(string filter, string line)
    {
        var e = Assert.Throws<CliError>(() => ImageFilter.Parse([filter]));
        Assert.Equal(1, e.ExitCode);
        Assert.Equal([line], ErrorReport.Lines("images", e));
    }

    [Fact]
    public void A_filter_without_equals_is_pflags_error()
    {
        Assert.Equal("invalid argument \"dangling\" for \"-f, --filter\" flag: bad format of filter (expected name=value)",
            FilterOption.FormatError("dangling"));
        Assert.Equal("invalid argument \"until\" for \"--filter\" flag: bad format of filter (expected name=value)",
            FilterOption.FormatError("until", shorthand: false));   // container prune's flag has no -f
        Assert.Equal("invalid argument \"a\\x1b[31m\" for \"-f, --filter\" flag: bad format of filter (expected name=value)",
            FilterOption.FormatError("a\u001b[31m"));   // %q: an escape sequence is shown, not obeyed
        Assert.Null(FilterOption.FormatError("name=web"));
    }

    [Fact]
    public void Top_keeps_ps_titles_and_the_containers_rows_in_dockers_table()
    {
        string ps = "  PID COMMAND\n    1 systemd\n 4242 sleep\n 4243 sh -c x\n";
        var (titles, rows) = TopCommand.ParsePs(ps, [4242, 4243]);
        Assert.Equal("PID                 COMMAND\n4242                sleep\n4243                sh -c x\n", TopCommand.Table(titles, rows));
        var e = Assert.Throws<CliError>(() => TopCommand.ParsePs("COMMAND\nsleep\n", [1]));
        Assert.Equal(["Error response from daemon: Couldn't find PID field in ps output"], ErrorReport.Lines("top", e));
    }

    [Theory]
    [InlineData("2026-12-07T14:00:01.1234567Z", "2026-12-07T14:00:01.123456700Z")]
    [InlineData("2026-12-07T14:00:01Z", "2026-12-07T14:00:01.000000000Z")]
    [InlineData("2026-12-07T14:00:01.123456789Z", "2026-12-07T14:00:01.123456789Z")]
    public void Logs_timestamps_always_have_nine_fraction_digits(string stored, string shown) =>
        Assert.Equal(shown, LifecycleLogs.NanoFixed(stored));

    [Fact]
    public void Configured_env_is_the_users_then_the_images_without_hostname()
    {
        Assert.Equal(["A=1", "PATH=/usr/bin:/bin", "LANG=C"],
            EnvMerge.Configured(["PATH=/usr/bin:/bin", "LANG=C"], ["A=1"]));
        Assert.Equal(["LANG=en", "PATH=/usr/bin:/bin"],
            EnvMerge.Configured(["PATH=/usr/bin:/bin", "LANG=C"], ["LANG=en"]));
    }
}
