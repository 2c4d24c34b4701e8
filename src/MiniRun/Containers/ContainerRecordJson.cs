// ContainerRecordJson: reads and writes container.json (ContainerRecord) with System.Text.Json's
// Utf8JsonReader and Utf8JsonWriter, field by field - no serializer metadata.
//
// Why not JsonSerializer here: `run` (and the supervisor it starts) loads and saves the record
// several times per container, each in a fresh NativeAOT process. The serializer's first use of a
// type builds its metadata (JsonTypeInfo.Configure, and a reflection lookup of polymorphism
// attributes on every type even with a source-generated context): about a quarter of `run`'s CPU
// in perf. The reader and writer here have no such setup (the same was done for config.json:
// RuntimeSpecReader, RuntimeSpecWriter).
//
// Write produces exactly the bytes JsonSerializer writes with ContainerJsonContext (indented,
// properties in declaration order, nulls written as null, default escaping, DateTimeOffset as
// Utf8JsonWriter formats it); Read accepts everything the serializer writes and, like it, skips
// unknown properties, matches names case-sensitively, rejects trailing commas and comments, and
// throws JsonException for malformed JSON or a value of the wrong type. One deliberate
// difference: a JSON null for a property (or list item / label value) whose C# type is a
// non-nullable reference keeps the default (the initializer's value, an empty string or list)
// where the serializer would store null; likewise a ResourceFlagValues device list missing from
// its object stays empty (the source-generated serializer builds that record with an object
// initializer and sets it to null). ContainerRecordJsonTests compares both directions with
// the serializer.
//
// Follows: RFC 8259 (JSON); Docker's inspect field names (Config, HostConfig, State).
using System.Buffers;
using System.Text.Json;
using MiniRun.Cgroups;

namespace MiniRun.Containers;

internal static class ContainerRecordJson
{
    // ---- writing ----

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

    // ---- reading ----

