// BuilderMetadata: the instructions that change only the image's config - CMD, ENTRYPOINT, ENV,
// ARG, LABEL, EXPOSE, WORKDIR, USER, VOLUME, STOPSIGNAL, HEALTHCHECK, SHELL, ONBUILD, MAINTAINER.
//
// Why: each still makes a step image (the classic builder commits after every instruction), but
// without a layer: its history entry says empty_layer, its created_by the classic builder's
// `/bin/sh -c #(nop)  CMD ["sh"]` (the current SHELL, "#(nop) ", the instruction). WORKDIR is the
// exception Docker makes too: a directory missing from the image is created, as a small layer.
// Variables are expanded (ShellWords) in ENV, LABEL, EXPOSE, WORKDIR, USER, VOLUME, STOPSIGNAL
// and ARG defaults, never in CMD, ENTRYPOINT or SHELL (the container's shell does that later).
// Follows: Dockerfile reference (each instruction; "Environment replacement"); OCI image-spec
// config.md (config fields, history); Docker's Healthcheck, Shell and OnBuild config extensions.
using System.Formats.Tar;
using System.Text.Json;
using MiniImage.Oci;
using MiniImage.Store;

namespace MiniRun.Build;

public sealed partial class Builder
{
    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    private void Metadata(StageState state, Instruction ins)
    {
        var c = state.Config;
        string comment;
        Action<Stream>? layer = null;
        switch (ins.Keyword)
        {
            case "CMD":
                c.Cmd = Command(state, ins);
                state.CmdSet = true;
                comment = $"CMD {GoList(c.Cmd)}";
                break;
            case "ENTRYPOINT":
                c.Entrypoint = Command(state, ins);
                if (!state.CmdSet) c.Cmd = null;   // the base image's CMD does not follow a new ENTRYPOINT
                comment = $"ENTRYPOINT {GoList(c.Entrypoint)}";
                break;
            case "SHELL":
                if (!ins.JsonForm) throw new BuildException($"dockerfile parse error on line {ins.Line}: SHELL requires the arguments to be in JSON form");
                if (ins.Args.Count == 0) throw new BuildException($"dockerfile parse error on line {ins.Line}: SHELL requires at least one argument");
                c.Shell = ins.Args.ToList();
                comment = $"SHELL {GoList(c.Shell)}";
                break;
            case "ENV":
            case "LABEL":
            {
                var pairs = Pairs(state, ins);
                foreach (var (k, v) in pairs)
                {
                    if (ins.Keyword == "ENV") SetEnv(c, k, v);
                    else (c.Labels ??= new())[k] = v;
                }
                comment = $"{ins.Keyword} {string.Join(' ', pairs.Select(p => $"{p.Key}={p.Value}"))}";
                break;
            }
            case "ARG":
            {
                foreach (string arg in ins.Args)
                {
                    var (name, value) = SplitArg(arg);
                    _declared.Add(name);
                    string? v = _buildArgs.TryGetValue(name, out string? given) ? given
                        : value is not null ? Expand(value, state.Lookup)
                        : _metaArgs.GetValueOrDefault(name);
                    state.Args.Add(new(name, v));
                }
                comment = $"ARG {string.Join(' ', ins.Args)}";
                break;
            }
            case "EXPOSE":
            {
                var ports = Words(ins, state);
                foreach (string p in ports)
                {
                    string port = p.Contains('/') ? p.ToLowerInvariant() : p + "/tcp";
                    string number = port[..port.IndexOf('/')];
                    bool valid = int.TryParse(number, out int n)
                        ? n is >= 0 and <= 65535
                        : number.Split('-') is [var low, var high] && int.TryParse(low, out _) && int.TryParse(high, out _);
                    if (!valid) throw new BuildException($"invalid containerPort: {p}");
                    (c.ExposedPorts ??= new())[port] = EmptyObject;
                }
                comment = $"EXPOSE {string.Join(' ', ports)}";
                break;
            }
            case "VOLUME":
            {
                var volumes = Words(ins, state);
                if (volumes.Count == 0 || volumes.Any(v => v.Trim().Length == 0))
                    throw new BuildException("VOLUME specified can not be an empty string");
                foreach (string v in volumes) (c.Volumes ??= new())[v] = EmptyObject;
                comment = $"VOLUME [{string.Join(' ', volumes)}]";
                break;
            }
            case "USER":
                c.User = Single(state, ins);
                comment = $"USER {c.User}";
                break;
            case "STOPSIGNAL":
                c.StopSignal = Single(state, ins);
                comment = $"STOPSIGNAL {c.StopSignal}";
                break;
            case "MAINTAINER":
                state.Author = string.Join(' ', ins.Args);
                comment = $"MAINTAINER {state.Author}";
                break;
            case "ONBUILD":
            {
                string trigger = ins.Args.Count > 0 ? ins.Args[0].Trim() : "";
                string first = trigger.Split(' ', 2)[0].ToUpperInvariant();
                if (first is "ONBUILD") throw new BuildException("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
                if (first is "FROM" or "MAINTAINER") throw new BuildException($"{first} isn't allowed as an ONBUILD trigger");
                (c.OnBuild ??= new()).Add(trigger);
                comment = $"ONBUILD {trigger}";
                break;
            }
            case "HEALTHCHECK":
                c.Healthcheck = Healthcheck(ins);
                comment = ins.Original.Length > "HEALTHCHECK ".Length ? ins.Original : "HEALTHCHECK";
                break;
            case "WORKDIR":
            {
                string dir = Single(state, ins);
                string path = Path.IsPathRooted(dir) ? dir : Path.Combine(c.WorkingDir is { Length: > 0 } w ? w : "/", dir);
                path = "/" + string.Join('/', path.Split('/', StringSplitOptions.RemoveEmptyEntries));
                c.WorkingDir = path;
                comment = $"WORKDIR {path}";
                layer = WorkdirLayer(state, path);
                break;
            }
            default:
                throw new BuildException($"dockerfile parse error on line {ins.Line}: unknown instruction: {ins.Keyword}");
        }
        string createdBy = NopCreatedBy(state, comment);
        Step(state, BuildCache.Key(state.ImageId ?? "scratch", createdBy, layer is null ? "" : "layer"), () => Commit(state, createdBy, layer));
    }

    /// <summary>The classic builder's created_by of a step without a command: `/bin/sh -c #(nop)  CMD ["sh"]`.</summary>
    private static string NopCreatedBy(StageState state, string comment) =>
        string.Join(' ', Shell(state)) + " #(nop)  " + comment;

    internal static IReadOnlyList<string> Shell(StageState state) => state.Config.Shell is { Count: > 0 } s ? s : ["/bin/sh", "-c"];

    /// <summary>CMD/ENTRYPOINT: the exec form as written, the shell form run by the current SHELL.</summary>
    private static List<string> Command(StageState state, Instruction ins) =>
        ins.JsonForm ? ins.Args.ToList() : [.. Shell(state), ins.Args.Count > 0 ? ins.Args[0] : ""];

    private string Single(StageState state, Instruction ins)
    {
        var words = ins.Args.Count == 1 && !ins.JsonForm ? [Expand(ins.Args[0].Trim(), state.Lookup)] : Words(ins, state);
        if (words.Count != 1 || words[0].Length == 0)
            throw new BuildException($"{ins.Keyword} requires exactly one argument");
        return words[0];
    }

    private List<KeyValuePair<string, string>> Pairs(StageState state, Instruction ins)
    {
        if (ins.Args.Count == 0 || ins.Args.Count % 2 != 0)
            throw new BuildException($"{ins.Keyword} requires at least one argument");
        var pairs = new List<KeyValuePair<string, string>>();
        for (int i = 0; i + 1 < ins.Args.Count; i += 2)
        {
            string key = Expand(ins.Args[i], state.Lookup);
            if (key.Length == 0) throw new BuildException($"{ins.Keyword} names can not be blank");
            pairs.Add(new(key, Expand(ins.Args[i + 1], state.Lookup)));
        }
        return pairs;
    }

    private static void SetEnv(ContainerConfig c, string key, string value)
    {
        var env = c.Env ??= new();
        int at = env.FindIndex(e => e == key || e.StartsWith(key + "=", StringComparison.Ordinal));
        if (at >= 0) env[at] = $"{key}={value}";
        else env.Add($"{key}={value}");
    }

    /// <summary>HEALTHCHECK NONE | [--interval=D --timeout=D --start-period=D --retries=N] CMD ...</summary>
    private static ImageHealthcheck Healthcheck(Instruction ins)
    {
        if (ins.Args.Count == 0) throw new BuildException("HEALTHCHECK requires an argument");
        if (ins.Args[0].Equals("NONE", StringComparison.OrdinalIgnoreCase))
        {
            if (ins.Args.Count > 1) throw new BuildException("HEALTHCHECK NONE takes no arguments");
            return new ImageHealthcheck { Test = ["NONE"] };
        }
        if (!ins.Args[0].Equals("CMD", StringComparison.OrdinalIgnoreCase) || ins.Args.Count < 2)
            throw new BuildException($"Unknown type {GoQuote.Quote(ins.Args[0])} in HEALTHCHECK (try CMD)");
        var h = new ImageHealthcheck
        {
            Test = ins.JsonForm ? ["CMD", .. ins.Args.Skip(1)] : ["CMD-SHELL", ins.Args[1]],
        };
        foreach (var (flag, value) in ins.Flags)
        {
            switch (flag)
            {
                case "interval": h.Interval = Duration(flag, value); break;
                case "timeout": h.Timeout = Duration(flag, value); break;
                case "start-period": h.StartPeriod = Duration(flag, value); break;
                case "start-interval": break;   // Docker 25's field; this config model has no place for it
                case "retries":
                    if (!int.TryParse(value, out int r) || r < 0) throw new BuildException($"--retries must be at least 0 (not {value})");
                    h.Retries = r;
                    break;
                default: throw new BuildException($"Unknown flag: {flag}");
            }
        }
        return h;
    }

    /// <summary>Go's time.ParseDuration subset Dockerfiles use ("30s", "1m30s", "500ms", "2h"), in nanoseconds.</summary>
    internal static long Duration(string flag, string text)
    {
        long total = 0;
        int i = 0;
        if (text.Length == 0) throw new BuildException($"--{flag}: invalid duration {GoQuote.Quote(text)}");
        while (i < text.Length)
        {
            int start = i;
            while (i < text.Length && (char.IsDigit(text[i]) || text[i] == '.')) i++;
            if (start == i || !double.TryParse(text.AsSpan(start, i - start), System.Globalization.CultureInfo.InvariantCulture, out double n))
                throw new BuildException($"--{flag}: invalid duration {GoQuote.Quote(text)}");
            int unitStart = i;
            while (i < text.Length && char.IsLetter(text[i]) || i < text.Length && text[i] == 'µ') i++;
            long unit = text[unitStart..i] switch
            {
                "ns" => 1, "us" or "µs" => 1_000, "ms" => 1_000_000, "s" => 1_000_000_000,
                "m" => 60_000_000_000, "h" => 3_600_000_000_000,
                _ => throw new BuildException($"--{flag}: invalid duration {GoQuote.Quote(text)}"),
            };
            total += (long)(n * unit);
        }
        return total;
    }

    /// <summary>Go's %q of a string slice: ["sh" "-c" "ps"], as the classic builder's history shows CMD.</summary>
    internal static string GoList(IEnumerable<string>? items) =>
        "[" + string.Join(' ', (items ?? []).Select(s => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n").Replace("\t", "\\t") + "\"")) + "]";

    /// <summary>
    /// WORKDIR: a layer with the directories of <paramref name="path"/> the image lacks (root-owned,
    /// 0755, as Docker makes them), or null when it has them all (config-only step).
    /// </summary>
    private Action<Stream>? WorkdirLayer(StageState state, string path)
    {
        var layers = state.ImageId is null ? [] : LayerDirsTopFirst(state.ImageId);
        var missing = new List<string>();
        string prefix = "";
        foreach (string part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            prefix = prefix.Length == 0 ? part : prefix + "/" + part;
            if (missing.Count > 0 || !ExistsInLayers(layers, prefix)) missing.Add(prefix);
        }
        if (missing.Count == 0) return null;
        return output =>
        {
            using var tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
            foreach (string dir in missing)
                tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, dir + "/")
                {
                    Mode = (UnixFileMode)0b111_101_101, ModificationTime = DateTimeOffset.UtcNow, Uid = 0, Gid = 0,
                });
        };
    }

    /// <summary>The image's unpacked layer directories, the top layer first.</summary>
    private List<string> LayerDirsTopFirst(string imageId)
    {
        var image = _images.Resolve(imageId) ?? throw new BuildException($"image {imageId} is no longer in the store");
        return _images.PrepareLayers(image).Reverse().ToList();
    }

    /// <summary>
    /// Whether the merged view of the layers has <paramref name="relative"/>: the top-most layer that
    /// names it decides (a whiteout, a character device in an unpacked layer, means deleted).
    /// </summary>
    private static bool ExistsInLayers(IReadOnlyList<string> layersTopFirst, string relative)
    {
        foreach (string layer in layersTopFirst)
        {
            var info = new FileInfo(Path.Combine(layer, relative));
            if (info.LinkTarget is not null) return true;   // a symlink: the container resolves it, nothing to make
            if (Directory.Exists(info.FullName)) return true;
            if (info.Exists) return false;   // a file, or a whiteout: no directory there
        }
        return false;
    }

    /// <summary>A file of the image (its top-most copy) as text, or null when absent or deleted.</summary>
    private static string? ReadFromLayers(IReadOnlyList<string> layersTopFirst, string relative)
    {
        foreach (string layer in layersTopFirst)
        {
            var info = new FileInfo(Path.Combine(layer, relative));
            if (info.LinkTarget is not null) return null;
            if (!info.Exists) continue;
            try { return File.ReadAllText(info.FullName); }
            catch (IOException) { return null; }   // a whiteout (character device 0:0) cannot be read
        }
        return null;
    }
}
