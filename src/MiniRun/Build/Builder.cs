// Builder: `build` - a Dockerfile's stages run step by step into images, the classic builder's way.
//
// Why: each instruction after FROM makes one image (a step): RUN runs a container of the previous
// step's image and commits its overlay upper directory (BuilderRun.cs), COPY/ADD write a layer
// from the context without a container (BuilderCopy.cs), every other instruction changes only the
// config (BuilderMetadata.cs). Each step's image is kept, untagged, as the parent of the next: it is
// the cache (BuildCache.cs) that lets a rebuild skip every step up to the first one that changed.
// A stage starts from an image in the store (pulled when missing or with --pull), from `scratch`
// (no layers) or from an earlier stage's result; `COPY --from` reads an earlier stage's or any
// image's files; the target stage's (--target, else the last) final image is the result, so only
// its layers end up in it. Nothing is tagged until every step succeeded.
//
// Order of a build: read the Dockerfile and .dockerignore -> parse (DockerfileParser) -> the ARGs
// before the first FROM (usable in FROM) -> for each stage up to the target: FROM, its ONBUILD
// triggers, each instruction (a Step line, cache probe, run, " ---> ID") -> tag -> warn about
// --build-arg values no ARG consumed.
//
// Follows: Dockerfile reference (docs.docker.com/reference/dockerfile/), docker-build(1), OCI
// image-spec config.md (history, empty_layer); the classic builder's output (DOCKER_BUILDKIT=0).
using MiniImage.Oci;
using MiniImage.Reference;
using MiniImage.Store;

namespace MiniRun.Build;

