// TarExtractor: extracts a plain (uncompressed) tar stream into an existing directory that may
// already hold files: what `cp` does on the receiving side.
//
// Why: `cp` moves files as a tar stream (as `docker cp` does), so both directions and the `-`
// forms share one path. Extraction reuses the store's layer extraction (TarEntryReader +
// EntryWriter beneath a BeneathDirectory): every entry is created relative to directory fds
// opened with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, so neither a hostile tar nor a symlink
// already in the target (a container's /evil -> /) can place a file outside it. Existing files
// are replaced, existing directories merged. As in a layer, a `.wh.NAME` entry removes NAME.
// Follows: POSIX.1-2017 pax(1) formats; openat2(2); docker-cp(1) (tar in, tar out).
namespace MiniImage.Layers;

public static class TarExtractor
{
    /// <summary>Extracts `tar` into `targetDir` (a path; /proc/self/fd/N names an open directory). `label` prefixes errors.</summary>
    public static void Extract(Stream tar, string targetDir, string label)
    {
        try
        {
            using var input = new HashingTarInput(tar, 1 << 16);
            using var dirs = new BeneathDirectory(targetDir, label);
            var reader = new TarEntryReader(input);
            var writer = new EntryWriter(dirs, reader, label);
            var entry = new TarEntry();
            while (reader.Next(entry))
                writer.Write(entry);
            writer.Finish();
        }
        catch (LayerException) { throw; }
        catch (FormatException ex) { throw new LayerException($"{label}: malformed tar: {ex.Message}", ex); }
        catch (OverflowException ex) { throw new LayerException($"{label}: malformed tar: a numeric field is out of range", ex); }
        catch (EndOfStreamException ex) { throw new LayerException($"{label}: truncated tar", ex); }
        catch (IOException ex) { throw new LayerException($"{label}: read tar: {ex.Message}", ex); }
    }
}
