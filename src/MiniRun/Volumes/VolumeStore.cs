// VolumeStore: the volumes/ directory under the MiniRun root: one directory per volume, holding
// the data a container sees (_data) and what the volume is (volume.json).
//
// Why: a volume is a directory that outlives containers: data written to it is not in any
// container's upper layer, so `rm` of the container leaves it, and two containers mounting it see
// each other's writes. Named volumes are made by `volume create` or on first use (`-v NAME:/path`);
// anonymous ones (`-v /path`, an image's VOLUME) get a random 64-hex name and the label
// com.docker.volume.anonymous, and are removed with their container by `rm -v` and `run --rm`.
// Creating and removing happen under an exclusive lock on volumes/.lock, so a `volume rm` and a
// `run` mounting the same volume cannot interleave (the in-use check reads the containers' mounts).
//
// Layout: <root>/volumes/<name>/{_data/, volume.json}; volume.json holds Name, Driver ("local"),
// Labels, Options and CreatedAt (Docker's field names, as `volume inspect` shows them). Options
// (type, device, o, size) are checked at create and mounted on _data while in use
// (VolumeMounts.cs, which adds users/ and mount.lock); a volume is never deleted while mounted.
//
// Follows: docker-volume-create(1), docker-volume-rm(1), docker-volume-inspect(1); moby's local
// driver (volume/local: the name rule, the _data directory).
using System.Buffers;
using System.Text.Json;
using System.Text.RegularExpressions;
using MiniRun.Containers;

namespace MiniRun.Volumes;

public sealed class Volume
{
    public string Name { get; init; } = "";
    public string Driver { get; init; } = "local";
    public Dictionary<string, string> Labels { get; init; } = new();
    public Dictionary<string, string> Options { get; init; } = new();
    public DateTimeOffset CreatedAt { get; init; }
    /// <summary>The directory containers mount: ROOT/volumes/NAME/_data.</summary>
    public string Mountpoint { get; init; } = "";
    public bool Anonymous => Labels.ContainsKey(VolumeStore.AnonymousLabel);
}

public sealed partial class VolumeStore
{
    /// <summary>The label Docker (23+) puts on anonymous volumes; `volume prune` without -a removes only these.</summary>
    public const string AnonymousLabel = "com.docker.volume.anonymous";
    public const string DataDir = "_data";
    private const string MetaFile = "volume.json";

    public string Dir { get; }

    public VolumeStore(string minirunRoot)
    {
        Dir = Path.Combine(minirunRoot, "volumes");
        MiniRun.Security.StoreAccess.Secure(minirunRoot);
        Directory.CreateDirectory(Dir, MiniRun.Security.StoreAccess.OwnerOnly);
    }

    /// <summary>moby's local driver: `[a-zA-Z0-9][a-zA-Z0-9_.-]+` (at least two characters).</summary>
    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")]
    private static partial Regex NameRule();

    public static bool IsValidName(string name) => NameRule().IsMatch(name);

    /// <summary>Docker's error for a name the local driver refuses.</summary>
    public static string InvalidNameMessage(string name) =>
        $"create {name}: \"{name}\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. " +
        "If you intended to pass a host directory, use absolute path";

    /// <summary>A fresh anonymous name: 64 hex digits, as Docker's.</summary>
    public static string RandomName() => Convert.ToHexStringLower(KernelRandom.Bytes(32));

    public string PathOf(string name) => Path.Combine(Dir, name);

    /// <summary>Runs <paramref name="action"/> holding volumes/.lock.</summary>
    public T Locked<T>(Func<T> action)
    {
        using var held = FileLock.Exclusive(Path.Combine(Dir, ".lock"));
        return action();
    }