/// <summary>The flags of `build`, as given.</summary>
public sealed class BuildOptions
{
    /// <summary>The context directory (COPY's sources are relative to it).</summary>
    public required string Context { get; init; }
    /// <summary>-f: the Dockerfile's path (null: CONTEXT/Dockerfile); with -f - the text is in DockerfileText.</summary>
    public string? Dockerfile { get; init; }
    public string? DockerfileText { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    /// <summary>--build-arg K=V (a bare K takes the value from the caller's environment: resolved by the CLI).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> BuildArgs { get; init; } = [];
    public string? Target { get; init; }
    public bool NoCache { get; init; }
    /// <summary>--pull: always pull FROM images.</summary>
    public bool Pull { get; init; }
    public bool Quiet { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>> Labels { get; init; } = [];
    public string? Platform { get; init; }
    /// <summary>--network for RUN's containers (null: run's default).</summary>
    public string? Network { get; init; }
}

/// <summary>What a build made: the final image and the tags it got.</summary>
public sealed record BuildResult(string ImageId, IReadOnlyList<string> Tags);

public sealed partial class Builder : IDisposable
{
    /// <summary>Docker's predefined ARGs: usable with --build-arg without an ARG, never reported unused.</summary>
    public static readonly string[] PredefinedArgs =
        ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"];

    private readonly string _root;
    private readonly BuildOptions _options;
    private readonly BuildOutput _out;
    private readonly ImageStore _images;
    private readonly BuildCache _cache;
    private readonly Func<ImageStore, string, bool, TextWriter, ImageSummary> _acquire;
    private readonly string _initExecutable;
    private readonly Dictionary<string, string> _buildArgs;
    private readonly HashSet<string> _declared = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string?> _metaArgs = new(StringComparer.Ordinal);
    private DockerIgnore _ignore = DockerIgnore.None;
    private string _context = "";
    private char _escape = '\\';
    private int _step;
    private int _total;

    /// <param name="acquire">(store, reference, always, output) -> the image, from the store or pulled (its progress
    /// into the build output): the CLI's ImageAcquisition.</param>
    public Builder(string root, BuildOptions options, TextWriter output, Func<ImageStore, string, bool, TextWriter, ImageSummary> acquire,
        string initExecutable = "/proc/self/exe")
    {
        _root = Path.GetFullPath(root);
        _options = options;
        _out = new BuildOutput(output, options.Quiet);
        _images = new ImageStore(_root);
        _cache = new BuildCache(_root);
        _acquire = acquire;
        _initExecutable = initExecutable;
        _buildArgs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in options.BuildArgs) _buildArgs[k] = v;
    }

    /// <summary>With -q, what the build held back so far (its steps and RUN output): printed on stderr when it fails, as Docker's CLI does.</summary>
    public string HeldOutput => _out.Held();

    public void Dispose() => _out.Dispose();

    /// <summary>Runs the build; BuildException (one line) for bad input or a failing step.</summary>
    public BuildResult Build()
    {
        var document = ReadDocument();
        _escape = document.Escape;
        if (document.Stages.Count == 0)
            throw new BuildException("failed to parse dockerfile: no build stage in current context");   // parser normally says it first
        foreach (var t in _options.Tags) CheckTag(t);
        CheckPlatform(_options.Platform, "--platform");

        // The stages up to the target: the classic builder runs every one before it, in order.
        int last = document.Stages.Count - 1;
        if (_options.Target is { } target)
        {
            last = -1;
            for (int i = 0; i < document.Stages.Count; i++)
                if (string.Equals(document.Stages[i].Name, target, StringComparison.OrdinalIgnoreCase)) { last = i; break; }
            if (last < 0) throw new BuildException($"failed to reach build target {target} in Dockerfile");
        }
        var stages = document.Stages.Take(last + 1).ToList();
        _total = document.MetaArgs.Count + stages.Sum(s => 1 + s.Instructions.Count) + (_options.Labels.Count > 0 ? 1 : 0);

        foreach (var meta in document.MetaArgs)
        {
            _out.Step(++_step, _total, meta.Original);
            foreach (string arg in meta.Args)
            {
                var (name, value) = SplitArg(arg);
                _declared.Add(name);
                string? expanded = value is null ? null : Expand(value, n => _metaArgs.GetValueOrDefault(n));
                _metaArgs[name] = _buildArgs.TryGetValue(name, out string? given) ? given : expanded;
            }
        }

        var results = new List<StageState>();
        StageState? final = null;
        for (int i = 0; i < stages.Count; i++)
        {
            var state = RunStage(stages[i], results, i == last);
            results.Add(state);
            final = state;
        }
        string imageId = final!.ImageId
            ?? throw new BuildException("No image was generated. Is your Dockerfile empty?");

        var unused = _buildArgs.Keys.Where(k => !_declared.Contains(k) && !PredefinedArgs.Contains(k)).Order(StringComparer.Ordinal).ToList();
        if (unused.Count > 0) _out.Line($"[Warning] One or more build-args [{string.Join(' ', unused)}] were not consumed");
        _out.Line($"Successfully built {BuildOutput.Short(imageId)}");
        var tagged = new List<string>();
        foreach (string t in _options.Tags)
        {
            _images.Tag(imageId, t);
            string shown = Display(t);
            tagged.Add(shown);
            _out.Line($"Successfully tagged {shown}");
        }
        return new BuildResult(imageId, tagged);
    }

    private DockerfileDocument ReadDocument()
    {
        _context = Path.GetFullPath(_options.Context);
        if (!Directory.Exists(_context))
            throw new BuildException($"unable to prepare context: path {GoQuote.Quote(_options.Context)} not found");
        string text;
        if (_options.DockerfileText is { } given) text = given;
        else
        {
            string path = Path.GetFullPath(_options.Dockerfile ?? Path.Combine(_context, "Dockerfile"));
            try { text = File.ReadAllText(path); }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                throw new BuildException($"unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat {path}: no such file or directory");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new BuildException($"unable to prepare context: read {path}: {e.Message}");
            }
        }
        string ignorePath = Path.Combine(_context, ".dockerignore");
        if (File.Exists(ignorePath)) _ignore = DockerIgnore.Parse(File.ReadAllText(ignorePath));
        return DockerfileParser.Parse(text);
    }

