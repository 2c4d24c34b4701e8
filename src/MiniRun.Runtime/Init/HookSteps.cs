// HookSteps: the two points where `minirun init` takes part in runtime-spec hooks.
//
// Why init: createContainer and startContainer hooks run "in the container namespace", and init
// is the one process already inside every new namespace. Both points:
//   CreateHooks  after the last mount, before pivot_root. Init first reports "H" to the parent
//                (Runtime/ContainerStarter.cs) and waits: the parent runs prestart and
//                createRuntime in the runtime namespace and answers with the state, "S <json>".
//                Then init runs createContainer itself: in the container's namespaces, but the
//                host's tree is still / here, so the hook's path resolves in the runtime
//                namespace, as runtime-spec requires.
//   StartHooks   after `start` (StartGateStep), before the late attributes and exec: the
//                startContainer hooks, whose path resolves in the container (after pivot_root).
// A failing hook fails init (InitFailure: the hook's one-line error, without the step's name);
// the runtime then destroys the container. Init is PID 1 of its PID namespace: a hook is its
// child and is reaped in Kernel/HookProcess.cs.
//
// Follows: runtime-spec config.md "POSIX-platform Hooks" (createContainer, startContainer),
// runtime.md "Lifecycle" (steps 5 and 7).
using MiniRun.Runtime;

using MiniRun.Trace;

namespace MiniRun.Init;

public static class HookSteps
{
    public static void CreateHooks(InitContext c)
    {
        var hooks = c.Spec.Hooks;
        if (!HookRunner.NeedsHookPoint(hooks)) return;
        c.BeginStep(Messages.CreateHooksTitle, Messages.CreateHooksWhy);
        if (c.ReachHookPoint is null)
            throw new InitFailure(125, "config.json has hooks, but no runtime is there to run its prestart and createRuntime hooks");
        var (creating, created) = c.ReachHookPoint();
        c.StartHookState = created;
        Run("createContainer", hooks!.CreateContainer, creating, c);
    }

    public static void StartHooks(InitContext c)
    {
        var hooks = c.Spec.Hooks?.StartContainer;
        if (!HookRunner.Any(hooks)) return;
        c.BeginStep(Messages.StartHooksTitle, Messages.StartHooksWhy);
        Run("startContainer", hooks, c.StartHookState ?? "", c);
    }

    private static void Run(string kind, List<Spec.SpecHook>? hooks, string state, InitContext c)
    {
        try { HookRunner.RunAll(kind, hooks, state, c.Kernel); }
        catch (HookFailedException e) { throw new InitFailure(125, e.Message); }
    }
}
