// DockerConfigCredentialStore: registry credentials in Docker's config.json format,
//   {"auths":{"localhost:5000":{"auth":"<base64 of user:password>"}}}
// MiniRun writes its own file (default $HOME/.minirun/config.json, or $MINIRUN_CONFIG/config.json)
// and also reads Docker's ($DOCKER_CONFIG/config.json or $HOME/.docker/config.json), so a
// `docker login` done earlier works for `minirun pull` too.
//
// Why: students already use `docker login`; the same format means the same mental model and lets
// either tool read the other's entries. MiniRun never edits Docker's file. The file holds passwords
// in base64 (not encrypted, like Docker's without a helper), so it is created 0600 in a 0700
// directory and replaced atomically (write a temporary file, fsync, rename(2)) so a crash never
// leaves half a file, and keys MiniRun does not know are kept.
// External credential helpers (credsStore/credHelpers) are not run: MiniRun only reports them.
// Follows: docker-login(1) / docker-config-json(5) ("auths", "credsStore", "credHelpers"; Docker
// Hub's key "https://index.docker.io/v1/"); rename(2) atomic replacement.
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MiniImage.Registry;

public sealed class DockerConfigCredentialStore : ICredentialStore
{
    private const UnixFileMode PrivateFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private static readonly Lock WriteLock = new();

    /// <summary>The file MiniRun reads first and writes.</summary>
    public string MinirunConfigPath { get; }
    /// <summary>Docker's file, only read.</summary>
    public string DockerConfigPath { get; }

    public DockerConfigCredentialStore(string? minirunConfigPath = null, string? dockerConfigPath = null)
    {
        MinirunConfigPath = minirunConfigPath ?? DefaultPath("MINIRUN_CONFIG", ".minirun");
        DockerConfigPath = dockerConfigPath ?? DefaultPath("DOCKER_CONFIG", ".docker");
    }

    private static string DefaultPath(string variable, string homeDirectory)
    {
        if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } dir) return Path.Combine(dir, "config.json");
        string home = Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(home, homeDirectory, "config.json");
    }

    public Credential? Get(string registry)
    {
        string wanted = RegistryHosts.Normalize(registry);
        return FindIn(MinirunConfigPath, wanted) ?? FindIn(DockerConfigPath, wanted);
    }

    public void Save(string registry, Credential credential)
    {
        ArgumentNullException.ThrowIfNull(credential);
        if (credential.Username.Contains(':'))
            throw new RegistryException($"save credentials for {registry}: the user name must not contain ':'");
        string wanted = RegistryHosts.Normalize(registry);
        string key = wanted == RegistryHosts.DockerHub ? RegistryHosts.DockerHubConfigKey : wanted;
        lock (WriteLock)
        {
            var root = ReadObject(MinirunConfigPath) ?? new JsonObject();
            var auths = AuthsOf(root, MinirunConfigPath, create: true)!;
            foreach (string old in auths.Select(p => p.Key).Where(k => RegistryHosts.Normalize(k) == wanted).ToList())
                auths.Remove(old);
            string encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credential.Username}:{credential.Secret}"));
            auths[key] = new JsonObject { ["auth"] = encoded };
            WriteAtomically(MinirunConfigPath, root);
        }
    }

    /// <summary>Removes the registry's entries from MiniRun's file (Docker's file is never edited).</summary>
    public bool Remove(string registry)
    {
        string wanted = RegistryHosts.Normalize(registry);
        lock (WriteLock)
        {
            var root = ReadObject(MinirunConfigPath);
            if (root is null || AuthsOf(root, MinirunConfigPath, create: false) is not { } auths) return false;
            var keys = auths.Select(p => p.Key).Where(k => RegistryHosts.Normalize(k) == wanted).ToList();
            if (keys.Count == 0) return false;
            foreach (string k in keys) auths.Remove(k);
            WriteAtomically(MinirunConfigPath, root);
            return true;
        }
    }

    /// <summary>Names Docker's credential helper for the registry when Docker's file configures one
    /// (credHelpers entry or credsStore) and no plain "auth" entry exists for it anywhere.</summary>
    public string? UnsupportedHelperFor(string registry)
    {
        string wanted = RegistryHosts.Normalize(registry);
        if (Get(registry) is not null) return null;
        JsonObject? root;
        try { root = ReadObject(DockerConfigPath); }
        catch (RegistryException) { return null; }
        if (root is null) return null;

        string? helper = null;
        if (root["credHelpers"] is JsonObject helpers)
            helper = helpers.Where(p => RegistryHosts.Normalize(p.Key) == wanted).Select(p => StringOf(p.Value)).FirstOrDefault(h => h is not null);
        helper ??= StringOf(root["credsStore"]);
        return string.IsNullOrEmpty(helper) ? null
            : $"{DockerConfigPath} keeps credentials in the credential helper docker-credential-{helper}, which MiniRun does not run; use 'minirun login {registry}'";
    }

    private static string? StringOf(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static Credential? FindIn(string path, string wanted)
    {
        var root = ReadObject(path);
        if (root is null || AuthsOf(root, path, create: false) is not { } auths) return null;
        // Prefer an exact key over one that only normalises to the registry.
        foreach (var (key, value) in auths.OrderBy(p => p.Key == wanted ? 0 : 1))
        {
            if (RegistryHosts.Normalize(key) != wanted || value is not JsonObject entry) continue;
            if (StringOf(entry["auth"]) is { Length: > 0 } auth)
            {
                string decoded;
                try { decoded = Encoding.UTF8.GetString(Convert.FromBase64String(auth)); }
                catch (FormatException) { throw new RegistryException($"read credentials {path}: \"auths\".{GoQuote.Quote(key)}.\"auth\" is not base64"); }
                int colon = decoded.IndexOf(':');
                if (colon <= 0) throw new RegistryException($"read credentials {path}: \"auths\".{GoQuote.Quote(key)}.\"auth\" is not base64 of user:password");
                return new Credential(decoded[..colon], decoded[(colon + 1)..]);
            }
            if (StringOf(entry["username"]) is { Length: > 0 } user && StringOf(entry["password"]) is { } password)
                return new Credential(user, password);
        }
        return null;
    }

    private static JsonObject? AuthsOf(JsonObject root, string path, bool create)
    {
        JsonNode? node = root["auths"];
        if (node is JsonObject auths) return auths;
        if (node is not null) throw new RegistryException($"read credentials {path}: \"auths\" is not a JSON object");
        if (!create) return null;
        auths = new JsonObject();
        root["auths"] = auths;
        return auths;
    }

    /// <summary>The file's JSON object, or null when the file does not exist (or is empty).</summary>
    private static JsonObject? ReadObject(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RegistryException($"read credentials {path}: {e.Message}", inner: e);
        }
        if (string.IsNullOrWhiteSpace(text)) return null;
        try
        {
            return JsonNode.Parse(text) as JsonObject
                   ?? throw new RegistryException($"read credentials {path}: not a JSON object");
        }
        catch (JsonException e)
        {
            throw new RegistryException($"read credentials {path}: invalid JSON: {e.Message}", inner: e);
        }
    }

    private static void WriteAtomically(string path, JsonObject root)
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(dir)) Directory.CreateDirectory(dir, DirectoryMode);
        string temp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, new FileStreamOptions
                   { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = PrivateFileMode }))
            {
                File.SetUnixFileMode(stream.SafeFileHandle, PrivateFileMode);   // whatever the umask did
                using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
                    root.WriteTo(writer);
                stream.WriteByte((byte)'\n');
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw new RegistryException($"save credentials {path}: {e.Message}", inner: e);
        }
    }
}