    /// <summary>One stage: FROM, the base image's ONBUILD triggers, then each instruction.</summary>
    private StageState RunStage(BuildStage stage, List<StageState> earlier, bool isTarget)
    {
        _out.Step(++_step, _total, stage.From.Original);
        string baseName = Expand(stage.BaseImage, n => _metaArgs.GetValueOrDefault(n));
        string? platform = stage.Platform is null ? null : Expand(stage.Platform, n => _metaArgs.GetValueOrDefault(n));
        CheckPlatform(platform, "FROM --platform");
        var state = new StageState(stage);
        var byName = earlier.FirstOrDefault(s => s.Stage.Name is { } n && string.Equals(n, baseName, StringComparison.OrdinalIgnoreCase));
        if (byName is not null)
        {
            state.ImageId = byName.ImageId;
            state.Config = CopyConfig(byName.Config);
        }
        else if (!string.Equals(baseName, "scratch", StringComparison.OrdinalIgnoreCase))
        {
            if (baseName.Length == 0) throw new BuildException($"base name ({stage.BaseImage}) should not be blank");
            var image = _acquire(_images, baseName, _options.Pull, _out.Writer);
            state.ImageId = image.ImageId;
            state.Config = CopyConfig(_images.ReadConfig(image).Config);
        }
        if (state.ImageId is not null) _out.Image(state.ImageId);

        // ONBUILD triggers of the base run first, then are cleared (they are not inherited further).
        if (state.Config.OnBuild is { Count: > 0 } triggers)
        {
            state.Config.OnBuild = null;
            _out.Line($"# Executing {triggers.Count} build trigger{(triggers.Count == 1 ? "" : "s")}");
            foreach (string trigger in triggers)
            {
                var parsed = DockerfileParser.Parse($"FROM scratch\n{trigger}\n").Stages[0].Instructions;
                foreach (var instruction in parsed)
                {
                    if (instruction.Keyword is "ONBUILD" or "FROM" or "MAINTAINER")
                        throw new BuildException($"{instruction.Keyword} isn't allowed as an ONBUILD trigger");
                    Dispatch(state, instruction, earlier);
                }
            }
        }
        foreach (var instruction in stage.Instructions)
        {
            _out.Step(++_step, _total, instruction.Original);
            Dispatch(state, instruction, earlier);
        }
        if (isTarget && _options.Labels.Count > 0)
        {
            // --label: the classic builder adds a LABEL step at the end of the target stage.
            var args = _options.Labels.SelectMany(kv => new[] { kv.Key, kv.Value }).ToList();
            string text = "LABEL " + string.Join(' ', _options.Labels.Select(kv => $"{Quote(kv.Key)}={Quote(kv.Value)}"));
            _out.Step(++_step, _total, text);
            Dispatch(state, new Instruction("LABEL", 0, text, [], args, false, []), earlier);
        }
        return state;
    }

    private void Dispatch(StageState state, Instruction instruction, List<StageState> earlier)
    {
        switch (instruction.Keyword)
        {
            case "RUN": Run(state, instruction); break;
            case "COPY": case "ADD": Copy(state, instruction, earlier); break;
            case "FROM": throw new BuildException($"dockerfile parse error on line {instruction.Line}: FROM in the middle of a stage");
            default: Metadata(state, instruction); break;
        }
    }

    /// <summary>
    /// The cache probe and the step: with a hit the cached image is adopted (" ---> Using cache"),
    /// else <paramref name="make"/> makes the step's image, which is remembered under the key.
    /// </summary>
    private void Step(StageState state, string key, Func<ImageSummary> make)
    {
        ImageSummary image;
        if (!_options.NoCache && _cache.Find(_images, key) is { } hit)
        {
            _out.UsingCache();
            image = hit;
        }
        else
        {
            image = make();
            _cache.Add(key, image.ImageId);
        }
        Adopt(state, image);
        _out.Image(image.ImageId);
    }

    /// <summary>The step's image becomes the stage's current image; its config the current config.</summary>
    private void Adopt(StageState state, ImageSummary image)
    {
        state.ImageId = image.ImageId;
        var config = _images.ReadConfig(image);
        state.Config = CopyConfig(config.Config);
        state.Author = config.Author;
    }

    /// <summary>A new image: the stage's current one plus an optional layer, with the stage's config.</summary>
    private ImageSummary Commit(StageState state, string createdBy, Action<Stream>? layer)
    {
        var config = state.Config;
        return _images.Commit(new CommitRequest
        {
            BaseImageId = state.ImageId,
            WriteLayer = layer,
            CreatedBy = createdBy,
            Author = state.Author,
            Configure = c => Assign(c, config),
        });
    }

    /// <summary>Variables in a word, Docker's way (${VAR}, ${VAR:-default}, the Dockerfile's escape character).</summary>
    private string Expand(string word, Func<string, string?> lookup) => ShellWords.Expand(word, lookup, _escape);

    private IReadOnlyList<string> Words(Instruction instruction, StageState state) =>
        instruction.JsonForm
            ? instruction.Args.Select(a => Expand(a, state.Lookup)).ToList()
            : instruction.Args.Count == 0 ? [] : ShellWords.ExpandWords(instruction.Args[0], state.Lookup, _escape);

