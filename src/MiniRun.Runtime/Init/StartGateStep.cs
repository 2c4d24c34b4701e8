// StartGateStep: the OCI create/start split. After `create`, the container's first process has
// done every step of its setup but has not exec'd the user's program; it waits here until
// `start` says go.
//
// Why a fifo: `create` and `start` are two separate invocations of the runtime (an engine such
// as podman's conmon or containerd's shim calls them), and between them the process that
// cloned init has exited. So the gate must live in the filesystem, in the container's state
// directory: `exec.fifo`. Init opened it read-write at its very start (before pivot_root hides
// the host's tree; opening a fifo O_RDWR never blocks on Linux), reports "W" (created) to the
// parent, and then blocks in read(2). `start` opens the fifo write-only and non-blocking - which
// fails with ENXIO if init is gone, so a dead container is never "started" - writes one byte and
// removes the fifo. While the fifo exists, the container's status is "created".
//
// Sync (pairs with Runtime/ContainerStarter.cs and Runtime/OciRuntime.cs):
//   init -> parent   "W"            sync 3: every create step is done, waiting for start
//   start -> init    one byte "0"   on exec.fifo: exec the program now
//   init -> start    EOF            init keeps the fifo open (close-on-exec) after reading: when
//                                   the program is exec'd, the last writer is gone and `start`,
//                                   which opened its own read end first, sees POLLHUP; only then
//                                   does it run the poststart hooks and return
//   init -> start    "<message>"    a step after the gate failed (a startContainer hook): init
//                                   writes the one-line error into the fifo before it exits
//
// Follows: runtime-spec runtime.md "create" and "start" (the user-specified program MUST NOT be
// run until start); fifo(7) ("open for read-write ... will succeed" under Linux); read(2).
using MiniRun.Kernel;

using MiniRun.Trace;

namespace MiniRun.Init;

public static class StartGateStep
{
    /// <summary>Environment variable naming the start fifo; only containers made by the OCI `create` have one.</summary>
    public const string FifoVariable = "_MINIRUN_START_FIFO";

    public static void Run(InitContext c)
    {
        if (c.StartFifo < 0) return;   // `minirun run` and `minirun-oci run`: no separate start
        c.BeginStep(Messages.StartGateTitle, Messages.StartGateWhy);
        c.ReportCreated?.Invoke();
        c.Kernel.WaitForStart(c.StartFifo);
        c.Started = true;   // the fifo stays open (close-on-exec): see the header
    }
}
