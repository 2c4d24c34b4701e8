// LayerTargets: the layer parsers. "tar": TarEntryReader over a plain tar (every entry read or
// skipped); "unpack": LayerUnpacker into a fresh directory per input; "layer-stream":
// LayerDecompression (gzip, zstd, sniffed plain tar) read to the end.
//
// Invariants: tar: only FormatException, OverflowException, EndOfStreamException (what
// LayerUnpacker turns into "malformed tar" / "truncated tar"), and every entry it returns is sane
// (size >= 0, mode <= 07777). unpack: only LayerException, wrapping nothing but those or an I/O
// error, and nothing appears or changes outside the target directory. layer-stream: only
// LayerException, InvalidDataException (gzip) and SharpCompress's own exceptions, and at most
// MaxOutput bytes are read (a bomb is cut there: the budget is the reader's, not the disk's).
// Follows: docs/fuzzing.md; src/MiniImage/Layers/LayerUnpacker.cs (its error contract).
using System.Text;
using MiniImage.Layers;

namespace MiniRun.Fuzz;

static class LayerTargets
{
    const string TarMediaType = "application/vnd.oci.image.layer.v1.tar";
    const int MaxOutput = 64 << 20;

    public static void TarReader(byte[] input)
    {
        try
        {
            using var tar = new HashingTarInput(new MemoryStream(input), 64 * 1024);
            var reader = new TarEntryReader(tar);
            var e = new TarEntry();
            int n = 0;
            while (reader.Next(e))
            {
                if (e.Size < 0) throw new FuzzInvariantException($"tar: entry {n} has size {e.Size}");
                if (e.Mode is < 0 or > 0xfff) throw new FuzzInvariantException($"tar: entry {n} has mode {e.Mode}");
                // Alternate between reading an entry's data and skipping it: both paths are used.
                if (n++ % 2 == 0)
                    for (long left = e.Size; left > 0;)
                    {
                        int got = reader.ReadData(left).Length;
                        if (got == 0) throw new EndOfStreamException();
                        left -= got;
                    }
            }
            tar.Drain();
        }
        catch (Exception e) when (e is FormatException or OverflowException or EndOfStreamException) { }
    }

    public static void Unpack(byte[] input)
    {
        // Compressed input goes through "layer-stream"; here it would only let a bomb fill the disk.
        if (input.Length >= 2 && input[0] == 0x1f && input[1] == 0x8b) return;
        if (input.Length >= 4 && input[0] == 0x28 && input[1] == 0xb5 && input[2] == 0x2f && input[3] == 0xfd) return;
        using var scratch = new Scratch("unpack");
        string target = scratch.Directory("layer");
        try
        {
            LayerUnpacker.Unpack(new MemoryStream(input), TarMediaType, target, expectedDiffId: null);
        }
        catch (LayerException e) when (e.InnerException is null or FormatException or OverflowException
                                       or EndOfStreamException or IOException) { }
        catch (LayerException e)
        {
            throw new FuzzInvariantException($"unpack: LayerException wraps {e.InnerException!.GetType().Name}: {e.Message}", e);
        }
        scratch.CheckOnly("layer");
    }

    public static void LayerStream(byte[] input)
    {
        if (input.Length == 0) return;
        // The first byte chooses the media type the blob is declared as; the rest is the blob.
        string mediaType = (input[0] % 4) switch
        {
            0 => TarMediaType,
            1 => "application/vnd.oci.image.layer.v1.tar+gzip",
            2 => "application/vnd.oci.image.layer.v1.tar+zstd",
            _ => "application/octet-stream",
        };
        try
        {
            using var stream = LayerDecompression.Open(new MemoryStream(input, 1, input.Length - 1), mediaType, "fuzz");
            var buffer = new byte[64 * 1024];
            long total = 0;
            int n;
            while (total < MaxOutput && (n = stream.Read(buffer, 0, buffer.Length)) > 0) total += n;
        }
        catch (Exception e) when (e is LayerException or InvalidDataException or EndOfStreamException
                                  || e.GetType().Namespace?.StartsWith("SharpCompress", StringComparison.Ordinal) == true) { }
    }
}

/// A scratch directory per input (/tmp/minirun-fuzz-PID-N/) with a canary directory beside the
/// target: CheckOnly proves nothing was created, removed or changed next to the target.
public sealed class Scratch : IDisposable
{
    static int s_counter;
    static readonly byte[] CanaryText = Encoding.ASCII.GetBytes("canary\n");
    public readonly string Root;

    public Scratch(string what)
    {
        Root = Path.Combine(Path.GetTempPath(), $"minirun-fuzz-{Environment.ProcessId}-{what}-{s_counter++}");
        System.IO.Directory.CreateDirectory(Path.Combine(Root, "canary"));
        File.WriteAllBytes(Path.Combine(Root, "canary", "file"), CanaryText);
    }

    public string Directory(string name)
    {
        string path = Path.Combine(Root, name);
        System.IO.Directory.CreateDirectory(path);
        return path;
    }

    /// Throws unless Root holds exactly `expected` and the canary, and the canary is untouched.
    public void CheckOnly(params string[] expected)
    {
        var names = System.IO.Directory.EnumerateFileSystemEntries(Root).Select(Path.GetFileName).Order().ToList();
        var want = expected.Append("canary").Order().ToList();
        if (!names.SequenceEqual(want))
            throw new FuzzInvariantException($"written outside the target: {Root} holds [{string.Join(", ", names)}]");
        var canary = System.IO.Directory.EnumerateFileSystemEntries(Path.Combine(Root, "canary")).ToList();
        var info = new FileInfo(Path.Combine(Root, "canary", "file"));
        if (canary.Count != 1 || info.LinkTarget != null || !File.ReadAllBytes(info.FullName).AsSpan().SequenceEqual(CanaryText))
            throw new FuzzInvariantException($"written outside the target: {Root}/canary changed");
    }

    public void Dispose() => Remove(Root);

    /// Removes a tree without decoding names (a layer may create names that are not UTF-8).
    static unsafe void Remove(string path)
    {
        byte[] parent = Encoding.UTF8.GetBytes(Path.GetDirectoryName(path)! + "\0");
        byte[] name = Encoding.UTF8.GetBytes(Path.GetFileName(path) + "\0");
        int fd;
        fixed (byte* p = parent) fd = Tmds.Linux.LibC.open(p, Tmds.Linux.LibC.O_RDONLY | Tmds.Linux.LibC.O_DIRECTORY | Tmds.Linux.LibC.O_CLOEXEC);
        if (fd < 0) throw new IOException($"open {path}: errno {Tmds.Linux.LibC.errno}");
        try { fixed (byte* n = name) TreeRemover.Remove(fd, n, name.AsSpan(0, name.Length - 1), "fuzz scratch"); }
        finally { Tmds.Linux.LibC.close(fd); }
    }
}
