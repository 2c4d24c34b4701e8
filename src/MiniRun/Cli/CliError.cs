// CliError: an error the CLI reports as one line `minirun: <message>` with a chosen exit code.
//
// Why: Docker's exit codes are part of the interface the course relies on: 125 when the runtime
// (MiniRun) fails, 126/127 when the command cannot be run, the command's own status otherwise.
// Everything that goes wrong is reported as one line; a stack trace only with --debug.
namespace MiniRun.Cli;

public sealed class CliError : Exception
{
    public int ExitCode { get; }
    public CliError(string message, int exitCode = 125) : base(message) => ExitCode = exitCode;
}
