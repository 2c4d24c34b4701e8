// MountFlags: `-v/--volume` and `--mount` of run and create, parsed into MountRequests the way
// Docker parses them, with Docker's error texts.
//
// Why: the two flags say the same things in two syntaxes; after parsing, one request type goes to
// the engine (ContainerMounts.cs), which makes volumes and host directories and writes the mounts
// into config.json. Parsing needs nothing from the host (a bind source's existence is the
// engine's check), so every form and every error is a unit test.
//   -v HOST:CTR[:OPTS]   bind (HOST absolute, or ./ ../ relative: made absolute as docker 23+)
//   -v NAME:CTR[:OPTS]   named volume (made on first use)
//   -v CTR               anonymous volume
//   OPTS                 comma list: ro|rw, z|Z (SELinux: accepted, ignored), nocopy (volumes),
//                        a propagation (shared, rshared, slave, rslave, private, rprivate; binds)
//   --mount type=bind|volume|tmpfs,source|src=,target|destination|dst=,readonly|ro[=BOOL],
//           bind-propagation=,volume-nocopy,volume-opt=K=V,volume-label=K=V,volume-driver=,
//           tmpfs-size=,tmpfs-mode=   (type defaults to volume, as Docker's)
//
// Follows: docker-run(1) "-v, --volume" and "--mount"; moby's volume/mounts/linux_parser.go
// (ParseMountRaw, ValidateMountConfig: "invalid mount config for type ..." texts) and the docker
// CLI's opts/mount.go (the --mount CSV and its "invalid argument ... for \"--mount\" flag" texts).
using MiniRun.Spec;

namespace MiniRun.Volumes;

public static class MountTypes
{
    public const string Bind = "bind", Volume = "volume", Tmpfs = "tmpfs";
}

/// <summary>One requested mount, before the engine looks at the host.</summary>
public sealed record MountRequest
{
    public string Type { get; init; } = MountTypes.Volume;
    /// <summary>bind: the host path (absolute); volume: the name, "" for an anonymous one; tmpfs: "".</summary>
    public string Source { get; init; } = "";
    public string Target { get; init; } = "";
    public bool ReadOnly { get; init; }
    /// <summary>A propagation word (rprivate, shared, ...) or "" for the default (rprivate).</summary>
    public string Propagation { get; init; } = "";
    /// <summary>volume: do not seed an empty volume with the image's content.</summary>
    public bool NoCopy { get; init; }
    public Dictionary<string, string> VolumeOptions { get; init; } = new();
    public Dictionary<string, string> VolumeLabels { get; init; } = new();
    public string VolumeDriver { get; init; } = "";
    public long? TmpfsSize { get; init; }
    public uint? TmpfsMode { get; init; }
    /// <summary>True for --mount (a missing bind source is an error); false for -v (it is made).</summary>
    public bool FromMountFlag { get; init; }
    /// <summary>Docker's Mode field in inspect: -v's options as typed ("ro", "z"; "z" for a named -v volume), "" otherwise.</summary>
    public string Mode { get; init; } = "";
    /// <summary>The flag's value as typed (HostConfig.Binds keeps -v's).</summary>
    public string Raw { get; init; } = "";
}

public static class MountFlags
{
    private static readonly HashSet<string> Propagations = ["shared", "rshared", "slave", "rslave", "private", "rprivate"];

