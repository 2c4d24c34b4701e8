// NativeStage: the C# side of the native clone stage (Native/clone_stage.c).
//
// Why: the child of clone(2) must run no managed code (platform-facts.md: it can hang forever
// waiting for a garbage collection started by a thread that does not exist in the child). So
// the clone, and everything the child does before execve, is C; this file only marshals the
// arguments into unmanaged memory first and calls it.
//
// The binary (always MiniRun's own: init or the supervisor) is executed from a read-only
// private bind mount of itself (SealedExe), never by its path (CVE-2019-5736).
//
// Both clones can create init directly in its cgroup (clone3 CLONE_INTO_CGROUP, given a cgroup
// directory's descriptor); CloneCgroup says whether the kernel did, or why it refused.
//
// In a NativeAOT build the C object is linked statically (DirectPInvoke); under the JIT (the
// test host) the same code is loaded from libminirun_native.so next to the assembly.
using System.Runtime.InteropServices;
using MiniRun.Kernel;

namespace MiniRun.Runtime;

internal static unsafe partial class NativeStage
{
    [LibraryImport("minirun_native", EntryPoint = "minirun_spawn")]
    private static partial int minirun_spawn(int cloneFlags, int syncFd, int* joinFds, int joinCount,
        int* stdio, byte* exe, int exeFd, byte** argv, byte** envp, int cgroupFd, int* cgroupStatus);

    [LibraryImport("minirun_native", EntryPoint = "minirun_spawn_supervised")]
    private static partial int minirun_spawn_supervised(int initFlags, int initSyncFd, int* initStdio,
        int* joinFds, int joinCount, int* keepFds, int keepCount, int nullFd, byte* exe, int exeFd, byte** initArgv, byte** initEnvp,
        byte** supArgv, byte** supEnvp, int cgroupFd, int* output);

    /// <summary>
    /// The fast path of `run`: clones the supervisor-to-be, which clones init into new namespaces
    /// (its own child), then execs <paramref name="supervisorArgv"/> keeping <paramref name="keepFds"/>
    /// open. Init first joins the namespaces <paramref name="joinFds"/> (setns), then creates <paramref name="initFlags"/>.
    /// With <paramref name="cgroupFd"/> (a cgroup v2 directory, else -1) init is born in that cgroup.
    /// Returns (supervisor pid, init pid, what became of the cgroup); throws KernelException when a clone or the exec failed.
    /// </summary>
    public static (int Supervisor, int Init, CloneCgroup Cgroup) SpawnSupervised(int initFlags, int initSyncFd, (int In, int Out, int Err) initStdio,
        IReadOnlyList<int> joinFds, IReadOnlyList<int> keepFds, int nullFd, string exe, IReadOnlyList<string> initArgv, IReadOnlyList<string> initEnvp,
        IReadOnlyList<string> supervisorArgv, IReadOnlyList<string> supervisorEnvp, int cgroupFd = -1)
    {
        using var init = new NativeStrings(exe, initArgv, initEnvp);
        using var sup = new NativeStrings(exe, supervisorArgv, supervisorEnvp);
        int[] keep = keepFds.ToArray();
        int[] join = joinFds.ToArray();
        int* std = stackalloc int[3] { initStdio.In, initStdio.Out, initStdio.Err };
        int* output = stackalloc int[3];
        int pid;
        fixed (int* k = keep)
        fixed (int* j = join)
            pid = minirun_spawn_supervised(initFlags, initSyncFd, std, j, join.Length, k, keep.Length, nullFd, init.Path, SealedExe.Descriptor(exe),
                init.Argv, init.Envp, sup.Argv, sup.Envp, cgroupFd, output);
        if (pid < 0)
            throw new KernelException("clone the supervisor (CLONE_VM|CLONE_VFORK)", -pid);
        if (output[0] < 0 || output[1] != 0)
        {
            while (Libc.waitpid(pid, out _, 0) < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR) { }
            if (output[0] < 0) throw new KernelException($"{CloneCall(initFlags, cgroupFd)} from the supervisor", -output[0]);
            if (output[0] > 0) { Libc.kill(output[0], 9); }   // init is the dead supervisor's child: the kernel reparents and reaps it
            throw new KernelException($"exec {exe} supervise", output[1]);
        }
        return (pid, output[0], CloneCgroup.Of(cgroupFd, output[2]));
    }

    /// <summary>
    /// Clones a child into new namespaces (<paramref name="cloneFlags"/>) that execs
    /// <paramref name="exe"/>; with <paramref name="cgroupFd"/> (a cgroup v2 directory, else -1) the
    /// child is born in that cgroup when the kernel can (<paramref name="cgroup"/> says).
    /// Returns the child's pid; throws KernelException if clone fails.
    /// <paramref name="seal"/>: exe is MiniRun's binary and runs from its sealed descriptor
    /// (SealedExe, CVE-2019-5736); false for a child that is never meant to exec anything.
    /// </summary>
    public static int Spawn(int cloneFlags, int syncFd, IReadOnlyList<int> joinFds, (int In, int Out, int Err) stdio,
        string exe, IReadOnlyList<string> argv, IReadOnlyList<string> envp, bool seal = true) =>
        Spawn(cloneFlags, syncFd, joinFds, stdio, exe, argv, envp, -1, out _, seal);

    public static int Spawn(int cloneFlags, int syncFd, IReadOnlyList<int> joinFds, (int In, int Out, int Err) stdio,
        string exe, IReadOnlyList<string> argv, IReadOnlyList<string> envp, int cgroupFd, out CloneCgroup cgroup, bool seal = true)
    {
        using var strings = new NativeStrings(exe, argv, envp);
        int[] joins = joinFds.ToArray();
        int* std = stackalloc int[3] { stdio.In, stdio.Out, stdio.Err };
        int pid, status = -1;
        fixed (int* j = joins)
            pid = minirun_spawn(cloneFlags, syncFd, j, joins.Length, std, strings.Path, seal ? SealedExe.Descriptor(exe) : -1, strings.Argv, strings.Envp,
                cgroupFd, &status);
        if (pid < 0)
            throw new KernelException(CloneCall(cloneFlags, cgroupFd), -pid);
        cgroup = CloneCgroup.Of(cgroupFd, status);
        return pid;
    }

    /// <summary>The call as an error names it: "clone(FLAGS)", or "clone3(FLAGS|CLONE_INTO_CGROUP)" when a cgroup was given.</summary>
    private static string CloneCall(int flags, int cgroupFd) =>
        cgroupFd < 0 ? $"clone({Namespaces.FlagNames(flags)})" : $"clone3({Namespaces.FlagNames(flags)}|CLONE_INTO_CGROUP)";
}

/// <summary>
/// What became of the cgroup a clone was given: not asked (no cgroup), born in it
/// (clone3 CLONE_INTO_CGROUP), or refused by this kernel with <see cref="Refusal"/> (ENOSYS before
/// Linux 5.3, E2BIG before 5.7...): the child was cloned without it and must be moved into the
/// cgroup by writing its pid to cgroup.procs.
/// </summary>
public readonly record struct CloneCgroup(bool Asked, int Refusal)
{
    public bool Into => Asked && Refusal == 0;

    internal static CloneCgroup Of(int cgroupFd, int status) => cgroupFd < 0 ? default : new CloneCgroup(true, status < 0 ? 0 : status);
}
