// BuildOutput: the lines `build` prints, in the classic builder's form (docker build with
// DOCKER_BUILDKIT=0): "Step 2/4 : RUN echo hi", " ---> Running in 5c2ba8f1d2e3", the command's
// output, "Removing intermediate container 5c2ba8f1d2e3", " ---> 1a2b3c4d5e6f", " ---> Using
// cache", "Successfully built 1a2b3c4d5e6f", "Successfully tagged hello:latest".
//
// Why one class: -q holds all of it back (only the image ID is printed at the end; Docker's CLI
// prints what it held back on stderr when the build fails, so does MiniRun: Held), and a RUN's
// container writes straight to a file descriptor (Descriptor: 1, or with -q the same memfd the
// lines go to), so what was written here is flushed first and the lines stay in order.
// Follows: docker-build(1) (-q); moby builder/dockerfile (the classic builder's messages);
// memfd_create(2).
using System.Text;
using MiniRun.Kernel;

namespace MiniRun.Build;

public sealed class BuildOutput(TextWriter writer, bool quiet) : IDisposable
{
    private int _held = -1;   // -q: a memfd with everything held back, in order

    public bool Quiet { get; } = quiet;

    /// <summary>Where a RUN's container output goes: standard output, or with -q the held-back output.</summary>
    public int Descriptor => Quiet ? HeldFd() : 1;

    public void Line(string text)
    {
        if (Quiet) FdIo.WriteAll(HeldFd(), Encoding.UTF8.GetBytes(text + "\n"));
        else writer.Write(text + "\n");
    }

    /// <summary>
    /// The build output as a writer, for what others print into it (FROM's pull progress, as Docker's
    /// classic builder streams it between "Step 1/N : FROM" and " ---> ID"); held back with -q.
    /// </summary>
    public TextWriter Writer => Quiet ? new HeldWriter(this) : writer;

    private sealed class HeldWriter(BuildOutput output) : TextWriter
    {
        public override Encoding Encoding => Encoding.UTF8;
        public override void Write(char value) => Write(value.ToString());
        public override void Write(string? value)
        {
            if (!string.IsNullOrEmpty(value)) FdIo.WriteAll(output.HeldFd(), Encoding.UTF8.GetBytes(value));
        }
    }

    /// <summary>What -q held back (steps, RUN output), for the failure message; "" without -q.</summary>
    public string Held() => _held < 0 ? "" : File.ReadAllText($"/proc/self/fd/{_held}");   // a new open: reads from the start

    private int HeldFd()
    {
        if (_held >= 0) return _held;
        _held = Libc.memfd_create("minirun-build-output", Libc.MFD_CLOEXEC);
        if (_held < 0) throw new KernelException("memfd_create minirun-build-output", System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
        return _held;
    }

    public void Dispose()
    {
        if (_held >= 0) Libc.close(_held);
        _held = -1;
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
