// ContainerException: an error of the engine about one container (its files, its overlay, its
// record), reported by the CLI as one line with Docker's exit code.
//
// Why: the engine (Containers/, Supervisor/, Health/) sits below the CLI and must not throw the
// CLI's own error type; the CLI maps this one (and the core's RuntimeException) to the line and
// the exit code it prints (Program.Report).
namespace MiniRun.Containers;

public class ContainerException : Exception
{
    /// <summary>Docker's exit code for this failure: 1 for a bad request about a container, 125 when the engine failed.</summary>
    public int ExitCode { get; }

    public ContainerException(string message, int exitCode = 125, Exception? inner = null) : base(message, inner) => ExitCode = exitCode;
}

/// <summary>A path the request named does not exist in the container (cp's source); Docker's CLI prints it as `No such container:path: C:P`.</summary>
public sealed class ContainerPathNotFoundException(string container, string path)
    : ContainerException($"Could not find the file {path} in container {container}", 1)
{
    public string Container { get; } = container;
    public string Path { get; } = path;
}
