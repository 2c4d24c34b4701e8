// ImageCli: the image verbs and their options: `load`, `images`, `rmi`, `tag`,
// `history`, `save`, `build` (Cli/BuildCli.cs), and the `image` group
// (`image ls|rm|tag|inspect|history|prune|save|load|pull|push|build`),
// as in Docker, where `docker image rm` is `docker rmi` and so on. The top-level `inspect` (containers
// and images) is registered by InspectCli.
//
// Why: one place that maps Docker's command line onto ImageCommands/ImageInspect; each verb is
// built by a function so the same verb can be registered at the top level and under `image`.
// Follows: docker-load(1), docker-images(1), docker-rmi(1), docker-tag(1), docker-inspect(1),
// docker-image-inspect, docker-history(1), docker-image-prune(1), docker-save(1).
using System.CommandLine;

namespace MiniRun.Cli;

public static class ImageCli
{
    public static IEnumerable<Command> Build(Option<string> rootOption, Option<bool> debugOption)
    {
        yield return Load("load", rootOption, debugOption);
        yield return Images("images", rootOption, debugOption);
        yield return Rmi("rmi", rootOption, debugOption);
        yield return Tag("tag", rootOption, debugOption);
        yield return History("history", rootOption, debugOption);
        yield return Save("save", rootOption, debugOption);
        yield return BuildCli.Build("build", rootOption, debugOption);

        var image = new Command("image", "Manage images");
        image.Subcommands.Add(Images("ls", rootOption, debugOption));
        image.Subcommands.Add(Rmi("rm", rootOption, debugOption));
        image.Subcommands.Add(Tag("tag", rootOption, debugOption));
        image.Subcommands.Add(InspectCli.Inspect("inspect", InspectCli.Only.Images, rootOption, debugOption));
        image.Subcommands.Add(History("history", rootOption, debugOption));
        image.Subcommands.Add(Prune("prune", rootOption, debugOption));
        image.Subcommands.Add(Save("save", rootOption, debugOption));
        image.Subcommands.Add(Load("load", rootOption, debugOption));
        image.Subcommands.Add(RegistryCli.PullCommand("pull", rootOption, debugOption));
        image.Subcommands.Add(RegistryCli.PushCommand("push", rootOption, debugOption));
        image.Subcommands.Add(BuildCli.Build("build", rootOption, debugOption));
        yield return image;
    }

    private static Command Load(string name, Option<string> rootOption, Option<bool> debugOption) =>
        Program.Verb(name, "Load an image from a tar archive (Docker or OCI) or an OCI layout directory; stdin without -i", rootOption, debugOption, cmd =>
        {
            var input = new Option<string>("--input", "-i") { Description = "Read from a tar archive file or an OCI layout directory, instead of STDIN" };
            var quiet = new Option<bool>("--quiet", "-q") { Description = "Suppress the load output" };
            cmd.Options.Add(input);
            cmd.Options.Add(quiet);
            return p => ImageCommands.Load(p.GetValue(rootOption)!, p.GetValue(input), p.GetValue(quiet), Console.Out);
        });

    private static Command Images(string name, Option<string> rootOption, Option<bool> debugOption) =>
        Program.Verb(name, "List images", rootOption, debugOption, cmd =>
        {
            var quiet = new Option<bool>("--quiet", "-q") { Description = "Only show image IDs" };
            var all = new Option<bool>("--all", "-a") { Description = "Show all images (default hides intermediate images)" };
            var digests = new Option<bool>("--digests") { Description = "Show digests" };
            var noTrunc = new Option<bool>("--no-trunc") { Description = "Don't truncate output" };
            var filter = new Argument<string?>("REPOSITORY[:TAG]") { Arity = ArgumentArity.ZeroOrOne };
            var filters = FilterOption.Create("Filter output based on conditions provided");
            cmd.Options.Add(quiet);
            cmd.Options.Add(all);
            cmd.Options.Add(digests);
            cmd.Options.Add(noTrunc);
            cmd.Options.Add(filters);
            var format = FormatOption();
            cmd.Options.Add(format);
            cmd.Arguments.Add(filter);
            return p => ImageCommands.Images(p.GetValue(rootOption)!, p.GetValue(quiet), p.GetValue(all), p.GetValue(digests),
                p.GetValue(noTrunc), p.GetValue(filter), Console.Out, p.GetValue(format), p.GetValue(filters) ?? []);
        });

