// ContainerExec: the engine's `exec` - check that the container can take a new process (not
// paused, not restarting, its PID 1 alive), then start the command in it by the runtime core's
// exec (OciRuntime.Exec: the one exec path, which the health probes use too).
//
// The command gets the container's confinement (config.json's process capabilities,
// noNewPrivileges, rlimits, umask, linux.seccomp and apparmorProfile, minirun-default loaded again
// first if the kernel lost it), as Docker's exec does. The CLI
// (Cli/ExecCommand.cs) resolves the flags, relays the terminal and waits.
//
// Follows: docker-exec(1); moby daemon/exec.go for the messages ("is paused, unpause the container
// before exec", "is restarting, wait until the container is running", "is not running").
using MiniRun.Containers;
using MiniRun.Runtime;

namespace MiniRun.Engine;

public static class ContainerExec
{
    /// <summary>Starts the process; throws ContainerException (exit 1) when the container cannot take it, ExecFailure when the command cannot run.</summary>
    public static ExecProcess Start(ContainerStore store, ContainerRecord record, ExecOptions options)
    {
        switch (record.State.Status)
        {
            case ContainerStatus.Paused:
                throw new ContainerException($"container {record.Id} is paused, unpause the container before exec", 1);
            case ContainerStatus.Restarting:
                throw new ContainerException($"container {record.Id} is restarting, wait until the container is running", 1);
        }
        if (!ContainerLiveness.IsRunning(record))
            throw new ContainerException($"container {record.Id} is not running", 1);
        try { MiniRun.Security.AppArmor.EnsureLoadedFor(store, record.Id); }   // minirun-default again if the kernel lost it
        catch (Exception e) when (e is MiniRun.Spec.RunConfigException or InvalidDataException)
        {
            throw new ContainerException(e.Message, 126);   // Docker's status when the runtime cannot start the command
        }
        try
        {
            return ContainerRuntime.For(store).Exec(record.Id, options);   // the runtime core's exec
        }
        catch (ExecTargetGoneException)
        {
            throw new ContainerException($"container {record.Id} is not running", 1);
        }
    }
}
