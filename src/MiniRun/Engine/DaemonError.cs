// DaemonError: which errors play the part of Docker's daemon's in MiniRun, and their text as
// Docker's clients print them ("Error response from daemon: MSG").
//
// Why: MiniRun has no daemon, but the course's handouts show Docker's dressing, which depends on
// whether the daemon or the client refused. The engine's errors (a container, network, volume or
// run configuration refused, the core's RuntimeException, kernel and I/O failures) are the
// daemon's; the CLI's own errors (flags, terminal checks) are the client's. The engine states
// only the message; the CLI (Cli/ErrorReport.cs) dresses it per command, and compose, which
// prints the engine's errors inside its own lines, takes the same text from here.
//
// Follows: docker/cli cmd/docker/docker.go (the daemon's errors printed as the API client
// returns them: "Error response from daemon: " + message).
using MiniRun.Containers;
using MiniRun.Kernel;
using MiniRun.Runtime;

namespace MiniRun.Engine;

public static class DaemonError
{
    public const string Prefix = "Error response from daemon: ";

    /// <summary>True for the engine's errors (the daemon's part); the CLI's own errors are decided by the CLI.</summary>
    public static bool IsDaemon(Exception e) => e is ContainerNotFoundException or ContainerException or Spec.RunConfigException
        or KernelException or RuntimeException or IOException or MiniRun.Network.NetworkException;

    /// <summary>The message as a Docker client prints it: with the prefix when it is the daemon's.</summary>
    public static string Text(Exception e) => (IsDaemon(e) ? Prefix : "") + e.Message;
}
