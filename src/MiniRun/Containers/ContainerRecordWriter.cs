// ContainerRecordWriter: writes container.json (ContainerRecord) with System.Text.Json's
// Utf8JsonWriter, field by field - no serializer metadata. ContainerRecordReader reads it back.
//
// Why not JsonSerializer here: `run` (and the supervisor it starts) saves the record several times
// per container, each in a fresh NativeAOT process. The serializer's first use of a type builds
// its metadata (JsonTypeInfo.Configure, and a reflection lookup of polymorphism attributes on every
// type even with a source-generated context): about a quarter of `run`'s CPU in perf, reading and
// writing together. The writer has no such setup (the same was done for config.json:
// RuntimeSpecWriter).
//
// Write produces exactly the bytes JsonSerializer writes with ContainerJsonContext (indented,
// properties in declaration order, nulls written as null, default escaping, DateTimeOffset as
// Utf8JsonWriter formats it), so records on disk stay the same; ContainerRecordJsonTests compares
// them byte for byte.
//
// Follows: RFC 8259 (JSON); Docker's inspect field names (Config, HostConfig, State).
using System.Buffers;
using System.Text.Json;

namespace MiniRun.Containers;

internal static class ContainerRecordWriter
{
    public static byte[] Write(ContainerRecord c)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("Id", c.Id);
            w.WriteString("Name", c.Name);
            w.WriteString("Image", c.Image);
            w.WriteString("ImageId", c.ImageId);
            Strings(w, "Command", c.Command);
            w.WriteString("Created", c.Created);
            w.WriteBoolean("AutoRemove", c.AutoRemove);
            w.WritePropertyName("State");
            State(w, c.State);
            w.WritePropertyName("Config");
            Config(w, c.Config);
            w.WritePropertyName("HostConfig");
            HostConfig(w, c.HostConfig);
            w.WriteNumber("RestartCount", c.RestartCount);
            w.WriteString("LogPath", c.LogPath);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static void State(Utf8JsonWriter w, ContainerState? s)
    {
        if (s is null) { w.WriteNullValue(); return; }
        w.WriteStartObject();
        w.WriteString("Status", s.Status);
        w.WriteNumber("Pid", s.Pid);
        w.WriteNumber("PidStartTime", s.PidStartTime);
        w.WriteNumber("ExitCode", s.ExitCode);
        w.WriteString("Error", s.Error);
        Time(w, "StartedAt", s.StartedAt);
        Time(w, "FinishedAt", s.FinishedAt);
        w.WriteBoolean("OOMKilled", s.OOMKilled);
        w.WriteBoolean("ManuallyStopped", s.ManuallyStopped);
        w.WriteNumber("SupervisorPid", s.SupervisorPid);
        w.WriteNumber("SupervisorStartTime", s.SupervisorStartTime);
        w.WriteString("CgroupPath", s.CgroupPath);
        w.WritePropertyName("Health");
        if (s.Health is not { } h) w.WriteNullValue();
        else
        {
            w.WriteStartObject();
            w.WriteString("Status", h.Status);
            w.WriteNumber("FailingStreak", h.FailingStreak);
            w.WritePropertyName("Log");
            if (h.Log is null) w.WriteNullValue();
            else
            {
                w.WriteStartArray();
                foreach (var result in h.Log)
                {
                    if (result is null) { w.WriteNullValue(); continue; }
                    w.WriteStartObject();
                    w.WriteString("Start", result.Start);
                    w.WriteString("End", result.End);
                    w.WriteNumber("ExitCode", result.ExitCode);
                    w.WriteString("Output", result.Output);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private static void Config(Utf8JsonWriter w, ContainerRecordConfig? c)
    {
        if (c is null) { w.WriteNullValue(); return; }
        w.WriteStartObject();
        w.WriteString("Hostname", c.Hostname);
        w.WriteString("User", c.User);
        w.WriteBoolean("Tty", c.Tty);
        w.WriteBoolean("OpenStdin", c.OpenStdin);
        Strings(w, "Env", c.Env);
        Strings(w, "Cmd", c.Cmd);
        Strings(w, "Entrypoint", c.Entrypoint);
        w.WriteString("WorkingDir", c.WorkingDir);
        w.WriteString("StopSignal", c.StopSignal);
        if (c.StopTimeout is int timeout) w.WriteNumber("StopTimeout", timeout);
        else w.WriteNull("StopTimeout");
        w.WritePropertyName("Labels");
        if (c.Labels is null) w.WriteNullValue();
        else
        {
            w.WriteStartObject();
            foreach (var (key, value) in c.Labels) w.WriteString(key, value);
            w.WriteEndObject();
        }
        w.WritePropertyName("Healthcheck");
        if (c.Healthcheck is not { } hc) w.WriteNullValue();
        else
        {
            w.WriteStartObject();
            Strings(w, "Test", hc.Test);
            w.WriteNumber("Interval", hc.Interval);
            w.WriteNumber("Timeout", hc.Timeout);
            w.WriteNumber("StartPeriod", hc.StartPeriod);
            w.WriteNumber("Retries", hc.Retries);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private static void HostConfig(Utf8JsonWriter w, ContainerRecordHostConfig? h)
    {
        if (h is null) { w.WriteNullValue(); return; }
        w.WriteStartObject();
        w.WritePropertyName("RestartPolicy");
        if (h.RestartPolicy is not { } policy) w.WriteNullValue();
        else
        {
            w.WriteStartObject();
            w.WriteString("Name", policy.Name);
            w.WriteNumber("MaximumRetryCount", policy.MaximumRetryCount);
            w.WriteEndObject();
        }
        w.WriteBoolean("AutoRemove", h.AutoRemove);
        w.WriteBoolean("Init", h.Init);
        w.WriteString("CgroupParent", h.CgroupParent);
        w.WriteString("UsernsMode", h.UsernsMode);
        w.WritePropertyName("Resources");
        if (h.Resources is not { } f) w.WriteNullValue();
        else
        {
            w.WriteStartObject();
            w.WriteString("Memory", f.Memory);
            w.WriteString("MemoryReservation", f.MemoryReservation);
            w.WriteString("MemorySwap", f.MemorySwap);
            w.WriteString("Cpus", f.Cpus);
            w.WriteString("CpuPeriod", f.CpuPeriod);
            w.WriteString("CpuQuota", f.CpuQuota);
            w.WriteString("CpuShares", f.CpuShares);
            w.WriteString("CpusetCpus", f.CpusetCpus);
            w.WriteString("CpusetMems", f.CpusetMems);
            w.WriteString("PidsLimit", f.PidsLimit);
            w.WriteString("BlkioWeight", f.BlkioWeight);
            Strings(w, "DeviceReadBps", f.DeviceReadBps);
            Strings(w, "DeviceWriteBps", f.DeviceWriteBps);
            Strings(w, "DeviceReadIops", f.DeviceReadIops);
            Strings(w, "DeviceWriteIops", f.DeviceWriteIops);
            w.WriteString("OomScoreAdj", f.OomScoreAdj);
            w.WriteEndObject();
        }
        MiniRun.Security.SecurityHostConfigJson.Write(w, h);
        MiniRun.Security.SecurityRecord.Write(w, h);   // after Resources: the serializer writes properties in declaration order
        w.WriteEndObject();
    }

    /// <summary>A list of strings, or null as the serializer writes a null list (WriteString(name, null) writes null too).</summary>
    private static void Strings(Utf8JsonWriter w, string name, IReadOnlyList<string>? values)
    {
        if (values is null) { w.WriteNull(name); return; }
        w.WritePropertyName(name);
        w.WriteStartArray();
        foreach (var v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }

    private static void Time(Utf8JsonWriter w, string name, DateTimeOffset? value)
    {
        if (value is DateTimeOffset t) w.WriteString(name, t);
        else w.WriteNull(name);
    }
}
