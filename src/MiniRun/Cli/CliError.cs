// CliError: an error of the command line itself (a flag, an argument, the terminal), with the exit
// code Docker uses for it. Cli/ErrorReport.cs prints it with the command's dressing.
//
// Why: Docker's exit codes are part of the interface the course relies on: 125 when the runtime
// (MiniRun) fails, 126/127 when the command cannot be run, the command's own status otherwise.
// Everything that goes wrong is reported as one line; a stack trace only with --debug.
namespace MiniRun.Cli;

public sealed class CliError : Exception
{
    public int ExitCode { get; }
    /// <summary>The message is one Docker's daemon would send (printed after `Error response from daemon: `).</summary>
    public bool FromDaemon { get; private init; }
    /// <summary>Printed as it is even by run and create (Docker's client-side checks such as the terminal's).</summary>
    public bool Bare { get; init; }

    public CliError(string message, int exitCode = 125) : base(message) => ExitCode = exitCode;

    public static CliError Daemon(string message, int exitCode = 1) => new(message, exitCode) { FromDaemon = true };
}
