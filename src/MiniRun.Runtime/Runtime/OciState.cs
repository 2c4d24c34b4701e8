// OciState: what the runtime core remembers about one container it created through the OCI
// verbs: STATE_ROOT/ID/state.json, and the status derived from it.
//
// Why: `create`, `start`, `state`, `kill` and `delete` are separate invocations; between them only
// this directory knows the container. It holds the facts that do not change (pid and its start
// time, bundle, cgroup, annotations, creation time, the spec's hooks for `start` and `delete`);
// the status is never stored but derived each
// time, so it cannot go stale (a container whose process died while nobody watched is
// "stopped" at once):
//   process gone, or a zombie, or its pid now another process   -> stopped
//   exec.fifo still in the directory (init waits for `start`)    -> created
//   its cgroup frozen                                           -> paused
//   otherwise                                                   -> running
// The liveness test is MiniRun's one rule, Runtime/ProcessIdentity.cs. This file is the core's
// only writer of state.json (written by `create`, and again by `update`, which keeps the merged
// linux.resources here so a later update merges over them - as runc keeps them in its state;
// always atomically through a rename).
//
// Follows: runtime-spec runtime.md "State" (ociVersion, id, status, pid, bundle, annotations)
// and "Lifecycle"; proc(5) /proc/PID/stat.
using System.Text;
using System.Text.Json;
using MiniRun.Kernel;
using MiniRun.Spec;
using static MiniJson.JsonReading;

namespace MiniRun.Runtime;

public sealed class OciState
{
    public const string FileName = "state.json";
    public const string FifoName = "exec.fifo";

    public string Id { get; init; } = "";
    public int Pid { get; init; }
    public ulong PidStartTime { get; init; }
    /// <summary>The bundle directory, absolute.</summary>
    public string Bundle { get; init; } = "";
    /// <summary>The rootfs, absolute (root.path resolved against the bundle).</summary>
    public string Rootfs { get; init; } = "";
    public DateTimeOffset Created { get; init; }
    /// <summary>The cgroup2 mount the container's cgroup lives under, and its path below it; null without a cgroup.</summary>
    public string? CgroupRoot { get; init; }
    public string? CgroupPath { get; init; }
    public Dictionary<string, string> Annotations { get; init; } = new();
    /// <summary>config.json's hooks, kept for the verbs that run them later (poststart in start, poststop in delete).</summary>
    public MiniRun.Spec.SpecHooks? Hooks { get; init; }
    /// <summary>The linux.resources in force: config.json's at create, merged with every `update` since.</summary>
    public SpecResources? Resources { get; set; }

    public static string DirOf(string stateRoot, string id) => Path.Combine(stateRoot, id);

    /// <summary>created | running | paused | stopped, from the process, exec.fifo and the cgroup (see the header).</summary>
    public string Status(string stateRoot)
    {
        if (Pid <= 0 || !ProcessIdentity.IsAlive(Pid, PidStartTime)) return "stopped";
        if (File.Exists(Path.Combine(DirOf(stateRoot, Id), FifoName))) return "created";
        if (CgroupRoot is not null && CgroupPath is not null &&
            FileText.ReadIfExists(Path.Combine(CgroupRoot, CgroupPath, "cgroup.freeze"))?.Trim() == "1")
            return "paused";
        return "running";
    }

