// RuntimeSpec: the OCI runtime-spec config.json, the contract between `run` and the part of
// MiniRun that creates a container.
//
// Why: `run` turns an image config plus command-line flags into this document and writes it into
// the container's bundle directory; the creating code (parent stage and `minirun init`) reads only
// this, never the flags. That split is what lets engines (podman, containerd) drive MiniRun later
// through the OCI runtime verbs: they hand over a bundle exactly like this one.
//
// Follows: OCI runtime-spec v1.2 config.md and config-linux.md (field names and JSON shapes).
// Only the fields MiniRun acts on are modelled; unknown fields are ignored when reading.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MiniRun.Spec;

public sealed class RuntimeSpec
{
    [JsonPropertyName("ociVersion")] public string OciVersion { get; set; } = "1.2.0";
    [JsonPropertyName("process")] public SpecProcess Process { get; set; } = new();
    [JsonPropertyName("root")] public SpecRoot Root { get; set; } = new();
    [JsonPropertyName("hostname")] public string? Hostname { get; set; }
    [JsonPropertyName("mounts")] public List<SpecMount> Mounts { get; set; } = new();
    [JsonPropertyName("annotations")] public Dictionary<string, string>? Annotations { get; set; }
    [JsonPropertyName("linux")] public SpecLinux Linux { get; set; } = new();
    /// <summary>Programs run at points of the container's lifecycle (config.md "POSIX-platform Hooks"); Runtime/HookRunner.cs.</summary>
    [JsonPropertyName("hooks")] public SpecHooks? Hooks { get; set; }
    /// <summary>JSON paths the reader skipped ("linux.intelRdt"); null when every field was read. Never written.</summary>
    [JsonIgnore] public List<string>? Unread { get; set; }

    /// <summary>Reads config.json (with RuntimeSpecReader: see there why not the serializer).</summary>
    public static RuntimeSpec Load(string path)
    {
        try
        {
            return RuntimeSpecReader.Parse(File.ReadAllBytes(path));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"read runtime spec {path}: {e.Message}", e);
        }
    }

    /// <summary>Reads a process.json (`exec --process`): runtime-spec's process object alone.</summary>
    public static SpecProcess LoadProcess(string path)
    {
        try
        {
            return RuntimeSpecReader.ParseProcess(File.ReadAllBytes(path));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"read process {path}: {e.Message}", e);
        }
    }

    /// <summary>The spec as the serializer writes it (Save stores the same bytes, see RuntimeSpecWriter).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, SpecJsonContext.Default.RuntimeSpec);

    public void Save(string path)
    {
        string tmp = path + ".tmp";
        using (var stream = File.Create(tmp))
            RuntimeSpecWriter.Write(stream, this);   // what ToJson writes, without the serializer's setup
        File.Move(tmp, path, overwrite: true);
    }
}

/// <summary>
/// hooks: each list runs in order at its point of the lifecycle (runtime-spec runtime.md
/// "Lifecycle"). Where: prestart (deprecated), createRuntime, poststart and poststop by the runtime
/// in its own namespaces; createContainer and startContainer by init inside the container's.
/// </summary>
public sealed class SpecHooks
{
    [JsonPropertyName("prestart")] public List<SpecHook>? Prestart { get; set; }
    [JsonPropertyName("createRuntime")] public List<SpecHook>? CreateRuntime { get; set; }
    [JsonPropertyName("createContainer")] public List<SpecHook>? CreateContainer { get; set; }
    [JsonPropertyName("startContainer")] public List<SpecHook>? StartContainer { get; set; }
    [JsonPropertyName("poststart")] public List<SpecHook>? Poststart { get; set; }
    [JsonPropertyName("poststop")] public List<SpecHook>? Poststop { get; set; }

    /// <summary>The lists by their runtime-spec names, in lifecycle order (null lists included).</summary>
    [JsonIgnore] public IEnumerable<(string Kind, List<SpecHook>? Hooks)> All =>
    [
        ("prestart", Prestart), ("createRuntime", CreateRuntime), ("createContainer", CreateContainer),
        ("startContainer", StartContainer), ("poststart", Poststart), ("poststop", Poststop),
    ];
}

/// <summary>One hook: a program, its argv (args[0] included, as execv(3)), its whole environment, and a timeout.</summary>
public sealed class SpecHook
{
    /// <summary>Absolute; resolved in the runtime's mount namespace, except for startContainer (the container's).</summary>
    [JsonPropertyName("path")] public string Path { get; set; } = "";
    /// <summary>argv including argv[0]; absent or empty: argv is just the path.</summary>
    [JsonPropertyName("args")] public List<string>? Args { get; set; }
    /// <summary>The hook's whole environment; absent: an empty one.</summary>
    [JsonPropertyName("env")] public List<string>? Env { get; set; }
    /// <summary>Seconds before the hook is killed and counts as failed; absent: no limit. Must be > 0.</summary>
    [JsonPropertyName("timeout")] public int? Timeout { get; set; }
}

