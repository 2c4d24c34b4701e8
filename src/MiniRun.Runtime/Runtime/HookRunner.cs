// HookRunner: runs one list of runtime-spec hooks in order, and says what a failure means.
//
// Why: runtime-spec runtime.md "Lifecycle" gives hooks two kinds of failure. A failing prestart,
// createRuntime, createContainer or startContainer hook is an error: the runtime stops there,
// destroys the container and reports it (RunAll throws HookFailedException, and the hooks after it
// in the list do not run). A failing poststart or poststop hook is only a warning: the rest of
// the list and of the lifecycle go on (RunAllWarning). Either way the failure is one line naming
// the list, the index and the path: `createRuntime hook 0 (/usr/bin/x) exited with status 3`.
//
// Where each list runs (the callers):
//   prestart, createRuntime  the runtime (OciRuntime), when init reports "H" over the sync channel:
//                            namespaces and cgroup exist, the mounts are made, pivot_root is not
//   createContainer          init (Init/HookSteps.cs), at that same point, in the container's
//                            namespaces; the path still resolves in the host's tree
//   startContainer           init, after `start`, before the program is exec'd (path: the container's)
//   poststart                the runtime, once the program runs, before `start` / `run` returns
//   poststop                 the runtime, in `delete` (or a failed create), once the container is gone
// Each hook reads the container's state (Runtime/OciState.cs ToSpecJson) on its stdin.
//
// Follows: runtime-spec config.md "POSIX-platform Hooks", runtime.md "Lifecycle" (steps 3-5, 7, 9, 13).
using MiniRun.Kernel;
using MiniRun.Spec;

namespace MiniRun.Runtime;

/// <summary>A hook that must succeed did not; the message is the one line to report.</summary>
public sealed class HookFailedException : RuntimeException
{
    public HookFailedException(string message) : base(message) { }
}

public static class HookRunner
{
    /// <summary>The hooks that init runs, or that need init to stop before pivot_root (sync "H").</summary>
    public static bool NeedsHookPoint(SpecHooks? hooks) =>
        hooks is not null && (Any(hooks.Prestart) || Any(hooks.CreateRuntime) || Any(hooks.CreateContainer) || Any(hooks.StartContainer));

    public static bool Any(List<SpecHook>? hooks) => hooks is { Count: > 0 };

    /// <summary>Runs each hook in order; the first that fails ends the list with <see cref="HookFailedException"/>.</summary>
    public static void RunAll(string kind, List<SpecHook>? hooks, string state, IKernel kernel)
    {
        for (int i = 0; hooks is not null && i < hooks.Count; i++)
        {
            var outcome = kernel.RunHook(kind, i, hooks[i], state);
            if (!outcome.Succeeded)
                throw new HookFailedException(Failure(kind, i, hooks[i], outcome));
        }
    }

    /// <summary>Runs every hook in order; each failure goes to <paramref name="warn"/> and the next hook still runs.</summary>
    public static void RunAllWarning(string kind, List<SpecHook>? hooks, string state, IKernel kernel, Action<string> warn)
    {
        for (int i = 0; hooks is not null && i < hooks.Count; i++)
        {
            HookOutcome outcome;
            try { outcome = kernel.RunHook(kind, i, hooks[i], state); }
            catch (KernelException e) { warn($"{kind} hook {i} ({hooks[i].Path}): {e.Message}"); continue; }
            if (!outcome.Succeeded)
                warn(Failure(kind, i, hooks[i], outcome));
        }
    }

    public static string Failure(string kind, int index, SpecHook hook, HookOutcome outcome) =>
        $"{kind} hook {index} ({hook.Path}) {outcome.Describe(hook)}";
}
