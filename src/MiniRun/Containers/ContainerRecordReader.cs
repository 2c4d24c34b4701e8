// ContainerRecordReader: reads container.json (ContainerRecord) with System.Text.Json's
// Utf8JsonReader, field by field - no serializer metadata. ContainerRecordWriter writes it.
//
// Why not JsonSerializer here: `run` (and the supervisor it starts) loads the record several times
// per container, each in a fresh NativeAOT process. The serializer's first use of a type builds
// its metadata (JsonTypeInfo.Configure, and a reflection lookup of polymorphism attributes on every
// type even with a source-generated context): about a quarter of `run`'s CPU in perf, reading and
// writing together. The reader has no such setup (the same was done for config.json:
// RuntimeSpecReader). Its building blocks are MiniImage's JsonReading, shared by every hand-written
// reader.
//
// Read accepts everything the serializer writes and, like it, skips unknown properties, matches
// names case-sensitively, rejects trailing commas and comments, and throws JsonException for
// malformed JSON or a value of the wrong type; an empty or null document is an
// InvalidDataException. One deliberate difference: a JSON null for a property (or list item /
// label value) whose C# type is a non-nullable reference keeps the default (the initializer's
// value, an empty string or list) where the serializer would store null; likewise a
// ResourceFlagValues device list missing from its object stays empty (the source-generated
// serializer builds that record with an object initializer and sets it to null).
// ContainerRecordJsonTests compares it with the serializer.
//
// Follows: RFC 8259 (JSON); Docker's inspect field names (Config, HostConfig, State).
using System.Text.Json;
using MiniRun.Cgroups;
using static MiniJson.JsonReading;

namespace MiniRun.Containers;

internal static class ContainerRecordReader
{
    public static ContainerRecord Read(ReadOnlySpan<byte> json)
    {
        if (json.Trim(" \t\r\n"u8).IsEmpty) throw new InvalidDataException("empty document");
        return Document(json, Record) ?? throw new InvalidDataException("empty document (null)");
    }