    /// <summary>`-v` value; RunConfigException with Docker's text.</summary>
    public static MountRequest ParseVolume(string raw)
    {
        if (raw.Length == 0) throw new RunConfigException("invalid empty volume spec");
        var parts = raw.Split(':');
        string source, target, mode = "";
        switch (parts.Length)
        {
            case 1: source = ""; target = parts[0]; break;
            case 2:
                if (IsValidMode(parts[1]) && !parts[1].Contains('/')) throw InvalidSpec(raw);   // "/foo:ro": a mode without a source
                source = parts[0]; target = parts[1];
                break;
            case 3: source = parts[0]; target = parts[1]; mode = parts[2]; break;
            default: throw InvalidSpec(raw);
        }
        if (source.Length == 0 && parts.Length > 1) throw InvalidSpec(raw);
        if (mode.Length > 0 && !IsValidMode(mode)) throw new RunConfigException($"invalid mode: {mode}");
        bool bind = source.StartsWith('/') || source is "." or ".." || source.StartsWith("./") || source.StartsWith("../");
        string type = bind ? MountTypes.Bind : MountTypes.Volume;
        var words = mode.Length == 0 ? [] : mode.Split(',');
        if (bind && words.Contains("nocopy")) throw new RunConfigException($"invalid mode: {mode}");
        if (!bind && words.Any(Propagations.Contains))
            throw new RunConfigException($"invalid volume specification: '{raw}': invalid mount config for type \"volume\": field BindOptions must not be specified");
        string Wrap(string why) => $"invalid volume specification: '{raw}': invalid mount config for type \"{type}\": {why}";
        if (target.Length == 0) throw InvalidSpec(raw);
        if (!target.StartsWith('/')) throw new RunConfigException(Wrap($"invalid mount path: '{target}' mount path must be absolute"));
        if (SpecGenerator.CleanAbsolute(target) == "/") throw new RunConfigException(Wrap("invalid specification: destination can't be '/'"));
        if (bind) source = SpecGenerator.CleanAbsolute(Path.GetFullPath(source));
        else if (source.Length > 0 && !VolumeStore.IsValidName(source))
            throw new RunConfigException(VolumeStore.InvalidNameMessage(source));
        return new MountRequest
        {
            Type = type, Source = source, Target = SpecGenerator.CleanAbsolute(target),
            ReadOnly = words.Contains("ro"), Propagation = words.FirstOrDefault(Propagations.Contains) ?? "",
            NoCopy = words.Contains("nocopy"), FromMountFlag = false, Raw = raw,
            Mode = !bind && source.Length > 0 && mode.Length == 0 ? "z" : mode,
        };
    }

    /// <summary>-v's mode: at most one of each kind (rw/ro, z/Z, a propagation, nocopy), nothing else.</summary>
    public static bool IsValidMode(string mode)
    {
        int rw = 0, label = 0, propagation = 0, copy = 0;
        foreach (var w in mode.Split(','))
        {
            if (w is "rw" or "ro") rw++;
            else if (w is "z" or "Z") label++;
            else if (Propagations.Contains(w)) propagation++;
            else if (w == "nocopy") copy++;
            else return false;
        }
        return rw <= 1 && label <= 1 && propagation <= 1 && copy <= 1;
    }

    private static RunConfigException InvalidSpec(string raw) => new($"invalid volume specification: '{raw}'");

