// ContainerRecordPropertyTests: property tests (CsCheck) of container.json: for generated records
// (awkward strings, nulls, empty and long lists, extreme numbers and dates) the hand-written writer
// gives the serializer's bytes, and what it writes reads back (ContainerRecordReader) to a record
// that writes the same bytes again.
//
// Why: every command re-reads container.json; a record that does not survive its own round trip
// loses a container's state. ContainerRecordJsonTests has the examples, this tries combinations.
// Follows: RFC 8259; Docker's inspect field names.
using System.Text;
using System.Text.Json;
using CsCheck;
using MiniRun.Cgroups;
using MiniRun.Containers;

namespace MiniRun.Tests.Containers;

public sealed class ContainerRecordPropertyTests
{
    /// Strings made of pieces that need escaping or are not ASCII (whole surrogate pairs only).
    internal static readonly Gen<string> Text = Gen.OneOf(
        Gen.String[Gen.Char.AlphaNumeric, 0, 12],
        Gen.OneOf("\"", "\\", "<tag>&'", "é", "€", "中文", "😀", "\u0001\u001f", "\t\n\r", "\u007f", "\u2028", "/", "", " ")
    ).Array[0, 5].Select(string.Concat);

    static readonly Gen<string?> NullableText = Gen.OneOf(Gen.Const((string?)null), Text.Select(s => (string?)s));
    static readonly Gen<List<string>> Texts = Text.List[0, 4];
    static readonly Gen<List<string>?> NullableTexts = Gen.OneOf(Gen.Const((List<string>?)null), Texts.Select(l => (List<string>?)l));
    static readonly Gen<DateTimeOffset> Date = Gen.OneOf(Gen.DateTimeOffset,
        Gen.OneOf(DateTimeOffset.MinValue, DateTimeOffset.MaxValue, DateTimeOffset.UnixEpoch));
    static readonly Gen<DateTimeOffset?> NullableDate = Gen.OneOf(Gen.Const((DateTimeOffset?)null), Date.Select(d => (DateTimeOffset?)d));

    static readonly Gen<HealthState?> Health = Gen.OneOf(Gen.Const((HealthState?)null),
        from status in Text
        from streak in Gen.Int
        from log in Gen.Select(Date, Date, Gen.Int, Text, (s, e, code, output) => new HealthResult { Start = s, End = e, ExitCode = code, Output = output }).List[0, 3]
        select (HealthState?)new HealthState { Status = status, FailingStreak = streak, Log = log });

    static readonly Gen<ContainerState> State =
        from status in Gen.OneOf(ContainerStatus.Created, ContainerStatus.Running, ContainerStatus.Exited)
        from pid in Gen.Int
        from start in Gen.ULong
        from exit in Gen.Int
        from error in NullableText
        from started in NullableDate
        from finished in NullableDate
        from flags in Gen.Bool.Array[2, 2]
        from cgroup in NullableText
        from health in Health
        select new ContainerState
        {
            Status = status, Pid = pid, PidStartTime = start, ExitCode = exit, Error = error, StartedAt = started,
            FinishedAt = finished, OOMKilled = flags[0], ManuallyStopped = flags[1], CgroupPath = cgroup, Health = health,
        };

    static readonly Gen<ContainerRecordConfig> Config =
        from hostname in Text
        from user in Text
        from flags in Gen.Bool.Array[2, 2]
        from env in Texts
        from cmd in Texts
        from entrypoint in NullableTexts
        from workdir in Text
        from stopSignal in NullableText
        from stopTimeout in Gen.OneOf(Gen.Const((int?)null), Gen.Int.Select(i => (int?)i))
        from labels in Gen.Dictionary(Text, Text)[0, 3]
        from health in Gen.OneOf(Gen.Const((HealthConfig?)null),
            Gen.Select(Texts, Gen.Long, Gen.Long, Gen.Int, (t, i, to, r) => (HealthConfig?)new HealthConfig { Test = t, Interval = i, Timeout = to, Retries = r }))
        select new ContainerRecordConfig
        {
            Hostname = hostname, User = user, Tty = flags[0], OpenStdin = flags[1], Env = env, Cmd = cmd, Entrypoint = entrypoint,
            WorkingDir = workdir, StopSignal = stopSignal, StopTimeout = stopTimeout, Labels = labels, Healthcheck = health,
        };

    static readonly Gen<ContainerRecordHostConfig> HostConfig =
        from policy in Gen.Select(Gen.OneOf("no", "always", "on-failure", "unless-stopped"), Gen.Int[0, 100], (n, c) => new RestartPolicy { Name = n, MaximumRetryCount = c })
        from flags in Gen.Bool.Array[4, 4]
        from parent in NullableText
        from memory in NullableText
        from bps in Texts
        from tmpfs in Gen.Dictionary(Text, Text)[0, 2]
        from sysctls in Gen.Dictionary(Text, Text)[0, 2]
        from groups in Texts
        from caps in NullableTexts
        from secopt in NullableTexts
        select new ContainerRecordHostConfig
        {
            RestartPolicy = policy, AutoRemove = flags[0], Init = flags[1], Privileged = flags[2], ReadonlyRootfs = flags[3],
            CgroupParent = parent, Resources = new ResourceFlagValues { Memory = memory, DeviceReadBps = bps }, Tmpfs = tmpfs,
            Sysctls = sysctls, GroupAdd = groups, CapAdd = caps, CapDrop = caps, SecurityOpt = secopt,
        };

    static readonly Gen<ContainerRecord> Record =
        from id in Gen.String[Gen.Char["0123456789abcdef"], 64, 64]
        from name in Text
        from image in Text
        from command in Texts
        from created in Date
        from autoRemove in Gen.Bool
        from state in State
        from config in Config
        from host in HostConfig
        from restarts in Gen.Int
        from log in Text
        select new ContainerRecord
        {
            Id = id, Name = name, Image = image, ImageId = "sha256:" + id, Command = command, Created = created, AutoRemove = autoRemove,
            State = state, Config = config, HostConfig = host, RestartCount = restarts, LogPath = log,
        };

    [Fact]
    public void A_generated_record_is_written_as_the_serializer_writes_it_and_reads_back()
    {
        Record.Sample(record =>
        {
            byte[] written = ContainerRecordWriter.Write(record);
            Assert.Equal(Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(record, ContainerJsonContext.Default.ContainerRecord)),
                Encoding.UTF8.GetString(written));
            Assert.Equal(Encoding.UTF8.GetString(written), Encoding.UTF8.GetString(ContainerRecordWriter.Write(ContainerRecordReader.Read(written))));
        }, iter: 300);
    }
}
