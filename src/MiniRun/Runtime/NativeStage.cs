// NativeStage: the C# side of the native clone stage (Native/clone_stage.c).
//
// Why: the child of clone(2) must run no managed code (platform-facts.md: it can hang forever
// waiting for a garbage collection started by a thread that does not exist in the child). So
// the clone, and everything the child does before execve, is C; this file only marshals the
// arguments into unmanaged memory first and calls it.
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
        int* stdio, byte* exe, byte** argv, byte** envp);

    /// <summary>
    /// Clones a child into new namespaces (<paramref name="cloneFlags"/>) that execs
    /// <paramref name="exe"/>. Returns the child's pid; throws KernelException if clone fails.
    /// </summary>
    public static int Spawn(int cloneFlags, int syncFd, IReadOnlyList<int> joinFds, (int In, int Out, int Err) stdio,
        string exe, IReadOnlyList<string> argv, IReadOnlyList<string> envp)
    {
        using var strings = new NativeStrings(exe, argv, envp);
        int[] joins = joinFds.ToArray();
        int* std = stackalloc int[3] { stdio.In, stdio.Out, stdio.Err };
        int pid;
        fixed (int* j = joins)
            pid = minirun_spawn(cloneFlags, syncFd, j, joins.Length, std, strings.Path, strings.Argv, strings.Envp);
        if (pid < 0)
            throw new KernelException($"clone({Namespaces.FlagNames(cloneFlags)})", -pid);
        return pid;
    }
}