    private static (string Name, string? Value) SplitArg(string arg)
    {
        int eq = arg.IndexOf('=');
        return eq < 0 ? (arg, null) : (arg[..eq], arg[(eq + 1)..]);
    }

    private static void CheckTag(string tag)
    {
        if (!ImageReference.TryParse(tag, out var parsed, out string error) || parsed.Digest is not null)
            throw new BuildException($"invalid argument {GoQuote.Quote(tag)} for \"-t, --tag\" flag: invalid reference format{(error.Length > 0 ? ": " + error : "")}");
    }

    private static void CheckPlatform(string? platform, string what)
    {
        if (string.IsNullOrEmpty(platform)) return;
        var host = MiniImage.Oci.Platform.Host;
        if (platform != $"{host.Os}/{host.Architecture}" && platform != host.Os)
            throw new BuildException($"{what}={platform}: only this host's platform ({host.Os}/{host.Architecture}) is implemented");
    }

    /// <summary>"hello" -> "hello:latest", as "Successfully tagged" shows it.</summary>
    private static string Display(string tag) =>
        tag.LastIndexOf(':') > tag.LastIndexOf('/') ? tag : tag + ":latest";

    private static string Quote(string s) =>
        s.Length > 0 && s.All(c => !char.IsWhiteSpace(c) && c is not ('"' or '\'' or '\\' or '=')) ? s : "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    internal static ContainerConfig CopyConfig(ContainerConfig? source) =>
        ImageConfig.Parse(new ImageConfig { Config = source ?? new ContainerConfig() }.ToJson()).Config ?? new ContainerConfig();

    private static void Assign(ContainerConfig to, ContainerConfig from)
    {
        var copy = CopyConfig(from);
        to.User = copy.User;
        to.ExposedPorts = copy.ExposedPorts;
        to.Env = copy.Env;
        to.Entrypoint = copy.Entrypoint;
        to.Cmd = copy.Cmd;
        to.Volumes = copy.Volumes;
        to.WorkingDir = copy.WorkingDir;
        to.Labels = copy.Labels;
        to.StopSignal = copy.StopSignal;
        to.Healthcheck = copy.Healthcheck;
        to.Shell = copy.Shell;
        to.OnBuild = copy.OnBuild;
    }
}

/// <summary>What one stage carries from step to step: its current image and config, its ARGs.</summary>
internal sealed class StageState(BuildStage stage)
{
    public BuildStage Stage { get; } = stage;
    /// <summary>The current image (null: FROM scratch, nothing made yet).</summary>
    public string? ImageId { get; set; }
    public ContainerConfig Config { get; set; } = new();
    public string? Author { get; set; }
    /// <summary>The ARGs declared in this stage, in order, with their values (null: declared without one).</summary>
    public List<KeyValuePair<string, string?>> Args { get; } = new();
    /// <summary>CMD was set in this stage (ENTRYPOINT then keeps it; otherwise ENTRYPOINT clears the base's CMD).</summary>
    public bool CmdSet { get; set; }

    /// <summary>A variable as an instruction sees it: ENV first, then the stage's ARG values.</summary>
    public string? Lookup(string name)
    {
        if (EnvValue(name) is { } env) return env;
        for (int i = Args.Count - 1; i >= 0; i--)
            if (Args[i].Key == name) return Args[i].Value;
        return null;
    }

    public string? EnvValue(string name)
    {
        if (Config.Env is not { } env) return null;
        for (int i = env.Count - 1; i >= 0; i--)
        {
            string e = env[i];
            if (e.Length > name.Length && e[name.Length] == '=' && e.StartsWith(name, StringComparison.Ordinal)) return e[(name.Length + 1)..];
            if (e == name) return "";
        }
        return null;
    }

    /// <summary>The ARGs with values that ENV does not override: what RUN sees and what its cache key includes.</summary>
    public List<KeyValuePair<string, string>> EffectiveArgs()
    {
        var result = new List<KeyValuePair<string, string>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = Args.Count - 1; i >= 0; i--)
        {
            var (k, v) = Args[i];
            if (v is null || !seen.Add(k) || EnvValue(k) is not null) continue;
            result.Add(new(k, v));
        }
        result.Reverse();
        return result;
    }
}
