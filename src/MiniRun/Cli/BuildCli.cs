// BuildCli: `minirun build [OPTIONS] CONTEXT` (also `image build`): Docker's build flags onto the
// engine's Builder (src/MiniRun/Build/Builder.cs).
//
// Why here: the CLI parses, checks what needs no image store (the context form, -f -, the
// --build-arg and --label syntax), gives the builder the pull path `run` uses (ImageAcquisition:
// the FROM image pulled when missing, always with --pull) and prints the result: the classic
// builder's lines, or with -q only the image ID; --iidfile gets the ID too. Every failure is one
// line, printed as it is, and exit status 1, as docker build's; a failing RUN exits with its own
// status (Docker's CLI returns the stream error's code). A CONTEXT of "-" (a tar on stdin) or a URL (a git
// repository or a remote tarball) is refused in one line: not implemented.
// Follows: docker-build(1) (docker build --help); Dockerfile reference; docker/cli
// cli/command/image/build.go (a JSONError's Code is the exit status, 1 when none).
using System.CommandLine;
using MiniImage;
using MiniImage.Store;
using MiniRun.Build;
using MiniJson;

namespace MiniRun.Cli;

public static class BuildCli
{
    public static Command Build(string name, Option<string> rootOption, Option<bool> debugOption) =>
        Program.Verb(name, "Build an image from a Dockerfile", rootOption, debugOption, cmd =>
        {
            var tags = new Option<string[]>("--tag", "-t") { Description = "Name and optionally a tag in the 'name:tag' format", AllowMultipleArgumentsPerToken = false };
            var file = new Option<string?>("--file", "-f") { Description = "Name of the Dockerfile (default: 'PATH/Dockerfile'; '-' reads it from STDIN)" };
            var buildArgs = new Option<string[]>("--build-arg") { Description = "Set build-time variables (K=V, or K to copy it)", AllowMultipleArgumentsPerToken = false };
            var target = new Option<string?>("--target") { Description = "Set the target build stage to build" };
            var noCache = new Option<bool>("--no-cache") { Description = "Do not use cache when building the image" };
            var pull = new Option<bool>("--pull") { Description = "Always attempt to pull a newer version of the image" };
            var quiet = new Option<bool>("--quiet", "-q") { Description = "Suppress the build output and print image ID on success" };
            var iidFile = new Option<string?>("--iidfile") { Description = "Write the image ID to the file" };
            var labels = new Option<string[]>("--label") { Description = "Set metadata for an image", AllowMultipleArgumentsPerToken = false };
            var platform = new Option<string?>("--platform") { Description = "Set platform (only this host's is implemented)" };
            var network = new Option<string?>("--network") { Description = "Set the networking mode for the RUN instructions during build (default: run's default)" };
            var context = new Argument<string>("PATH | URL | -");
            foreach (var o in new Option[] { tags, file, buildArgs, target, noCache, pull, quiet, iidFile, labels, platform, network })
                cmd.Options.Add(o);
            cmd.Arguments.Add(context);
            return p => Run(p.GetValue(rootOption)!, p.GetValue(context)!, p.GetValue(file), p.GetValue(tags) ?? [],
                p.GetValue(buildArgs) ?? [], p.GetValue(target), p.GetValue(noCache), p.GetValue(pull), p.GetValue(quiet),
                p.GetValue(iidFile), p.GetValue(labels) ?? [], p.GetValue(platform), p.GetValue(network), Console.Out);
        });

    public static int Run(string root, string context, string? file, IReadOnlyList<string> tags, IReadOnlyList<string> buildArgs,
        string? target, bool noCache, bool pull, bool quiet, string? iidFile, IReadOnlyList<string> labels, string? platform,
        string? network, TextWriter stdout, string initExecutable = "/proc/self/exe")
    {
        RunCommand.RequireRoot("build");
        if (context == "-")
            throw new CliError("build: a context from STDIN (-) is not implemented: give a directory", 1);
        if (context.Contains("://") || context.StartsWith("git@", StringComparison.Ordinal))
            throw new CliError($"build: a context from a URL is not implemented: {context}", 1);
        string? text = null;
        if (file == "-")
        {
            text = Console.In.ReadToEnd();
            file = null;
        }
        var options = new BuildOptions
        {
            Context = context,
            Dockerfile = file,
            DockerfileText = text,
            Tags = tags,
            BuildArgs = KeyValues(buildArgs, "--build-arg", fromEnvironment: true),
            Target = target,
            NoCache = noCache,
            Pull = pull,
            Quiet = quiet,
            Labels = KeyValues(labels, "--label", fromEnvironment: false),
            Platform = platform,
            Network = network,
        };
        BuildResult result;
        using var builder = new Builder(root, options, stdout, Acquire, initExecutable);
        try
        {
            result = builder.Build();
        }
        catch (Exception e) when (e is BuildException or MiniImageException or MiniRun.Containers.ContainerException or IOException)
        {
            Console.Error.Write(builder.HeldOutput);   // -q: what was held back, then the error (Docker's CLI prints its buffer so)
            throw e switch
            {
                BuildException b => new CliError(b.Message, b.ExitCode),   // a failing RUN: its status, as Docker's builder
                IOException => new CliError($"build: {e.Message}", 1),
                _ => new CliError(e.Message, 1),
            };
        }
        if (quiet) stdout.WriteLine(result.ImageId);
        if (iidFile is not null)
        {
            try { File.WriteAllText(iidFile, result.ImageId); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new CliError($"failed to write image ID to file: {e.Message}", 1); }
        }
        return 0;
    }

    /// <summary>
    /// The FROM image: from the store, pulled when missing (always with --pull) by `run`'s pull path, its
    /// progress in the build's output as Docker's classic builder prints it (no "Unable to find image"
    /// line, no terminal redrawing); errors as one line.
    /// </summary>
    private static ImageSummary Acquire(ImageStore store, string reference, bool always, TextWriter output)
    {
        try
        {
            return ImageAcquisition.Ensure(store, reference, always ? "always" : "missing", () => RegistryCli.OpenRegistry([]),
                output, terminal: false, announceMissing: false);
        }
        catch (CliError e) { throw new BuildException(e.Message); }
    }

    /// <summary>K=V pairs; a bare K takes the caller's environment value (--build-arg) or "" (--label), as docker does.</summary>
    private static List<KeyValuePair<string, string>> KeyValues(IReadOnlyList<string> values, string flag, bool fromEnvironment)
    {
        var result = new List<KeyValuePair<string, string>>();
        foreach (string v in values)
        {
            int eq = v.IndexOf('=');
            string key = eq < 0 ? v : v[..eq];
            if (key.Length == 0) throw new CliError($"invalid argument {GoQuote.Quote(v)} for {GoQuote.Quote(flag)} flag: invalid key", 1);
            if (eq >= 0) result.Add(new(key, v[(eq + 1)..]));
            else if (!fromEnvironment) result.Add(new(key, ""));
            else if (Environment.GetEnvironmentVariable(key) is { } env) result.Add(new(key, env));
        }
        return result;
    }
}
