// StoreJournal: the write-ahead list of the blobs and layers one store operation adds or relies
// on, so that whatever a killed operation leaves behind is found and removed.
//
// Why: load, pull, commit (and build through it) put blobs in blobs/sha256 and layers in layers/
// before images.json records the image. A failure rolls back, but `kill -9` between the two
// leaves complete, unreferenced files that no later step would look at. So before adding a blob
// or layer (or reusing one the store has, which a concurrent recovery might otherwise take for
// garbage) an operation appends "blob sha256:..." / "layer sha256:..." to its journal,
// tmp/journal-<pid>-<guid>, and fsyncs it. The journal holds an flock as long as its operation
// runs, through every lock phase of a pull; the kernel drops it when the process dies. So a
// journal whose flock can be taken belongs to a failed or killed operation (StoreRecovery
// removes what it lists and no image references), and one whose flock is held protects its
// entries. A completed operation deletes its journal after images.json is written; a failed
// one leaves it. It is created and written only under a store lock (shared or exclusive), so a
// recovery (exclusive) never sees one half made.
// Follows: flock(2) (released when the process ends), write(2) with O_APPEND, fsync(2).
using System.Text;
using MiniImage.Oci;

namespace MiniImage.Store;

internal sealed class StoreJournal : IDisposable
{
    public const string Prefix = "journal-";
    private readonly object _gate = new();
    private readonly HashSet<string> _written = new(StringComparer.Ordinal);
    private int _fd;

    public string Path { get; }

    private StoreJournal(string path, int fd)
    {
        Path = path;
        _fd = fd;
    }

    /// <summary>A new journal in tmp/, locked by this process (call with a store lock held, shared or exclusive).</summary>
    public static StoreJournal Begin(StorePaths paths)
    {
        string path = System.IO.Path.Combine(paths.Tmp, $"{Prefix}{Environment.ProcessId}-{Guid.NewGuid():N}");
        return new StoreJournal(path, NativeFs.CreateLocked(path));
    }

    /// <summary>Notes (durably, before it is created or relied on) that this operation adds or uses these blobs.</summary>
    public void Blobs(params Digest[] digests) => Append(digests.Select(d => "blob " + d));

    /// <summary>Notes the layer directories of these diff_ids the same way.</summary>
    public void Layers(params Digest[] diffIds) => Append(diffIds.Select(d => "layer " + d));

    private void Append(IEnumerable<string> lines)
    {
        lock (_gate)   // a pull's downloads run in parallel
        {
            if (_fd < 0) throw new ObjectDisposedException(Path);
            var fresh = lines.Where(_written.Add).ToList();
            if (fresh.Count == 0) return;
            NativeFs.AppendDurably(_fd, Encoding.ASCII.GetBytes(string.Concat(fresh.Select(l => l + "\n"))), Path);
        }
    }

    /// <summary>The operation recorded its image (images.json written): the journal goes.</summary>
    public void Complete()
    {
        lock (_gate)
        {
            if (_fd < 0) return;
            StorePaths.DeleteTree(Path);
            Close();
        }
    }

    /// <summary>
    /// Without Complete (a failure): the lock is released and the file stays, so the next
    /// recovery removes whatever it lists that no image references.
    /// </summary>
    public void Dispose()
    {
        lock (_gate) Close();
    }

    private void Close()
    {
        if (_fd < 0) return;
        NativeFs.Close(_fd);
        _fd = -1;
    }

    /// <summary>The entries of a journal file: (blob digests, layer diff_ids); a torn last line is ignored.</summary>
    public static (HashSet<string> Blobs, HashSet<string> Layers) Read(string path)
    {
        var blobs = new HashSet<string>(StringComparer.Ordinal);
        var layers = new HashSet<string>(StringComparer.Ordinal);
        byte[]? data = NativeFs.ReadAll(path);
        if (data is null) return (blobs, layers);
        string text = Encoding.ASCII.GetString(data);
        foreach (string line in text.Split('\n'))
        {
            int space = line.IndexOf(' ');
            if (space < 0 || !Digest.TryParse(line[(space + 1)..], out var d)) continue;
            if (line[..space] == "blob") blobs.Add(d.ToString());
            else if (line[..space] == "layer") layers.Add(d.ToString());
        }
        return (blobs, layers);
    }
}
