// ContainerRecord: what MiniRun remembers about one container (container.json in its directory).
//
// Why: `ps -a`, `rm` and later `inspect`, `start` and `logs` need the container's name, image,
// command, creation time and last known state after `run` has returned. The OCI bundle
// (config.json) says how to create the container; this file says what happened to it.
// State follows runtime-spec's names (created, running, stopped) and Docker's display
// ("Exited (0) 5 seconds ago").
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

    public static ContainerRecord Load(string path) =>
        JsonSerializer.Deserialize(File.ReadAllBytes(path), ContainerJsonContext.Default.ContainerRecord)
        ?? throw new InvalidDataException($"read {path}: empty document");

    public void Save(string path)
    {
        string tmp = path + ".tmp";
        File.WriteAllBytes(tmp, JsonSerializer.SerializeToUtf8Bytes(this, ContainerJsonContext.Default.ContainerRecord));
        File.Move(tmp, path, overwrite: true);   // rename(2) is atomic: readers see the old or the new file
    }
}

public sealed class ContainerState
{
    /// <summary>created, running, stopped (runtime-spec).</summary>
    public string Status { get; set; } = "created";
    public int Pid { get; set; }
    /// <summary>Field 22 of /proc/PID/stat when started: tells a reused pid from ours.</summary>
    public ulong PidStartTime { get; set; }
    public int ExitCode { get; set; }
    public string? Error { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
}

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(ContainerRecord))]
internal sealed partial class ContainerJsonContext : JsonSerializerContext
{
}
