// PsState: how `ps` and `inspect` show a container's status: the filter's status names, "up",
// and the STATUS column text.
//
// Why: the status itself comes from the engine's one liveness answer (Containers/ContainerLiveness.cs,
// "exited" when the recorded process died unrecorded); this file only words it as Docker does.
//
// Follows: Docker's container states (created, restarting, running, removing, paused, exited,
// dead); proc(5) /proc/PID/stat.
using MiniRun.Containers;
using MiniRun.Runtime;

namespace MiniRun.Cli;

public static class PsState
{
    /// <summary>The valid values of `ps --filter status=`.</summary>
    public static readonly string[] Names = ["created", "restarting", "running", "removing", "paused", "exited", "dead"];

    /// <summary>Docker's State.Running: true while running, paused or restarting.</summary>
    public static bool IsUp(string effective) =>
        effective is ContainerStatus.Running or ContainerStatus.Paused or ContainerStatus.Restarting;

    /// <summary>
    /// The STATUS column: ContainerCommands.Status, plus the health of a running container as
    /// Docker shows it ("Up 3 seconds (healthy)", "(health: starting)") when Status lacks it.
    /// </summary>
    public static string StatusText(ContainerRecord c, string effective, DateTimeOffset now)
    {
        string text = ContainerCommands.Status(c, now);
        if (effective == ContainerStatus.Running && c.State.Health is { } h && text.StartsWith("Up ", StringComparison.Ordinal) && !text.EndsWith(')'))
            text += h.Status == "starting" ? " (health: starting)" : $" ({h.Status})";
        return text;
    }
}
