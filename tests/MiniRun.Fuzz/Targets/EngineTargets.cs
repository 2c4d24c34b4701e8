// EngineTargets: the files the engine and the runtime core read back or take from users.
// "container-record" (container.json, ContainerRecordReader), "runtime-spec" (config.json:
// RuntimeSpecReader, then SpecValidator as `minirun-oci create` runs it, and the process reader of
// `exec --process`), "dockerfile" (DockerfileParser), "compose" (the input as compose.yaml in a
// scratch project directory, loaded by ComposeLoader as `minirun compose config` does).
//
// Invariants: container-record: only JsonException / InvalidDataException, and a record read is
// written (ContainerRecordWriter) and read again to the same bytes; runtime-spec: only
// JsonException, InvalidOperationException, FormatException (what RuntimeSpec.Load turns into
// "read runtime spec"), SpecValidator.Problem never throws, and a spec read is written
// (RuntimeSpecWriter) and read again to the same bytes; dockerfile: only BuildException; compose:
// only ComposeException, and nothing is written in the project directory.
// Follows: docs/fuzzing.md; OCI runtime-spec config.md; Dockerfile reference; Compose spec.
using System.Text;
using System.Text.Json;
using MiniRun.Build;
using MiniRun.Compose;
using MiniRun.Containers;
using MiniRun.Spec;

namespace MiniRun.Fuzz;

static class EngineTargets
{
    public static void ContainerRecord(byte[] input)
    {
        Containers.ContainerRecord record;
        try { record = ContainerRecordReader.Read(input); }
        catch (Exception e) when (e is JsonException or InvalidDataException) { return; }
        byte[] json = ContainerRecordWriter.Write(record);
        byte[] again = ContainerRecordWriter.Write(ContainerRecordReader.Read(json));
        if (!again.AsSpan().SequenceEqual(json))
            throw new FuzzInvariantException("container-record: written back, the record reads differently");
    }

    public static void RuntimeSpec(byte[] input)
    {
        try { RuntimeSpecReader.ParseProcess(input); }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException) { }

        Spec.RuntimeSpec spec;
        try { spec = RuntimeSpecReader.Parse(input); }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException) { return; }
        SpecValidator.Problem(spec);
        byte[] json = Write(spec);
        byte[] again = Write(RuntimeSpecReader.Parse(json));
        if (!again.AsSpan().SequenceEqual(json))
            throw new FuzzInvariantException("runtime-spec: written back, the spec reads differently");
    }

    static byte[] Write(Spec.RuntimeSpec spec)
    {
        var ms = new MemoryStream();
        RuntimeSpecWriter.Write(ms, spec);
        return ms.ToArray();
    }

    public static void Dockerfile(byte[] input)
    {
        try { DockerfileParser.Parse(Encoding.UTF8.GetString(input)); }
        catch (BuildException) { }
    }

    public static void Compose(byte[] input)
    {
        using var scratch = new Scratch("compose");
        string dir = scratch.Directory("project");
        string file = Path.Combine(dir, "compose.yaml");
        File.WriteAllBytes(file, input);
        try
        {
            var request = new ComposeRequest([file], ProjectName: null, ProjectDirectory: null, Profiles: []);
            ComposeLoader.Load(request, dir, new Dictionary<string, string>());
        }
        catch (ComposeException) { }
        scratch.CheckOnly("project");
        var files = Directory.EnumerateFileSystemEntries(dir).ToList();
        if (files.Count != 1) throw new FuzzInvariantException($"compose: loading wrote into the project directory: {string.Join(", ", files)}");
    }
}
