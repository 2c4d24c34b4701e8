// CommandResolution: decides the container's argv from the image's Entrypoint/Cmd and the
// --entrypoint flag and COMMAND arguments, with Docker's rules.
//
// Why: the combination rules surprise people; having them in one small, tested place lets the
// docs point at it. The rules (Docker CLI + daemon):
//   - --entrypoint X is one executable name, never split on spaces: entrypoint = [X].
//   - --entrypoint "" clears the image's entrypoint.
//   - When --entrypoint is given (even ""), the image's Cmd is NOT used either; only COMMAND.
//   - Otherwise entrypoint = image Entrypoint, and cmd = COMMAND if given, else image Cmd.
//   - argv = entrypoint + cmd; an entrypoint of exactly [""] counts as none; empty argv is the
//     error "no command specified".
//
// Follows: Docker reference "ENTRYPOINT" / "CMD" interaction table, docker-run(1) --entrypoint,
// Docker daemon merge() and mergeAndVerifyConfig().
namespace MiniRun.Spec;

public static class CommandResolution
{
    public static List<string> Resolve(IReadOnlyList<string>? imageEntrypoint, IReadOnlyList<string>? imageCmd,
        string? entrypointFlag, IReadOnlyList<string>? command)
    {
        IReadOnlyList<string>? entrypoint = entrypointFlag == null ? null : new[] { entrypointFlag };
        IReadOnlyList<string>? cmd = command is { Count: > 0 } ? command : null;

        if (entrypoint == null)
        {
            cmd ??= imageCmd;
            entrypoint = imageEntrypoint;
        }
        if (entrypoint is [""])
            entrypoint = null;

        var args = new List<string>();
        if (entrypoint != null)
            args.AddRange(entrypoint);
        if (cmd != null)
            args.AddRange(cmd);
        if (args.Count == 0)
            throw new RunConfigException("no command specified");
        return args;
    }
}
