// BuilderRun: a Dockerfile's RUN - the command runs in a real MiniRun container of the previous
// step's image, and the container's overlay upper directory becomes the step's layer.
//
// Why: RUN is `run` followed by `commit`: the same engine path (Engine/ContainerRunner.cs: the
// supervisor, the runtime core, the default security settings, run's default network or --network)
// and the same commit (Engine/ContainerCommit.cs: the upper directory as an OCI changeset, deleted
// files as whiteouts). The container gets the image's config (WORKDIR, USER, ENV) plus the stage's
// ARG values in its environment; the image's ENTRYPOINT is not used. The shell form runs through
// the current SHELL (default /bin/sh -c); `RUN <<EOF` alone runs the heredoc's body as the script,
// and a heredoc after a command is handed to that shell with its body, so the shell applies the
// heredoc's own rules (<<-, quoted delimiters). Its stdout and stderr are the
// build's output. A non-zero exit is Docker's "The command '/bin/sh -c exit 3' returned a non-zero
// code: 3"; the container is removed whatever happens (its processes, cgroup and files).
// history's created_by is the command, preceded by "|N K=V ..." when build args are set (as Docker).
// Follows: Dockerfile reference "RUN" (shell and exec form, heredocs); docker-run(1), docker-commit(1).
using MiniImage.Store;
using MiniRun.Containers;
using MiniRun.Engine;
using MiniRun.Spec;
using MiniRun.Supervisor;

namespace MiniRun.Build;

public sealed partial class Builder
{
    private void Run(StageState state, Instruction ins)
    {
        if (state.ImageId is null)
            throw new BuildException($"The command '{string.Join(' ', RunCommand(state, ins))}' could not be run: the image is empty (FROM scratch)");
        if (ins.Flags.Count > 0) throw new BuildException($"RUN --{ins.Flags[0].Key} is not implemented");
        var argv = RunCommand(state, ins);
        var args = state.EffectiveArgs();
        string createdBy = string.Join(' ', argv);
        if (args.Count > 0) createdBy = $"|{args.Count} {string.Join(' ', args.Select(a => $"{a.Key}={a.Value}"))} {createdBy}";
        Step(state, BuildCache.Key(state.ImageId, "RUN", createdBy), () => RunContainer(state, argv, args, createdBy));
    }

    /// <summary>The container's argv: exec form as written; shell form (with its heredocs) through SHELL.</summary>
    private static List<string> RunCommand(StageState state, Instruction ins)
    {
        if (ins.JsonForm) return ins.Args.ToList();
        string script = ins.Args.Count > 0 ? ins.Args[0] : "";
        if (ins.Heredocs.Count == 1 && HeredocOnly().IsMatch(script.Trim()))
        {
            // `RUN <<EOF` alone: the heredoc is the script (BuildKit's rule).
            var h = ins.Heredocs[0];
            string body = h.StripTabs ? string.Join('\n', h.Content.Split('\n').Select(l => l.TrimStart('\t'))) : h.Content;
            return [.. Shell(state), body];
        }
        foreach (var heredoc in ins.Heredocs)
            script += "\n" + heredoc.Content + (heredoc.Content.EndsWith('\n') ? "" : "\n") + heredoc.Name;
        return [.. Shell(state), script];
    }

    private ImageSummary RunContainer(StageState state, List<string> argv, List<KeyValuePair<string, string>> args, string createdBy)
    {
        var containers = new ContainerStore(_root);
        string id = Naming.NewId();
        var env = args.Select(a => $"{a.Key}={a.Value}").ToList();
        foreach (string p in PredefinedArgs)
            if (_buildArgs.TryGetValue(p, out string? v) && !state.Args.Any(a => a.Key == p)) env.Add($"{p}={v}");
        var options = new RunOptions
        {
            Image = state.ImageId!,
            Entrypoint = "",
            Command = argv,
            Env = env,
            Network = _options.Network,
        };
        var flags = new LifecycleFlags(false, new RestartPolicy(), null) { MergeStderr = true, OutputFd = _out.Descriptor };
        _out.Line($" ---> Running in {id[..12]}");
        _out.Flush();
        try
        {
            RunOutcome outcome;
            try
            {
                outcome = ContainerRunner.Run(_root, options, null, flags, AttachClient.ParseDetachKeys(null),
                    images => images.Resolve(state.ImageId!) ?? throw new ContainerException($"image {state.ImageId} is no longer in the store"),
                    _initExecutable, id);
            }
            catch (ContainerException e)
            {
                throw new BuildException($"The command '{string.Join(' ', argv)}' could not be run: {e.Message}");
            }
            if (outcome.ExitCode != 0)
                throw new BuildException($"The command '{string.Join(' ', argv)}' returned a non-zero code: {outcome.ExitCode}", outcome.ExitCode);
            var record = containers.Load(id);
            var config = state.Config;
            var image = ContainerCommit.Commit(_root, containers, record, createdBy, null, state.Author, c => Assign(c, config), null);
            _out.Line($"Removing intermediate container {id[..12]}");
            return image;
        }
        finally
        {
            RemoveContainer(containers, id);
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex("^<<-?([\"']?)[A-Za-z0-9_.-]+\\1$")]
    private static partial System.Text.RegularExpressions.Regex HeredocOnly();

    /// <summary>The step's container goes, success or not: processes, cgroup, runtime state, files.</summary>
    private static void RemoveContainer(ContainerStore containers, string id)
    {
        ContainerRecord record;
        try { record = containers.Load(id); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException) { return; }   // never made
        ContainerLifecycle.Remove(containers, record, force: true);
    }
}