public sealed class SpecProcess
{
    [JsonPropertyName("terminal")] public bool Terminal { get; set; }
    [JsonPropertyName("consoleSize")] public SpecConsoleSize? ConsoleSize { get; set; }
    [JsonPropertyName("user")] public SpecUser User { get; set; } = new();
    [JsonPropertyName("args")] public List<string> Args { get; set; } = new();
    [JsonPropertyName("env")] public List<string> Env { get; set; } = new();
    [JsonPropertyName("cwd")] public string Cwd { get; set; } = "/";
    [JsonPropertyName("noNewPrivileges")] public bool NoNewPrivileges { get; set; }
    /// <summary>The AppArmor profile the process is confined by (set at its execve: Init/AppArmorStep.cs); null: none.</summary>
    [JsonPropertyName("apparmorProfile")] public string? ApparmorProfile { get; set; }
    [JsonPropertyName("rlimits")] public List<SpecRlimit>? Rlimits { get; set; }
    [JsonPropertyName("capabilities")] public SpecCapabilities? Capabilities { get; set; }
    /// <summary>Written to /proc/self/oom_score_adj by init (-1000..1000); absent: inherited.</summary>
    [JsonPropertyName("oomScoreAdj")] public int? OomScoreAdj { get; set; }
}

/// <summary>
/// The five capability sets of the process, as "CAP_CHOWN"-style names (capabilities(7)).
/// Absent: the process keeps what it inherits (today: everything root has). A null list
/// inside a present object is an empty set.
/// </summary>
public sealed class SpecCapabilities
{
    [JsonPropertyName("bounding")] public List<string>? Bounding { get; set; }
    [JsonPropertyName("effective")] public List<string>? Effective { get; set; }
    [JsonPropertyName("inheritable")] public List<string>? Inheritable { get; set; }
    [JsonPropertyName("permitted")] public List<string>? Permitted { get; set; }
    [JsonPropertyName("ambient")] public List<string>? Ambient { get; set; }
}

public sealed class SpecConsoleSize
{
    [JsonPropertyName("height")] public uint Height { get; set; }
    [JsonPropertyName("width")] public uint Width { get; set; }
}

public sealed class SpecRlimit
{
    [JsonPropertyName("type")] public string Type { get; set; } = "";
    [JsonPropertyName("soft")] public ulong Soft { get; set; }
    [JsonPropertyName("hard")] public ulong Hard { get; set; }
}

/// <summary>
/// The user the process runs as. The OCI spec carries numeric ids only; MiniRun resolves names
/// (`-u nobody`) inside the image at init time and records the name in <see cref="Username"/>,
/// which is MiniRun's own extension (runtime-spec allows `username` only on Windows, so it is
/// kept under a MiniRun-specific name).
/// </summary>
public sealed class SpecUser
{
    [JsonPropertyName("uid")] public uint Uid { get; set; }
    [JsonPropertyName("gid")] public uint Gid { get; set; }
    [JsonPropertyName("umask")] public uint? Umask { get; set; }
    [JsonPropertyName("additionalGids")] public List<uint>? AdditionalGids { get; set; }
    /// <summary>The `-u` value or the image's User, as written ("nobody", "1000:staff"); resolved by init.</summary>
    [JsonPropertyName("io.minirun.user")] public string? Username { get; set; }
    /// <summary>
    /// MiniRun extension (`--group-add`): supplementary groups by name or number, looked up in the
    /// container's /etc/group when it starts (as Docker does) and added to <see cref="AdditionalGids"/>.
    /// </summary>
    [JsonPropertyName("io.minirun.additionalGroups")] public List<string>? AdditionalGroups { get; set; }
    /// <summary>
    /// MiniRun extension: the primary gid the user resolves to is also the first supplementary
    /// group (Docker's daemon does this, so `id` shows `groups=1000` for `-u 1000:1000`); for the
    /// process and for every exec. Without it the supplementary groups are runc's.
    /// </summary>
    [JsonPropertyName("io.minirun.primaryGidSupplementary")] public bool? PrimaryGidSupplementary { get; set; }
}

public sealed class SpecRoot
{
    [JsonPropertyName("path")] public string Path { get; set; } = "rootfs";
    [JsonPropertyName("readonly")] public bool Readonly { get; set; }
}

