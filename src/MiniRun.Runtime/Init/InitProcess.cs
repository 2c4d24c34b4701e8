// InitProcess: `minirun init`, the container's first process after the native clone stage
// exec'd it. It runs InitSteps in order and ends by exec'ing the container's command.
//
// Why a separate exec of minirun: the child of clone may not run managed code (platform-facts.md),
// so the native stage execs this binary again: a fresh process whose only thread-state is its
// own. It is NativeAOT, so nothing has to be loaded from disk after pivot_root.
//
// It receives: _MINIRUN_SYNC_FD = its end of the sync socket; _MINIRUN_TRACE = "" (off) or
// "<first call number>[,pause][,ja]" (ja: narrate in Japanese); then on the socket "T <n>" (with a user namespace and --trace:
// number the steps after the parent's), "C <dir>" (the seccomp filter cache, when the runtime
// keeps one), and "B <bundle dir>" once the parent has written the bundle ("N <bundle dir>" when
// no cgroup carries the device list and init keeps it with nodev mounts: Init/NodevDeviceSteps.cs).
// Every failure is reported to the parent as
// "E <exit code> <one-line message>" before init exits with that code; after `start` (the parent
// of create is gone by then) the message is written into exec.fifo, where `start` reads it.
// With hooks, init stops before pivot_root to let the parent run its own ("H", Init/HookSteps.cs).
//
// Follows: runtime-spec runtime.md "create" (everything up to, not including, the user process).
using MiniRun.Kernel;
using MiniRun.Runtime;
using MiniRun.Spec;
using MiniRun.Trace;

namespace MiniRun.Init;

public static class InitProcess
{
    public const string SyncFdVariable = "_MINIRUN_SYNC_FD";
    public const string TraceVariable = "_MINIRUN_TRACE";

    public static int Start()
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable(SyncFdVariable), out int syncFd))
        {
            Console.Error.WriteLine("minirun: init is started by `minirun run`, not by hand");
            return 125;
        }
        Libc.fcntl(syncFd, Libc.F_SETFD, Libc.FD_CLOEXEC);   // must not leak into the container
        using var channel = new SyncChannel(syncFd);
        ITrace trace = ParseTrace(channel, Environment.GetEnvironmentVariable(TraceVariable));
        InitContext? context = null;
        string? go;
        string? seccompCache = null;
        try
        {
            go = channel.Receive();
            // "T N": the parent's --trace went on after the clone; number init's calls from N.
            if (go is not null && go.StartsWith("T ", StringComparison.Ordinal) && int.TryParse(go[2..], out int next))
            {
                (trace as ChannelTrace)?.ContinueFrom(next);
                go = channel.Receive();
            }
            if (go is not null && go.StartsWith("C ", StringComparison.Ordinal))   // sync 0a: the seccomp filter cache's directory
            {
                seccompCache = go[2..];
                go = channel.Receive();
            }
        }
        catch (KernelException) { go = null; }
        // "B DIR": the bundle is ready; "N DIR": the same, and no cgroup carries the device list (NodevDeviceSteps).
        if (go is null || !(go.StartsWith("B ", StringComparison.Ordinal) || go.StartsWith("N ", StringComparison.Ordinal)))
            return 125;   // the parent gave up before the bundle was ready (e.g. no such image)
        string bundleDir = go[2..];
        try
        {
            int startFifo = OpenStartFifo();
            var spec = RuntimeSpec.Load(Path.Combine(bundleDir, "config.json"));
            context = new InitContext
            {
                Spec = spec,
                BundleDir = bundleDir,
                NodevDevices = go[0] == 'N',
                Kernel = new LinuxKernel(trace),
                Trace = trace,
                SendTerminalMaster = fd => channel.SendWithFd("F", fd),
                ReleaseParent = channel.Dispose,
                ShowHostCredentials = () => channel.Send("U"),
                ReportCreated = () => { channel.Send("W"); channel.Dispose(); },
                ReachHookPoint = () => HookPoint(channel),
                StartFifo = startFifo,
                SeccompCache = seccompCache is null ? null : new SeccompFilterCache(seccompCache),
                PreserveFds = int.TryParse(Environment.GetEnvironmentVariable(ExecSteps.PreserveFdsVariable), out int keep) && keep > 0 ? keep : 0,
                Env = new List<string>(spec.Process.Env),
            };
            Run(context);
            return 125;   // Run returns only if exec failed without an exception, which cannot happen
        }
        catch (Exception e)
        {
            var (code, message) = Describe(e, context?.CurrentStep);
            if (context is { Started: true, StartFifo: >= 0 })
                TryWrite(context.StartFifo, message);   // the parent is gone: `start` reads it from exec.fifo
            else
                TrySend(channel, $"E {code} {message}");
            return code;
        }
    }

    /// <summary>Runs every step in order; the last one execs and does not return.</summary>
    public static void Run(InitContext context)
    {
        foreach (var (_, step) in InitSteps.All)
            step(context);
    }

    /// <summary>Exit code and message for a failure: 126/127 for the command, 125 (with the step) for the runtime.</summary>
    public static (int Code, string Message) Describe(Exception e, string? step) => e switch
    {
        InitFailure f => (f.ExitCode, f.Message),
        _ => (125, step is null ? e.Message : $"init step {GoQuote.Quote(step)}: {e.Message}"),
    };

    /// <summary>
    /// OCI create: exec.fifo in the state directory, opened read-write now, while the host's tree
    /// is still visible (StartGateStep reads from it after pivot_root). -1 without a start gate.
    /// </summary>
    private static int OpenStartFifo()
    {
        string? path = Environment.GetEnvironmentVariable(StartGateStep.FifoVariable);
        if (string.IsNullOrEmpty(path)) return -1;
        int fd = Libc.open(path, Libc.O_RDWR | Libc.O_CLOEXEC, 0);
        if (fd < 0) throw new KernelException($"open {path}", System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
        return fd;
    }

    private static ITrace ParseTrace(SyncChannel channel, string? value)
    {
        if (string.IsNullOrEmpty(value)) return NullTrace.Instance;
        var parts = value.Split(',');
        int first = int.TryParse(parts[0], out int n) ? n : 1;
        NarrationLanguage.Japanese = parts.Contains("ja");   // init does not inherit the environment: the parent says which language
        return new ChannelTrace(channel, first, parts.Contains("pause"));
    }

    /// <summary>Sync "H": the mounts are ready, the parent runs its hooks and answers "S CREATING\nCREATED" (two state documents).</summary>
    private static (string Creating, string Created) HookPoint(SyncChannel channel)
    {
        channel.Send("H");
        string? reply = channel.Receive();
        if (reply is null || !reply.StartsWith("S ", StringComparison.Ordinal))
            throw new InitFailure(125, "the runtime did not answer at the hook point");
        var docs = reply[2..].Split('\n', 2);
        return (docs[0], docs.Length > 1 ? docs[1] : docs[0]);
    }

    private static unsafe void TryWrite(int fd, string message)
    {
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(message);
        fixed (byte* p = bytes) Libc.write(fd, p, (nuint)bytes.Length);   // best effort: `start` then says init is gone
    }

    private static void TrySend(SyncChannel channel, string message)
    {
        try { channel.Send(message); } catch (KernelException) { /* the parent is gone */ }
    }
}
