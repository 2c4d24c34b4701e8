// BuildCache: which image a build step made, keyed by what the step depended on, so a rebuild
// reuses it (" ---> Using cache") instead of running it again.
//
// Why: the classic builder's cache rule: a step is reused when its parent image and its
// instruction are unchanged - for RUN the instruction text after expansion with the build args
// it sees, for COPY/ADD also the content of every file it copies (CopySources.Digest), for
// COPY --from the source image. The first changed step misses, and every later step misses too
// because its parent is a new image. The key is sha256 over those parts; the value is the step's
// image ID, kept in ROOT/build-cache.json (replaced whole, atomically, under ROOT/build-cache.lock).
// An entry whose image was removed since (rmi, prune) is simply a miss; `system prune` drops such
// entries (every entry with -a), and `system df` counts them.
// Follows: Dockerfile reference "Leverage build cache" (docs.docker.com/build/cache/); moby
// builder/dockerfile/imageprobe.go (parent + config probe).
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MiniImage.Store;
using MiniRun.Containers;

namespace MiniRun.Build;

public sealed class BuildCache
{
    private readonly string _path;
    private readonly string _lockPath;
    private readonly Dictionary<string, string> _entries;

    public BuildCache(string root)
    {
        _path = Path.Combine(root, "build-cache.json");
        _lockPath = Path.Combine(root, "build-cache.lock");
        _entries = Read(_path);
    }

    /// <summary>sha256 of the parts, in order, each ended by a NUL.</summary>
    public static string Key(params string?[] parts)
    {
        var text = new StringBuilder();
        foreach (string? p in parts) text.Append(p ?? "").Append('\0');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>The cached step image for the key, if it is still in the store.</summary>
    public ImageSummary? Find(ImageStore images, string key) =>
        _entries.TryGetValue(key, out string? id) ? images.Resolve(id) : null;

    /// <summary>Records key -> image (merged with what other builds wrote meanwhile).</summary>
    public void Add(string key, string imageId)
    {
        _entries[key] = imageId;
        using var held = FileLock.Exclusive(_lockPath);
        var current = Read(_path);
        current[key] = imageId;
        Write(current);
    }

    /// <summary>How many steps are cached (`system df`'s Build Cache row).</summary>
    public int Count => _entries.Count;

    /// <summary>Drops the entries whose image <paramref name="keep"/> refuses (`system prune`); returns how many.</summary>
    public int Prune(Func<string, bool> keep)
    {
        if (!File.Exists(_path)) return 0;
        using var held = FileLock.Exclusive(_lockPath);
        var current = Read(_path);
        var gone = current.Where(kv => !keep(kv.Value)).Select(kv => kv.Key).ToList();
        if (gone.Count == 0) return 0;
        foreach (string key in gone) { current.Remove(key); _entries.Remove(key); }
        Write(current);
        return gone.Count;
    }

    /// <summary>Replaces build-cache.json whole (a temporary file renamed over it); the caller holds the lock.</summary>
    private void Write(Dictionary<string, string> entries)
    {
        string temp = _path + ".tmp-" + Environment.ProcessId;
        File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(entries, BuildCacheJson.Default.DictionaryStringString));
        File.Move(temp, _path, overwrite: true);
    }

    private static Dictionary<string, string> Read(string path)
    {
        try { return JsonSerializer.Deserialize(File.ReadAllBytes(path), BuildCacheJson.Default.DictionaryStringString) ?? new(); }
        catch (FileNotFoundException) { return new(); }
        catch (JsonException) { return new(); }   // a damaged index only costs a rebuild
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class BuildCacheJson : System.Text.Json.Serialization.JsonSerializerContext
{
}