public sealed class SpecMount
{
    [JsonPropertyName("destination")] public string Destination { get; set; } = "";
    [JsonPropertyName("type")] public string? Type { get; set; }
    [JsonPropertyName("source")] public string? Source { get; set; }
    [JsonPropertyName("options")] public List<string>? Options { get; set; }
}

public sealed class SpecLinux
{
    [JsonPropertyName("namespaces")] public List<SpecNamespace> Namespaces { get; set; } = new();
    [JsonPropertyName("uidMappings")] public List<SpecIdMapping>? UidMappings { get; set; }
    [JsonPropertyName("gidMappings")] public List<SpecIdMapping>? GidMappings { get; set; }
    [JsonPropertyName("cgroupsPath")] public string? CgroupsPath { get; set; }
    [JsonPropertyName("maskedPaths")] public List<string>? MaskedPaths { get; set; }
    [JsonPropertyName("readonlyPaths")] public List<string>? ReadonlyPaths { get; set; }
    [JsonPropertyName("rootfsPropagation")] public string? RootfsPropagation { get; set; }
    /// <summary>MiniRun extension: the overlay layers that make the rootfs (see <see cref="SpecOverlay"/>).</summary>
    [JsonPropertyName("io.minirun.overlay")] public SpecOverlay? Overlay { get; set; }
    /// <summary>Kernel parameters written under /proc/sys by init ("net.ipv4.ip_forward": "1"); namespaced ones only.</summary>
    [JsonPropertyName("sysctl")] public Dictionary<string, string>? Sysctl { get; set; }
    /// <summary>Device nodes to create besides the default ones (config-linux.md "Devices").</summary>
    [JsonPropertyName("devices")] public List<SpecDevice>? Devices { get; set; }
    /// <summary>The seccomp filter (config-linux.md "Seccomp"); compiled by Spec/SeccompProfile.cs.</summary>
    [JsonPropertyName("seccomp")] public SpecSeccomp? Seccomp { get; set; }
    /// <summary>linux.resources: the limits of the container's cgroup (config-linux.md "Control groups").</summary>
    [JsonPropertyName("resources")] public SpecResources? Resources { get; set; }
}

/// <summary>linux.resources: what the container's cgroup may use (config-linux.md "Control groups").</summary>
public sealed class SpecResources
{
    /// <summary>The device allow list, in order: the last rule that matches an access decides (config-linux.md "Device allowlist").</summary>
    [JsonPropertyName("devices")] public List<SpecDeviceCgroup>? Devices { get; set; }
    [JsonPropertyName("memory")] public SpecMemory? Memory { get; set; }
    [JsonPropertyName("cpu")] public SpecCpu? Cpu { get; set; }
    [JsonPropertyName("pids")] public SpecPids? Pids { get; set; }
    [JsonPropertyName("blockIO")] public SpecBlockIO? BlockIO { get; set; }
    /// <summary>cgroup v2 files written as given ("memory.high": "64M"), after every other limit (config-linux.md "Unified").</summary>
    [JsonPropertyName("unified")] public Dictionary<string, string>? Unified { get; set; }
}

/// <summary>
/// linux.resources.memory, in bytes; -1 means unlimited. Applied as memory.max, memory.low and
/// memory.swap.max (swap is memory + swap, as on cgroup v1). The cgroup v1 fields (kernel,
/// kernelTCP, swappiness, disableOOMKiller, useHierarchy false) are read so that SpecValidator
/// can refuse them by name: cgroup v2 has no such setting.
/// </summary>
public sealed class SpecMemory
{
    [JsonPropertyName("limit")] public long? Limit { get; set; }
    [JsonPropertyName("reservation")] public long? Reservation { get; set; }
    /// <summary>Memory plus swap (cgroup v1's memsw); memory.swap.max gets swap - limit.</summary>
    [JsonPropertyName("swap")] public long? Swap { get; set; }
    [JsonPropertyName("kernel")] public long? Kernel { get; set; }
    [JsonPropertyName("kernelTCP")] public long? KernelTcp { get; set; }
    [JsonPropertyName("swappiness")] public ulong? Swappiness { get; set; }
    [JsonPropertyName("disableOOMKiller")] public bool? DisableOomKiller { get; set; }
    [JsonPropertyName("useHierarchy")] public bool? UseHierarchy { get; set; }
    /// <summary>`update` refuses a memory limit below what the container uses now (instead of an OOM kill).</summary>
    [JsonPropertyName("checkBeforeUpdate")] public bool? CheckBeforeUpdate { get; set; }
}

