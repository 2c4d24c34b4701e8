// RuntimeSpecPropertyTests: property tests (CsCheck) of config.json: for generated specs (process,
// user, rlimits, capabilities, mounts, namespaces, id mappings, sysctls, memory and pids limits,
// hooks, annotations, with awkward strings and extreme numbers) the hand-written writer gives the
// serializer's bytes, and what it writes reads back (RuntimeSpecReader) to a spec that writes the
// same bytes again, with nothing left unread.
//
// Why: config.json is the only contract between the engine and the core, and other engines
// (podman, containerd) hand MiniRun theirs; a field lost between writer and reader is a
// container started with other settings. RuntimeSpecWriterTests has the examples.
// Follows: OCI runtime-spec config.md, config-linux.md.
using System.Text;
using CsCheck;
using MiniRun.Spec;
using MiniRun.Tests.Containers;

namespace MiniRun.Tests.Spec;

public sealed class RuntimeSpecPropertyTests
{
    static readonly Gen<string> Text = ContainerRecordPropertyTests.Text;
    static readonly Gen<List<string>> Texts = Text.List[0, 4];
    static readonly Gen<List<string>?> NullableTexts = Gen.OneOf(Gen.Const((List<string>?)null), Texts.Select(l => (List<string>?)l));
    static readonly Gen<string?> NullableText = Gen.OneOf(Gen.Const((string?)null), Text.Select(s => (string?)s));
    static Gen<T?> Maybe<T>(Gen<T> g) where T : class => Gen.OneOf(Gen.Const((T?)null), g.Select(x => (T?)x));
    static Gen<long?> MaybeLong => Gen.OneOf(Gen.Const((long?)null), Gen.Long.Select(x => (long?)x));

    static readonly Gen<SpecProcess> Process =
        from terminal in Gen.Bool
        from uid in Gen.UInt
        from gid in Gen.UInt
        from gids in Maybe(Gen.UInt.List[0, 3])
        from args in Texts
        from env in Texts
        from cwd in Text
        from nnp in Gen.Bool
        from rlimits in Maybe(Gen.Select(Text, Gen.ULong, Gen.ULong, (t, s, h) => new SpecRlimit { Type = t, Soft = s, Hard = h }).List[0, 2])
        from caps in Maybe(Gen.Select(NullableTexts, NullableTexts, NullableTexts, (b, e, p) => new SpecCapabilities { Bounding = b, Effective = e, Permitted = p }))
        from oom in Gen.OneOf(Gen.Const((int?)null), Gen.Int.Select(i => (int?)i))
        select new SpecProcess
        {
            Terminal = terminal, User = new SpecUser { Uid = uid, Gid = gid, AdditionalGids = gids }, Args = args, Env = env, Cwd = cwd,
            NoNewPrivileges = nnp, Rlimits = rlimits, Capabilities = caps, OomScoreAdj = oom,
        };

    static readonly Gen<SpecLinux> Linux =
        from namespaces in Gen.Select(Text, NullableText, (t, p) => new SpecNamespace { Type = t, Path = p }).List[0, 4]
        from uidMap in Maybe(Gen.Select(Gen.UInt, Gen.UInt, Gen.UInt, (c, h, s) => new SpecIdMapping { ContainerId = c, HostId = h, Size = s }).List[0, 2])
        from cgroupsPath in NullableText
        from masked in NullableTexts
        from sysctl in Maybe(Gen.Dictionary(Text, Text)[0, 3])
        from memory in Maybe(Gen.Select(MaybeLong, MaybeLong, MaybeLong, (l, r, s) => new SpecMemory { Limit = l, Reservation = r, Swap = s }))
        from pids in Maybe(MaybeLong.Select(l => new SpecPids { Limit = l }))
        select new SpecLinux
        {
            Namespaces = namespaces, UidMappings = uidMap, GidMappings = uidMap, CgroupsPath = cgroupsPath, MaskedPaths = masked,
            Sysctl = sysctl, Resources = memory is null && pids is null ? null : new SpecResources { Memory = memory, Pids = pids },
        };

    static readonly Gen<RuntimeSpec> Spec =
        from process in Process
        from rootPath in Text
        from readOnly in Gen.Bool
        from hostname in NullableText
        from mounts in Gen.Select(Text, NullableText, NullableText, NullableTexts, (d, t, s, o) => new SpecMount { Destination = d, Type = t, Source = s, Options = o }).List[0, 3]
        from annotations in Maybe(Gen.Dictionary(Text, Text)[0, 3])
        from linux in Linux
        from hooks in Maybe(Gen.Select(Text, NullableTexts, Gen.OneOf(Gen.Const((int?)null), Gen.Int.Select(i => (int?)i)),
            (p, a, t) => new SpecHook { Path = p, Args = a, Timeout = t }).List[0, 2].Select(h => new SpecHooks { CreateRuntime = h, Poststop = h }))
        select new RuntimeSpec
        {
            Process = process, Root = new SpecRoot { Path = rootPath, Readonly = readOnly }, Hostname = hostname, Mounts = mounts,
            Annotations = annotations, Linux = linux, Hooks = hooks,
        };

    static string Written(RuntimeSpec spec)
    {
        using var stream = new MemoryStream();
        RuntimeSpecWriter.Write(stream, spec);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    [Fact]
    public void A_generated_spec_is_written_as_the_serializer_writes_it_and_reads_back()
    {
        Spec.Sample(spec =>
        {
            string written = Written(spec);
            Assert.Equal(spec.ToJson(), written);
            var again = RuntimeSpecReader.Parse(Encoding.UTF8.GetBytes(written));
            Assert.Null(again.Unread);
            Assert.Equal(written, Written(again));
        }, iter: 300);
    }
}