    /// <summary>--format of the list commands (Templates/ListFormat.cs).</summary>
    public static Option<string?> FormatOption() =>
        new("--format") { Description = "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template" };

    private static Command Rmi(string name, Option<string> rootOption, Option<bool> debugOption) =>
        Program.Verb(name, "Remove one or more images", rootOption, debugOption, cmd =>
        {
            var force = new Option<bool>("--force", "-f") { Description = "Force removal of the image" };
            var images = new Argument<string[]>("IMAGE") { Arity = ArgumentArity.OneOrMore };
            cmd.Options.Add(force);
            cmd.Arguments.Add(images);
            return p => ImageCommands.Rmi(p.GetValue(rootOption)!, p.GetValue(images)!, p.GetValue(force), Console.Out, Console.Error);
        });

    private static Command Tag(string name, Option<string> rootOption, Option<bool> debugOption) =>
        Program.Verb(name, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", rootOption, debugOption, cmd =>
        {
            var source = new Argument<string>("SOURCE_IMAGE[:TAG]");
            var target = new Argument<string>("TARGET_IMAGE[:TAG]");
            cmd.Arguments.Add(source);
            cmd.Arguments.Add(target);
            return p => ImageCommands.Tag(p.GetValue(rootOption)!, p.GetValue(source)!, p.GetValue(target)!);
        });

    private static Command History(string name, Option<string> rootOption, Option<bool> debugOption) =>
        Program.Verb(name, "Show the history of an image", rootOption, debugOption, cmd =>
        {
            var noTrunc = new Option<bool>("--no-trunc") { Description = "Don't truncate output" };
            var quiet = new Option<bool>("--quiet", "-q") { Description = "Only show image IDs" };
            var image = new Argument<string>("IMAGE");
            cmd.Options.Add(noTrunc);
            cmd.Options.Add(quiet);
            var format = FormatOption();
            cmd.Options.Add(format);
            cmd.Arguments.Add(image);
            return p => ImageCommands.History(p.GetValue(rootOption)!, p.GetValue(image)!, p.GetValue(noTrunc), p.GetValue(quiet), Console.Out, p.GetValue(format));
        });

    private static Command Prune(string name, Option<string> rootOption, Option<bool> debugOption) =>
        Program.Verb(name, "Remove unused images", rootOption, debugOption, cmd =>
        {
            var all = new Option<bool>("--all", "-a") { Description = "Remove all unused images, not just dangling ones" };
            var force = new Option<bool>("--force", "-f") { Description = "Do not prompt for confirmation" };
            cmd.Options.Add(all);
            cmd.Options.Add(force);
            return p => ImageCommands.Prune(p.GetValue(rootOption)!, p.GetValue(all), p.GetValue(force), Console.Out, Console.In);
        });

    private static Command Save(string name, Option<string> rootOption, Option<bool> debugOption) =>
        Program.Verb(name, "Save one or more images to a tar archive (Docker and OCI layout in one; stdout without -o)", rootOption, debugOption, cmd =>
        {
            var output = new Option<string?>("--output", "-o") { Description = "Write to a file, instead of STDOUT" };
            var images = new Argument<string[]>("IMAGE") { Arity = ArgumentArity.OneOrMore };
            cmd.Options.Add(output);
            cmd.Arguments.Add(images);
            return p => ImageCommands.Save(p.GetValue(rootOption)!, p.GetValue(images)!, p.GetValue(output));
        });
}
