// ContainerRecord: what MiniRun remembers about one container (container.json in its directory).
//
// Why: `ps -a`, `rm` and later `inspect`, `start` and `logs` need the container's name, image,
// command, creation time and last known state after `run` has returned. The OCI bundle
// (config.json) says how to create the container; this file says what happened to it.
// State follows runtime-spec's names (created, running, stopped) and Docker's display
// ("Exited (0) 5 seconds ago").
//
// The file is read and written by hand (ContainerRecordReader, ContainerRecordWriter), not
// by JsonSerializer: `run` and its supervisor load and save it several times per container, each
// in a fresh NativeAOT process, and the serializer's one-time metadata setup for these types was
// about a quarter of `run`'s CPU. The bytes are the serializer's (ContainerJsonContext below stays
// as the reference ContainerRecordJsonTests compares against), so records on disk stay readable.
//
// Follows: runtime-spec runtime.md "State"; Docker's `ps` columns.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MiniRun.Containers;

public sealed class ContainerRecord
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    /// <summary>The image as the user typed it (the IMAGE column of ps).</summary>
    public string Image { get; set; } = "";
    public string ImageId { get; set; } = "";
    /// <summary>The command as run: entrypoint and cmd (the COMMAND column of ps).</summary>
    public List<string> Command { get; set; } = new();
    public DateTimeOffset Created { get; set; }
    public bool AutoRemove { get; set; }
    public ContainerState State { get; set; } = new();
    /// <summary>How it was asked to run (docker inspect's Config): what `start` and `restart` need again.</summary>
    public ContainerRecordConfig Config { get; set; } = new();
    /// <summary>How the host runs it (docker inspect's HostConfig): restart policy, limits, init.</summary>
    public ContainerRecordHostConfig HostConfig { get; set; } = new();
    /// <summary>Times the restart policy (or `restart`) started the container again.</summary>
    public int RestartCount { get; set; }
    /// <summary>The json-file log: containers/ID/container.log (one JSON object per line).</summary>
    public string LogPath { get; set; } = "";

    /// <summary>Reads container.json; throws JsonException (malformed) or InvalidDataException (empty or null), naming the file.</summary>
    public static ContainerRecord Load(string path)
    {
        byte[] json = File.ReadAllBytes(path);
        try { return ContainerRecordReader.Read(json); }
        catch (InvalidDataException e) { throw new InvalidDataException($"read {path}: {e.Message}", e); }
        catch (JsonException e) { throw new JsonException($"read {path}: {e.Message}", e); }
    }

    public void Save(string path)
    {
        string tmp = path + ".tmp";
        File.WriteAllBytes(tmp, ContainerRecordWriter.Write(this));
        File.Move(tmp, path, overwrite: true);   // rename(2) is atomic: readers see the old or the new file
    }
}

