// ImageCli: the image verbs: `load`, `images` (and, as they are built: rmi, tag, image inspect,
// history, image prune, save).
//
// Follows: docker-load(1), docker-images(1).
using System.CommandLine;

namespace MiniRun.Cli;

public static class ImageCli
{
    public static IEnumerable<Command> Build(Option<string> rootOption, Option<bool> debugOption)
    {
        yield return Program.Verb("load", "Load an image from an OCI image layout (directory or tar)", rootOption, debugOption, cmd =>
        {
            var input = new Option<string>("--input", "-i") { Description = "OCI layout directory or tar archive", Required = true };
            var quiet = new Option<bool>("--quiet", "-q") { Description = "Suppress the load output" };
            cmd.Options.Add(input);
            cmd.Options.Add(quiet);
            return p => ImageCommands.Load(p.GetValue(rootOption)!, p.GetValue(input)!, p.GetValue(quiet));
        });
        yield return Program.Verb("images", "List images", rootOption, debugOption, cmd =>
        {
            var quiet = new Option<bool>("--quiet", "-q") { Description = "Only show image IDs" };
            var noTrunc = new Option<bool>("--no-trunc") { Description = "Don't truncate output" };
            cmd.Options.Add(quiet);
            cmd.Options.Add(noTrunc);
            return p => ImageCommands.Images(p.GetValue(rootOption)!, p.GetValue(quiet), p.GetValue(noTrunc));
        });
    }
}