    public static ContainerRecord Read(ReadOnlySpan<byte> json)
    {
        if (json.Trim(" \t\r\n"u8).IsEmpty) throw new InvalidDataException("empty document");
        var r = new Utf8JsonReader(json);   // the serializer's defaults: no comments, no trailing commas, depth 64
        Next(ref r);
        if (r.TokenType == JsonTokenType.Null) throw new InvalidDataException("empty document (null)");
        var c = new ContainerRecord();
        StartObject(ref r);
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "Id": c.Id = Str(ref r) ?? ""; break;
                case "Name": c.Name = Str(ref r) ?? ""; break;
                case "Image": c.Image = Str(ref r) ?? ""; break;
                case "ImageId": c.ImageId = Str(ref r) ?? ""; break;
                case "Command": c.Command = Strings(ref r) ?? new(); break;
                case "Created": c.Created = Time(ref r) ?? throw Wrong(ref r, "a date"); break;
                case "AutoRemove": c.AutoRemove = Bool(ref r); break;
                case "State": c.State = State(ref r) ?? new(); break;
                case "Config": c.Config = Config(ref r) ?? new(); break;
                case "HostConfig": c.HostConfig = HostConfig(ref r) ?? new(); break;
                case "RestartCount": c.RestartCount = Int(ref r); break;
                case "LogPath": c.LogPath = Str(ref r) ?? ""; break;
                default: r.Skip(); break;
            }
        }
        if (r.Read()) throw Wrong(ref r, "the end of the document");   // the reader itself rejects most trailing data
        return c;
    }

    private static ContainerState? State(ref Utf8JsonReader r)
    {
        if (r.TokenType == JsonTokenType.Null) return null;
        var s = new ContainerState();
        StartObject(ref r);
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "Status": s.Status = Str(ref r) ?? ContainerStatus.Created; break;
                case "Pid": s.Pid = Int(ref r); break;
                case "PidStartTime": s.PidStartTime = ULong(ref r); break;
                case "ExitCode": s.ExitCode = Int(ref r); break;
                case "Error": s.Error = Str(ref r); break;
                case "StartedAt": s.StartedAt = Time(ref r); break;
                case "FinishedAt": s.FinishedAt = Time(ref r); break;
                case "OOMKilled": s.OOMKilled = Bool(ref r); break;
                case "ManuallyStopped": s.ManuallyStopped = Bool(ref r); break;
                case "SupervisorPid": s.SupervisorPid = Int(ref r); break;
                case "SupervisorStartTime": s.SupervisorStartTime = ULong(ref r); break;
                case "CgroupPath": s.CgroupPath = Str(ref r); break;
                case "Health": s.Health = Health(ref r); break;
                default: r.Skip(); break;
            }
        }
        return s;
    }

    private static HealthState? Health(ref Utf8JsonReader r)
    {
        if (r.TokenType == JsonTokenType.Null) return null;
        var h = new HealthState();
        StartObject(ref r);
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "Status": h.Status = Str(ref r) ?? "starting"; break;
                case "FailingStreak": h.FailingStreak = Int(ref r); break;
                case "Log":
                    var log = new List<HealthResult>();
                    if (StartArray(ref r))
                        while (NextItem(ref r)) log.Add(Result(ref r));
                    h.Log = log;
                    break;
                default: r.Skip(); break;
            }
        }
        return h;
    }

    /// <summary>One health check result; a null item becomes an empty result (the list holds no nulls).</summary>
    private static HealthResult Result(ref Utf8JsonReader r)
    {
        var result = new HealthResult();
        if (r.TokenType == JsonTokenType.Null) return result;
        StartObject(ref r);
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "Start": result.Start = Time(ref r) ?? throw Wrong(ref r, "a date"); break;
                case "End": result.End = Time(ref r) ?? throw Wrong(ref r, "a date"); break;
                case "ExitCode": result.ExitCode = Int(ref r); break;
                case "Output": result.Output = Str(ref r) ?? ""; break;
                default: r.Skip(); break;
            }
        }
        return result;
    }

    private static ContainerRecordConfig? Config(ref Utf8JsonReader r)
    {
        if (r.TokenType == JsonTokenType.Null) return null;
        var c = new ContainerRecordConfig();
        StartObject(ref r);
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "Hostname": c.Hostname = Str(ref r) ?? ""; break;
                case "User": c.User = Str(ref r) ?? ""; break;
                case "Tty": c.Tty = Bool(ref r); break;
                case "OpenStdin": c.OpenStdin = Bool(ref r); break;
                case "Env": c.Env = Strings(ref r) ?? new(); break;
                case "Cmd": c.Cmd = Strings(ref r) ?? new(); break;
                case "Entrypoint": c.Entrypoint = Strings(ref r); break;
                case "WorkingDir": c.WorkingDir = Str(ref r) ?? ""; break;
                case "StopSignal": c.StopSignal = Str(ref r); break;
                case "StopTimeout": c.StopTimeout = r.TokenType == JsonTokenType.Null ? null : Int(ref r); break;
                case "Labels":
                    var labels = new Dictionary<string, string>();
                    if (r.TokenType != JsonTokenType.Null)
                    {
                        StartObject(ref r);
                        while (NextProperty(ref r, out string key)) labels[key] = Str(ref r) ?? "";   // a repeated key: the last wins, as in the serializer
                    }
                    c.Labels = labels;
                    break;
                case "Healthcheck": c.Healthcheck = Healthcheck(ref r); break;
                default: r.Skip(); break;
            }
        }
        return c;
    }

    private static HealthConfig? Healthcheck(ref Utf8JsonReader r)
    {
        if (r.TokenType == JsonTokenType.Null) return null;
        var h = new HealthConfig();
        StartObject(ref r);
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "Test": h.Test = Strings(ref r) ?? new(); break;
                case "Interval": h.Interval = Long(ref r); break;
                case "Timeout": h.Timeout = Long(ref r); break;
                case "StartPeriod": h.StartPeriod = Long(ref r); break;
                case "Retries": h.Retries = Int(ref r); break;
                default: r.Skip(); break;
            }
        }
        return h;
    }

    private static ContainerRecordHostConfig? HostConfig(ref Utf8JsonReader r)
    {
        if (r.TokenType == JsonTokenType.Null) return null;
        var h = new ContainerRecordHostConfig();
        StartObject(ref r);
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "RestartPolicy":
                    var policy = new RestartPolicy();
                    if (r.TokenType != JsonTokenType.Null)
                    {
                        StartObject(ref r);
                        while (NextProperty(ref r, out string n))
                        {
                            if (n == "Name") policy.Name = Str(ref r) ?? "no";
                            else if (n == "MaximumRetryCount") policy.MaximumRetryCount = Int(ref r);
                            else r.Skip();
                        }
                    }
                    h.RestartPolicy = policy;
                    break;
                case "AutoRemove": h.AutoRemove = Bool(ref r); break;
                case "Init": h.Init = Bool(ref r); break;
                case "CgroupParent": h.CgroupParent = Str(ref r); break;
                case "Resources": h.Resources = Resources(ref r); break;
                default: r.Skip(); break;
            }
        }
        return h;
    }

    /// <summary>ResourceFlagValues is a record with init-only properties: collect the values, then build it.</summary>
    private static ResourceFlagValues Resources(ref Utf8JsonReader r)
    {
        if (r.TokenType == JsonTokenType.Null) return new();
        string? memory = null, reservation = null, swap = null, cpus = null, period = null, quota = null,
            shares = null, cpusetCpus = null, cpusetMems = null, pids = null, blkio = null, oom = null;
        IReadOnlyList<string> readBps = [], writeBps = [], readIops = [], writeIops = [];
        StartObject(ref r);
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "Memory": memory = Str(ref r); break;
                case "MemoryReservation": reservation = Str(ref r); break;
                case "MemorySwap": swap = Str(ref r); break;
                case "Cpus": cpus = Str(ref r); break;
                case "CpuPeriod": period = Str(ref r); break;
                case "CpuQuota": quota = Str(ref r); break;
                case "CpuShares": shares = Str(ref r); break;
                case "CpusetCpus": cpusetCpus = Str(ref r); break;
                case "CpusetMems": cpusetMems = Str(ref r); break;
                case "PidsLimit": pids = Str(ref r); break;
                case "BlkioWeight": blkio = Str(ref r); break;
                case "DeviceReadBps": readBps = Strings(ref r) ?? []; break;
                case "DeviceWriteBps": writeBps = Strings(ref r) ?? []; break;
                case "DeviceReadIops": readIops = Strings(ref r) ?? []; break;
                case "DeviceWriteIops": writeIops = Strings(ref r) ?? []; break;
                case "OomScoreAdj": oom = Str(ref r); break;
                default: r.Skip(); break;
            }
        }
        return new ResourceFlagValues
        {
            Memory = memory, MemoryReservation = reservation, MemorySwap = swap, Cpus = cpus,
            CpuPeriod = period, CpuQuota = quota, CpuShares = shares, CpusetCpus = cpusetCpus,
            CpusetMems = cpusetMems, PidsLimit = pids, BlkioWeight = blkio,
            DeviceReadBps = readBps, DeviceWriteBps = writeBps, DeviceReadIops = readIops,
            DeviceWriteIops = writeIops, OomScoreAdj = oom,
        };
    }

    // ---- the building blocks: each checks the token type and throws JsonException as the serializer does ----

    /// <summary>Advances; with the whole document in hand the reader throws on truncation, this is the backstop.</summary>
    private static void Next(ref Utf8JsonReader r)
    {
        if (!r.Read()) throw new JsonException($"unexpected end of the document at byte {r.BytesConsumed}");
    }

    private static void StartObject(ref Utf8JsonReader r)
    {
        if (r.TokenType != JsonTokenType.StartObject) throw Wrong(ref r, "an object");
    }

    /// <summary>Moves to the next member: true with the reader on its value, false at the object's end.</summary>
    private static bool NextProperty(ref Utf8JsonReader r, out string name)
    {
        Next(ref r);
        if (r.TokenType == JsonTokenType.EndObject) { name = ""; return false; }
        name = r.GetString()!;   // the reader guarantees a property name here
        Next(ref r);
        return true;
    }

    /// <summary>False for null (nothing to read); throws unless the reader is on an array's start.</summary>
    private static bool StartArray(ref Utf8JsonReader r)
    {
        if (r.TokenType == JsonTokenType.Null) return false;
        if (r.TokenType != JsonTokenType.StartArray) throw Wrong(ref r, "an array");
        return true;
    }

    /// <summary>Moves to the next item: true with the reader on it, false at the array's end.</summary>
    private static bool NextItem(ref Utf8JsonReader r)
    {
        Next(ref r);
        return r.TokenType != JsonTokenType.EndArray;
    }

    /// <summary>A list of strings, or null for a JSON null; a null item becomes "" (the lists hold no nulls).</summary>
    private static List<string>? Strings(ref Utf8JsonReader r)
    {
        if (!StartArray(ref r)) return null;
        var list = new List<string>();
        while (NextItem(ref r)) list.Add(Str(ref r) ?? "");
        return list;
    }

    private static string? Str(ref Utf8JsonReader r) => r.TokenType switch
    {
        JsonTokenType.Null => null,
        JsonTokenType.String => r.GetString(),
        _ => throw Wrong(ref r, "a string"),
    };

    private static bool Bool(ref Utf8JsonReader r) => r.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        _ => throw Wrong(ref r, "true or false"),
    };

    private static int Int(ref Utf8JsonReader r) =>
        r.TokenType == JsonTokenType.Number && r.TryGetInt32(out int v) ? v : throw Wrong(ref r, "a 32-bit integer");

    private static long Long(ref Utf8JsonReader r) =>
        r.TokenType == JsonTokenType.Number && r.TryGetInt64(out long v) ? v : throw Wrong(ref r, "a 64-bit integer");

    private static ulong ULong(ref Utf8JsonReader r) =>
        r.TokenType == JsonTokenType.Number && r.TryGetUInt64(out ulong v) ? v : throw Wrong(ref r, "an unsigned 64-bit integer");

    /// <summary>A date in the ISO 8601 form Utf8JsonWriter writes, or null for a JSON null.</summary>
    private static DateTimeOffset? Time(ref Utf8JsonReader r)
    {
        if (r.TokenType == JsonTokenType.Null) return null;
        if (r.TokenType == JsonTokenType.String && r.TryGetDateTimeOffset(out var t)) return t;
        throw Wrong(ref r, "a date");
    }

    private static JsonException Wrong(ref Utf8JsonReader r, string expected) =>
        new($"expected {expected} but found {r.TokenType} at byte {r.TokenStartIndex}");
}
