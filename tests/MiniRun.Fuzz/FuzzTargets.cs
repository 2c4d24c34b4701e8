// FuzzTargets: the table of fuzz targets, one per parser of untrusted input, and the checks every
// target shares: a bounded input size and a bounded allocation per input.
//
// Why: each target states its invariants in code (Targets/*.cs): only the parser's own error types
// may escape (anything else is a bug: IndexOutOfRange, NullReference, Overflow...), nothing is
// written outside the target's scratch directory, and no input makes the parser allocate without
// bound. A violated invariant throws, which afl-fuzz records as a crash and xunit as a failure.
// Follows: docs/fuzzing.md (targets, invariants, how to run).
namespace MiniRun.Fuzz;

public static class FuzzTargets
{
    /// Inputs larger than this are ignored: afl-fuzz keeps inputs small anyway, and a bound on the
    /// input is what makes "bounded memory" checkable.
    public const int MaxInput = 256 * 1024;

    /// Bytes a target may allocate for one input: a fixed part for buffers (the tar reader's 1 MiB
    /// input buffer, a PAX header of up to 16 MiB) and a multiple of the input.
    public const long AllocationBudget = 64L << 20;
    public const int AllocationPerInputByte = 64;

    static readonly Dictionary<string, Action<byte[]>> Table = new()
    {
        ["tar"] = LayerTargets.TarReader,
        ["unpack"] = LayerTargets.Unpack,
        ["layer-stream"] = LayerTargets.LayerStream,
        ["oci-index"] = OciTargets.Index,
        ["oci-manifest"] = OciTargets.Manifest,
        ["oci-config"] = OciTargets.Config,
        ["docker-archive"] = OciTargets.DockerArchiveManifest,
        ["reference"] = RegistryTargets.Reference,
        ["www-authenticate"] = RegistryTargets.WwwAuthenticate,
        ["container-record"] = EngineTargets.ContainerRecord,
        ["runtime-spec"] = EngineTargets.RuntimeSpec,
        ["dockerfile"] = EngineTargets.Dockerfile,
        ["compose"] = EngineTargets.Compose,
    };

    public static IReadOnlyCollection<string> Names => Table.Keys;

    /// Runs one input through a target; throws FuzzInvariantException (or the unexpected exception
    /// itself) when an invariant does not hold.
    public static void Run(string target, byte[] input)
    {
        if (!Table.TryGetValue(target, out var run)) throw new ArgumentException($"unknown fuzz target \"{target}\"");
        Run(target, run, input);
    }

    /// Runs `run` with the shared checks (the tests give it a target that breaks them).
    public static void Run(string target, Action<byte[]> run, byte[] input)
    {
        if (input.Length > MaxInput) return;
        long before = GC.GetAllocatedBytesForCurrentThread();
        run(input);
        long used = GC.GetAllocatedBytesForCurrentThread() - before;
        long budget = AllocationBudget + (long)AllocationPerInputByte * input.Length;
        if (used > budget)
            throw new FuzzInvariantException($"{target}: allocated {used} bytes for a {input.Length}-byte input (budget {budget})");
    }
}

/// An invariant of a fuzz target did not hold (the message says which).
public sealed class FuzzInvariantException(string message, Exception? inner = null) : Exception(message, inner);
