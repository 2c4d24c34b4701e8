// LayerUnpacker: turns one OCI/Docker image layer blob into a directory on disk, exactly and
// safely: decompress (LayerDecompression), read tar entries with raw-byte PAX values
// (TarEntryReader), create each entry beneath the target directory (EntryWriter), hash the
// uncompressed stream into the diff id and check it.
//
// Why: this is the one place image content touches the host filesystem, so it must reproduce
// owners, modes, xattrs, devices and whiteouts byte-exactly and never write outside targetDir.
// Follows: OCI image-spec v1.1 layer.md (changesets, whiteouts) and config.md (diff ids);
// POSIX.1-2017 pax(1) archive formats; overlayfs whiteout conventions.
namespace MiniImage.Layers;

public static class LayerUnpacker
{
    /// Unpacks `blob` (compressed per mediaType) into targetDir (which must exist and be empty).
    /// Verifies that sha256 of the UNCOMPRESSED stream equals expectedDiffId ("sha256:&lt;hex&gt;")
    /// if non-null. Returns the diff id computed and the number of bytes written (sum of regular
    /// file sizes). Throws LayerException (one-line message) on any problem; the caller deletes
    /// targetDir then.
    public static UnpackResult Unpack(Stream blob, string mediaType, string targetDir, string? expectedDiffId) =>
        Unpack(blob, mediaType, targetDir, expectedDiffId, useOpenat2: true);

    /// useOpenat2=false exercises the openat(O_NOFOLLOW) walk used where openat2 is unavailable (tests).
    internal static UnpackResult Unpack(Stream blob, string mediaType, string targetDir, string? expectedDiffId, bool useOpenat2)
    {
        ArgumentNullException.ThrowIfNull(blob);
        ArgumentNullException.ThrowIfNull(mediaType);
        ArgumentNullException.ThrowIfNull(targetDir);
        string label = expectedDiffId ?? mediaType;
        if (expectedDiffId != null && !expectedDiffId.StartsWith("sha256:", StringComparison.Ordinal))
            throw new LayerException($"unpack layer {label}: unsupported diff id algorithm (only sha256 is supported)");
        if (!Directory.Exists(targetDir))
            throw new LayerException($"unpack layer {label}: target directory {targetDir} does not exist");
        if (Directory.EnumerateFileSystemEntries(targetDir).Any())
            throw new LayerException($"unpack layer {label}: target directory {targetDir} is not empty");

        try
        {
            using Stream tar = LayerDecompression.Open(blob, mediaType, label);
            using var input = new HashingTarInput(tar);
            using var dirs = new BeneathDirectory(targetDir, label, useOpenat2);
            var reader = new TarEntryReader(input);
            var writer = new EntryWriter(dirs, reader, label);
            var entry = new TarEntry();
            while (reader.Next(entry))
                writer.Write(entry);
            input.Drain();
            writer.Finish();

            string diffId = "sha256:" + input.DigestHex();
            if (expectedDiffId != null && !string.Equals(diffId, expectedDiffId, StringComparison.OrdinalIgnoreCase))
                throw new LayerException($"unpack layer {label}: uncompressed content has diff id {diffId}, expected {expectedDiffId}");
            return new UnpackResult(diffId, writer.BytesWritten, writer.Entries, writer.Whiteouts, writer.OpaqueDirectories);
        }
        catch (LayerException) { throw; }
        catch (FormatException ex) { throw Wrap(label, "malformed tar", ex); }
        catch (OverflowException ex) { throw Wrap(label, "malformed tar: a numeric field is out of range", ex); }
        catch (EndOfStreamException ex) { throw Wrap(label, "truncated tar", ex); }
        catch (Exception ex) { throw Wrap(label, "read layer data", ex); }
    }

    static LayerException Wrap(string label, string what, Exception ex)
    {
        string detail = ex is OverflowException ? "" : ": " + ex.Message.ReplaceLineEndings(" ");
        return new LayerException($"unpack layer {label}: {what}{detail}", ex);
    }
}