/// <summary>linux.resources.cpu: the cpu controller (cpu.weight, cpu.max, cpu.max.burst, cpu.idle) and cpusets.</summary>
public sealed class SpecCpu
{
    /// <summary>cgroup v1 shares (2..262144), converted to cpu.weight (1..10000).</summary>
    [JsonPropertyName("shares")] public ulong? Shares { get; set; }
    /// <summary>Microseconds per period; -1 (or absent with a period) means no quota ("max").</summary>
    [JsonPropertyName("quota")] public long? Quota { get; set; }
    [JsonPropertyName("burst")] public ulong? Burst { get; set; }
    [JsonPropertyName("period")] public ulong? Period { get; set; }
    [JsonPropertyName("realtimeRuntime")] public long? RealtimeRuntime { get; set; }
    [JsonPropertyName("realtimePeriod")] public ulong? RealtimePeriod { get; set; }
    [JsonPropertyName("cpus")] public string? Cpus { get; set; }
    [JsonPropertyName("mems")] public string? Mems { get; set; }
    /// <summary>1: the cgroup's tasks get SCHED_IDLE's minimal weight (cpu.idle); 0: normal.</summary>
    [JsonPropertyName("idle")] public long? Idle { get; set; }
}

public sealed class SpecPids
{
    /// <summary>pids.max; 0 or negative means no limit ("max").</summary>
    [JsonPropertyName("limit")] public long? Limit { get; set; }
}

/// <summary>linux.resources.blockIO: weights (cgroup v1 blkio units 10..1000) and per-device throttles.</summary>
public sealed class SpecBlockIO
{
    [JsonPropertyName("weight")] public uint? Weight { get; set; }
    [JsonPropertyName("leafWeight")] public uint? LeafWeight { get; set; }
    [JsonPropertyName("weightDevice")] public List<SpecWeightDevice>? WeightDevice { get; set; }
    [JsonPropertyName("throttleReadBpsDevice")] public List<SpecThrottleDevice>? ThrottleReadBpsDevice { get; set; }
    [JsonPropertyName("throttleWriteBpsDevice")] public List<SpecThrottleDevice>? ThrottleWriteBpsDevice { get; set; }
    [JsonPropertyName("throttleReadIOPSDevice")] public List<SpecThrottleDevice>? ThrottleReadIopsDevice { get; set; }
    [JsonPropertyName("throttleWriteIOPSDevice")] public List<SpecThrottleDevice>? ThrottleWriteIopsDevice { get; set; }
}

public sealed class SpecWeightDevice
{
    [JsonPropertyName("major")] public long Major { get; set; }
    [JsonPropertyName("minor")] public long Minor { get; set; }
    [JsonPropertyName("weight")] public uint? Weight { get; set; }
    [JsonPropertyName("leafWeight")] public uint? LeafWeight { get; set; }
}

/// <summary>One throttle: at most <see cref="Rate"/> bytes (or I/O operations) per second on device major:minor; 0 = no limit.</summary>
public sealed class SpecThrottleDevice
{
    [JsonPropertyName("major")] public long Major { get; set; }
    [JsonPropertyName("minor")] public long Minor { get; set; }
    [JsonPropertyName("rate")] public ulong Rate { get; set; }
}

/// <summary>One rule of linux.resources.devices: allow or deny access (r, w, m) to devices of a type and number.</summary>
public sealed class SpecDeviceCgroup
{
    [JsonPropertyName("allow")] public bool Allow { get; set; }
    /// <summary>a (all), c (character) or b (block); absent means a.</summary>
    [JsonPropertyName("type")] public string? Type { get; set; }
    /// <summary>Absent (or -1) means every major number.</summary>
    [JsonPropertyName("major")] public long? Major { get; set; }
    /// <summary>Absent (or -1) means every minor number.</summary>
    [JsonPropertyName("minor")] public long? Minor { get; set; }
    /// <summary>Some of r (read), w (write), m (mknod); absent means rwm.</summary>
    [JsonPropertyName("access")] public string? Access { get; set; }
}

