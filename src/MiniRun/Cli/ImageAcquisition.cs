// ImageAcquisition: how `run` gets its image: from the store, or pulled from a registry
// according to --pull (missing: only when absent, the default; always; never).
//
// As `docker run`: a missing image is announced on stderr ("Unable to find image 'alpine:latest'
// locally"), the pull's progress goes to stderr too (stdout belongs to the container), without
// the final reference line, and a failed pull is one line with exit status 125. An image pulled
// by digest is found again through its RepoDigests, so `run alpine@sha256:<index digest>` does
// not pull twice. Registries in MINIRUN_INSECURE_REGISTRIES may use plain HTTP (see RegistryCli).
// With `run --trace` the pull is the trace's first step (Engine/PullTrace.cs). `build` uses the same
// path for FROM, its progress in the build's output and without the "Unable to find" line.
// Follows: docker-run(1) "--pull".
using MiniImage.Pull;
using MiniImage.Reference;
using MiniImage.Registry;
using MiniImage.Store;
using MiniJson;
using MiniRun.Engine;
using MiniRun.Trace;

namespace MiniRun.Cli;

public static class ImageAcquisition
{
    public static readonly string[] Policies = ["missing", "always", "never"];

    /// <summary>
    /// The image to run; pulls it first when the policy says so. With `run --trace` the pull is a
    /// step of the trace: the registry's answers and each layer unpacked (Engine/PullTrace.cs).
    /// </summary>
    public static ImageSummary Ensure(ImageStore store, string reference, string policy, ConsoleTrace? trace = null) =>
        Ensure(store, reference, policy, () => trace is null ? (IRegistrySource)RegistryCli.OpenRegistry([])
            : new PullTrace(RegistryCli.OpenRegistry([]), trace, store, store.Root, null),
            Console.Error, !Console.IsErrorRedirected, trace);

    /// <summary>As above, with the registry, the output and its terminal-ness given (tests, build); <paramref name="announceMissing"/>:
    /// `run`'s "Unable to find image ... locally" line (the builder prints none).</summary>
    public static ImageSummary Ensure(ImageStore store, string reference, string policy,
        Func<IRegistrySource> openRegistry, TextWriter output, bool terminal, ConsoleTrace? trace = null, bool announceMissing = true)
    {
        if (!Policies.Contains(policy))
            throw new CliError($"invalid pull option: '{policy}': must be one of \"missing\", \"always\" or \"never\"");
        if (policy != "always" && Find(store, reference) is { } found) return found;
        if (policy == "never")
            throw CliError.Daemon($"No such image: {RunCommand.DisplayReference(reference)}", 125);
        if (!ImageReference.TryParse(reference, out var parsed, out var error))
            throw new CliError($"invalid reference format: {GoQuote.Quote(reference)}: {error}");
        if (policy == "missing" && announceMissing)
        {
            output.Write($"Unable to find image '{RunCommand.DisplayReference(reference)}' locally\n");
            output.Flush();
        }
        var registry = openRegistry();
        try
        {
            trace?.Step(Messages.PullTitle.With(parsed.ToString()), Messages.PullWhy);
            var progress = new PullOutput(output, terminal, printReference: false);
            return RegistryCli.RunPull(store, registry, parsed, new PullOptions(), progress, exitCode: 125).Image;
        }
        finally
        {
            (registry as IDisposable)?.Dispose();
        }
    }

    private static ImageSummary? Find(ImageStore store, string reference) =>
        store.Resolve(reference) ??
        (ImageReference.TryParse(reference, out var r) && r.Digest is not null ? store.ResolveRepoDigest(r) : null);
}
