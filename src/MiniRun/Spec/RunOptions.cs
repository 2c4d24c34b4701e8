// RunOptions: the parsed flags of `minirun run`, before anything is looked up or merged.
//
// Why: the CLI only parses; SpecGenerator applies Docker's rules to these values plus the image
// config. Keeping the raw values (null = flag not given) matters because Docker distinguishes
// "not given" from "given empty" (e.g. `--entrypoint ""` clears the image entrypoint).
//
// Follows: docker-run(1) / `docker run --help` for the flag names and meanings.
namespace MiniRun.Spec;

public sealed class RunOptions
{
    /// <summary>--rm: remove the container when it exits.</summary>
    public bool Rm { get; set; }
    /// <summary>-i: keep stdin open.</summary>
    public bool Interactive { get; set; }
    /// <summary>-t: allocate a pseudo-terminal (spec process.terminal, TERM=xterm).</summary>
    public bool Tty { get; set; }
    /// <summary>--name; null = generate one.</summary>
    public string? Name { get; set; }
    /// <summary>--hostname; null or empty = the first 12 hex digits of the container ID.</summary>
    public string? Hostname { get; set; }
    /// <summary>-e values in command-line order: "K=V", or "K" to take K from the calling environment.</summary>
    public List<string> Env { get; set; } = new();
    /// <summary>--env-file paths in command-line order.</summary>
    public List<string> EnvFiles { get; set; } = new();
    /// <summary>--label/-l values in command-line order: "K=V", or "K" for an empty value.</summary>
    public List<string> Labels { get; set; } = new();
    /// <summary>--label-file paths in command-line order.</summary>
    public List<string> LabelFiles { get; set; } = new();
    /// <summary>-w; null or empty = the image's WorkingDir, else "/".</summary>
    public string? Workdir { get; set; }
    /// <summary>-u USER[:GROUP]; null or empty = the image's User, else root.</summary>
    public string? User { get; set; }
    /// <summary>--entrypoint: null = not given (use the image's); "" = clear the image's entrypoint.</summary>
    public string? Entrypoint { get; set; }
    /// <summary>The image reference as typed.</summary>
    public string Image { get; set; } = "";
    /// <summary>COMMAND [ARG...] after the image; empty = the image's Cmd.</summary>
    public List<string> Command { get; set; } = new();
    /// <summary>Size of the calling terminal, used for process.consoleSize when -t is given.</summary>
    public uint? ConsoleWidth { get; set; }
    public uint? ConsoleHeight { get; set; }

    /// <summary>--pull: missing (default), always or never.</summary>
    public string Pull { get; set; } = "missing";

    /// <summary>Resource flags (--memory, --cpus, ...) as typed; parsed by Cgroups.ResourceFlags.</summary>
    public MiniRun.Cgroups.ResourceFlagValues Resources { get; set; } = new();

    /// <summary>--init: `minirun init` stays the container's PID 1, reaps zombies and forwards signals to the command.</summary>
    public bool Init { get; set; }

    /// <summary>--health-* and --no-healthcheck as typed (merged with the image's Healthcheck when the container is made).</summary>
    public MiniRun.Health.HealthFlagValues Health { get; set; } = new();

    /// <summary>--cgroup-parent: the cgroup under which the container's own cgroup is made (default "minirun").</summary>
    public string? CgroupParent { get; set; }

    /// <summary>--userns: "remap", "host", or null (not given: daemon.json decides; Security/UsernsRemap.cs).</summary>
    public string? Userns { get; set; }
    /// <summary>--device HOST[:CONTAINER[:rwm]] as typed (Security/DevicePolicy.cs).</summary>
    public List<string> Devices { get; set; } = new();
    /// <summary>--read-only: the root filesystem is mounted read-only.</summary>
    public bool ReadOnly { get; set; }
    /// <summary>--tmpfs PATH[:OPTS] as typed (Security/TmpfsMounts.cs).</summary>
    public List<string> Tmpfs { get; set; } = new();
    /// <summary>--ulimit NAME=SOFT[:HARD] as typed (Security/Ulimits.cs).</summary>
    public List<string> Ulimits { get; set; } = new();
    /// <summary>--sysctl KEY=VALUE as typed (Security/Sysctls.cs).</summary>
    public List<string> Sysctls { get; set; } = new();
    /// <summary>--group-add GROUP: names or numbers, resolved in the container's /etc/group when it starts.</summary>
    public List<string> GroupAdd { get; set; } = new();
    /// <summary>--cap-add / --cap-drop as typed (checked and applied by Security/CapabilityPolicy.cs).</summary>
    public List<string> CapAdd { get; set; } = new();
    public List<string> CapDrop { get; set; } = new();
    /// <summary>--privileged: every capability, no seccomp, no masked paths, every host device (Docker's meaning).</summary>
    public bool Privileged { get; set; }
    /// <summary>--security-opt values as recorded (a seccomp=FILE already replaced by its JSON: Security/SecurityOptions.cs).</summary>
    public List<string> SecurityOpt { get; set; } = new();

    /// <summary>-v/--volume as typed (Volumes/MountFlags.cs parses, Volumes/ContainerMounts.cs mounts).</summary>
    public List<string> Volumes { get; set; } = new();
    /// <summary>--mount as typed.</summary>
    public List<string> Mounts { get; set; } = new();
    /// <summary>--volumes-from CONTAINER[:ro|rw] as typed.</summary>
    public List<string> VolumesFrom { get; set; } = new();

    /// <summary>--network / --net: null = the default (daemon.json: bridge, or none), "none", "host", "bridge", "container:NAME", a user network.</summary>
    public string? Network { get; set; }
    /// <summary>-p / --publish as typed (Network/PortSpec.cs).</summary>
    public List<string> Publish { get; set; } = new();
    /// <summary>-P / --publish-all: every EXPOSEd port to an ephemeral host port.</summary>
    public bool PublishAll { get; set; }
    /// <summary>--network-alias: extra names on a user network.</summary>
    public List<string> NetworkAliases { get; set; } = new();
    /// <summary>--ip: the IPv4 address on a user network.</summary>
    public string? Ip { get; set; }
    /// <summary>--dns, --dns-search, --dns-option: resolv.conf lines.</summary>
    public List<string> Dns { get; set; } = new();
    public List<string> DnsSearch { get; set; } = new();
    public List<string> DnsOptions { get; set; } = new();
    /// <summary>The signal `stop` sends (compose's stop_signal); null = the image's StopSignal, else SIGTERM.</summary>
    public string? StopSignal { get; set; }
    /// <summary>Seconds `stop` waits before SIGKILL (compose's stop_grace_period); null = 10.</summary>
    public int? StopTimeout { get; set; }
    /// <summary>--add-host NAME:IP as typed.</summary>
    public List<string> AddHosts { get; set; } = new();
}
