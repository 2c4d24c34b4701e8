// RegistryCli: the registry verbs: `pull`, `push`, `login`, `logout`, and the one place that builds
// the registry client for them and for `run --pull` (ImageAcquisition).
//
//   pull [-q] [--platform os/arch[/variant]] [--insecure-registry HOST]... NAME[:TAG|@DIGEST]
//   push [-a|--all-tags] [-q] [--insecure-registry HOST]... NAME[:TAG]
//   login [-u USER] [-p PASS | --password-stdin] [SERVER]      (default server: Docker Hub)
//   logout [SERVER]
// Plain HTTP is used for localhost and 127.0.0.0/8, for every --insecure-registry, and for the
// registries in the environment variable MINIRUN_INSECURE_REGISTRIES (comma-separated host or
// host:port; what Docker's daemon.json "insecure-registries" does, for tests and scripts).
// Credentials: `login` verifies them against the registry (GET /v2/) before saving them in
// ~/.minirun/config.json (mode 0600, Docker's format); those saved by `docker login` are read too.
// Errors are one line; `pull`, `push`, `login` and `logout` exit 1 as Docker's do.
// Follows: docker-pull(1), docker-push(1), docker-login(1), docker-logout(1).
using System.CommandLine;
using System.Text;
using MiniImage;
using MiniImage.Oci;
using MiniImage.Pull;
using MiniImage.Push;
using MiniImage.Reference;
using MiniImage.Registry;
using MiniImage.Store;
using MiniJson;

namespace MiniRun.Cli;

public static class RegistryCli
{
    public const string InsecureRegistriesVariable = "MINIRUN_INSECURE_REGISTRIES";

    public static IEnumerable<Command> Build(Option<string> rootOption, Option<bool> debugOption)
    {
        yield return PullCommand("pull", rootOption, debugOption);
        yield return PushCommand("push", rootOption, debugOption);
        yield return Program.Verb("login", "Log in to a registry", rootOption, debugOption, cmd =>
        {
            var user = new Option<string?>("--username", "-u") { Description = "Username" };
            var password = new Option<string?>("--password", "-p") { Description = "Password" };
            var passwordStdin = new Option<bool>("--password-stdin") { Description = "Take the password from stdin" };
            var insecure = new Option<string[]>("--insecure-registry") { Description = "Allow plain HTTP to this registry (host or host:port; repeatable; also env " + InsecureRegistriesVariable + ", comma-separated)" };
            var server = new Argument<string?>("SERVER") { Arity = ArgumentArity.ZeroOrOne, Description = "Registry (default: Docker Hub)" };
            foreach (var o in new Option[] { user, password, passwordStdin, insecure }) cmd.Options.Add(o);
            cmd.Arguments.Add(server);
            return p => Login(p.GetValue(server), p.GetValue(user), p.GetValue(password), p.GetValue(passwordStdin), p.GetValue(insecure) ?? []);
        });
        yield return Program.Verb("logout", "Log out from a registry", rootOption, debugOption, cmd =>
        {
            var server = new Argument<string?>("SERVER") { Arity = ArgumentArity.ZeroOrOne, Description = "Registry (default: Docker Hub)" };
            cmd.Arguments.Add(server);
            return p => Logout(p.GetValue(server));
        });
    }

    /// <summary>The --insecure-registry values plus those in MINIRUN_INSECURE_REGISTRIES.</summary>
    public static IReadOnlyCollection<string> InsecureRegistries(IEnumerable<string> flags, string? environment)
    {
        var all = new List<string>();
        foreach (string s in flags.Concat((environment ?? "").Split(',')))
        {
            string v = s.Trim();
            if (v.Length > 0 && !all.Contains(v, StringComparer.OrdinalIgnoreCase)) all.Add(v);
        }
        return all;
    }

    /// <summary>A registry client with the user's credentials and the insecure-registry list.</summary>
    public static RegistryClient OpenRegistry(IEnumerable<string> insecureFlags) => new(new RegistryOptions
    {
        InsecureRegistries = InsecureRegistries(insecureFlags, Environment.GetEnvironmentVariable(InsecureRegistriesVariable)),
        Credentials = new DockerConfigCredentialStore(),
    });