    private static ContainerRecord Record(ref Utf8JsonReader r)
    {
        var c = new ContainerRecord();
        if (!StartObject(ref r)) return c;
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "Id": c.Id = String(ref r) ?? ""; break;
                case "Name": c.Name = String(ref r) ?? ""; break;
                case "Image": c.Image = String(ref r) ?? ""; break;
                case "ImageId": c.ImageId = String(ref r) ?? ""; break;
                case "Command": c.Command = Strings(ref r, nullItemsAsEmpty: true) ?? new(); break;
                case "Created": c.Created = DateTimeOffset(ref r); break;
                case "AutoRemove": c.AutoRemove = Boolean(ref r); break;
                case "State": c.State = State(ref r) ?? new(); break;
                case "Config": c.Config = Config(ref r) ?? new(); break;
                case "HostConfig": c.HostConfig = HostConfig(ref r) ?? new(); break;
                case "RestartCount": c.RestartCount = Int32(ref r); break;
                case "LogPath": c.LogPath = String(ref r) ?? ""; break;
                default: r.Skip(); break;
            }
        }
        return c;
    }

    private static ContainerState? State(ref Utf8JsonReader r)
    {
        if (!StartObject(ref r)) return null;
        var s = new ContainerState();
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "Status": s.Status = String(ref r) ?? ContainerStatus.Created; break;
                case "Pid": s.Pid = Int32(ref r); break;
                case "PidStartTime": s.PidStartTime = UInt64(ref r); break;
                case "ExitCode": s.ExitCode = Int32(ref r); break;
                case "Error": s.Error = String(ref r); break;
                case "StartedAt": s.StartedAt = NullableDateTimeOffset(ref r); break;
                case "FinishedAt": s.FinishedAt = NullableDateTimeOffset(ref r); break;
                case "OOMKilled": s.OOMKilled = Boolean(ref r); break;
                case "ManuallyStopped": s.ManuallyStopped = Boolean(ref r); break;
                case "SupervisorPid": s.SupervisorPid = Int32(ref r); break;
                case "SupervisorStartTime": s.SupervisorStartTime = UInt64(ref r); break;
                case "CgroupPath": s.CgroupPath = String(ref r); break;
                case "Health": s.Health = Health(ref r); break;
                default: r.Skip(); break;
            }
        }
        return s;
    }

    private static HealthState? Health(ref Utf8JsonReader r)
    {
        if (!StartObject(ref r)) return null;
        var h = new HealthState();
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "Status": h.Status = String(ref r) ?? "starting"; break;
                case "FailingStreak": h.FailingStreak = Int32(ref r); break;
                case "Log": h.Log = List(ref r, Result) ?? new(); break;
                default: r.Skip(); break;
            }
        }
        return h;
    }

    /// <summary>One health check result; a null item becomes an empty result (the list holds no nulls).</summary>
    private static HealthResult Result(ref Utf8JsonReader r)
    {
        var result = new HealthResult();
        if (!StartObject(ref r)) return result;
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "Start": result.Start = DateTimeOffset(ref r); break;
                case "End": result.End = DateTimeOffset(ref r); break;
                case "ExitCode": result.ExitCode = Int32(ref r); break;
                case "Output": result.Output = String(ref r) ?? ""; break;
                default: r.Skip(); break;
            }
        }
        return result;
    }

    private static ContainerRecordConfig? Config(ref Utf8JsonReader r)
    {
        if (!StartObject(ref r)) return null;
        var c = new ContainerRecordConfig();
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "Hostname": c.Hostname = String(ref r) ?? ""; break;
                case "User": c.User = String(ref r) ?? ""; break;
                case "Tty": c.Tty = Boolean(ref r); break;
                case "OpenStdin": c.OpenStdin = Boolean(ref r); break;
                case "Env": c.Env = Strings(ref r, nullItemsAsEmpty: true) ?? new(); break;
                case "Cmd": c.Cmd = Strings(ref r, nullItemsAsEmpty: true) ?? new(); break;
                case "Entrypoint": c.Entrypoint = Strings(ref r, nullItemsAsEmpty: true); break;
                case "WorkingDir": c.WorkingDir = String(ref r) ?? ""; break;
                case "StopSignal": c.StopSignal = String(ref r); break;
                case "StopTimeout": c.StopTimeout = NullableInt32(ref r); break;
                case "Labels": c.Labels = StringMap(ref r, nullValuesAsEmpty: true) ?? new(); break;
                case "Healthcheck": c.Healthcheck = Healthcheck(ref r); break;
                default: r.Skip(); break;
            }
        }
        return c;
    }

    private static HealthConfig? Healthcheck(ref Utf8JsonReader r)
    {
        if (!StartObject(ref r)) return null;
        var h = new HealthConfig();
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "Test": h.Test = Strings(ref r, nullItemsAsEmpty: true) ?? new(); break;
                case "Interval": h.Interval = Int64(ref r); break;
                case "Timeout": h.Timeout = Int64(ref r); break;
                case "StartPeriod": h.StartPeriod = Int64(ref r); break;
                case "Retries": h.Retries = Int32(ref r); break;
                default: r.Skip(); break;
            }
        }
        return h;
    }

    private static ContainerRecordHostConfig? HostConfig(ref Utf8JsonReader r)
    {
        if (!StartObject(ref r)) return null;
        var h = new ContainerRecordHostConfig();
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "RestartPolicy": h.RestartPolicy = RestartPolicy(ref r); break;
                case "AutoRemove": h.AutoRemove = Boolean(ref r); break;
                case "Init": h.Init = Boolean(ref r); break;
                case "CgroupParent": h.CgroupParent = String(ref r); break;
                case "UsernsMode": h.UsernsMode = String(ref r) ?? ""; break;
                case "Resources": h.Resources = Resources(ref r); break;
                case "CapAdd": h.CapAdd = Strings(ref r); break;
                case "CapDrop": h.CapDrop = Strings(ref r); break;
                case "SecurityOpt": h.SecurityOpt = Strings(ref r); break;
                default:
                    if (!MiniRun.Security.SecurityHostConfigJson.ReadField(ref r, name, h)) r.Skip();   // Privileged, Devices, ...
                    break;
            }
        }
        return h;
    }

    /// <summary>The restart policy; JSON null gives the default ("no").</summary>
    private static RestartPolicy RestartPolicy(ref Utf8JsonReader r)
    {
        var policy = new RestartPolicy();
        if (!StartObject(ref r)) return policy;
        while (NextProperty(ref r, out string name))
        {
            if (name == "Name") policy.Name = String(ref r) ?? "no";
            else if (name == "MaximumRetryCount") policy.MaximumRetryCount = Int32(ref r);
            else r.Skip();
        }
        return policy;
    }

    /// <summary>ResourceFlagValues is a record with init-only properties: collect the values, then build it.</summary>
    private static ResourceFlagValues Resources(ref Utf8JsonReader r)
    {
        if (!StartObject(ref r)) return new();
        string? memory = null, reservation = null, swap = null, cpus = null, period = null, quota = null,
            shares = null, cpusetCpus = null, cpusetMems = null, pids = null, blkio = null, oom = null;
        IReadOnlyList<string> readBps = [], writeBps = [], readIops = [], writeIops = [];
        while (NextProperty(ref r, out string name))
        {
            switch (name)
            {
                case "Memory": memory = String(ref r); break;
                case "MemoryReservation": reservation = String(ref r); break;
                case "MemorySwap": swap = String(ref r); break;
                case "Cpus": cpus = String(ref r); break;
                case "CpuPeriod": period = String(ref r); break;
                case "CpuQuota": quota = String(ref r); break;
                case "CpuShares": shares = String(ref r); break;
                case "CpusetCpus": cpusetCpus = String(ref r); break;
                case "CpusetMems": cpusetMems = String(ref r); break;
                case "PidsLimit": pids = String(ref r); break;
                case "BlkioWeight": blkio = String(ref r); break;
                case "DeviceReadBps": readBps = Strings(ref r, nullItemsAsEmpty: true) ?? []; break;
                case "DeviceWriteBps": writeBps = Strings(ref r, nullItemsAsEmpty: true) ?? []; break;
                case "DeviceReadIops": readIops = Strings(ref r, nullItemsAsEmpty: true) ?? []; break;
                case "DeviceWriteIops": writeIops = Strings(ref r, nullItemsAsEmpty: true) ?? []; break;
                case "OomScoreAdj": oom = String(ref r); break;
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
}