public sealed class ContainerState
{
    /// <summary>Docker's status names: created, running, paused, restarting, exited, dead.</summary>
    public string Status { get; set; } = ContainerStatus.Created;
    public int Pid { get; set; }
    /// <summary>Field 22 of /proc/PID/stat when started: tells a reused pid from ours.</summary>
    public ulong PidStartTime { get; set; }
    public int ExitCode { get; set; }
    public string? Error { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    /// <summary>memory.events oom_kill rose while it ran: the kernel's OOM killer ended it.</summary>
    public bool OOMKilled { get; set; }
    /// <summary>`stop`/`kill` by a user: the restart policy must not undo it (cleared by `start`).</summary>
    public bool ManuallyStopped { get; set; }
    /// <summary>The supervisor process (`minirun supervise`) and its start time; 0 when none.</summary>
    public int SupervisorPid { get; set; }
    public ulong SupervisorStartTime { get; set; }
    /// <summary>The container's cgroup relative to the cgroup2 mount (e.g. minirun/ID); null without one.</summary>
    public string? CgroupPath { get; set; }
    public HealthState? Health { get; set; }
}

/// <summary>Docker's container status names (inspect's State.Status).</summary>
public static class ContainerStatus
{
    public const string Created = "created", Running = "running", Paused = "paused",
        Restarting = "restarting", Exited = "exited", Dead = "dead";
}

public sealed class ContainerRecordConfig
{
    public string Hostname { get; set; } = "";
    public string User { get; set; } = "";
    public bool Tty { get; set; }
    public bool OpenStdin { get; set; }
    public List<string> Env { get; set; } = new();
    /// <summary>The process args as run (Path = Args[0] in inspect).</summary>
    public List<string> Cmd { get; set; } = new();
    public List<string>? Entrypoint { get; set; }
    public string WorkingDir { get; set; } = "";
    public string? StopSignal { get; set; }
    public int? StopTimeout { get; set; }
    public Dictionary<string, string> Labels { get; set; } = new();
    public HealthConfig? Healthcheck { get; set; }
}

public sealed class ContainerRecordHostConfig
{
    public RestartPolicy RestartPolicy { get; set; } = new();
    public bool AutoRemove { get; set; }
    /// <summary>--init: `minirun init` stays PID 1, reaps zombies and forwards signals.</summary>
    public bool Init { get; set; }
    public string? CgroupParent { get; set; }
    /// <summary>--userns: "remap" (a user namespace, Security/UsernsRemap.cs), "host" (asked for none), "" (the default: none).</summary>
    public string UsernsMode { get; set; } = "";
    /// <summary>Resource flags as typed (re-applied when the container starts again).</summary>
    public MiniRun.Cgroups.ResourceFlagValues Resources { get; set; } = new();
    // --privileged, --device, --read-only, --tmpfs, --ulimit, --sysctl, --group-add in Docker's
    // names and shapes (Security/SecuritySpec.cs fills them, Security/SecurityHostConfigJson.cs writes them).
    public bool Privileged { get; set; }
    public bool ReadonlyRootfs { get; set; }
    public List<MiniRun.Security.DeviceMapping> Devices { get; set; } = new();
    public Dictionary<string, string> Tmpfs { get; set; } = new();
    public List<MiniRun.Security.Ulimit> Ulimits { get; set; } = new();
    public Dictionary<string, string> Sysctls { get; set; } = new();
    public List<string> GroupAdd { get; set; } = new();
    /// <summary>--cap-add / --cap-drop as typed; null when not given (Docker's inspect shows null).</summary>
    public List<string>? CapAdd { get; set; }
    public List<string>? CapDrop { get; set; }
    /// <summary>--security-opt as recorded (seccomp=FILE replaced by the profile's JSON, as Docker does).</summary>
    public List<string>? SecurityOpt { get; set; }
}

public sealed class RestartPolicy
{
    /// <summary>no, on-failure, always, unless-stopped.</summary>
    public string Name { get; set; } = "no";
    public int MaximumRetryCount { get; set; }
}

/// <summary>--health-* flags or the image's Healthcheck; durations in nanoseconds as Docker stores them.</summary>
public sealed class HealthConfig
{
    public List<string> Test { get; set; } = new();
    public long Interval { get; set; }
    public long Timeout { get; set; }
    public long StartPeriod { get; set; }
    public int Retries { get; set; }
}

public sealed class HealthState
{
    /// <summary>starting, healthy, unhealthy.</summary>
    public string Status { get; set; } = "starting";
    public int FailingStreak { get; set; }
    public List<HealthResult> Log { get; set; } = new();
}

public sealed class HealthResult
{
    public DateTimeOffset Start { get; set; }
    public DateTimeOffset End { get; set; }
    public int ExitCode { get; set; }
    public string Output { get; set; } = "";
}

/// <summary>
/// Not used by MiniRun itself any more (ContainerRecordReader and ContainerRecordWriter read and write
/// the record): kept as the reference whose output ContainerRecordJsonTests requires them to match byte for byte.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(ContainerRecord))]
internal sealed partial class ContainerJsonContext : JsonSerializerContext
{
}
