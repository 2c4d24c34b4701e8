// ContainerRecordJsonTests: the hand-written container.json reader and writer (ContainerRecordReader,
// ContainerRecordWriter) against the serializer they replace (ContainerJsonContext): Write gives
// the serializer's bytes exactly (every field set, strings that need escaping, nulls, a default
// record); Read accepts what the serializer writes, skips unknown properties as it does, and
// throws JsonException for malformed documents or wrong value types where the serializer does.
using System.Text;
using System.Text.Json;
using MiniRun.Cgroups;
using MiniRun.Containers;

namespace MiniRun.Tests.Containers;

public sealed class ContainerRecordJsonTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("minirun-recordjson-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] Serialized(ContainerRecord record) =>
        JsonSerializer.SerializeToUtf8Bytes(record, ContainerJsonContext.Default.ContainerRecord);

    private static ContainerRecord? Deserialized(string json) =>
        JsonSerializer.Deserialize(Encoding.UTF8.GetBytes(json), ContainerJsonContext.Default.ContainerRecord);

    private static string Text(byte[] utf8) => Encoding.UTF8.GetString(utf8);

    private static ContainerRecord Read(string json) => ContainerRecordReader.Read(Encoding.UTF8.GetBytes(json));

    private const string Awkward = "q\"uote b\\ack <tag> & 'apos' é ü € 中文 😀 \u0001\u001f\t\n\r\u007f /slash \u2028";

    private static ContainerRecord Full() => new()
    {
        Id = new string('a', 64),
        Name = "web-" + Awkward,
        Image = "registry.local:5000/busybox:1.36 " + Awkward,
        ImageId = "sha256:" + new string('b', 64),
        Command = ["sh", "-c", "echo \"$HOME\" > /tmp/x && cat </dev/null", Awkward, ""],
        Created = new DateTimeOffset(2026, 11, 24, 10, 11, 12, TimeSpan.Zero).AddTicks(1234567),
        AutoRemove = true,
        State = new ContainerState
        {
            Status = ContainerStatus.Running,
            Pid = int.MaxValue,
            PidStartTime = ulong.MaxValue,
            ExitCode = int.MinValue,
            Error = "exec: \"nope\": " + Awkward,
            StartedAt = new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.FromHours(2)),
            FinishedAt = new DateTimeOffset(2026, 11, 24, 12, 0, 1, 500, TimeSpan.FromMinutes(-330)),
            OOMKilled = true,
            ManuallyStopped = true,
            SupervisorPid = 4242,
            SupervisorStartTime = 987654321,
            CgroupPath = "minirun/" + new string('a', 64),
            Health = new HealthState
            {
                Status = "unhealthy",
                FailingStreak = 3,
                Log =
                [
                    new HealthResult { Start = DateTimeOffset.UnixEpoch, End = DateTimeOffset.UnixEpoch.AddMilliseconds(7), ExitCode = 0, Output = "ok\n" },
                    new HealthResult { Start = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(-8)), End = DateTimeOffset.MaxValue, ExitCode = 1, Output = Awkward },
                    new HealthResult { Start = DateTimeOffset.MinValue, End = DateTimeOffset.MinValue, ExitCode = -1, Output = "" },
                ],
            },
        },
        Config = new ContainerRecordConfig
        {
            Hostname = "host<1>",
            User = "1000:1000",
            Tty = true,
            OpenStdin = true,
            Env = ["PATH=/usr/bin:/bin", "X=" + Awkward, "EMPTY="],
            Cmd = ["/bin/sh", "-c", "true"],
            Entrypoint = ["/init", "--"],
            WorkingDir = "/srv/ü",
            StopSignal = "SIGTERM",
            StopTimeout = 30,
            Labels = new() { ["org.example/a"] = "1", ["b&c"] = "\"q\"", [Awkward] = Awkward, [""] = "" },
            Healthcheck = new HealthConfig { Test = ["CMD-SHELL", "wget -q -O- http://127.0.0.1/ || exit 1"], Interval = long.MaxValue, Timeout = 3_000_000_000, StartPeriod = long.MinValue, Retries = 5 },
        },
        HostConfig = new ContainerRecordHostConfig
        {
            RestartPolicy = new RestartPolicy { Name = "on-failure", MaximumRetryCount = 7 },
            AutoRemove = true,
            Init = true,
            CgroupParent = "/my/parent",
            Resources = new ResourceFlagValues
            {
                Memory = "512m", MemoryReservation = "256m", MemorySwap = "-1", Cpus = "1.5", CpuPeriod = "100000",
                CpuQuota = "150000", CpuShares = "512", CpusetCpus = "0-1", CpusetMems = "0", PidsLimit = "100",
                BlkioWeight = "300", DeviceReadBps = ["/dev/sda:1mb", "/dev/sdb:2mb"], DeviceWriteBps = ["/dev/sda:1mb"],
                DeviceReadIops = ["/dev/sda:1000"], DeviceWriteIops = ["/dev/sda:2000", "/dev/null:1"], OomScoreAdj = "-500",
            },
            Privileged = true, ReadonlyRootfs = true,
            Devices = [new("/dev/fuse", "/dev/fuse", "rwm"), new("/dev/full", "/dev/x" + Awkward, "r")],
            Tmpfs = new() { ["/run"] = "size=1m,mode=1777", ["/tmp"] = "" },
            Ulimits = [new("nofile", 1024, 2048), new("core", -1, -1)],
            Sysctls = new() { ["net.ipv4.ip_forward"] = "1", ["kernel.sem"] = "250 32000 32 128" },
            GroupAdd = ["staff", "4242"],
            CapAdd = ["NET_ADMIN", "cap_sys_time"], CapDrop = ["ALL"],
            SecurityOpt = ["no-new-privileges", "seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\"}"],
        },
        RestartCount = 12,
        LogPath = "/var/lib/minirun/containers/" + new string('a', 64) + "/container.log",
    };

    /// <summary>Write gives the serializer's bytes; Read of the serializer's bytes holds the same record (re-serialized identically).</summary>
    private static void AssertMatchesSerializer(ContainerRecord record)
    {
        byte[] expected = Serialized(record);
        Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(ContainerRecordWriter.Write(record)));
        Assert.Equal(expected, ContainerRecordWriter.Write(record));
        Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(Serialized(ContainerRecordReader.Read(expected))));
    }

    [Fact]
    public void EveryFieldSetIsWrittenAndReadAsTheSerializerDoes() => AssertMatchesSerializer(Full());

    [Fact]
    public void ADefaultRecordIsWrittenAndReadAsTheSerializerDoes() => AssertMatchesSerializer(new ContainerRecord());

    [Fact]
    public void NullNullableFieldsAreWrittenAsNullAndReadBack()
    {
        var record = Full();
        record.State.Error = null;
        record.State.StartedAt = null;
        record.State.FinishedAt = null;
        record.State.CgroupPath = null;
        record.State.Health = null;
        record.Config.Entrypoint = null;
        record.Config.StopSignal = null;
        record.Config.StopTimeout = null;
        record.Config.Healthcheck = null;
        record.HostConfig.CgroupParent = null;
        record.HostConfig.Resources = new ResourceFlagValues { Memory = "1g" };
        AssertMatchesSerializer(record);
        string json = Encoding.UTF8.GetString(ContainerRecordWriter.Write(record));
        Assert.Contains("\"Health\": null", json);
        Assert.Contains("\"StopTimeout\": null", json);
        Assert.Contains("\"CpusetCpus\": null", json);
    }

    [Fact]
    public void EmptyCollectionsAndAnEmptyHealthLogMatchTheSerializer()
    {
        var record = Full();
        record.Command = [];
        record.Config.Env = [];
        record.Config.Entrypoint = [];
        record.Config.Labels = new();
        record.State.Health = new HealthState();
        record.Config.Healthcheck = new HealthConfig();
        AssertMatchesSerializer(record);
    }

    [Fact]
    public void UnknownPropertiesAreSkippedAsTheSerializerSkipsThem()
    {
        string json = """
            {
              "Future": 1,
              "Id": "abc",
              "Nested": { "a": [1, {"b": [[], {}]}], "c": null, "Id": "not me" },
              "Command": ["sh"],
              "List": [ { "State": [] }, "x", 2.5e10, true, null ],
              "State": { "Status": "exited", "Extra": { "deep": { "deeper": [1, 2, 3] } }, "ExitCode": 3,
                         "Health": { "Status": "healthy", "X": [], "Log": [ { "Output": "o", "Y": {"z": 1} } ] } },
              "Config": { "Labels": { "k": "v" }, "Unknown": [ "a", { "b": null } ], "Healthcheck": { "Test": ["NONE"], "Q": false } },
              "HostConfig": { "RestartPolicy": { "Name": "always", "Extra": 9 }, "Resources": { "Memory": "1m", "Swappiness": 60, "Weird": { },
                              "DeviceReadBps": [], "DeviceWriteBps": ["a"], "DeviceReadIops": [], "DeviceWriteIops": [] } },
              "id": "case matters",
              "LOGPATH": "case matters",
              "Trailing": { }
            }
            """;
        var ours = Read(json);
        Assert.Equal("abc", ours.Id);
        Assert.Equal("", ours.LogPath);
        Assert.Equal(Text(Serialized(Deserialized(json)!)), Text(Serialized(ours)));
    }

    [Fact]
    public void EscapedPropertyNamesAndRepeatedPropertiesReadAsTheSerializerReadsThem()
    {
        string json = """{ "\u0049d": "escaped name", "Name": "first", "Name": "last", "Config": { "Labels": { "k": "1", "k": "2" } } }""";
        var ours = Read(json);
        Assert.Equal("escaped name", ours.Id);
        Assert.Equal("last", ours.Name);
        Assert.Equal(Text(Serialized(Deserialized(json)!)), Text(Serialized(ours)));
    }

    [Fact]
    public void NullForANonNullableReferenceKeepsTheDefault()
    {
        // The one deliberate difference from the serializer (which would store null): see ContainerRecordReader.
        var record = Read("""
            { "Id": null, "Command": null, "State": { "Status": null, "Health": { "Status": null, "Log": null } },
              "Config": null, "HostConfig": { "RestartPolicy": null, "Resources": null } }
            """);
        Assert.Equal("", record.Id);
        Assert.Empty(record.Command);
        Assert.Equal(ContainerStatus.Created, record.State.Status);
        Assert.Equal("starting", record.State.Health!.Status);
        Assert.Empty(record.State.Health.Log);
        Assert.NotNull(record.Config);
        Assert.Equal("no", record.HostConfig.RestartPolicy.Name);
        Assert.Equal(new ResourceFlagValues(), record.HostConfig.Resources);
        Assert.Empty(record.HostConfig.Resources.DeviceReadBps);
        // Absent init-only lists of ResourceFlagValues: the source-generated serializer sets them to
        // null (it builds the record with an object initializer); the reader keeps them empty.
        Assert.Empty(Read("""{ "HostConfig": { "Resources": { "Memory": "1m" } } }""").HostConfig.Resources.DeviceWriteIops);
        var items = Read("""{ "Command": ["a", null], "Config": { "Labels": { "k": null } } }""");
        Assert.Equal(["a", ""], items.Command);
        Assert.Equal("", items.Config.Labels["k"]);
    }

    public static TheoryData<string> Malformed => new()
    {
        """{ "Id": "abc" """,
        """{ "Id": "ab""",
        """{ "Command": ["a", """,
        """{ "State": { "Pid": 1 }""",
        """{ "Id": "a", }""",
        """{ "Id": "a" } x""",
        """{ "Id": "a" } {}""",
        """{ /* comment */ "Id": "a" }""",
        """{ 'Id': "a" }""",
        """{ "State": { "Pid": "12" } }""",
        """{ "State": { "Pid": 1.5 } }""",
        """{ "State": { "Pid": 99999999999 } }""",
        """{ "State": { "Pid": null } }""",
        """{ "State": { "PidStartTime": -1 } }""",
        """{ "State": [] }""",
        """{ "State": "running" }""",
        """{ "State": { "OOMKilled": "true" } }""",
        """{ "State": { "OOMKilled": 1 } }""",
        """{ "State": { "StartedAt": "yesterday" } }""",
        """{ "State": { "StartedAt": 5 } }""",
        """{ "State": { "Health": { "Log": [ 1 ] } } }""",
        """{ "State": { "Health": { "Log": { } } } }""",
        """{ "Created": null }""",
        """{ "Created": "2026-13-01T00:00:00+00:00" }""",
        """{ "Id": 5 }""",
        """{ "Id": {} }""",
        """{ "Command": "sh" }""",
        """{ "Command": [1] }""",
        """{ "Command": [["a"]] }""",
        """{ "Config": { "Labels": [] } }""",
        """{ "Config": { "Labels": { "k": 1 } } }""",
        """{ "Config": { "StopTimeout": "30" } }""",
        """{ "Config": { "Healthcheck": { "Interval": 1e3 } } }""",
        """{ "HostConfig": { "Resources": { "Memory": 512 } } }""",
        """{ "HostConfig": { "Resources": { "DeviceReadBps": "/dev/sda:1mb" } } }""",
        """{ "HostConfig": { "RestartPolicy": "always" } }""",
        """[]""",
        """ "record" """,
        """42""",
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void MalformedDocumentsAndWrongTypesThrowJsonExceptionLikeTheSerializer(string json)
    {
        Assert.ThrowsAny<JsonException>(() => Deserialized(json));
        Assert.ThrowsAny<JsonException>(() => Read(json));
    }

    [Fact]
    public void InvalidUtf8InAStringIsAJsonExceptionLikeTheSerializer()
    {
        byte[] json = [.. """{ "Id": "a"""u8, 0xFF, .. "\" }"u8];
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize(json, ContainerJsonContext.Default.ContainerRecord));
        Assert.ThrowsAny<JsonException>(() => ContainerRecordReader.Read(json));
    }

    [Theory]
    [InlineData("null")]
    [InlineData("  null \n")]
    [InlineData("")]
    [InlineData(" \n\t ")]
    public void AnEmptyOrNullDocumentThrowsInvalidDataException(string json) =>
        Assert.Throws<InvalidDataException>(() => Read(json));

    [Fact]
    public void SaveWritesTheSerializersBytesAndLoadNamesTheFileOnErrors()
    {
        string path = Path.Combine(_dir, "container.json");
        var record = Full();
        record.Save(path);
        Assert.Equal(Serialized(record), File.ReadAllBytes(path));
        Assert.False(File.Exists(path + ".tmp"));
        Assert.Equal(Serialized(record), Serialized(ContainerRecord.Load(path)));

        File.WriteAllText(path, "null");
        Assert.Contains(path, Assert.Throws<InvalidDataException>(() => ContainerRecord.Load(path)).Message);
        File.WriteAllText(path, """{ "State": { "Pid": "x" } }""");
        Assert.Contains(path, Assert.ThrowsAny<JsonException>(() => ContainerRecord.Load(path)).Message);
    }
}
