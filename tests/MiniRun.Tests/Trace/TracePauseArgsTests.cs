// TracePauseArgsTests: `--trace=pause` is rewritten to the hidden flag for every traced verb (run,
// exec, pull, rm, `container rm`), among the verb's own options only - never in the container's
// command.
using MiniRun.Cli;

namespace MiniRun.Tests.Trace;

public sealed class TracePauseArgsTests
{
    [Theory]
    [InlineData("run -e A=1 --trace=pause busybox sh --trace=pause", "run -e A=1 --trace-pause busybox sh --trace=pause")]
    [InlineData("exec -u 0 --trace=pause web ls --trace=pause", "exec -u 0 --trace-pause web ls --trace=pause")]
    [InlineData("--root /r pull --trace=pause busybox", "--root /r pull --trace-pause busybox")]
    [InlineData("rm -f --trace=pause web", "rm -f --trace-pause web")]
    [InlineData("container rm --trace=pause web", "container rm --trace-pause web")]
    [InlineData("ps --trace=pause", "ps --trace=pause")]
    public void Trace_pause_becomes_the_hidden_flag_before_the_first_operand(string given, string expected) =>
        Assert.Equal(expected, string.Join(' ', CliArgs.RewriteTrace(given.Split(' '))));
}