    /// <summary>
    /// The volume NAME, made if missing (Docker: creating an existing local volume returns it;
    /// different options or labels are not an error for the local driver). Null name: anonymous.
    /// Returns the volume and whether it was made now.
    /// </summary>
    public (Volume Volume, bool Created) Ensure(string? name, IReadOnlyDictionary<string, string>? labels = null,
        IReadOnlyDictionary<string, string>? options = null, string driver = "local")
    {
        if (driver != "local")
            throw new ContainerException($"create {name}: error looking up volume plugin {driver}: plugin {GoQuote.Quote(driver)} not found", 1);
        bool anonymous = name is null;
        name ??= RandomName();
        if (!IsValidName(name)) throw new ContainerException(InvalidNameMessage(name), 1);
        if (options is { Count: > 0 } && VolumeMounts.Validate(options) is { } refused)
            throw new ContainerException($"create {name}: {refused}", 1);
        return Locked(() =>
        {
            if (Find(name) is { } existing) return (existing, false);
            string dir = PathOf(name);
            Directory.CreateDirectory(dir, MiniRun.Security.StoreAccess.OwnerOnly);
            Directory.CreateDirectory(Path.Combine(dir, DataDir), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            var all = new Dictionary<string, string>(labels ?? new Dictionary<string, string>());
            if (anonymous) all[AnonymousLabel] = "";
            var v = new Volume
            {
                Name = name, Driver = driver, Labels = all, Options = new(options ?? new Dictionary<string, string>()),
                CreatedAt = DateTimeOffset.UtcNow, Mountpoint = Path.Combine(dir, DataDir),
            };
            Save(v);
            return (v, true);
        });
    }

    /// <summary>The volume NAME, or null.</summary>
    public Volume? Find(string name)
    {
        if (!IsValidName(name)) return null;
        string file = Path.Combine(PathOf(name), MetaFile);
        if (!File.Exists(file)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
            var r = doc.RootElement;
            return new Volume
            {
                Name = name,
                Driver = r.TryGetProperty("Driver", out var d) && d.GetString() is { } driver ? driver : "local",
                Labels = Map(r, "Labels"), Options = Map(r, "Options"),
                CreatedAt = r.TryGetProperty("CreatedAt", out var c) && c.TryGetDateTimeOffset(out var t) ? t : default,
                Mountpoint = Path.Combine(PathOf(name), DataDir),
            };
        }
        catch (JsonException e) { throw new ContainerException($"read {file}: {e.Message}", 1); }

        static Dictionary<string, string> Map(JsonElement r, string key)
        {
            var map = new Dictionary<string, string>();
            if (r.TryGetProperty(key, out var m) && m.ValueKind == JsonValueKind.Object)
                foreach (var p in m.EnumerateObject()) map[p.Name] = p.Value.GetString() ?? "";
            return map;
        }
    }

    /// <summary>Every volume, sorted by name.</summary>
    public List<Volume> List() =>
        Directory.EnumerateDirectories(Dir).Select(Path.GetFileName).Where(n => !n!.StartsWith('.'))
            .Select(n => Find(n!)).OfType<Volume>().OrderBy(v => v.Name, StringComparer.Ordinal).ToList();

    /// <summary>Deletes the volume's directory (the caller checked it is not in use, under <see cref="Locked"/>).</summary>
    public void Delete(string name)
    {
        string dir = PathOf(name), gone = Path.Combine(Dir, ".removing-" + name);
        // Never delete through a mount (a bind volume's _data is a host directory): callers unmount first.
        if (VolumeMounts.IsMounted(Path.Combine(dir, DataDir)))
            throw new ContainerException($"remove {name}: {Path.Combine(dir, DataDir)} is still mounted", 1);
        try { Directory.Move(dir, gone); }
        catch (DirectoryNotFoundException) { return; }
        MiniImage.Layers.TreeRemover.DeletePath(gone);   // names as bytes: a container may write any
    }

    /// <summary>Bytes of the files under the volume's _data (prune's "Total reclaimed space", `system df`).</summary>
    public static long SizeOf(Volume v) => DiskSize.Of(v.Mountpoint);

    private void Save(Volume v)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("Name", v.Name);
            w.WriteString("Driver", v.Driver);
            w.WriteString("CreatedAt", v.CreatedAt);
            w.WriteStartObject("Labels");
            foreach (var (k, val) in v.Labels) w.WriteString(k, val);
            w.WriteEndObject();
            w.WriteStartObject("Options");
            foreach (var (k, val) in v.Options) w.WriteString(k, val);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        string file = Path.Combine(PathOf(v.Name), MetaFile);
        File.WriteAllBytes(file + ".tmp", buffer.WrittenSpan.ToArray());
        File.Move(file + ".tmp", file, overwrite: true);
    }
}
