// FilesystemCli: diff, cp, commit, export: the container's filesystem and its copy-on-write layer.
//
// Follows: docker-diff(1), docker-cp(1), docker-commit(1), docker-export(1).
using System.CommandLine;

namespace MiniRun.Cli;

public static class FilesystemCli
{
    public static IEnumerable<Command> Build(Option<string> rootOption, Option<bool> debugOption)
    {
        yield return Program.Verb("diff", "Inspect changes to files or directories on a container's filesystem", rootOption, debugOption, cmd =>
        {
            var container = new Argument<string>("CONTAINER");
            cmd.Arguments.Add(container);
            return p => DiffCommand.Run(p.GetValue(rootOption)!, p.GetValue(container)!, Console.Out);
        });
        yield return Program.Verb("export", "Export a container's filesystem as a tar archive", rootOption, debugOption, cmd =>
        {
            var output = new Option<string?>("--output", "-o") { Description = "Write to a file, instead of STDOUT" };
            var container = new Argument<string>("CONTAINER");
            cmd.Options.Add(output);
            cmd.Arguments.Add(container);
            return p => ExportCommand.Run(p.GetValue(rootOption)!, p.GetValue(container)!, p.GetValue(output));
        });
        yield return Program.Verb("commit", "Create a new image from a container's changes", rootOption, debugOption, cmd =>
        {
            var message = new Option<string?>("--message", "-m") { Description = "Commit message" };
            var author = new Option<string?>("--author", "-a") { Description = "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")" };
            var change = new Option<string[]>("--change", "-c") { Description = "Apply Dockerfile instruction to the created image", AllowMultipleArgumentsPerToken = false };
            var pause = new Option<bool>("--pause", "-p") { Description = "Accepted for Docker compatibility; the container is not paused" };
            var container = new Argument<string>("CONTAINER");
            var repository = new Argument<string?>("REPOSITORY[:TAG]") { Arity = ArgumentArity.ZeroOrOne };
            cmd.Options.Add(message);
            cmd.Options.Add(author);
            cmd.Options.Add(change);
            cmd.Options.Add(pause);
            cmd.Arguments.Add(container);
            cmd.Arguments.Add(repository);
            return p => CommitCommand.Run(p.GetValue(rootOption)!, p.GetValue(container)!, p.GetValue(repository),
                p.GetValue(message), p.GetValue(author), p.GetValue(change) ?? [], Console.Out);
        });
        yield return Program.Verb("cp", "Copy files/folders between a container and the local filesystem", rootOption, debugOption, cmd =>
        {
            var archive = new Option<bool>("--archive", "-a") { Description = "Archive mode (copy all uid/gid information)" };
            var quiet = new Option<bool>("--quiet", "-q") { Description = "Accepted for Docker compatibility (no progress is printed)" };
            var source = new Argument<string>("SRC_PATH");
            var dest = new Argument<string>("DEST_PATH");
            cmd.Options.Add(archive);
            cmd.Options.Add(quiet);
            cmd.Arguments.Add(source);
            cmd.Arguments.Add(dest);
            return p => MiniRun.Engine.ContainerCopy.Run(p.GetValue(rootOption)!, p.GetValue(source)!, p.GetValue(dest)!, p.GetValue(archive),
                Console.OpenStandardInput, Console.OpenStandardOutput);
        });
    }
}
