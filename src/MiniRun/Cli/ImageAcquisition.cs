// ImageAcquisition: how `run` gets its image: from the store, or pulled from a registry
// according to --pull (missing: only when absent, the default; always; never).
//
// Follows: docker-run(1) "--pull".
using MiniImage.Store;

namespace MiniRun.Cli;

public static class ImageAcquisition
{
    public static readonly string[] Policies = ["missing", "always", "never"];

    /// <summary>The image to run; pulls it first when the policy says so.</summary>
    public static ImageSummary Ensure(ImageStore store, string reference, string policy)
    {
        if (!Policies.Contains(policy))
            throw new CliError($"invalid pull option: '{policy}': must be one of \"missing\", \"always\" or \"never\"");
        var found = policy == "always" ? null : store.Resolve(reference);
        if (found is not null) return found;
        if (policy == "never")
            throw new CliError($"No such image: {RunCommand.DisplayReference(reference)}");
        throw new CliError($"Unable to find image '{RunCommand.DisplayReference(reference)}' locally (pulling from a registry is not implemented yet: use `minirun load -i`)");
    }
}