    /// <summary>runtime-spec's state document, as `state` prints it (and as hooks read it on stdin).</summary>
    public string ToSpecJson(string status, bool indented = true)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented }))
        {
            w.WriteStartObject();
            w.WriteString("ociVersion", "1.2.0");
            w.WriteString("id", Id);
            w.WriteString("status", status);
            w.WriteNumber("pid", status == "stopped" ? 0 : Pid);
            w.WriteString("bundle", Bundle);
            w.WriteString("rootfs", Rootfs);
            w.WriteString("created", Created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'"));
            w.WriteStartObject("annotations");
            foreach (var (k, v) in Annotations) w.WriteString(k, v);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public void Save(string stateRoot)
    {
        string path = Path.Combine(DirOf(stateRoot, Id), FileName);
        using (var stream = File.Create(path + ".tmp"))
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("id", Id);
            w.WriteNumber("pid", Pid);
            w.WriteNumber("pidStartTime", PidStartTime);
            w.WriteString("bundle", Bundle);
            w.WriteString("rootfs", Rootfs);
            w.WriteString("created", Created);
            if (CgroupRoot is not null) w.WriteString("cgroupRoot", CgroupRoot);
            if (CgroupPath is not null) w.WriteString("cgroupPath", CgroupPath);
            w.WriteStartObject("annotations");
            foreach (var (k, v) in Annotations) w.WriteString(k, v);
            w.WriteEndObject();
            if (Hooks is not null) MiniRun.Spec.RuntimeSpecWriter.Hooks(w, Hooks);
            if (Resources is not null)
            {
                w.WritePropertyName("resources");
                RuntimeSpecWriter.ResourcesObject(w, Resources);
            }
            w.WriteEndObject();
        }
        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <summary>The state of container <paramref name="id"/>; null when there is no such container.</summary>
    public static OciState? Load(string stateRoot, string id)
    {
        byte[]? bytes = FileText.ReadBytesIfExists(Path.Combine(DirOf(stateRoot, id), FileName));
        if (bytes is null) return null;
        try
        {
            return Document<OciState>(bytes, Read) ?? throw new InvalidDataException("null document");
        }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
            throw new RuntimeException($"container {GoQuote.Quote(id)}: its state file {Path.Combine(DirOf(stateRoot, id), FileName)} is damaged: {e.Message}");
        }
    }

    private static OciState Read(ref Utf8JsonReader r)
    {
        if (!StartObject(ref r)) throw new InvalidDataException("not a JSON object");
        string id = "", bundle = "", rootfs = "";
        string? cgroupRoot = null, cgroupPath = null;
        int pid = 0;
        ulong start = 0;
        DateTimeOffset created = default;
        Dictionary<string, string> annotations = new();
        MiniRun.Spec.SpecHooks? hooks = null;
        SpecResources? resources = null;
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "id": id = String(ref r) ?? ""; break;
                case "pid": pid = Int32(ref r); break;
                case "pidStartTime": start = UInt64(ref r); break;
                case "bundle": bundle = String(ref r) ?? ""; break;
                case "rootfs": rootfs = String(ref r) ?? ""; break;
                case "created": created = DateTimeOffset(ref r); break;
                case "cgroupRoot": cgroupRoot = String(ref r); break;
                case "cgroupPath": cgroupPath = String(ref r); break;
                case "annotations": annotations = StringMap(ref r, nullValuesAsEmpty: true) ?? new(); break;
                case "hooks": hooks = MiniRun.Spec.RuntimeSpecReader.Hooks(ref r); break;
                case "resources": resources = RuntimeSpecReader.Resources(ref r); break;
                default: r.Skip(); break;
            }
        }
        return new OciState
        {
            Id = id, Pid = pid, PidStartTime = start, Bundle = bundle, Rootfs = rootfs, Created = created,
            CgroupRoot = cgroupRoot, CgroupPath = cgroupPath, Annotations = annotations, Hooks = hooks, Resources = resources,
        };
    }
}

/// <summary>An error of the runtime core: one line naming the container, the operation and why (runc exits 1).</summary>
public class RuntimeException : Exception
{
    public RuntimeException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>
/// The container's process could not start its program: init reported why before exec (command
/// not found, a mount step failed...). <see cref="ExitCode"/> is Docker's (127 not found, 126 not
/// executable, 125 otherwise); <see cref="Reason"/> is init's line without the container's id.
/// </summary>
public sealed class ContainerStartException : RuntimeException
{
    public int ExitCode { get; }
    public string Reason { get; }

    public ContainerStartException(string id, int exitCode, string reason)
        : base($"create container {GoQuote.Quote(id)}: {reason}")
    {
        ExitCode = exitCode;
        Reason = reason;
    }
}
