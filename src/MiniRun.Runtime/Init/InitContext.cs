// InitContext: what every init step reads and changes, passed from step to step.
//
// Why: the steps are small named functions (MountRootfs, PivotRoot, SwitchUser, ...); this one
// object carries the spec they act on, the kernel seam they call, the trace they narrate to,
// and the few values one step produces for a later one (the environment, the terminal fd).
using MiniRun.Kernel;
using MiniRun.Spec;
using MiniRun.Trace;

namespace MiniRun.Init;

public sealed class InitContext
{
    public required RuntimeSpec Spec { get; init; }
    /// <summary>The bundle directory (holds config.json); relative spec paths resolve against it.</summary>
    public required string BundleDir { get; init; }
    public required IKernel Kernel { get; init; }
    public required ITrace Trace { get; init; }
    /// <summary>Sends the terminal's master fd to the parent; null when there is no parent to send to (tests).</summary>
    public Action<int>? SendTerminalMaster { get; init; }
    /// <summary>Closes the sync socket: the parent reads EOF, "the command runs" (used by --init, which does not exec).</summary>
    public Action? ReleaseParent { get; init; }

    /// <summary>--trace in a user namespace: asks the parent to show this process's credentials as the host sees them ("U"); null in tests.</summary>
    public Action? ShowHostCredentials { get; init; }

    /// <summary>Tells the parent that every create step is done ("W"); null in tests and without a start gate.</summary>
    public Action? ReportCreated { get; init; }

    /// <summary>exec.fifo opened read-write before the steps (OCI create); -1 when the program runs at once.</summary>
    public int StartFifo { get; set; } = -1;

    /// <summary>Set by StartGateStep once `start` said go: from then on a failure is written into the fifo for `start` to report.</summary>
    public bool Started { get; set; }

    /// <summary>
    /// Hooks: tells the parent that the mounts are ready, before pivot_root (sync "H"), and waits
    /// while it runs the prestart and createRuntime hooks; returns the state documents it sends
    /// back (for createContainer: status "creating"; for startContainer: "created"). Null in tests
    /// and where no runtime runs hooks.
    /// </summary>
    public Func<(string Creating, string Created)>? ReachHookPoint { get; init; }

    /// <summary>The state the startContainer hooks read, kept from <see cref="ReachHookPoint"/>.</summary>
    public string? StartHookState { get; set; }

    /// <summary>
    /// The device list (linux.resources.devices) has no cgroup to carry its filter: keep it with
    /// nodev mounts (Init/NodevDeviceSteps.cs). Set from the parent's "N" bundle message.
    /// </summary>
    public bool NodevDevices { get; init; }

    /// <summary>OCI --preserve-fds: how many descriptors from 3 up the program keeps (0: none).</summary>
    public int PreserveFds { get; init; }

    /// <summary>Absolute path of the container's root filesystem on the host side (before pivot_root).</summary>
    public string RootfsPath => Path.IsPathRooted(Spec.Root.Path) ? Spec.Root.Path : Path.GetFullPath(Path.Combine(BundleDir, Spec.Root.Path));

    /// <summary>The environment the command gets; starts as the spec's, HOME is added by SwitchUser.</summary>
    public List<string> Env { get; set; } = new();

    /// <summary>The resolved executable path, set by LookPath.</summary>
    public string? ExecutablePath { get; set; }

    /// <summary>The step running now; named in the error if it fails.</summary>
    public string CurrentStep { get; private set; } = "start";

    /// <summary>Starts a named step: remembered for error messages, narrated (and paused) by the trace.</summary>
    public void BeginStep(Narration title, Narration why)
    {
        CurrentStep = title.En;   // errors are in English
        Trace.Step(title, why);
    }

    /// <summary>A path inside the container, seen from the host side before pivot_root.</summary>
    public string InRootfs(string containerPath) => Path.Combine(RootfsPath, containerPath.TrimStart('/'));

    /// <summary>Set by SeccompStep.Compile: the BPF program (and its seccomp(2) flags) SeccompStep.Load hands to the kernel.</summary>
    public byte[]? SeccompFilter { get; set; }
    public uint SeccompFlags { get; set; }

    /// <summary>Where compiled filters are kept between starts (the runtime's STATE/seccomp-cache); null: compile every time.</summary>
    public MiniRun.Kernel.SeccompFilterCache? SeccompCache { get; init; }
}

/// <summary>A step failed in a way that maps to a specific exit code (126, 127) rather than 125.</summary>
public sealed class InitFailure : Exception
{
    public int ExitCode { get; }
    public InitFailure(int exitCode, string message) : base(message) => ExitCode = exitCode;
}