    /// <summary>`pull`, also registered as `image pull`.</summary>
    public static Command PullCommand(string verb, Option<string> rootOption, Option<bool> debugOption) =>
        Program.Verb(verb, "Download an image from a registry", rootOption, debugOption, cmd =>
        {
            var quiet = new Option<bool>("--quiet", "-q") { Description = "Suppress verbose output" };
            var platform = new Option<string?>("--platform") { Description = "Set platform if server is multi-platform capable (os/arch[/variant])" };
            var insecure = new Option<string[]>("--insecure-registry") { Description = "Allow plain HTTP to this registry (host or host:port; repeatable; also env " + InsecureRegistriesVariable + ", comma-separated)" };
            var trace = new Option<bool>("--trace") { Description = "Narrate the registry requests and each layer unpacked: digest, media type, entries, whiteouts, where it lands (--trace=pause waits for Enter)" };
            var tracePause = new Option<bool>(CliArgs.TracePauseOption) { Hidden = true };
            var name = new Argument<string>("NAME[:TAG|@DIGEST]");
            cmd.Options.Add(quiet);
            cmd.Options.Add(platform);
            cmd.Options.Add(insecure);
            cmd.Options.Add(trace);
            cmd.Options.Add(tracePause);
            cmd.Arguments.Add(name);
            return p => Pull(p.GetValue(rootOption)!, p.GetValue(name)!, p.GetValue(quiet), p.GetValue(platform), p.GetValue(insecure) ?? [],
                p.GetValue(tracePause) ? new TraceMode(true, true) : TraceMode.From(null, p.GetValue(trace), null));
        });

    /// <summary>`push`, also registered as `image push`.</summary>
    public static Command PushCommand(string verb, Option<string> rootOption, Option<bool> debugOption) =>
        Program.Verb(verb, "Upload an image to a registry", rootOption, debugOption, cmd =>
        {
            var allTags = new Option<bool>("--all-tags", "-a") { Description = "Push all tags of an image to the repository" };
            var quiet = new Option<bool>("--quiet", "-q") { Description = "Suppress verbose output" };
            var insecure = new Option<string[]>("--insecure-registry") { Description = "Allow plain HTTP to this registry (host or host:port; repeatable; also env " + InsecureRegistriesVariable + ", comma-separated)" };
            var name = new Argument<string>("NAME[:TAG]");
            cmd.Options.Add(allTags);
            cmd.Options.Add(quiet);
            cmd.Options.Add(insecure);
            cmd.Arguments.Add(name);
            return p => Push(p.GetValue(rootOption)!, p.GetValue(name)!, p.GetValue(allTags), p.GetValue(quiet), p.GetValue(insecure) ?? []);
        });

    public static int Push(string root, string name, bool allTags, bool quiet, string[] insecure)
    {
        RunCommand.RequireRoot("push");
        if (!ImageReference.TryParse(name, out var reference, out var error))
            throw new CliError($"invalid reference format: {GoQuote.Quote(name)}: {error}", 1);
        if (allTags && HasExplicitTag(name))
            throw new CliError("tag can't be used with --all-tags/-a", 1);
        if (reference.Digest is not null)
            throw new CliError($"invalid reference format: {GoQuote.Quote(name)}: cannot push a digest reference", 1);
        var store = new ImageStore(root);
        using var registry = OpenRegistry(insecure);
        var pusher = new ImagePusher(store, registry);
        // docker push says which tag it assumed when the name has none.
        bool defaultTag = !allTags && !HasExplicitTag(name);
        try
        {
            var targets = pusher.Targets(reference, allTags);
            if (defaultTag && !quiet) Console.WriteLine($"Using default tag: {ImageReference.DefaultTag}");
            var output = quiet ? null : new PushOutput(Console.Out, terminal: !Console.IsOutputRedirected);
            var results = pusher.PushAsync(targets, output, CancellationToken.None).GetAwaiter().GetResult();
            if (quiet) foreach (var r in results) Console.WriteLine(r.Reference.ToString());
        }
        catch (MiniImageException e)
        {
            throw new CliError(e.Message, 1);
        }
        return 0;
    }

    public static int Pull(string root, string name, bool quiet, string? platform, string[] insecure, TraceMode? traceMode = null)
    {
        RunCommand.RequireRoot("pull");
        if (!ImageReference.TryParse(name, out var reference, out var error))
            throw new CliError($"invalid reference format: {GoQuote.Quote(name)}: {error}", 1);
        Platform? wanted = null;
        try { if (platform is { Length: > 0 }) wanted = PullOptions.ParsePlatform(platform); }
        catch (MiniImageException e) { throw new CliError(e.Message, 1); }
        using var registry = OpenRegistry(insecure);
        // docker pull says which tag it assumed when the name has neither tag nor digest.
        if (!quiet && reference.Digest is null && !HasExplicitTag(name))
            Console.WriteLine($"Using default tag: {ImageReference.DefaultTag}");
        var output = quiet ? null : new PullOutput(Console.Out, terminal: !Console.IsOutputRedirected, printReference: true);
        var store = new ImageStore(root);
        var trace = traceMode is { Enabled: true } t ? new MiniRun.Trace.ConsoleTrace(Console.Error, t.Pause) : null;
        // --trace: the registry's answers and each layer unpacked are narrated (Engine/PullTrace.cs)
        var traced = trace is null ? null : new MiniRun.Engine.PullTrace(registry, trace, store, root, wanted);
        trace?.Step(MiniRun.Trace.Messages.PullTitle.With(reference.ToString()), MiniRun.Trace.Messages.PullWhy);
        var result = RunPull(store, (IRegistrySource?)traced ?? registry, reference, new PullOptions { Platform = wanted },
            output, exitCode: 1);
        traced?.Summary(result);
        if (quiet) Console.WriteLine(result.Reference.ToString());
        return 0;
    }

