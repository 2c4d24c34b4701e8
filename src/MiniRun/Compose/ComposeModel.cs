// ComposeModel: the resolved project - its name and directory, the services in file order, the
// networks and volumes - as the commands use it.
//
// Why a model apart from the tree: each service becomes the RunOptions `minirun run` would get
// from its flags (ComposeServiceMapper), so a compose container is made and started by the same
// engine path as any other. What stays compose's own is here: the names Compose gives
// (`<project>_default`, `<project>_<volume>`, `<project>-<service>-1`), its labels, depends_on, and
// the config hash that tells `up` whether a service changed.
//
// Follows: compose-spec 05-services.md, 06-networks.md, 07-volumes.md; docker compose's labels
// (com.docker.compose.project, .service, .container-number, .config-hash, .oneoff, .network, .volume).
namespace MiniRun.Compose;

public static class ComposeLabels
{
    public const string Project = "com.docker.compose.project", Service = "com.docker.compose.service",
        Number = "com.docker.compose.container-number", ConfigHash = "com.docker.compose.config-hash",
        OneOff = "com.docker.compose.oneoff", WorkingDir = "com.docker.compose.project.working_dir",
        ConfigFiles = "com.docker.compose.project.config_files", Network = "com.docker.compose.network",
        Volume = "com.docker.compose.volume", DependsOn = "com.docker.compose.depends_on", Image = "com.docker.compose.image";
}

public sealed record ComposeDependency(string Service, string Condition, bool Required, bool Restart);

public sealed record ComposeServiceNetwork(string Key, IReadOnlyList<string> Aliases, string? Ipv4);

public sealed class ComposeService
{
    public required string Name { get; init; }
    /// <summary>The service's resolved tree (for `config` and the hash).</summary>
    public required ComposeNode Node { get; init; }
    public string? Image { get; set; }
    public ComposeBuild? Build { get; set; }
    public string? ContainerName { get; set; }
    public List<ComposeDependency> DependsOn { get; } = new();
    public List<string> Profiles { get; } = new();
    /// <summary>The networks (top-level keys) in the order the container joins them; empty with network_mode.</summary>
    public List<ComposeServiceNetwork> Networks { get; } = new();
    /// <summary>Named volumes used (top-level keys).</summary>
    public List<string> VolumeKeys { get; } = new();
    public string? NetworkMode { get; set; }
    public string Restart { get; set; } = "no";
    public string PullPolicy { get; set; } = "missing";
    /// <summary>The run flags; Name, Network, aliases and labels are filled in per container (ComposeServiceMapper.ForContainer).</summary>
    public required MiniRun.Spec.RunOptions Options { get; init; }
    /// <summary>Published ports as (host IP, host port, protocol), for the conflict check.</summary>
    public List<(string Ip, int Port, string Protocol)> HostPorts { get; } = new();
    public string ConfigHash { get; set; } = "";
    public bool HasHealthcheck { get; set; }

    /// <summary>The image the container runs: image:, else `<project>-<service>` for a built one.</summary>
    public string ImageName(string project) => Image ?? $"{project}-{Name}";

    public string ContainerNameIn(string project, int number = 1) => ContainerName ?? $"{project}-{Name}-{number}";
}

public sealed record ComposeBuild(string Context, string? Dockerfile, IReadOnlyList<KeyValuePair<string, string>> Args, string? Target,
    IReadOnlyList<KeyValuePair<string, string>> Labels, bool NoCache, bool Pull, string? Network);

public sealed record ComposeNetwork(string Key, string Name, bool External, string Driver, string? Subnet, string? Gateway, bool Internal,
    IReadOnlyDictionary<string, string> Labels);

public sealed record ComposeVolume(string Key, string Name, bool External, string Driver, IReadOnlyDictionary<string, string> Options,
    IReadOnlyDictionary<string, string> Labels);

public sealed class ComposeProject
{
    public required string Name { get; init; }
    public required string WorkingDir { get; init; }
    public required IReadOnlyList<string> ConfigFiles { get; init; }
    public required ComposeNode Root { get; init; }
    public List<ComposeService> Services { get; } = new();
    public Dictionary<string, ComposeNetwork> Networks { get; } = new();
    public Dictionary<string, ComposeVolume> Volumes { get; } = new();
    public List<string> Warnings { get; } = new();
    /// <summary>Profiles switched on (--profile, COMPOSE_PROFILES).</summary>
    public HashSet<string> ActiveProfiles { get; init; } = new();

    public ComposeService Service(string name) =>
        Services.FirstOrDefault(s => s.Name == name) ?? throw new ComposeException($"no such service: {name}");

    /// <summary>Services whose profiles are active (or that have none).</summary>
    public IEnumerable<ComposeService> Enabled => Services.Where(IsEnabled);

    public bool IsEnabled(ComposeService s) => s.Profiles.Count == 0 || s.Profiles.Any(ActiveProfiles.Contains) || ActiveProfiles.Contains("*");
}
