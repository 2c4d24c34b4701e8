// SecurityOptions: `--security-opt` values, parsed and checked as Docker does, kept in the
// container's record exactly as Docker keeps them (HostConfig.SecurityOpt).
//
// What each option means:
//   no-new-privileges[=true|false]  process.noNewPrivileges: no execve can gain privileges any
//                                   more (setuid bits and file capabilities are ignored)
//   seccomp=unconfined              no seccomp filter at all
//   seccomp=builtin                 the default profile (what no option gives)
//   seccomp=FILE                    a profile in Docker's format (Security/SeccompPolicy.cs); as
//                                   the docker CLI does, the file is read when the flag is parsed
//                                   and its compacted JSON is what is recorded: "seccomp={...}"
//   apparmor=PROFILE|unconfined     parsed and recorded; Security/AppArmor.cs checks the host has
//                                   AppArmor and the profile is loaded, or confines nothing
//   label=...                       SELinux labels: refused by name (MiniRun has no SELinux support)
// "KEY:VALUE" is accepted as the old spelling of "KEY=VALUE", as Docker still accepts it.
//
// Why here: the CLI only collects the strings; these are the checks and the meaning, so `run`
// and `create` give the same one-line errors (exit 125) before anything exists.
//
// Follows: docker-run(1) "--security-opt"; the docker CLI's parseSecurityOpts (file read,
// compacted JSON) and moby's parseSecurityOpt (keys, ParseBool, the error wording).
using System.Text.Json;
using MiniRun.Spec;

namespace MiniRun.Security;

public sealed record SecurityOptions
{
    /// <summary>The options as recorded (HostConfig.SecurityOpt): a seccomp file is replaced by its JSON.</summary>
    public IReadOnlyList<string> Recorded { get; init; } = [];
    public bool NoNewPrivileges { get; init; }
    /// <summary>Null: the default profile; "unconfined": none; otherwise a profile's JSON text.</summary>
    public string? Seccomp { get; init; }
    public bool SeccompUnconfined => Seccomp == Unconfined;
    /// <summary>apparmor=VALUE as given (a profile name or "unconfined"); null when absent.</summary>
    public string? AppArmor { get; init; }

    public const string Unconfined = "unconfined";

    /// <summary>
    /// Parses the values of --security-opt; <paramref name="readFile"/> reads a seccomp profile
    /// (the real file system by default). RunConfigException with Docker's wording on a bad value.
    /// </summary>
    public static SecurityOptions Parse(IEnumerable<string> values, Func<string, string>? readFile = null)
    {
        readFile ??= File.ReadAllText;
        bool nnp = false;
        string? seccomp = null, apparmor = null;
        var recorded = new List<string>();
        foreach (string opt in values)
        {
            if (opt == "no-new-privileges") { nnp = true; recorded.Add(opt); continue; }
            int eq = opt.IndexOf('='), colon = opt.IndexOf(':');
            int cut = eq >= 0 ? eq : colon;
            if (cut <= 0 || cut == opt.Length - 1)
                throw new RunConfigException($"Invalid --security-opt: {GoQuote.Quote(opt)}");
            string key = opt[..cut], value = opt[(cut + 1)..];
            switch (key)
            {
                case "no-new-privileges":
                    nnp = value.ToLowerInvariant() switch
                    {
                        "1" or "t" or "true" => true,
                        "0" or "f" or "false" => false,
                        _ => throw new RunConfigException($"invalid --security-opt 2: {GoQuote.Quote(opt)}"),
                    };
                    recorded.Add(opt);
                    break;
                case "seccomp":
                    if (value is Unconfined or "builtin")
                    {
                        seccomp = value == Unconfined ? Unconfined : null;
                        recorded.Add($"seccomp={value}");
                        break;
                    }
                    string json = value.TrimStart().StartsWith('{') ? value : ReadProfile(value, readFile);
                    seccomp = json;
                    recorded.Add("seccomp=" + json);
                    break;
                case "apparmor":
                    apparmor = value;   // checked against the host by Security/AppArmor.cs (enabled, profile loaded)
                    recorded.Add(opt);
                    break;
                case "label":
                    throw new RunConfigException($"--security-opt {opt}: SELinux labels are not supported by MiniRun");
                default:
                    throw new RunConfigException($"invalid --security-opt 2: {GoQuote.Quote(opt)}");
            }
        }
        return new SecurityOptions { Recorded = recorded, NoNewPrivileges = nnp, Seccomp = seccomp, AppArmor = apparmor };
    }

    /// <summary>Reads a profile file and compacts its JSON, as the docker CLI sends it.</summary>
    private static string ReadProfile(string path, Func<string, string> readFile)
    {
        string text;
        try { text = readFile(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RunConfigException($"opening seccomp profile ({path}) failed: {e.Message}");
        }
        try
        {
            using var doc = JsonDocument.Parse(text);
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer)) doc.WriteTo(w);
            return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
        }
        catch (JsonException e)
        {
            throw new RunConfigException($"compacting json for seccomp profile ({path}) failed: {e.Message}");
        }
    }
}
