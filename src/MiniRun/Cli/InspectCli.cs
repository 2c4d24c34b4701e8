// InspectCli: `inspect` (containers and images), `top`: what a container is made of, next to
// the host. `image inspect` and `container inspect` are the same verb restricted to images or to
// containers (ImageCli and ContainerGroupCli register them).
//
// Follows: docker-inspect(1), docker-image-inspect(1), docker-top(1).
using System.CommandLine;

namespace MiniRun.Cli;

public static class InspectCli
{
    public static IEnumerable<Command> Build(Option<string> rootOption, Option<bool> debugOption)
    {
        yield return Inspect("inspect", Only.Any, rootOption, debugOption);
        yield return Top(rootOption, debugOption);
    }

    /// <summary>What an inspect verb looks at: `inspect` both, `image inspect` images, `container inspect` containers.</summary>
    public enum Only { Any, Images, Containers }

    public static Command Inspect(string name, Only only, Option<string> rootOption, Option<bool> debugOption) =>
        Program.Verb(name, only switch
            {
                Only.Images => "Display detailed information on one or more images",
                Only.Containers => "Display detailed information on one or more containers",
                _ => "Return low-level information on containers and images",
            }, rootOption, debugOption, cmd =>
        {
            bool imagesOnly = only == Only.Images;
            var format = new Option<string?>("--format", "-f") { Description = "Format output using the given Go template" };
            var type = new Option<string?>("--type") { Description = "Only inspect objects of this type (container or image)" };
            var names = new Argument<string[]>(imagesOnly ? "IMAGE" : only == Only.Containers ? "CONTAINER" : "NAME|ID") { Arity = ArgumentArity.OneOrMore };
            cmd.Options.Add(format);
            if (only == Only.Any) cmd.Options.Add(type);
            cmd.Arguments.Add(names);
            return p => InspectCommand.Run(p.GetValue(rootOption)!, p.GetValue(names)!, p.GetValue(format),
                only switch { Only.Images => "image", Only.Containers => "container", _ => p.GetValue(type) }, Console.Out, Console.Error);
        });

    private static Command Top(Option<string> rootOption, Option<bool> debugOption) =>
        Program.Verb("top", "Display the running processes of a container (host PIDs and PIDs inside)", rootOption, debugOption, cmd =>
        {
            var container = new Argument<string>("CONTAINER");
            var psOptions = new Argument<string[]>("ps OPTIONS") { Arity = ArgumentArity.ZeroOrMore, CaptureRemainingTokens = true };
            var nsPid = new Option<bool>("--nspid") { Description = "Add the NSPID column: each process's PID inside the container (MiniRun's; not in Docker)" };
            cmd.Arguments.Add(container);
            cmd.Arguments.Add(psOptions);
            cmd.Options.Add(nsPid);
            return p => TopCommand.Run(p.GetValue(rootOption)!, p.GetValue(container)!, p.GetValue(psOptions) ?? [], Console.Out,
                nsPid: p.GetValue(nsPid));
        });
}
