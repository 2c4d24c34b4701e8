// JsonWarmup: builds, on a background thread, the System.Text.Json metadata of the container record
// that `run` writes as container.json, while the main thread clones init and looks up the image.
//
// Why: in a fresh NativeAOT process the serializer builds each type's metadata on first use
// (converters, properties, a reflection lookup of polymorphism attributes per type). For `run`
// that was about half of its own work before it could hand the bundle to init (measured with
// perf, docs/benchmarks.md, 2026-11-24), and every container start is a fresh process. None of it
// depends on the container, so a second thread does it in parallel. The serializer's metadata
// cache is thread-safe: if the main thread needs a type first, it builds it itself or waits for
// the one being built; the result is the same either way. (config.json needs no warm-up: it is
// written without the serializer, see Spec/RuntimeSpecWriter.cs.) A failure here changes nothing (the
// main thread then meets the same error where it always did), so it is ignored.
//
// Follows: System.Text.Json source generation (JsonSerializerContext, JsonTypeInfo caching).
using System.Text.Json;
using MiniRun.Containers;

namespace MiniRun.Cli;

internal static class JsonWarmup
{
    /// <summary>Starts the warm-up; returns at once. The thread never keeps the process alive.</summary>
    public static void Start()
    {
        var thread = new Thread(Run, 256 * 1024) { IsBackground = true, Name = "json warmup" };
        thread.Start();
    }

    private static void Run()
    {
        try
        {
            JsonSerializer.SerializeToUtf8Bytes(new ContainerRecord(), ContainerJsonContext.Default.ContainerRecord);
        }
        catch (Exception)
        {
            // Only a head start: the real serialization reports any problem itself.
        }
    }
}
