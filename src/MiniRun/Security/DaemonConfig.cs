// DaemonConfig: MiniRun's machine-wide defaults, /etc/minirun/daemon.json, in the format and with
// the key names of Docker's /etc/docker/daemon.json. Read: "userns-remap".
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
// Other keys are left alone (a file shared with Docker's keys stays valid); a key MiniRun reads
// with the wrong type is an error naming the file.
//
// Follows: dockerd(8) "--userns-remap" and "Daemon configuration file".
using System.Text.Json;

namespace MiniRun.Security;

public sealed record DaemonConfig(string UsernsRemap)
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
            if (!doc.RootElement.TryGetProperty("userns-remap", out var remap) || remap.ValueKind == JsonValueKind.Null) return Empty;
            if (remap.ValueKind != JsonValueKind.String)
                throw new FormatException($"{path}: \"userns-remap\" must be a string (\"default\", a user name, or \"\")");
            return new DaemonConfig(remap.GetString()!.Trim());
        }
        catch (JsonException e)
        {
            throw new FormatException($"{path}: not valid JSON: {e.Message}", e);
        }
    }
}
