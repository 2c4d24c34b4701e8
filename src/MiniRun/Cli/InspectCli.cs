// InspectCli: `inspect` (containers and images), `top`: what a container is made of, next to
// the host. `image inspect` is the same verb restricted to images (ImageCli registers it).
//
// Follows: docker-inspect(1), docker-image-inspect(1), docker-top(1).
using System.CommandLine;

namespace MiniRun.Cli;

public static class InspectCli
{
    public static IEnumerable<Command> Build(Option<string> rootOption, Option<bool> debugOption)
    {
        yield return Inspect("inspect", imagesOnly: false, rootOption, debugOption);
        yield return Top(rootOption, debugOption);
    }

    public static Command Inspect(string name, bool imagesOnly, Option<string> rootOption, Option<bool> debugOption) =>
        Program.Verb(name, imagesOnly ? "Display detailed information on one or more images" : "Return low-level information on containers and images",
            rootOption, debugOption, cmd =>
        {
            var format = new Option<string?>("--format", "-f") { Description = "Format output using a Go template subset: {{.Path}}, {{json .Path}}" };
            var type = new Option<string?>("--type") { Description = "Only inspect objects of this type (container or image)" };
            var names = new Argument<string[]>(imagesOnly ? "IMAGE" : "NAME|ID") { Arity = ArgumentArity.OneOrMore };
            cmd.Options.Add(format);
            if (!imagesOnly) cmd.Options.Add(type);
            cmd.Arguments.Add(names);
            return p => InspectCommand.Run(p.GetValue(rootOption)!, p.GetValue(names)!, p.GetValue(format),
                imagesOnly ? "image" : p.GetValue(type), Console.Out, Console.Error);
        });

    private static Command Top(Option<string> rootOption, Option<bool> debugOption) =>
        Program.Verb("top", "Display the running processes of a container (host PIDs and PIDs inside)", rootOption, debugOption, cmd =>
        {
            var container = new Argument<string>("CONTAINER");
            var psOptions = new Argument<string[]>("ps OPTIONS") { Arity = ArgumentArity.ZeroOrMore, CaptureRemainingTokens = true };
            cmd.Arguments.Add(container);
            cmd.Arguments.Add(psOptions);
            return p => TopCommand.Run(p.GetValue(rootOption)!, p.GetValue(container)!, p.GetValue(psOptions) ?? [], Console.Out);
        });
}