/// <summary>
/// linux.seccomp: a default action for every system call, then rules for named calls (optionally
/// only when arguments compare as given). Names are libseccomp's: SCMP_ACT_*, SCMP_ARCH_*, SCMP_CMP_*.
/// </summary>
public sealed class SpecSeccomp
{
    [JsonPropertyName("defaultAction")] public string DefaultAction { get; set; } = "";
    /// <summary>The errno of an SCMP_ACT_ERRNO or SCMP_ACT_TRACE default action; EPERM when absent.</summary>
    [JsonPropertyName("defaultErrnoRet")] public uint? DefaultErrnoRet { get; set; }
    [JsonPropertyName("architectures")] public List<string>? Architectures { get; set; }
    /// <summary>SECCOMP_FILTER_FLAG_* names (seccomp(2)).</summary>
    [JsonPropertyName("flags")] public List<string>? Flags { get; set; }
    /// <summary>The socket of a seccomp agent for SCMP_ACT_NOTIFY (MiniRun refuses it: no agent).</summary>
    [JsonPropertyName("listenerPath")] public string? ListenerPath { get; set; }
    [JsonPropertyName("listenerMetadata")] public string? ListenerMetadata { get; set; }
    [JsonPropertyName("syscalls")] public List<SpecSyscall>? Syscalls { get; set; }
}

public sealed class SpecSyscall
{
    [JsonPropertyName("names")] public List<string> Names { get; set; } = new();
    [JsonPropertyName("action")] public string Action { get; set; } = "";
    /// <summary>The errno for SCMP_ACT_ERRNO / SCMP_ACT_TRACE; EPERM when absent.</summary>
    [JsonPropertyName("errnoRet")] public uint? ErrnoRet { get; set; }
    /// <summary>Conditions on the call's arguments; all must hold (see SeccompProfile for repeated indexes).</summary>
    [JsonPropertyName("args")] public List<SpecSeccompArg>? Args { get; set; }
}

public sealed class SpecSeccompArg
{
    [JsonPropertyName("index")] public uint Index { get; set; }
    [JsonPropertyName("value")] public ulong Value { get; set; }
    /// <summary>The second operand: with SCMP_CMP_MASKED_EQ, arg &amp; value == valueTwo.</summary>
    [JsonPropertyName("valueTwo")] public ulong? ValueTwo { get; set; }
    [JsonPropertyName("op")] public string Op { get; set; } = "";
}

/// <summary>
/// How init assembles root.path with overlayfs. A plain OCI bundle (from another engine) has a
/// ready rootfs directory and no overlay; a MiniRun container records its layer stack here so
/// the mount happens inside the container's own mount namespace and never leaks to the host.
/// </summary>
public sealed class SpecOverlay
{
    /// <summary>Read-only image layers, top-most first (overlayfs lowerdir order).</summary>
    [JsonPropertyName("lowerDirs")] public List<string> LowerDirs { get; set; } = new();
    [JsonPropertyName("upperDir")] public string UpperDir { get; set; } = "";
    [JsonPropertyName("workDir")] public string WorkDir { get; set; } = "";
    /// <summary>
    /// Mount with overlayfs's "volatile" option: no sync of the upper filesystem, also not at
    /// unmount. Set for `--rm` containers, whose upper dir is thrown away when they end; the
    /// unmount (done by the kernel when PID 1 exits) then costs ~0.2 ms instead of ~1 ms.
    /// </summary>
    [JsonPropertyName("volatile")] public bool? Volatile { get; set; }
}

public sealed class SpecNamespace
{
    /// <summary>pid, network, mount, ipc, uts, user, cgroup (runtime-spec names).</summary>
    [JsonPropertyName("type")] public string Type { get; set; } = "";
    /// <summary>When set, join this namespace (a /proc/PID/ns/TYPE path) instead of creating one.</summary>
    [JsonPropertyName("path")] public string? Path { get; set; }
}

public sealed class SpecIdMapping
{
    [JsonPropertyName("containerID")] public uint ContainerId { get; set; }
    [JsonPropertyName("hostID")] public uint HostId { get; set; }
    [JsonPropertyName("size")] public uint Size { get; set; }
}

/// <summary>A device node in the container: c (character), b (block), u (unbuffered character), p (FIFO).</summary>
public sealed class SpecDevice
{
    [JsonPropertyName("type")] public string Type { get; set; } = "";
    /// <summary>Absolute path in the container (not only under /dev).</summary>
    [JsonPropertyName("path")] public string Path { get; set; } = "";
    /// <summary>Required for c, b and u; ignored for p.</summary>
    [JsonPropertyName("major")] public long? Major { get; set; }
    [JsonPropertyName("minor")] public long? Minor { get; set; }
    /// <summary>Permission bits; absent means 0666 as for the default devices.</summary>
    [JsonPropertyName("fileMode")] public uint? FileMode { get; set; }
    [JsonPropertyName("uid")] public uint? Uid { get; set; }
    [JsonPropertyName("gid")] public uint? Gid { get; set; }
}

[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RuntimeSpec))]
internal sealed partial class SpecJsonContext : JsonSerializerContext
{
}
