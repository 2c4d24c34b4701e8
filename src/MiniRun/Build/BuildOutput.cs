// BuildOutput: the lines `build` prints, in the classic builder's form (docker build with
// DOCKER_BUILDKIT=0): "Step 2/4 : RUN echo hi", " ---> Running in 5c2ba8f1d2e3", the command's
// output, "Removing intermediate container 5c2ba8f1d2e3", " ---> 1a2b3c4d5e6f", " ---> Using
// cache", "Successfully built 1a2b3c4d5e6f", "Successfully tagged hello:latest".
//
// Why one class: -q silences all of it (only the image ID is printed at the end), and a RUN's
// container writes straight to file descriptor 1, so what was written here is flushed first and
// the lines stay in order.
// Follows: docker-build(1) (-q); moby builder/dockerfile (the classic builder's messages).
namespace MiniRun.Build;

public sealed class BuildOutput(TextWriter writer, bool quiet)
{
    public bool Quiet { get; } = quiet;

    public void Line(string text)
    {
        if (Quiet) return;
        writer.Write(text + "\n");
    }

    public void Step(int index, int total, string instruction) => Line($"Step {index}/{total} : {instruction}");

    /// <summary>" ---> 1a2b3c4d5e6f": the image a step ended with (12 hex digits).</summary>
    public void Image(string imageId) => Line($" ---> {Short(imageId)}");

    public void UsingCache() => Line(" ---> Using cache");

    /// <summary>Before a container writes to fd 1 itself.</summary>
    public void Flush() => writer.Flush();

    public static string Short(string id) =>
        (id.StartsWith("sha256:", StringComparison.Ordinal) ? id[7..] : id) is var hex && hex.Length > 12 ? hex[..12] : hex;
}
