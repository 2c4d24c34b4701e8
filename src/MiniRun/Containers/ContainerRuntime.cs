// ContainerRuntime: the engine's one door to the runtime core (src/MiniRun.Runtime, OciRuntime).
//
// Why: the engine (run, start, the supervisor's restarts, rm, pause, update, exec) knows images,
// names and Docker's flags; the core knows only a bundle and an id. Every container the engine
// starts is an OCI container of the core, in the state root ROOT/runtime, made from the bundle
// ROOT/containers/ID (config.json holds everything the start needs: namespaces, mounts, user,
// oomScoreAdj, cgroupsPath, resources). So a student can look underneath with
// `minirun oci --root ROOT/runtime list` and `state ID`, as `runc list` shows Docker's containers.
// The core's state lives from a start to the end of that run: the supervisor deletes it when the
// container's process has ended (before a restart makes it again); `rm -f` deletes it by force.
//
// Follows: runtime-spec runtime.md "Operations" (create/start as one run, state, kill, delete).
using MiniRun.Runtime;

namespace MiniRun.Containers;

public static class ContainerRuntime
{
    public static OciRuntime For(ContainerStore store, string initExecutable = "/proc/self/exe") => new(store.RuntimeRoot, initExecutable);

    /// <summary>
    /// The core's kill: <paramref name="signal"/> to the container's first process, whose identity
    /// the core checks (pid and start time). False when it is not running (never started, ended,
    /// or between two starts of a restart); a failing kill(2) is a RuntimeException.
    /// </summary>
    public static bool Signal(ContainerStore store, string id, int signal)
    {
        var runtime = For(store);
        if (OciState.Load(runtime.StateRoot, id) is not { } state || state.Status(runtime.StateRoot) == "stopped") return false;
        try { runtime.Kill(id, signal, all: false); }
        catch (ContainerDoesNotExistException) { return false; }   // deleted meanwhile: it ended
        return true;
    }

    /// <summary>
    /// The core's delete: the container's cgroup and state go (with <paramref name="force"/> its
    /// processes are killed first). Nothing to do when the core has no state for it (never started,
    /// or deleted already by whoever came first: the supervisor and `rm -f` may race).
    /// </summary>
    public static void Delete(ContainerStore store, string id, bool force, MiniRun.Trace.ITrace? trace = null)
    {
        var runtime = For(store);
        try { runtime.Delete(id, force, trace); }
        catch (ContainerDoesNotExistException) { }
        catch (DirectoryNotFoundException) { }   // removed between our state check and our rmdir
    }
}