    /// <summary>True when the name as typed carries a tag (a ':' after the last '/').</summary>
    private static bool HasExplicitTag(string name)
    {
        string path = name.Split('@')[0];
        int slash = path.LastIndexOf('/');
        return path.IndexOf(':', slash + 1) >= 0;
    }

    /// <summary>Pulls, turning failures into one-line CliErrors with the given exit code (Docker's wording).</summary>
    public static PullResult RunPull(ImageStore store, IRegistrySource registry, ImageReference reference, PullOptions options,
        IPullProgress? output, int exitCode)
    {
        try
        {
            return new ImagePuller(store, registry, options).PullAsync(reference, output, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (RegistryException e)
        {
            throw CliError.Daemon(e.Message, exitCode);
        }
        catch (MiniImageException e)
        {
            throw new CliError(e.Message, exitCode);
        }
    }

    public static int Login(string? server, string? username, string? password, bool passwordStdin, string[] insecure)
    {
        string domain = RegistryHosts.Normalize(string.IsNullOrWhiteSpace(server) ? RegistryHosts.DockerHub : server);
        if (password is not null && passwordStdin)
            throw new CliError("--password and --password-stdin are mutually exclusive", 1);
        if (passwordStdin)
        {
            if (string.IsNullOrEmpty(username))
                throw new CliError("Must provide --username with --password-stdin", 1);
            password = Console.In.ReadToEnd().TrimEnd('\n', '\r');
        }
        else if (password is not null)
        {
            Console.Error.WriteLine("WARNING! Using --password via the CLI is insecure. Use --password-stdin.");
        }
        bool interactive = !Console.IsInputRedirected;
        if (string.IsNullOrEmpty(username))
        {
            if (!interactive) throw new CliError("Cannot perform an interactive login from a non TTY device", 1);
            Console.Write("Username: ");
            username = Console.ReadLine()?.Trim();
            if (string.IsNullOrEmpty(username)) throw new CliError("Username is required", 1);
        }
        if (string.IsNullOrEmpty(password))
        {
            if (!interactive) throw new CliError("Cannot perform an interactive login from a non TTY device", 1);
            Console.Write("Password: ");
            password = ReadHidden();
            Console.WriteLine();
            if (string.IsNullOrEmpty(password)) throw new CliError("Password is required", 1);
        }

        var credentials = new DockerConfigCredentialStore();
        using (var registry = OpenRegistry(insecure))
        {
            try { registry.LoginAsync(domain, username, password, CancellationToken.None).GetAwaiter().GetResult(); }
            catch (RegistryException e) { throw CliError.Daemon(e.Message); }
        }
        try { credentials.Save(domain, new Credential(username, password)); }
        catch (MiniImageException e) { throw new CliError(e.Message, 1); }
        Console.Error.WriteLine($"WARNING! Your password will be stored unencrypted in {credentials.MinirunConfigPath}.");
        Console.WriteLine("Login Succeeded");
        return 0;
    }

    public static int Logout(string? server)
    {
        string domain = RegistryHosts.Normalize(string.IsNullOrWhiteSpace(server) ? RegistryHosts.DockerHub : server);
        string shown = domain == RegistryHosts.DockerHub ? RegistryHosts.DockerHubConfigKey : domain;
        bool removed;
        try { removed = new DockerConfigCredentialStore().Remove(domain); }
        catch (MiniImageException e) { throw new CliError(e.Message, 1); }
        Console.WriteLine(removed ? $"Removing login credentials for {shown}" : $"Not logged in to {shown}");
        return 0;
    }

    /// <summary>Reads a line from the terminal without echoing it.</summary>
    private static string ReadHidden()
    {
        var sb = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) break;
            if (key.Key == ConsoleKey.Backspace) { if (sb.Length > 0) sb.Length--; continue; }
            if (key.KeyChar != '\0') sb.Append(key.KeyChar);
        }
        return sb.ToString();
    }
}