    /// <summary>`--mount` value: the CSV (the CLI's errors), then Docker's checks of the result (the daemon's).</summary>
    public static MountRequest ParseMount(string raw)
    {
        string type = MountTypes.Volume, source = "", target = "", propagation = "", driver = "";
        bool readOnly = false, noCopy = false, sawBind = false, sawVolume = false, sawTmpfs = false;
        long? size = null;
        uint? mode = null;
        var volumeOptions = new Dictionary<string, string>();
        var labels = new Dictionary<string, string>();
        RunConfigException Flag(string why) => new($"invalid argument \"{raw}\" for \"--mount\" flag: {why}");
        foreach (var field in raw.Split(','))
        {
            if (field.Length == 0) continue;
            int eq = field.IndexOf('=');
            string key = (eq < 0 ? field : field[..eq]).Trim().ToLowerInvariant();
            string? value = eq < 0 ? null : field[(eq + 1)..];
            if (value is null && key is not ("readonly" or "ro" or "volume-nocopy" or "bind-nonrecursive"))
                throw Flag($"invalid field '{field}' must be a key=value pair");
            switch (key)
            {
                case "type": type = value!.ToLowerInvariant(); break;
                case "source" or "src": source = value!; break;
                case "target" or "destination" or "dst": target = value!; break;
                case "readonly" or "ro": readOnly = Bool(value, key); break;
                case "volume-nocopy": noCopy = Bool(value, key); sawVolume = true; break;
                case "bind-propagation":
                    if (!Propagations.Contains(value!)) throw Flag($"invalid value for {key}: {value}");
                    propagation = value!; sawBind = true; break;
                case "bind-nonrecursive":
                    throw Flag("bind-nonrecursive is not implemented in MiniRun (bind mounts are recursive)");
                case "consistency": break;   // macOS only; Docker ignores it on Linux
                case "volume-driver": driver = value!; sawVolume = true; break;
                case "volume-label": KeyValue(labels, value!, key); sawVolume = true; break;
                case "volume-opt": KeyValue(volumeOptions, value!, key); sawVolume = true; break;
                case "tmpfs-size":
                    if (!MiniRun.Cgroups.ByteSize.TryParse(value!, out long bytes)) throw Flag($"invalid value for {key}: {value}");
                    size = bytes; sawTmpfs = true; break;
                case "tmpfs-mode":
                    try { mode = Convert.ToUInt32(value!, 8); }
                    catch (Exception e) when (e is FormatException or OverflowException or ArgumentException) { throw Flag($"invalid value for {key}: {value}"); }
                    sawTmpfs = true; break;
                default: throw Flag($"unexpected key '{key}' in '{field}'");
            }
        }

        RunConfigException Config(string why) => new($"invalid mount config for type \"{type}\": {why}");
        if (type is not (MountTypes.Bind or MountTypes.Volume or MountTypes.Tmpfs)) throw Config("mount type unknown");
        if (target.Length == 0) throw Config("field Target must not be empty");
        if (!target.StartsWith('/')) throw Config($"invalid mount path: '{target}' mount path must be absolute");
        if (SpecGenerator.CleanAbsolute(target) == "/") throw Config("invalid specification: destination can't be '/'");
        switch (type)
        {
            case MountTypes.Bind:
                if (source.Length == 0) throw Config("field Source must not be empty");
                if (sawVolume) throw Config("field VolumeOptions must not be specified");
                if (sawTmpfs) throw Config("field TmpfsOptions must not be specified");
                if (!source.StartsWith('/')) throw Config($"invalid mount path: '{source}' mount path must be absolute");
                source = SpecGenerator.CleanAbsolute(source);
                break;
            case MountTypes.Volume:
                if (sawBind) throw Config("field BindOptions must not be specified");
                if (sawTmpfs) throw Config("field TmpfsOptions must not be specified");
                if (source.Length > 0 && !VolumeStore.IsValidName(source)) throw new RunConfigException(VolumeStore.InvalidNameMessage(source));
                break;
            case MountTypes.Tmpfs:
                if (source.Length > 0) throw Config("field Source must not be specified");
                if (sawBind) throw Config("field BindOptions must not be specified");
                if (sawVolume) throw Config("field VolumeOptions must not be specified");
                break;
        }
        return new MountRequest
        {
            Type = type, Source = source, Target = SpecGenerator.CleanAbsolute(target), ReadOnly = readOnly,
            Propagation = propagation, NoCopy = noCopy, VolumeOptions = volumeOptions, VolumeLabels = labels,
            VolumeDriver = driver, TmpfsSize = size, TmpfsMode = mode, FromMountFlag = true, Raw = raw,
        };

        bool Bool(string? value, string key) => value?.ToLowerInvariant() switch
        {
            null or "" or "1" or "true" => true,
            "0" or "false" => false,
            _ => throw Flag($"invalid value for {key}: {value}"),
        };

        void KeyValue(Dictionary<string, string> into, string value, string key)
        {
            int at = value.IndexOf('=');
            if (at <= 0) throw Flag($"invalid value for {key}: {value}");
            into[value[..at]] = value[(at + 1)..];
        }
    }

    /// <summary>`--volumes-from CONTAINER[:ro|rw]`: the container and the mode ("" = as the source has it).</summary>
    public static (string Container, string Mode) ParseVolumesFrom(string raw)
    {
        int colon = raw.LastIndexOf(':');
        if (colon < 0) return (raw, "");
        string mode = raw[(colon + 1)..];
        if (mode is not ("ro" or "rw")) throw new RunConfigException($"invalid mode: {mode}");
        return (raw[..colon], mode);
    }
}
