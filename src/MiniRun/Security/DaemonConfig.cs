// DaemonConfig: MiniRun's machine-wide defaults, /etc/minirun/daemon.json, in the format and with
// the key names of Docker's /etc/docker/daemon.json. Read: "userns-remap", "bridge", "bip".
//
// Why: Docker turns user namespaces on for every container with one setting of the daemon
// ("userns-remap": "default"); the course's instructions say so. MiniRun has no daemon, so each
// command that creates a container reads the same file and key. A file (not an environment
// variable) because the setting belongs to the machine, not to one shell: `sudo` drops most of
// the caller's environment, and a restart at boot (`minirun boot`) has none. MINIRUN_DAEMON_CONFIG
// names another file (tests, or trying it out without touching /etc).
//   "userns-remap": ""          off (also when the file or the key is absent)
//   "userns-remap": "default"   remap to user "minirun", created with its ranges when absent
//   "userns-remap": "NAME"      remap to an existing user NAME with ranges in /etc/subuid and /etc/subgid
//   "bridge": "none"            no default bridge network: containers without --network get none
//                               (the test suite's setting outside its own network namespaces)
//   "bridge": "NAME"            the default bridge's interface name (default minirun0)
//   "bip": "172.17.0.1/16"      the default bridge's gateway address and prefix (Network/NetworkStore.cs)
// Other keys are left alone (a file shared with Docker's keys stays valid); a key MiniRun reads
// with the wrong type is an error naming the file.
//
// Follows: dockerd(8) "--userns-remap" and "Daemon configuration file".
using System.Text.Json;

namespace MiniRun.Security;

public sealed record DaemonConfig(string UsernsRemap, string? Bridge = null, string? Bip = null)
{
    public const string DefaultPath = "/etc/minirun/daemon.json";
    public const string PathVariable = "MINIRUN_DAEMON_CONFIG";

    public static DaemonConfig Empty { get; } = new("");

    /// <summary>The file MINIRUN_DAEMON_CONFIG names, else /etc/minirun/daemon.json.</summary>
    public static string FilePath => Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } p ? p : DefaultPath;

    public static DaemonConfig Load() => Load(FilePath);

    public static DaemonConfig Load(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (FileNotFoundException) { return Empty; }
        catch (DirectoryNotFoundException) { return Empty; }
        return Parse(text, path);
    }

    public static DaemonConfig Parse(string text, string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new FormatException($"{path}: the configuration must be a JSON object");
            string remap = Text(doc.RootElement, "userns-remap", path, "\"default\", a user name, or \"\"") ?? "";
            string? bridge = Text(doc.RootElement, "bridge", path, "\"none\" or an interface name");
            string? bip = Text(doc.RootElement, "bip", path, "an address with its prefix, e.g. \"172.17.0.1/16\"");
            if (bridge is { Length: > 15 })
                throw new FormatException($"{path}: \"bridge\": {GoQuote.Quote(bridge)} is longer than an interface name may be (15)");
            if (!string.IsNullOrEmpty(bip) && !IsAddressWithPrefix(bip))
                throw new FormatException($"{path}: \"bip\": {GoQuote.Quote(bip)} is not an IPv4 address with a prefix (172.17.0.1/16)");
            return new DaemonConfig(remap, bridge, bip);
        }
        catch (JsonException e)
        {
            throw new FormatException($"{path}: not valid JSON: {e.Message}", e);
        }
    }

    private static bool IsAddressWithPrefix(string s)
    {
        int slash = s.IndexOf('/');
        return slash > 0 && System.Net.IPAddress.TryParse(s[..slash], out var a) &&
               a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork &&
               int.TryParse(s[(slash + 1)..], out int prefix) && prefix is >= 8 and <= 30;
    }

    /// <summary>A string key, trimmed; null when absent or null; any other type is an error naming the file.</summary>
    private static string? Text(JsonElement root, string key, string path, string expected)
    {
        if (!root.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.String)
            throw new FormatException($"{path}: {GoQuote.Quote(key)} must be a string ({expected})");
        return v.GetString()!.Trim();
    }
}
